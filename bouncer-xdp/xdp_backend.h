// SPDX-License-Identifier: Apache-2.0
// XdpBackend: the decision-stream Backend over the XDP blocklist maps. Ip decisions go to the
// exact hash maps, Range decisions to the LPM tries; each entry carries the decision's origin id
// and its expiry (now + the remaining duration the LAPI sent), so the program stops dropping on
// time even if this process is gone. Decisions of other scopes are skipped.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>

#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer/backend.h"

namespace phalanx::xdp {

struct BackendStats {
  uint64_t applied = 0;   // entries written
  uint64_t lifted = 0;    // entries deleted on the LAPI's word (deleted list; a resync
                          // replaces the generation instead)
  uint64_t expired = 0;   // entries removed by sweep_expired()
  uint64_t skipped = 0;   // decisions without an address target
  uint64_t syscalls = 0;  // bpf() calls for writes and deletes
};

// Thread-safety: every method takes an internal lock, so the stream thread and the expiry sweep
// may call it concurrently (a sweep never removes an entry the stream just refreshed).
class XdpBackend final : public bouncer::Backend {
 public:
  explicit XdpBackend(BlocklistMaps& maps);
  ~XdpBackend() override;

  // deleted first (absent targets are fine), then added, each as batch syscalls.
  Result<void> apply(const bouncer::DecisionBatch& batch) override;

  // A resync session (bouncer::Backend). begin creates the next generation of ban maps; each
  // batch is written into it off-line; the commit puts it in force with one write that every
  // packet sees whole (the old blocklist or the new one, never a mix or a half-loaded one), then
  // rewrites the prefilter for exactly the new state. Deltas applied while the session is open
  // go to both generations. Abort frees the next generation and changes nothing. Memory: two
  // generations of ban maps while the session is open, plus 4 bytes per IPv4 address written.
  Result<void> begin_resync() override;
  Result<void> resync_batch(std::span<const bouncer::Decision> decisions) override;
  Result<void> commit_resync() override;
  void abort_resync() override;

  // Deletes entries whose expiry has passed (the program already ignores them; this frees the
  // slots) and, when many were removed since the last time, rebuilds the prefilter. Returns the
  // number of entries deleted.
  Result<size_t> sweep_expired();

  // Live ban entries by (origin id, phx_family), read from the maps (for usage metrics).
  Result<std::map<std::pair<uint32_t, uint32_t>, uint64_t>> active_by_origin() const;

  BackendStats stats() const;
  // Live ban entries (exact + ranges) after the last resync/apply, as counted by the writer.
  size_t active() const;

 private:
  std::vector<BanRequest> to_requests(std::span<const bouncer::Decision> decisions,
                                      uint64_t now_ns);
  Result<size_t> rebuild_prefilter_locked();

  struct Session;

  BlocklistMaps& maps_;
  mutable std::mutex mu_;
  BackendStats stats_;
  size_t removed_since_rebuild_ = 0;
  size_t active_ = 0;
  std::unique_ptr<Session> session_;  // an open resync
};

}  // namespace phalanx::xdp
