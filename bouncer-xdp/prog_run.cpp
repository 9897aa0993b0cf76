// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/prog_run.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <chrono>
#include <vector>

namespace phalanx::xdp {
namespace {

constexpr size_t kMinInput = 14;  // the kernel rejects test input shorter than ETH_HLEN

}  // namespace

Result<ProgRun> run_program(int prog_fd, std::span<const uint8_t> frame, uint32_t repeat) {
  std::vector<uint8_t> input(frame.begin(), frame.end());
  if (input.size() < kMinInput) input.resize(kMinInput, 0);
  xdp_md ctx{};
  ctx.data_end = static_cast<uint32_t>(frame.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = input.data(),
              .data_size_in = static_cast<uint32_t>(input.size()),
              .repeat = static_cast<int>(repeat));
  // Only a short frame needs the context: it sets the linear length below the input length.
  const bool short_frame = frame.size() < kMinInput;
  if (short_frame) {
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof(ctx);
  }
  const auto start = std::chrono::steady_clock::now();
  const int rc = bpf_prog_test_run_opts(prog_fd, &opts);
  const std::chrono::duration<double, std::nano> wall = std::chrono::steady_clock::now() - start;
  if (rc != 0) {
    const int err = errno;
    if (short_frame && err == EINVAL) return Error::from_errno(kShortFrameError, err);
    return Error::from_errno("running xdp program: BPF_PROG_TEST_RUN", err);
  }
  return ProgRun{opts.retval, opts.duration, wall.count() / repeat};
}

}  // namespace phalanx::xdp
