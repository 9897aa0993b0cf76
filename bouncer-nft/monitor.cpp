// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/monitor.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log.h"

namespace phalanx::nft {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("nft");
  return log;
}

// The table name a notification is about, through the libnftnl object of its kind.
template <auto Alloc, auto Free, auto Parse, auto Get>
std::string table_of(const nlmsghdr* nlh, uint16_t attr) {
  auto* obj = Alloc();
  std::string out;
  if (Parse(nlh, obj) >= 0) {
    const char* t = Get(obj, attr);
    if (t) out = t;
  }
  Free(obj);
  return out;
}

}  // namespace

Monitor::Monitor(const Layout& layout, uint32_t own_portid, mnl_socket* nl, int stop_fd,
                 int resume_fd)
    : layout_(layout), own_portid_(own_portid), nl_(nl), stop_fd_(stop_fd), resume_fd_(resume_fd) {}

Monitor::~Monitor() {
  mnl_socket_close(nl_);
  close(stop_fd_);
  close(resume_fd_);
}

void Monitor::pause() {
  const int group = NFNLGRP_NFTABLES;
  setsockopt(mnl_socket_get_fd(nl_), SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group, sizeof group);
}

void Monitor::resume() {
  const int group = NFNLGRP_NFTABLES;
  setsockopt(mnl_socket_get_fd(nl_), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group);
  const uint64_t one = 1;
  (void)!write(resume_fd_, &one, sizeof one);
}

Result<std::unique_ptr<Monitor>> Monitor::open(const Layout& layout, uint32_t own_portid) {
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl) return Error::from_errno("nft: opening the notification socket");
  if (mnl_socket_bind(nl, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    return Error::from_errno("nft: subscribing to nf_tables notifications", err);
  }
  // A flushed set of a million elements is a million notifications: a large buffer; an overrun
  // is reported as Damage::lost (check that our objects exist, reload if not).
  const int rcv = 1 << 25;
  const int fd = mnl_socket_get_fd(nl);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  const int resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0 || resume_fd < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    if (stop_fd >= 0) close(stop_fd);
    if (resume_fd >= 0) close(resume_fd);
    return Error::from_errno("nft: creating an eventfd", err);
  }
  return std::unique_ptr<Monitor>(new Monitor(layout, own_portid, nl, stop_fd, resume_fd));
}

void Monitor::stop() {
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
}

void Monitor::parse(const nlmsghdr* nlh, Damage& damage) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return;
  if (nlh->nlmsg_pid == own_portid_) return;  // our own change
  const uint16_t type = nlh->nlmsg_type & 0xff;
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  if (nfg->nfgen_family != layout_.family) return;
  ++events_;
  switch (type) {
    case NFT_MSG_DELTABLE: {
      const auto t = table_of<nftnl_table_alloc, nftnl_table_free, nftnl_table_nlmsg_parse,
                              nftnl_table_get_str>(nlh, NFTNL_TABLE_NAME);
      if (t == layout_.table) damage.ruleset = true;
      return;
    }
    case NFT_MSG_DELCHAIN:
    case NFT_MSG_DELRULE: {
      if (layout_.set_only) return;  // the admin's chains are the admin's business
      const auto t = type == NFT_MSG_DELCHAIN
                         ? table_of<nftnl_chain_alloc, nftnl_chain_free, nftnl_chain_nlmsg_parse,
                                    nftnl_chain_get_str>(nlh, NFTNL_CHAIN_TABLE)
                         : table_of<nftnl_rule_alloc, nftnl_rule_free, nftnl_rule_nlmsg_parse,
                                    nftnl_rule_get_str>(nlh, NFTNL_RULE_TABLE);
      if (t == layout_.table) damage.ruleset = true;
      return;
    }
    case NFT_MSG_DELOBJ: {
      if (layout_.set_only) return;
      const auto t =
          table_of<nftnl_obj_alloc, nftnl_obj_free, nftnl_obj_nlmsg_parse, nftnl_obj_get_str>(
              nlh, NFTNL_OBJ_TABLE);
      if (t == layout_.table) damage.ruleset = true;
      return;
    }
    case NFT_MSG_DELSET: {
      nftnl_set* s = nftnl_set_alloc();
      if (nftnl_set_nlmsg_parse(nlh, s) >= 0) {
        const char* t = nftnl_set_get_str(s, NFTNL_SET_TABLE);
        const char* n = nftnl_set_get_str(s, NFTNL_SET_NAME);
        if (t && n && layout_.table == t) {
          for (const SetId id : layout_.sets())
            if (layout_.set_name(id) == n) damage.ruleset = true;
        }
      }
      nftnl_set_free(s);
      return;
    }
    case NFT_MSG_DELSETELEM:
    case kMsgDestroySetElem:
      break;
    default:
      return;
  }
  nftnl_set* s = nftnl_set_alloc();
  if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
    nftnl_set_free(s);
    return;
  }
  const char* t = nftnl_set_get_str(s, NFTNL_SET_TABLE);
  const char* n = nftnl_set_get_str(s, NFTNL_SET_NAME);
  std::optional<SetId> which;
  if (t && n && layout_.table == t) {
    for (const SetId id : layout_.sets())
      if (layout_.set_name(id) == n) which = id;
  }
  if (which) {
    if (set_is_interval(*which)) {
      damage.ranges[set_is_v6(*which)] = true;
    } else {
      nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
      for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr;
           e = nftnl_set_elems_iter_next(it)) {
        uint32_t len = 0;
        const auto* key =
            static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
        if (!key) continue;
        if (len == 4) {
          uint32_t be = 0;
          std::memcpy(&be, key, 4);
          damage.v4.push_back(ntohl(be));
        } else if (len == 16) {
          V6Key k;
          std::memcpy(k.data(), key, 16);
          damage.v6.push_back(k);
        }
      }
      nftnl_set_elems_iter_destroy(it);
    }
  }
  nftnl_set_free(s);
}

bool Monitor::drain(Damage& damage, int timeout_ms) {
  std::vector<char> buf(1 << 16);
  const int fd = mnl_socket_get_fd(nl_);
  while (true) {
    pollfd fds[3] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}, {resume_fd_, POLLIN, 0}};
    const int n = poll(fds, 3, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;  // quiet for timeout_ms
    if (fds[1].revents & POLLIN) return false;
    if (fds[2].revents & POLLIN) {
      uint64_t v = 0;
      (void)!read(resume_fd_, &v, sizeof v);
      damage.lost = true;
      if (timeout_ms < 0) return true;
      continue;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    const ssize_t len = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (len < 0) {
      if (errno == ENOBUFS) {
        damage.lost = true;
        continue;
      }
      if (errno == EAGAIN || errno == EINTR) continue;
      logger()->error("nft: reading notifications: {}", std::strerror(errno));
      return false;
    }
    int left = static_cast<int>(len);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left))
      parse(nlh, damage);
    if (timeout_ms < 0 && damage.any()) return true;
  }
}

std::optional<Damage> Monitor::wait(int settle_ms) {
  Damage damage;
  if (!drain(damage, -1)) return std::nullopt;
  if (!drain(damage, settle_ms)) return std::nullopt;
  return damage;
}

}  // namespace phalanx::nft
