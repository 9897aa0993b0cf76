// SPDX-License-Identifier: Apache-2.0
// XdpObject: RAII owner of the loaded XDP blocklist (the bpftool skeleton of
// bpf/xdp_blocklist.bpf.c). The ELF is embedded in the skeleton; maps and the program are reached
// through skel().maps.x / skel().progs.x, never by string name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpf/xdp_blocklist.h"
#include "core/result.h"

struct xdp_blocklist;  // generated: xdp_blocklist.skel.h
struct bpf_object;

namespace phalanx::xdp {

// How to size and pin the maps. Sizes are max_entries; the hash maps are preallocated.
struct LoadOptions {
  // bpffs directory the maps are pinned in by name. Maps already pinned there are reused (so a
  // restarted bouncer keeps enforcing the same state); the allow maps must have the same sizes.
  // The ban maps' sizes apply to each new generation (BlocklistMaps), so a restart with other
  // sizes takes them at its first resync. Empty: no pinning (tests, benchmarks).
  std::string pin_dir = PHX_PIN_DIR_DEFAULT;
  uint32_t max_ban_v4 = 1U << 21;
  uint32_t max_ban_v6 = 1U << 18;
  uint32_t max_range_v4 = 1U << 16;
  uint32_t max_range_v6 = 1U << 16;
  uint32_t max_allow_v4 = 1U << 12;
  uint32_t max_allow_v6 = 1U << 12;
};

// Owns the skeleton: destroying it closes this process's handles (pinned maps survive).
// Move-only. Thread-safety: none; map writes through the fds are safe from any thread.
class XdpObject {
 public:
  // Opens the embedded object, sizes the maps, pins or reuses them, verifies and loads the
  // program. Errors: "loading xdp blocklist: ..." carrying errno (EPERM without CAP_BPF, ENOSYS
  // without bpf(), EINVAL when pinned maps do not match, ...).
  static Result<XdpObject> open_and_load(const LoadOptions& options);

  // Opens the maps a bouncer pinned in pin_dir, whatever sizes it gave them, without creating
  // anything (for `phalanx xdp`, which inspects a running or stopped bouncer). Errors: code
  // ENOENT when the maps are not all pinned there ("the XDP blocklist is not loaded"; "...
  // pinned by an earlier build" when some carry a retired name: the daemon of this build has not
  // been restarted since the upgrade).
  static Result<XdpObject> open_pinned(const std::string& pin_dir);

  // The same, opened but not loaded: for libxdp, which loads the program itself (as an extension
  // of its dispatcher) over the pinned maps. bpf_obj() is the object to hand it.
  static Result<XdpObject> open_unloaded(const std::string& pin_dir);

  XdpObject(XdpObject&& other) noexcept;
  XdpObject& operator=(XdpObject&& other) noexcept;
  XdpObject(const XdpObject&) = delete;
  XdpObject& operator=(const XdpObject&) = delete;
  ~XdpObject();

  xdp_blocklist& skel() const { return *skel_; }
  // The libbpf object under the skeleton (for libxdp).
  bpf_object* bpf_obj() const;
  // The xdp_blocklist program, for attaching or BPF_PROG_TEST_RUN.
  int prog_fd() const;
  // Removes every map's pin file (for an explicit uninstall); a no-op for unpinned maps.
  Result<void> unpin_maps();
  // Whether open_and_load created the prefilter bitmaps (none were pinned under their names):
  // then they are empty, and the ban maps reused from the pins need their bits
  // (BlocklistMaps::rebuild_prefilter) before the program of this build enforces them.
  bool created_prefilter() const { return created_prefilter_; }
  // Removes the pins of maps that earlier builds used and this one no longer does (a bitmap
  // whose layout changed takes a new name, so that the program of the earlier build keeps
  // reading its own until it is replaced). Call once no program of such a build is attached:
  // the maps live on while one still holds them. Returns the names removed.
  static Result<std::vector<std::string>> remove_retired_pins(const std::string& pin_dir);
  // What it was loaded with; the ban map sizes are 0 (like the generation in force) for
  // open_pinned and open_unloaded.
  const LoadOptions& options() const { return options_; }

 private:
  explicit XdpObject(xdp_blocklist* skel) : skel_(skel) {}
  xdp_blocklist* skel_ = nullptr;
  LoadOptions options_;
  bool created_prefilter_ = false;
};

}  // namespace phalanx::xdp
