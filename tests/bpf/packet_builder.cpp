// SPDX-License-Identifier: Apache-2.0
#include "packet_builder.h"

#include <cstdlib>
#include <cstring>

#include "core/net.h"

namespace phalanx::xdp::test {
namespace {

constexpr uint8_t kIpProtoUdp = 17;

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v & 0xff);
}

void append16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v & 0xff));
}

net::IpAddress parse_or_die(std::string_view text) {
  auto addr = net::IpAddress::parse(text);
  if (!addr) std::abort();  // a typo in a test table, not a runtime condition
  return *addr;
}

void append_v4(std::vector<uint8_t>& b, std::string_view text) {
  const net::IpAddress addr = parse_or_die(text);
  b.insert(b.end(), addr.bytes().begin() + 12, addr.bytes().end());
}

void append_v6(std::vector<uint8_t>& b, std::string_view text) {
  const net::IpAddress addr = parse_or_die(text);
  b.insert(b.end(), addr.bytes().begin(), addr.bytes().end());
}

}  // namespace

void Frame::set_next(uint16_t type) {
  if (ethertype_at_ != 0) put16(bytes_, ethertype_at_, type);
  ethertype_at_ = 0;
}

void Frame::set_l4(uint8_t proto) {
  if (next_header_at_ != 0) bytes_[next_header_at_] = proto;
  next_header_at_ = 0;
}

Frame& Frame::eth() {
  const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  bytes_.assign(macs, macs + sizeof(macs));
  append16(bytes_, 0);
  ethertype_at_ = 12;
  return *this;
}

Frame& Frame::vlan(uint16_t tpid, uint16_t vid) {
  set_next(tpid);
  append16(bytes_, vid & 0x0fff);
  append16(bytes_, 0);
  ethertype_at_ = bytes_.size() - 2;
  return *this;
}

Frame& Frame::ethertype(uint16_t type) {
  set_next(type);
  bytes_.resize(bytes_.size() + 46, 0);  // minimum payload
  return *this;
}

Frame& Frame::ipv4(std::string_view src, int ihl) {
  set_next(0x0800);
  const size_t start = bytes_.size();
  bytes_.push_back(static_cast<uint8_t>(0x40 | (ihl & 0x0f)));
  bytes_.push_back(0);       // DSCP/ECN
  append16(bytes_, 0);       // total length (unchecked by XDP)
  append16(bytes_, 0x1234);  // id
  append16(bytes_, 0);       // flags, fragment offset
  bytes_.push_back(64);      // TTL
  bytes_.push_back(0);       // protocol, set by the next layer
  append16(bytes_, 0);       // checksum (unchecked by XDP)
  append_v4(bytes_, src);
  append_v4(bytes_, "198.51.100.1");
  if (ihl > 5) bytes_.resize(start + static_cast<size_t>(ihl) * 4, 0);
  next_header_at_ = start + 9;
  return *this;
}

Frame& Frame::ipv4_version(std::string_view src, uint8_t version) {
  ipv4(src);
  bytes_[next_header_at_ - 9] = static_cast<uint8_t>(version << 4 | 5);
  return *this;
}

Frame& Frame::ipv6(std::string_view src) {
  set_next(0x86dd);
  const size_t start = bytes_.size();
  bytes_.push_back(0x60);
  bytes_.insert(bytes_.end(), {0, 0, 0});  // traffic class, flow label
  append16(bytes_, 0);                     // payload length
  bytes_.push_back(0);                     // next header, set by the next layer
  bytes_.push_back(64);                    // hop limit
  append_v6(bytes_, src);
  append_v6(bytes_, "2001:db8:ffff::1");
  next_header_at_ = start + 6;
  return *this;
}

Frame& Frame::ipv6_ext(uint8_t type) {
  set_l4(type);
  const size_t start = bytes_.size();
  bytes_.resize(start + 8, 0);  // next header, length 0 (8 bytes), then padding
  next_header_at_ = start;
  return *this;
}

Frame& Frame::udp(size_t payload) {
  set_l4(kIpProtoUdp);
  append16(bytes_, 40000);
  append16(bytes_, 53);
  append16(bytes_, static_cast<uint16_t>(8 + payload));
  append16(bytes_, 0);
  bytes_.resize(bytes_.size() + payload, 0xab);
  return *this;
}

Frame& Frame::arp(std::string_view sender, std::string_view target) {
  set_next(0x0806);
  append16(bytes_, 1);       // Ethernet
  append16(bytes_, 0x0800);  // IPv4
  bytes_.push_back(6);
  bytes_.push_back(4);
  append16(bytes_, 1);  // request
  bytes_.insert(bytes_.end(), {0x02, 0, 0, 0, 0, 0x02});
  append_v4(bytes_, sender);
  bytes_.insert(bytes_.end(), 6, 0);
  append_v4(bytes_, target);
  return *this;
}

Frame& Frame::truncate(size_t size) {
  if (size < bytes_.size()) bytes_.resize(size);
  return *this;
}

}  // namespace phalanx::xdp::test
