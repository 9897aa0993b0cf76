// SPDX-License-Identifier: Apache-2.0
// Attaching the blocklist program to interfaces through libxdp (its dispatcher where the kernel
// supports it, so other XDP programs keep running; a single program otherwise), finding it on an
// interface again after a restart, and detaching it. Also: making sure a bpffs is mounted for
// the pins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace phalanx::xdp {

class XdpObject;

// Name of the program as the kernel reports it (prog info), used to recognise ours.
inline constexpr const char* kProgramName = "xdp_blocklist";

enum class XdpMode {
  kAuto,     // native, falling back to generic (skb) when the driver lacks XDP
  kNative,   // driver mode only
  kGeneric,  // skb mode only
};

// "auto", "native", "generic" (also "drv", "skb"). Errors name the text.
Result<XdpMode> parse_xdp_mode(std::string_view text);

// Where our program sits on one interface.
struct Attachment {
  std::string ifname;
  std::string mode;  // "native", "generic", "hw" or "" when not attached
  uint32_t prog_id = 0;
  bool reused = false;       // attach(): it was already there (a restart), left in place
  uint32_t replaced_id = 0;  // attach(): the program of another build it replaced, else 0
  bool dispatcher = false;   // behind libxdp's dispatcher (else the interface's only program)
};

// Mounts a bpffs on the parent directory of pin_dir (normally /sys/fs/bpf) unless it is one
// already, as bpftool does. Errors: "mounting bpffs on DIR: ..." with errno.
Result<void> ensure_bpffs(const std::string& pin_dir);

// Attaches the blocklist program to ifname over the maps `current` pinned (loaded by
// XdpObject::open_and_load with a pin dir: this build's program), unless a program named
// kProgramName already is there. That one is reused when it is this build's program (the same
// tag as `current`'s: a restart); it shares the pinned maps, so enforcement never pauses. A
// program of another build (an upgrade, or a downgrade) is replaced without a gap, in the mode
// it has: alone, by `current`'s program in one atomic XDP_FLAGS_REPLACE; behind libxdp's
// dispatcher, by adding ours and then removing it (both drop meanwhile). Each attempt hands
// libxdp a fresh, unloaded copy of the program, which libxdp loads as an extension of its
// dispatcher: programs already on the interface (attached through libxdp) keep running beside
// ours. A program loaded beforehand could only be attached alone, and fails with EBUSY where
// another one is. kAuto tries native first. Errors: "attaching to IF: ..." (ENODEV for an
// unknown interface, EOPNOTSUPP, EBUSY, ...).
Result<Attachment> attach(const XdpObject& current, const std::string& ifname, XdpMode mode);

// For an object loaded without pins (benchmarks): attaches that loaded program, which libxdp
// can only attach alone. Otherwise as attach().
Result<Attachment> attach_loaded(int prog_fd, const std::string& ifname, XdpMode mode);

// Our program on ifname, if any (mode empty when not attached). Errors: unknown interface.
Result<Attachment> find_attached(const std::string& ifname);

// Every interface of this network namespace that has our program attached.
Result<std::vector<Attachment>> list_attached();

// Detaches our program from ifname (other programs stay). Returns false when it was not there.
Result<bool> detach(const std::string& ifname);

}  // namespace phalanx::xdp
