// SPDX-License-Identifier: Apache-2.0
// Watches nf_tables change notifications (NFNLGRP_NFTABLES) for deletions of what phalanx-nft
// owns: its table, chain, rules, counters, sets, or elements of its sets, by anyone but this
// process (a notification carries the netlink port id of the socket that made the change).
// `nft flush ruleset`, a firewall reload, `nft delete element ...`: all show up here within
// milliseconds, so the bouncer repairs at once instead of at the next resync.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "bouncer-nft/nft_backend.h"
#include "bouncer-nft/ruleset.h"
#include "core/result.h"

struct mnl_socket;

namespace phalanx::nft {

class Monitor {
 public:
  // Subscribes to the notifications. `own_portid`: the port id of the socket whose changes are
  // ours (NftBackend::portid()).
  static Result<std::unique_ptr<Monitor>> open(const Layout& layout, uint32_t own_portid);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Blocks until someone damaged our objects, then keeps reading for `settle_ms` more (one
  // `nft flush ruleset` is dozens of notifications) and returns all of it. Returns nullopt
  // after stop(). A receive overrun (ENOBUFS: notifications lost) is reported as Damage::lost.
  std::optional<Damage> wait(int settle_ms = 20);

  // Makes wait() return. Thread-safe.
  void stop();

  // Leaves the notification group (pause) or joins it again (resume); a resume makes the
  // current or next wait() report Damage::lost, since changes meanwhile went unseen.
  // Thread-safe.
  void pause();
  void resume();

  uint64_t events_seen() const { return events_; }

 private:
  Monitor(const Layout& layout, uint32_t own_portid, mnl_socket* nl, int stop_fd, int resume_fd);
  // Reads what is queued; returns false on a fatal socket error.
  bool drain(Damage& damage, int timeout_ms);
  void parse(const struct nlmsghdr* nlh, Damage& damage);

  Layout layout_;
  uint32_t own_portid_;
  mnl_socket* nl_;
  int stop_fd_;
  int resume_fd_;
  uint64_t events_ = 0;
};

}  // namespace phalanx::nft
