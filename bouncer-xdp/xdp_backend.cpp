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

// Sorts and deduplicates.
template <class T>
void normalise(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
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

// An open resync: the next generation of ban maps being filled, what the snapshot wrote so far
// (sorted and deduplicated at the commit, for the count) and the prefilter for exactly the
// snapshot.
struct XdpBackend::Session {
  explicit Session(BanMaps maps) : next(std::move(maps)) {}
  uint64_t now_ns = 0;  // the snapshot's durations count from here
  BanMaps next;
  std::vector<uint32_t> want_v4;
  std::vector<net::Cidr> want_other;
  PrefilterImage image;
  size_t written = 0;
  size_t syscalls = 0;
  size_t decisions = 0;

  void want(std::span<const BanRequest> bans) {
    for (const auto& b : bans) {
      if (is_v4_host(b.target)) {
        want_v4.push_back(v4_key(b.target.network()).addr);
      } else {
        want_other.push_back(b.target);
      }
      pf_add(image.v4(), image.v6(), b.target);
    }
  }
};

Result<void> XdpBackend::apply(const bouncer::DecisionBatch& batch) {
  std::lock_guard lock(mu_);
  std::vector<net::Cidr> gone;
  gone.reserve(batch.deleted.size());
  for (const auto& d : batch.deleted) {
    if (d.target) gone.push_back(*d.target);
  }
  const auto bans = to_requests(batch.added, expiry_clock_now_ns());
  if (!gone.empty()) {
    PHALANX_TRY(BatchStats s, maps_.unban_batch(gone));
    add_stats(stats_, s, true);
    removed_since_rebuild_ += s.applied;
    active_ -= std::min(active_, s.applied);
  }
  if (!bans.empty()) {
    PHALANX_TRY(BatchStats s, maps_.ban_batch(bans));
    add_stats(stats_, s, false);
    active_ += s.applied;  // an upper bound when some were refreshes; resync/sweep recount
  }
  // A delta that arrives while a resync is open goes into the next generation too, so the
  // commit does not undo it.
  if (session_) {
    if (!gone.empty()) PHALANX_CHECK(maps_.unban_batch(session_->next, gone));
    if (!bans.empty()) {
      PHALANX_CHECK(maps_.ban_batch(session_->next, bans));
      session_->want(bans);
    }
  }
  return ok();
}

XdpBackend::XdpBackend(BlocklistMaps& maps) : maps_(maps) {}

XdpBackend::~XdpBackend() {
  if (session_) abort_resync();
}

Result<void> XdpBackend::begin_resync() {
  std::lock_guard lock(mu_);
  if (session_) return Error("xdp: a resync is already open");
  PHALANX_TRY(BanMaps next, maps_.new_generation());
  session_ = std::make_unique<Session>(std::move(next));
  session_->now_ns = expiry_clock_now_ns();
  return ok();
}

Result<void> XdpBackend::resync_batch(std::span<const bouncer::Decision> decisions) {
  std::lock_guard lock(mu_);
  if (!session_) return Error("xdp: resync batch without an open resync");
  Session& s = *session_;
  s.decisions += decisions.size();
  const auto bans = to_requests(decisions, s.now_ns);
  if (bans.empty()) return ok();
  // Into the next generation, off-line (prefilter bits first, inside ban_batch).
  PHALANX_TRY(BatchStats written, maps_.ban_batch(s.next, bans));
  add_stats(stats_, written, false);
  s.written += written.applied;
  s.syscalls += written.syscalls;
  s.want(bans);
  return ok();
}

Result<void> XdpBackend::commit_resync() {
  std::lock_guard lock(mu_);
  if (!session_) return Error("xdp: commit without an open resync");
  const std::unique_ptr<Session> s = std::move(session_);
  const size_t before = active_;
  // One write puts the whole snapshot in force; the old generation is released.
  PHALANX_CHECK(maps_.put_in_force(std::move(s->next)));
  // The prefilter for exactly the new state (drops the bits of lifted entries).
  PHALANX_CHECK(maps_.store_prefilter(s->image));
  removed_since_rebuild_ = 0;
  normalise(s->want_v4);
  normalise(s->want_other);
  active_ = s->want_v4.size() + s->want_other.size();
  logger()->info(
      "resync: {} entries in force, replacing {} at once (generation {}, {} written in {} "
      "syscalls)",
      active_, before, maps_.generation(), s->written, s->syscalls);
  return ok();
}

void XdpBackend::abort_resync() {
  std::lock_guard lock(mu_);
  if (!session_) return;
  const std::unique_ptr<Session> s = std::move(session_);
  // The blocklist in force never changed; the next generation is freed with its fds. The
  // prefilter keeps the bits of both (stale bits only cost lookups).
  logger()->warn("resync aborted after {} decisions ({} written); the blocklist in force is kept",
                 s->decisions, s->written);
}

Result<size_t> XdpBackend::rebuild_prefilter_locked() {
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  PrefilterImage image;
  for (const auto& [key, value] : current.v4)
    pf_add_exact_v4(image.v4(), key.addr);
  for (const auto& e : current.other)
    pf_add(image.v4(), image.v6(), e.target);
  PHALANX_CHECK(maps_.store_prefilter(image));
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
