// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/xdp_backend.h"

#include <algorithm>

#include "bouncer-xdp/expiry.h"
#include "bouncer-xdp/keys.h"
#include "bouncer-xdp/map_walk.h"
#include "bouncer-xdp/origin.h"
#include "core/log.h"

namespace phalanx::xdp {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("xdp");
  return log;
}

// The ban maps read back: exact IPv4 raw (it can hold millions), the rest as CIDRs.
struct BanState {
  std::vector<std::pair<phx_v4_key, phx_entry>> v4;
  std::vector<MapEntry> other;
  size_t size() const { return v4.size() + other.size(); }
};

Result<BanState> read_bans(const MapFds& fds) {
  using Reader = Result<std::vector<MapEntry>> (*)(int);
  const std::pair<Reader, int> parts[] = {
      {read_exact_v6, fds.ban_v6}, {read_lpm_v4, fds.range_v4}, {read_lpm_v6, fds.range_v6}};
  BanState state;
  PHALANX_TRY(state.v4, read_exact_v4_raw(fds.ban_v4));
  for (const auto& [reader, fd] : parts) {
    PHALANX_TRY(auto part, reader(fd));
    state.other.insert(state.other.end(), part.begin(), part.end());
  }
  return state;
}

bool is_v4_host(const net::Cidr& c) {
  return c.is_v4() && c.prefix_len() == 32;
}

// Entries of `state` that `bans` does not hold. Sorted vectors and binary search: at a million
// entries this is several times faster than a node-based hash set.
std::vector<net::Cidr> stale_entries(const BanState& state, std::span<const BanRequest> bans,
                                     size_t& distinct_wanted) {
  std::vector<uint32_t> want_v4;
  std::vector<net::Cidr> want_other;
  want_v4.reserve(bans.size());
  for (const auto& b : bans) {
    if (is_v4_host(b.target)) {
      want_v4.push_back(v4_key(b.target.network()).addr);
    } else {
      want_other.push_back(b.target);
    }
  }
  std::sort(want_v4.begin(), want_v4.end());
  want_v4.erase(std::unique(want_v4.begin(), want_v4.end()), want_v4.end());
  std::sort(want_other.begin(), want_other.end());
  want_other.erase(std::unique(want_other.begin(), want_other.end()), want_other.end());
  distinct_wanted = want_v4.size() + want_other.size();
  std::vector<net::Cidr> stale;
  for (const auto& [key, value] : state.v4) {
    if (!std::binary_search(want_v4.begin(), want_v4.end(), key.addr))
      stale.push_back(net::Cidr::host(address_of(key)));
  }
  for (const auto& e : state.other) {
    if (!std::binary_search(want_other.begin(), want_other.end(), e.target))
      stale.push_back(e.target);
  }
  return stale;
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
  // What the maps hold now; only this process writes bans, under this lock.
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  // 1. The new state goes in on top of the old one (prefilter bits first, inside ban_batch).
  PHALANX_TRY(BatchStats written, maps_.ban_batch(bans));
  add_stats(stats_, written, false);
  // 2. What the snapshot no longer holds goes out.
  size_t distinct = bans.size();
  std::vector<net::Cidr> stale;
  if (current.size() != 0) stale = stale_entries(current, bans, distinct);
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
  active_ = distinct;
  logger()->info("resync: {} entries in force ({} written, {} lifted, {} syscalls)", active_,
                 written.applied, stale.size(), written.syscalls);
  return ok();
}

Result<size_t> XdpBackend::rebuild_prefilter_locked() {
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  PrefilterImage image;
  for (const auto& [key, value] : current.v4)
    pf_add_exact_v4(image.v4(), key.addr);
  for (const auto& e : current.other)
    pf_add(image.v4(), image.v6(), e.target);
  maps_.prefilter().store(image);
  removed_since_rebuild_ = 0;
  return current.size();
}

Result<size_t> XdpBackend::sweep_expired() {
  std::lock_guard lock(mu_);
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  const uint64_t now = expiry_clock_now_ns();
  std::vector<net::Cidr> expired;
  for (const auto& [key, value] : current.v4)
    if (value.expiry_ns <= now) expired.push_back(net::Cidr::host(address_of(key)));
  for (const auto& e : current.other)
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

Result<std::map<std::pair<uint32_t, uint32_t>, uint64_t>> XdpBackend::active_by_origin() const {
  std::lock_guard lock(mu_);
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  const uint64_t now = expiry_clock_now_ns();
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> out;
  for (const auto& [key, value] : current.v4)
    if (value.expiry_ns > now) ++out[{value.origin, PHX_FAMILY_V4}];
  for (const auto& e : current.other) {
    if (e.value.expiry_ns > now)
      ++out[{e.value.origin, e.target.is_v4() ? PHX_FAMILY_V4 : PHX_FAMILY_V6}];
  }
  return out;
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
