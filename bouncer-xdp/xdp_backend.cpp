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

// An open resync: what the maps held at begin, what the snapshot wrote so far (sorted
// vectors and binary search: at a million entries several times faster than a node-based hash
// set) and the prefilter for exactly the snapshot.
struct XdpBackend::Session {
  uint64_t now_ns = 0;  // the snapshot's durations count from here
  std::vector<uint32_t> held_v4;
  std::vector<net::Cidr> held_other;
  std::vector<uint32_t> want_v4;
  std::vector<net::Cidr> want_other;
  PrefilterImage image;
  size_t written = 0;
  size_t syscalls = 0;
  size_t decisions = 0;
};

XdpBackend::XdpBackend(BlocklistMaps& maps) : maps_(maps) {}

XdpBackend::~XdpBackend() {
  if (session_) abort_resync();
}

Result<void> XdpBackend::begin_resync() {
  std::lock_guard lock(mu_);
  if (session_) return Error("xdp: a resync is already open");
  auto s = std::make_unique<Session>();
  s->now_ns = expiry_clock_now_ns();
  // What the maps hold now; only this process writes bans, under this lock.
  PHALANX_TRY(BanState current, read_bans(maps_.fds()));
  s->held_v4.reserve(current.v4.size());
  for (const auto& [key, value] : current.v4)
    s->held_v4.push_back(key.addr);
  for (const auto& e : current.other)
    s->held_other.push_back(e.target);
  normalise(s->held_v4);
  normalise(s->held_other);
  session_ = std::move(s);
  return ok();
}

Result<void> XdpBackend::resync_batch(std::span<const bouncer::Decision> decisions) {
  std::lock_guard lock(mu_);
  if (!session_) return Error("xdp: resync batch without an open resync");
  Session& s = *session_;
  s.decisions += decisions.size();
  const auto bans = to_requests(decisions, s.now_ns);
  if (bans.empty()) return ok();
  // The new state goes in on top of the old one (prefilter bits first, inside ban_batch).
  PHALANX_TRY(BatchStats written, maps_.ban_batch(bans));
  add_stats(stats_, written, false);
  s.written += written.applied;
  s.syscalls += written.syscalls;
  for (const auto& b : bans) {
    if (is_v4_host(b.target)) {
      s.want_v4.push_back(v4_key(b.target.network()).addr);
    } else {
      s.want_other.push_back(b.target);
    }
    pf_add(s.image.v4(), s.image.v6(), b.target);
  }
  return ok();
}

Result<void> XdpBackend::commit_resync() {
  std::lock_guard lock(mu_);
  if (!session_) return Error("xdp: commit without an open resync");
  const std::unique_ptr<Session> s = std::move(session_);
  normalise(s->want_v4);
  normalise(s->want_other);
  // What the snapshot no longer holds goes out.
  std::vector<net::Cidr> stale;
  for (const uint32_t addr : s->held_v4) {
    if (!std::binary_search(s->want_v4.begin(), s->want_v4.end(), addr))
      stale.push_back(net::Cidr::host(address_of(phx_v4_key{addr})));
  }
  for (const auto& target : s->held_other) {
    if (!std::binary_search(s->want_other.begin(), s->want_other.end(), target))
      stale.push_back(target);
  }
  if (!stale.empty()) {
    // Nothing the snapshot holds is lifted, whatever happens here.
    PHALANX_TRY(BatchStats lifted, maps_.unban_batch(stale));
    add_stats(stats_, lifted, true);
  }
  // The prefilter for exactly the new state (drops the bits of lifted entries).
  maps_.prefilter().store(s->image);
  removed_since_rebuild_ = 0;
  active_ = s->want_v4.size() + s->want_other.size();
  logger()->info("resync: {} entries in force ({} written, {} lifted, {} syscalls)", active_,
                 s->written, stale.size(), s->syscalls);
  return ok();
}

void XdpBackend::abort_resync() {
  std::lock_guard lock(mu_);
  if (!session_) return;
  const std::unique_ptr<Session> s = std::move(session_);
  // Nothing lifted; the prefilter keeps the bits of the old and the new entries. The count is
  // an upper bound until the next resync or sweep recounts.
  active_ += s->written;
  logger()->warn("resync aborted after {} decisions ({} written); nothing lifted", s->decisions,
                 s->written);
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
