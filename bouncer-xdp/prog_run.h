// SPDX-License-Identifier: Apache-2.0
// Running an XDP program on a hand-made frame with BPF_PROG_TEST_RUN: no interface, no traffic.
// Used by the program tests, the benchmark and (later) `phalanx xdp lookup`.
#pragma once

#include <cstdint>
#include <span>

#include "core/result.h"

namespace phalanx::xdp {

// Message prefix of the EINVAL returned when this kernel cannot run frames shorter than 14 bytes.
inline constexpr const char* kShortFrameError = "running xdp program: short frame";

struct ProgRun {
  uint32_t action = 0;      // XDP_PASS, XDP_DROP, ...
  uint32_t ns_per_run = 0;  // kernel-measured average over `repeat` runs, truncated to 1 ns
  // The same average from the caller's clock around the whole call, to a fraction of a ns: it
  // includes the call's setup (microseconds, spread over `repeat`) and any preemption.
  double wall_ns_per_run = 0;
};

// Runs prog_fd `repeat` times on `frame`. The kernel refuses test input shorter than an Ethernet
// header, so a shorter frame is padded to 14 bytes and ctx.data_end marks its real end: the
// program sees exactly `frame`. Kernels before ~6.6 reject that (EINVAL, see kShortFrameError).
// Errors: "running xdp program: ..." with errno (EPERM without CAP_BPF, ...).
Result<ProgRun> run_program(int prog_fd, std::span<const uint8_t> frame, uint32_t repeat = 1);

}  // namespace phalanx::xdp
