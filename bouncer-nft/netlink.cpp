// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/netlink.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace phalanx::nft {
namespace {

constexpr size_t kRecvBuffer = 1 << 18;

// The payload of an NLMSG_ERROR: errno (0 for an ack), the sequence number it answers, and the
// extended-ack text and attribute offset when the kernel sent them.
struct Ack {
  uint32_t seq = 0;
  int code = 0;
  std::string text;
  std::optional<uint32_t> offset;
};

Ack parse_ack(const nlmsghdr* nlh) {
  Ack ack;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  ack.seq = err->msg.nlmsg_seq;
  ack.code = -err->error;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return ack;
  size_t skip = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) skip += err->msg.nlmsg_len - sizeof(nlmsghdr);
  const auto* start = reinterpret_cast<const char*>(err) + skip;
  const auto* end = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  for (const char* p = start; p + sizeof(nlattr) <= end;) {
    const auto* attr = reinterpret_cast<const nlattr*>(p);
    if (attr->nla_len < sizeof(nlattr) || p + attr->nla_len > end) break;
    const char* data = p + NLA_HDRLEN;
    const size_t len = attr->nla_len - NLA_HDRLEN;
    if (attr->nla_type == NLMSGERR_ATTR_MSG && len > 0) {
      ack.text.assign(data, strnlen(data, len));
    } else if (attr->nla_type == NLMSGERR_ATTR_OFFS && len >= 4) {
      uint32_t off = 0;
      std::memcpy(&off, data, 4);
      ack.offset = off;
    }
    p += NLA_ALIGN(attr->nla_len);
  }
  return ack;
}

Result<void> set_sndbuf(mnl_socket* nl, size_t bytes) {
  const int fd = mnl_socket_get_fd(nl);
  const int v = static_cast<int>(std::min<size_t>(bytes, 1u << 30));
  // SO_SNDBUFFORCE goes past net.core.wmem_max (we are CAP_NET_ADMIN anyway to use nf_tables).
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) == 0) return ok();
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0) return ok();
  return Error::from_errno("nft: setting the netlink send buffer");
}

}  // namespace

std::string errno_text(int code, const std::string& kernel_text) {
  std::string out = std::strerror(code);
  if (!kernel_text.empty()) out += " (" + kernel_text + ")";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Batch

Batch::Batch() {
  seq_ = first_seq_ = 1;
  char* p = reserve(MNL_ALIGN(sizeof(nlmsghdr) + sizeof(nfgenmsg)));
  nftnl_batch_begin(p, seq_++);
  commit_bytes(reinterpret_cast<nlmsghdr*>(p)->nlmsg_len);
}

char* Batch::reserve(size_t n) {
  if (blocks_.empty() || blocks_.back().size - blocks_.back().used < n) {
    // Not zeroed: pages nobody writes are never touched, so they cost no memory.
    const size_t size = std::max(n, blocks_.empty() ? kFirstBlock : kBlock);
    blocks_.push_back(Block{std::unique_ptr<char[]>(new char[size]), size, 0});
  }
  Block& b = blocks_.back();
  return b.data.get() + b.used;
}

void Batch::commit_bytes(size_t n) {
  blocks_.back().used += n;
  used_ += n;
}

nlmsghdr* Batch::begin_message(uint16_t type, uint16_t family, uint16_t flags, std::string what) {
  char* p = reserve(kMaxMessage);
  std::memset(p, 0, sizeof(nlmsghdr) + sizeof(nfgenmsg));
  const uint32_t seq = seq_++;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(p, type, family, flags | NLM_F_ACK, seq);
  messages_.push_back(Message{seq, std::move(what), 0, {}});
  return nlh;
}

void Batch::end_message(nlmsghdr* nlh) {
  commit_bytes(nlh->nlmsg_len);
}

void Batch::mark_item(const nlmsghdr* nlh, size_t item) {
  Message& m = messages_.back();
  const size_t high = item & ~size_t{0xffffffff};
  if (m.items.empty()) m.item_high = high;
  // An item of another list in the same message cannot be told apart: leave it unnamed (a
  // refusal that names no element fails the call instead of dropping the wrong one).
  if (high != m.item_high) return;
  m.items.emplace_back(nlh->nlmsg_len, static_cast<uint32_t>(item));
}

void Batch::close() {
  if (closed_) return;
  char* p = reserve(MNL_ALIGN(sizeof(nlmsghdr) + sizeof(nfgenmsg)));
  nftnl_batch_end(p, seq_++);
  commit_bytes(reinterpret_cast<nlmsghdr*>(p)->nlmsg_len);
  closed_ = true;
}

const Batch::Message* Batch::find(uint32_t seq) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), seq,
                             [](const Message& m, uint32_t s) { return m.seq < s; });
  return it != messages_.end() && it->seq == seq ? &*it : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Socket

Socket::Socket(mnl_socket* nl) : nl_(nl) {}
Socket::Socket(Socket&& o) noexcept : nl_(o.nl_), seq_(o.seq_), sndbuf_(o.sndbuf_) {
  o.nl_ = nullptr;
}
Socket& Socket::operator=(Socket&& o) noexcept {
  std::swap(nl_, o.nl_);
  std::swap(seq_, o.seq_);
  std::swap(sndbuf_, o.sndbuf_);
  return *this;
}
Socket::~Socket() {
  if (nl_) mnl_socket_close(nl_);
}

Result<Socket> Socket::open() {
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl) return Error::from_errno("nft: opening a netfilter netlink socket");
  Socket s(nl);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::from_errno("nft: binding the netlink socket");
  const int on = 1;
  const int fd = mnl_socket_get_fd(nl);
  // Extended acks name the refused attribute; capped acks do not echo our (large) messages.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  const int rcv = 1 << 22;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  // A large commit is acknowledged only once the kernel has applied it all.
  timeval tv{120, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  s.seq_ = static_cast<uint32_t>(time(nullptr));
  return s;
}

uint32_t Socket::portid() const {
  return mnl_socket_get_portid(nl_);
}

Result<std::vector<Rejection>> Socket::commit(const Batch& batch) {
  std::vector<Rejection> out;
  if (batch.empty()) return out;
  if (!batch.closed_) return Error("nft: internal: committing a batch that is not closed");
  // Batches number their messages from 1; commit() reads every answer before returning, so
  // no answer of an earlier batch can be taken for one of this batch.
  if (batch.used_ + 4096 > sndbuf_) {
    PHALANX_CHECK(set_sndbuf(nl_, batch.used_ * 2 + 65536));
    sndbuf_ = batch.used_ * 2 + 65536;
  }
  std::vector<iovec> iov;
  iov.reserve(batch.blocks_.size());
  for (const auto& b : batch.blocks_)
    iov.push_back(iovec{b.data.get(), b.used});
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (sendmsg(mnl_socket_get_fd(nl_), &msg, 0) < 0)
    return Error::from_errno(fmt::format("nft: sending a batch of {} messages ({} bytes)",
                                         batch.messages(), batch.used_));
  size_t answered = 0;
  std::vector<char> buf(kRecvBuffer);
  while (answered < batch.messages()) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return Error(fmt::format("nft: waiting for acknowledgements: {} of {} after 120s", answered,
                                 batch.messages()),
                     ETIMEDOUT);
      return Error::from_errno("nft: reading acknowledgements");
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const Ack ack = parse_ack(nlh);
      if (ack.seq == batch.first_seq_) {  // the batch header itself was refused
        return Error("nft: starting a transaction: " + errno_text(ack.code, ack.text), ack.code);
      }
      const Batch::Message* m = batch.find(ack.seq);
      if (!m) continue;  // not ours (a late answer to an earlier batch)
      ++answered;
      if (ack.code == 0) continue;
      Rejection r{m->what, std::nullopt, ack.code, errno_text(ack.code, ack.text)};
      if (ack.offset && !m->items.empty()) {
        // The last element attribute that starts at or before the reported offset.
        auto it = std::upper_bound(
            m->items.begin(), m->items.end(), *ack.offset,
            [](uint32_t off, const std::pair<uint32_t, uint32_t>& e) { return off < e.first; });
        if (it != m->items.begin()) r.item = m->item_high | std::prev(it)->second;
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<void> Socket::dump(const std::function<nlmsghdr*(char* buf, uint32_t seq)>& build,
                          const std::function<Result<void>(const nlmsghdr*)>& on_message) {
  std::vector<char> buf(kRecvBuffer);
  const uint32_t seq = next_seq();
  nlmsghdr* req = build(buf.data(), seq);
  if (mnl_socket_sendto(nl_, req, req->nlmsg_len) < 0)
    return Error::from_errno("nft: sending a dump request");
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) return Error::from_errno("nft: reading a dump");
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq) continue;
      if (nlh->nlmsg_type == NLMSG_DONE) return ok();
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const Ack ack = parse_ack(nlh);
        if (ack.code == 0) return ok();
        return Error(errno_text(ack.code, ack.text), ack.code);
      }
      PHALANX_CHECK(on_message(nlh));
    }
  }
}

Result<void> Socket::request(const std::function<nlmsghdr*(char* buf, uint32_t seq)>& build,
                             const std::function<Result<void>(const nlmsghdr*)>& on_message) {
  std::vector<char> buf(kRecvBuffer);
  const uint32_t seq = next_seq();
  nlmsghdr* req = build(buf.data(), seq);
  req->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(nl_, req, req->nlmsg_len) < 0)
    return Error::from_errno("nft: sending a request");
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) return Error::from_errno("nft: reading an answer");
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq) continue;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const Ack ack = parse_ack(nlh);
        if (ack.code == 0) return ok();
        return Error(errno_text(ack.code, ack.text), ack.code);
      }
      PHALANX_CHECK(on_message(nlh));
    }
  }
}

}  // namespace phalanx::nft
