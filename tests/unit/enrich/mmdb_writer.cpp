// SPDX-License-Identifier: Apache-2.0
#include "mmdb_writer.h"

#include <bit>
#include <cstring>
#include <fstream>

#include "core/net.h"

namespace phalanx::enrich::mmdb {
namespace {

constexpr std::string_view kMetadataMarker = "\xAB\xCD\xEFMaxMind.com";
constexpr int kRecordBits = 24;

// Control byte(s): type in the top 3 bits (0 = "extended", then type-7 in the next byte) and the
// size in the low 5 bits, with 1-3 extra size bytes for large sizes.
void encode_control(std::string& out, int type, size_t size) {
  uint8_t size_bits = 0;
  std::string extra;
  if (size < 29) {
    size_bits = static_cast<uint8_t>(size);
  } else if (size < 29 + 256) {
    size_bits = 29;
    extra.push_back(static_cast<char>(size - 29));
  } else if (size < 285 + 65536) {
    size_bits = 30;
    size_t s = size - 285;
    extra.push_back(static_cast<char>(s >> 8));
    extra.push_back(static_cast<char>(s & 0xff));
  } else {
    size_bits = 31;
    size_t s = size - 65821;
    extra.push_back(static_cast<char>(s >> 16));
    extra.push_back(static_cast<char>((s >> 8) & 0xff));
    extra.push_back(static_cast<char>(s & 0xff));
  }
  if (type <= 7) {
    out.push_back(static_cast<char>((type << 5) | size_bits));
  } else {
    out.push_back(static_cast<char>(size_bits));
    out.push_back(static_cast<char>(type - 7));
  }
  out += extra;
}

// Unsigned integers use the fewest big-endian bytes that hold the value.
void encode_uint(std::string& out, int type, uint64_t v) {
  int n = 0;
  for (uint64_t x = v; x != 0; x >>= 8)
    ++n;
  encode_control(out, type, static_cast<size_t>(n));
  for (int i = n - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

Value Value::string(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.bytes_ = std::move(s);
  return v;
}
Value Value::f64(double d) {
  Value v;
  v.type_ = Type::kDouble;
  v.double_ = d;
  return v;
}
Value Value::u16(uint16_t x) {
  Value v;
  v.type_ = Type::kUint16;
  v.uint_ = x;
  return v;
}
Value Value::u32(uint32_t x) {
  Value v;
  v.type_ = Type::kUint32;
  v.uint_ = x;
  return v;
}
Value Value::u64(uint64_t x) {
  Value v;
  v.type_ = Type::kUint64;
  v.uint_ = x;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::kBoolean;
  v.uint_ = b ? 1 : 0;
  return v;
}
Value Value::map(Map entries) {
  Value v;
  v.type_ = Type::kMap;
  v.map_ = std::move(entries);
  return v;
}
Value Value::array(Array items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

void Value::encode(std::string& out) const {
  const int type = static_cast<int>(type_);
  switch (type_) {
    case Type::kString:
      encode_control(out, type, bytes_.size());
      out += bytes_;
      break;
    case Type::kDouble:
      encode_control(out, type, 8);
      put_be(out, std::bit_cast<uint64_t>(double_), 8);
      break;
    case Type::kUint16:
    case Type::kUint32:
    case Type::kUint64:
      encode_uint(out, type, uint_);
      break;
    case Type::kBoolean:  // the value lives in the size field
      encode_control(out, type, static_cast<size_t>(uint_));
      break;
    case Type::kMap:
      encode_control(out, type, map_.size());
      for (const auto& [key, value] : map_) {
        string(key).encode(out);
        value.encode(out);
      }
      break;
    case Type::kArray:
      encode_control(out, type, array_.size());
      for (const auto& item : array_)
        item.encode(out);
      break;
  }
}

Writer::Writer(int ip_version, std::string database_type)
    : ip_version_(ip_version), database_type_(std::move(database_type)) {
  add_node();  // the root
}

uint32_t Writer::add_node() {
  nodes_.push_back(Node{});
  return static_cast<uint32_t>(nodes_.size() - 1);
}

Result<void> Writer::insert(std::string_view cidr, const Value& data) {
  PHALANX_TRY(net::Cidr network, net::Cidr::parse(cidr));
  int bits = network.prefix_len();
  net::Uint128 addr = network.network().to_uint128();
  if (network.is_v4()) {
    addr &= 0xffffffffu;  // ::a.b.c.d, not the ::ffff:a.b.c.d IpAddress keeps internally
    if (ip_version_ == 4) {
      addr <<= 96;  // walk the 32 address bits from the top of the 128-bit word
    } else {
      bits += 96;
    }
  } else if (ip_version_ == 4) {
    return Error("inserting " + std::string(cidr) + ": ipv6 network in an ipv4 tree");
  }
  Record leaf{Record::kData, static_cast<uint32_t>(data_.size())};
  data.encode(data_);
  uint32_t node = 0;
  for (int depth = 0; depth < bits; ++depth) {
    int bit = static_cast<int>((addr >> (127 - depth)) & 1);
    if (depth == bits - 1) {
      nodes_[node].rec[bit] = leaf;
      break;
    }
    Record next = nodes_[node].rec[bit];
    if (next.kind != Record::kNode) {
      // Split an empty or data record: the new node inherits it on both sides.
      uint32_t child = add_node();
      nodes_[child].rec[0] = next;
      nodes_[child].rec[1] = next;
      nodes_[node].rec[bit] = Record{Record::kNode, child};
      next = nodes_[node].rec[bit];
    }
    node = next.value;
  }
  return ok();
}

std::string Writer::serialize() const {
  const uint32_t node_count = static_cast<uint32_t>(nodes_.size());
  auto record_value = [&](const Record& r) -> uint64_t {
    switch (r.kind) {
      case Record::kNode:
        return r.value;
      case Record::kData:  // data offsets count from the end of the search tree
        return uint64_t{node_count} + 16 + r.value;
      default:
        return node_count;
    }
  };
  std::string out;
  for (const Node& n : nodes_) {
    put_be(out, record_value(n.rec[0]), kRecordBits / 8);
    put_be(out, record_value(n.rec[1]), kRecordBits / 8);
  }
  out.append(16, '\0');
  out += data_;
  out += kMetadataMarker;
  Value::map({
                 {"binary_format_major_version", Value::u16(2)},
                 {"binary_format_minor_version", Value::u16(0)},
                 {"build_epoch", Value::u64(1700000000)},
                 {"database_type", Value::string(database_type_)},
                 {"description", Value::map({{"en", Value::string("phalanx test database")}})},
                 {"ip_version", Value::u16(static_cast<uint16_t>(ip_version_))},
                 {"languages", Value::array({Value::string("en")})},
                 {"node_count", Value::u32(node_count)},
                 {"record_size", Value::u16(kRecordBits)},
             })
      .encode(out);
  return out;
}

Result<void> Writer::write(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Error::from_errno("writing " + path);
  std::string bytes = serialize();
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) return Error::from_errno("writing " + path);
  return ok();
}

}  // namespace phalanx::enrich::mmdb
