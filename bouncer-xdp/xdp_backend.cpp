// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/xdp_backend.h"

#include <algorithm>
#include <unordered_set>

#include "bouncer-xdp/expiry.h"
#include "bouncer-xdp/map_walk.h"
#include "bouncer-xdp/origin.h"
#include "core/log.h"

namespace phalanx::xdp {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("xdp");
  return log;
}

struct CidrHash {
  size_t operator()(const net::Cidr& c) const {
    const auto v = c.network().to_uint128();
    return std::hash<uint64_t>()(static_cast<uint64_t>(v) ^ static_cast<uint64_t>(v >> 64) * 31 ^
                                 static_cast<uint64_t>(c.prefix_len()));
  }
};

// Every ban entry (exact and ranges, both families).
Result<std::vector<MapEntry>> read_bans(const MapFds& fds) {
  using Reader = Result<std::vector<MapEntry>> (*)(int);
  const std::pair<Reader, int> parts[] = {{read_exact_v4, fds.ban_v4},
                                          {read_exact_v6, fds.ban_v6},
                                          {read_lpm_v4, fds.range_v4},
                                          {read_lpm_v6, fds.range_v6}};
  std::vector<MapEntry> all;
  for (const auto& [reader, fd] : parts) {
    PHALANX_TRY(auto part, reader(fd));
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

void add_stats(BackendStats& s, const BatchStats& b, bool deleting) {
  (deleting ? s.lifted : s.applied) += b.applied;
  s.syscalls += b.syscalls;
}

}  // namespace

std::vector<BanRequest> XdpBackend::to_requests(std::span<const bouncer::Decision> decisions,
                                                uint64_t now_ns) {
  std::vector<BanRequest> out;
  out.reserve(decisions.size());
  for (const auto& d : decisions) {
    if (!d.target) {
      ++stats_.skipped;
      continue;
    }
    out.push_back(
        BanRequest{*d.target, make_entry(origin_id(d.origin), expiry_after(d.duration, now_ns))});
  }
  return out;
}

Result<void> XdpBackend::apply(const bouncer::DecisionBatch& batch) {
  std::lock_guard lock(mu_);
  std::vector<net::Cidr> gone;
  gone.reserve(batch.deleted.size());
  for (const auto& d : batch.deleted) {
    if (d.target) gone.push_back(*d.target);
  }
  if (!gone.empty()) {
    PHALANX_TRY(BatchStats s, maps_.unban_batch(gone));
    add_stats(stats_, s, true);
    removed_since_rebuild_ += s.applied;
    active_ -= std::min(active_, s.applied);
  }
  const auto bans = to_requests(batch.added, expiry_clock_now_ns());
  if (!bans.empty()) {
    PHALANX_TRY(BatchStats s, maps_.ban_batch(bans));
    add_stats(stats_, s, false);
    active_ += s.applied;  // an upper bound when some were refreshes; resync/sweep recount
  }
  return ok();
}

Result<void> XdpBackend::resync(std::span<const bouncer::Decision> decisions) {
  std::lock_guard lock(mu_);
  const auto bans = to_requests(decisions, expiry_clock_now_ns());
  // 1. The new state goes in on top of the old one (prefilter bits first, inside ban_batch).
  PHALANX_TRY(BatchStats written, maps_.ban_batch(bans));
  add_stats(stats_, written, false);
  // 2. What the snapshot no longer holds goes out.
  PHALANX_TRY(auto current, read_bans(maps_.fds()));
  std::vector<net::Cidr> stale;
  // current holds every written ban plus any stale one; duplicates in the snapshot make the
  // sizes unreliable, so compare by key whenever the maps hold anything.
  if (!current.empty()) {
    std::unordered_set<net::Cidr, CidrHash> wanted;
    wanted.reserve(bans.size());
    for (const auto& b : bans)
      wanted.insert(b.target);
    for (const auto& e : current)
      if (!wanted.contains(e.target)) stale.push_back(e.target);
  }
  if (!stale.empty()) {
    PHALANX_TRY(BatchStats s, maps_.unban_batch(stale));
    add_stats(stats_, s, true);
  }
  // 3. The prefilter for exactly the new state (drops the bits of lifted entries).
  PrefilterImage image;
  for (const auto& b : bans)
    pf_add(image.v4(), image.v6(), b.target);
  maps_.prefilter().store(image);
  removed_since_rebuild_ = 0;
  active_ = current.size() - stale.size();
  logger()->info("resync: {} entries in force ({} written, {} lifted, {} syscalls)", active_,
                 written.applied, stale.size(), written.syscalls);
  return ok();
}

Result<size_t> XdpBackend::rebuild_prefilter_locked() {
  PHALANX_TRY(auto current, read_bans(maps_.fds()));
  PrefilterImage image;
  for (const auto& e : current)
    pf_add(image.v4(), image.v6(), e.target);
  maps_.prefilter().store(image);
  removed_since_rebuild_ = 0;
  return current.size();
}

Result<size_t> XdpBackend::sweep_expired() {
  std::lock_guard lock(mu_);
  PHALANX_TRY(auto current, read_bans(maps_.fds()));
  const uint64_t now = expiry_clock_now_ns();
  std::vector<net::Cidr> expired;
  for (const auto& e : current)
    if (e.value.expiry_ns <= now) expired.push_back(e.target);
  if (!expired.empty()) {
    PHALANX_TRY(BatchStats s, maps_.unban_batch(expired));
    stats_.expired += s.applied;
    stats_.syscalls += s.syscalls;
    removed_since_rebuild_ += s.applied;
  }
  active_ = current.size() - expired.size();
  // Stale prefilter bits only cost lookups; rebuild once they are a noticeable share.
  if (removed_since_rebuild_ > 1024 && removed_since_rebuild_ * 8 > active_) {
    PHALANX_CHECK(rebuild_prefilter_locked());
  }
  return expired.size();
}

BackendStats XdpBackend::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t XdpBackend::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

}  // namespace phalanx::xdp
