// SPDX-License-Identifier: Apache-2.0
// NftBackend: the decision-stream Backend over phalanx-nft's nftables sets.
//
// The Mirror (mirror.h) is the source of truth; every change to it becomes one netlink
// transaction of element writes (chunked only for big loads), each acknowledged. Elements carry
// the decision's remaining time as their timeout, so the kernel ends every ban on its own, with
// or without this process. Nothing is read back from the kernel on the way.
//
// Older kernels (Debian 12's 6.1): without DESTROYSETELEM, deletes are DELSETELEM and an
// element that is already gone is left out quietly; without timeout updates, an element whose
// ban is extended or shortened is deleted and added again in one transaction.
//
// Refusals: when the kernel refuses an element, the error names it and the reason, the element
// is left out and the rest of the transaction is sent again (the kernel applies a transaction
// whole or not at all). A refusal that names no element fails the call.
//
// Drops are counted by origin: every ban and range element names its origin's counter
// (ruleset.h); an element whose origin changes is deleted and added again in one transaction.
//
// Thread-safety: every public method takes the internal locks it needs (stream thread, repair
// thread and metrics readers may call concurrently); a resync session's calls come from one
// thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "bouncer-nft/mirror.h"
#include "bouncer-nft/netlink.h"
#include "bouncer-nft/ruleset.h"
#include "bouncer/backend.h"
#include "core/net.h"

namespace phalanx::nft {

// What the kernel's nf_tables can do with set elements (probed at setup).
struct KernelFeatures {
  bool destroy = true;         // NFT_MSG_DESTROYSETELEM, a delete that ignores absence (6.3+)
  bool timeout_update = true;  // re-adding an element sets its new timeout (6.10+)
};

struct BackendOptions {
  Layout layout;
  std::vector<net::Cidr> allow;  // never dropped: loopback, own addresses, configured entries
  size_t chunk = 25000;          // elements per transaction for big loads
  // Unset: probed at setup. Tests set it to run the older kernels' ways on this one.
  std::optional<KernelFeatures> features = {};
};

struct BackendStats {
  uint64_t transactions = 0;
  uint64_t written = 0;   // elements added or refreshed
  uint64_t deleted = 0;   // elements deleted (LAPI deletes, resync)
  uint64_t rejected = 0;  // elements the kernel refused (logged, left out)
  uint64_t skipped = 0;   // decisions without an address, or already expired
  uint64_t repairs = 0;   // reloads after our objects were deleted
  uint64_t restored = 0;  // elements put back after someone else deleted them
  double last_commit_ms = 0;
  double commit_ms_total = 0;  // time spent in the kernel (sending to last acknowledgement)
};

// What a notification said someone else removed (monitor.h).
struct Damage {
  bool ruleset = false;  // table, chain, rule, set or counter: reload everything
  // Notifications were missed (a socket overrun, or the monitor paused during our own bulk
  // write): check that table, chain and sets exist and reload only if they do not. Element
  // deletions by others in that window are not seen (the next resync or audit shows them).
  bool lost = false;
  bool ranges[2] = {false, false};  // elements of range4/range6 (or allow sets)
  std::vector<uint32_t> v4;         // elements of ban4
  std::vector<V6Key> v6;            // elements of ban6
  bool any() const {
    return ruleset || lost || ranges[0] || ranges[1] || !v4.empty() || !v6.empty();
  }
};

class NftBackend final : public bouncer::Backend {
 public:
  // Opens the netlink socket. Errors: EPERM without CAP_NET_ADMIN.
  static Result<std::unique_ptr<NftBackend>> open(BackendOptions options);

  // Creates (or re-asserts) the table, chain, rules, sets and counters, and writes the allow
  // sets. Remembers whether the table already existed: then the first resync replaces the
  // sets' contents in one transaction (flush + add), so a restart has no gap and lifts what
  // was deleted meanwhile.
  Result<void> setup();

  ~NftBackend() override;

  Result<void> apply(const bouncer::DecisionBatch& batch) override;

  // A resync session (bouncer::Backend). On a new table, IPv4 host writes go to the kernel in
  // transactions of `chunk` elements from a writer thread while the snapshot is still arriving
  // (the kernel's work overlaps the download and the parse); the rest (IPv6, ranges, deletes of
  // what the snapshot lacks) goes in the commit. On a table that existed at setup (a restart),
  // the batches only fill the mirror and the commit replaces the sets' contents in one
  // transaction (flush + add). Abort writes what the batches brought and deletes nothing.
  Result<void> begin_resync() override;
  Result<void> resync_batch(std::span<const bouncer::Decision> decisions) override;
  Result<void> commit_resync() override;
  void abort_resync() override;

  // Puts back what someone else removed: everything after a ruleset-level deletion, else the
  // named elements the mirror still holds and the range segments.
  Result<void> repair(const Damage& damage);

  // On stop with flush_on_stop: deletes our table (set-only: flushes our sets).
  Result<void> teardown();

  // Drops expired entries from the mirror (the kernel already expired the elements).
  size_t expire();

  BackendStats stats() const;
  // What setup found (or was told) the kernel can do.
  KernelFeatures features() const;
  // Runs fn with the mirror under the lock (metrics, audit).
  void with_mirror(const std::function<void(const Mirror&)>& fn) const;
  uint32_t portid() const;
  const Layout& layout() const { return options_.layout; }

  // Called with true before a write of more than kBulkElements elements and with false after
  // it. The kernel sends one notification per element to every listener: the daemon pauses its
  // monitor meanwhile (which also spares the kernel building a million messages) and checks
  // afterwards that nothing of ours went missing. Set before use; not thread-safe itself.
  void on_bulk(std::function<void(bool)> hook) { on_bulk_ = std::move(hook); }
  static constexpr size_t kBulkElements = 5000;

 private:
  explicit NftBackend(BackendOptions options, Socket socket);
  Result<void> write_locked(const Plan& plan, bool flush_first);
  Result<void> write_unhooked_locked(const Plan& plan, bool flush_first);
  Result<void> write_allow_locked();
  Result<void> reload_locked();
  // Gives every origin the mirror has seen a counter in the kernel (one small transaction when
  // there are new ones). Called whenever the mirror may have learnt an origin, before its
  // elements are written.
  Result<void> ensure_origin_counters_locked();
  // Numbers the origin counters a table an earlier run left already has (from their comments).
  Result<void> adopt_origin_counters_locked();
  // The comment of origin id's counter: the origin, or kOtherOrigins.
  std::string origin_comment(size_t id) const;
  static constexpr const char* kOtherOrigins = "other origins";
  // Counter names for writes, by mirror origin id: [0] IPv4, [1] IPv6.
  std::array<std::vector<std::string>, 2> counter_names() const;
  struct Session;
  // Stops the session's writer thread (called without mu_: the writer takes it). Returns the
  // writer's error, if any.
  Result<void> stop_writer(Session& s);
  // Ends the session: resumes notifications if they were paused.
  void end_session_locked();
  void log_resync(const Plan& plan, size_t streamed) const;
  // Commits what `build` writes; an element the kernel refuses is logged, appended to
  // `rejected_items`, left out and the rest sent again. `gone(item, errno)` tells a refused
  // delete of an element that is already absent (DELSETELEM's ENOENT): left out quietly.
  Result<void> commit_locked(const std::function<void(Batch&)>& build,
                             const std::function<std::string(size_t)>& name,
                             std::vector<size_t>& rejected_items,
                             const std::function<bool(size_t, int)>& gone = {});
  // Finds out KernelFeatures with a transient element (240.0.0.1 or 100::1, never a source).
  Result<void> probe_kernel_locked();

  BackendOptions options_;
  // Lock order: mu_, then sock_mu_. mu_ guards the mirror, the segments and the session;
  // sock_mu_ guards the socket and the stats (a resync's writer thread holds only sock_mu_).
  Socket socket_;
  mutable std::mutex mu_;
  mutable std::mutex sock_mu_;
  Mirror mirror_;
  std::vector<Segment> segments_[2];  // what the range sets hold, as we wrote them
  // The table existed at setup, or a write failed: the next resync flushes first. Set by a
  // resync's writer thread too.
  std::atomic<bool> replace_on_resync_ = false;
  BackendStats stats_;
  std::function<void(bool)> on_bulk_;
  KernelFeatures features_;  // set by setup (under mu_)
  // Origin counters. By mirror origin id: the counter number (under mu_) and the names writes
  // use (under names_mu_ too: a resync's writer thread reads them without mu_). By origin: the
  // numbers already given out, here or by an earlier run (under mu_).
  std::vector<uint32_t> origin_counter_;
  std::array<std::vector<std::string>, 2> counter_names_;
  mutable std::mutex names_mu_;
  std::map<std::string, uint32_t> counter_numbers_;
  uint32_t next_counter_ = 1;  // 0: the shared counter of origins beyond kMaxOriginCounters
  static constexpr uint32_t kMaxOriginCounters = 1024;
  std::unique_ptr<Session> session_;  // an open resync
};

// Milliseconds on the monotonic clock the mirror's expiries use.
int64_t monotonic_ms();

}  // namespace phalanx::nft
