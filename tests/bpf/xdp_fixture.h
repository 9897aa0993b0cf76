// SPDX-License-Identifier: Apache-2.0
// Shared fixture for the XDP program tests: loads the blocklist (small, unpinned maps) once per
// test, and skips with the reason when the kernel refuses bpf() (no CAP_BPF, no BPF syscall).
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/expiry.h"
#include "bouncer-xdp/prog_run.h"
#include "bouncer-xdp/xdp_object.h"
#include "core/net.h"
#include "packet_builder.h"

namespace phalanx::xdp::test {

inline LoadOptions small_maps() {
  LoadOptions o;
  o.pin_dir.clear();
  o.max_ban_v4 = o.max_ban_v6 = 4096;
  o.max_range_v4 = o.max_range_v6 = 1024;
  o.max_allow_v4 = o.max_allow_v6 = 64;
  return o;
}

// True when err means "this environment cannot run BPF at all" rather than a bug.
inline bool bpf_unavailable(const Error& err) {
  return err.code() == EPERM || err.code() == ENOSYS;
}

inline net::Cidr cidr(std::string_view text) {
  auto c = net::Cidr::parse(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c ? *c : net::Cidr();
}

class XdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto object = XdpObject::open_and_load(small_maps());
    if (!object && bpf_unavailable(object.error()))
      GTEST_SKIP() << "BPF unavailable here: " << object.error().message();
    ASSERT_TRUE(object.has_value()) << object.error().message();
    object_.emplace(std::move(*object));
    auto maps = BlocklistMaps::open(map_fds(*object_));
    ASSERT_TRUE(maps.has_value()) << maps.error().message();
    maps_.emplace(std::move(*maps));
  }

  // Runs the frame; fails the test on a syscall error and returns XDP_ABORTED then.
  uint32_t run(const Frame& frame, uint32_t repeat = 1) {
    auto r = run_program(object_->prog_fd(), frame.bytes(), repeat);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? r->action : 0;
  }

  // "origin/family/verdict=packets" for every counter that moved, for failure messages.
  static std::string describe(const Counters& counters) {
    std::string out;
    for (uint32_t o = 0; o < PHX_ORIGIN_COUNT; ++o)
      for (uint32_t f = 0; f < PHX_FAMILY_COUNT; ++f)
        for (uint32_t v = 0; v < PHX_VERDICT_COUNT; ++v)
          if (const auto c = counters.at(o, f, v); c.packets != 0)
            out += std::to_string(o) + "/" + std::to_string(f) + "/" + std::to_string(v) + "=" +
                   std::to_string(c.packets) + " ";
    return out.empty() ? "none" : out;
  }

  Counters counters() {
    auto c = maps_->counters();
    EXPECT_TRUE(c.has_value()) << c.error().message();
    return c ? *c : Counters(std::vector<phx_counter>(PHX_COUNTER_COUNT));
  }

  static uint64_t live() { return expiry_clock_now_ns() + 3600ULL * 1'000'000'000ULL; }
  // Well in the past: the program's coarse clock may lag the precise one by a tick.
  static uint64_t expired() { return expiry_clock_now_ns() - 1'000'000'000ULL; }

  std::optional<XdpObject> object_;
  std::optional<BlocklistMaps> maps_;
};

}  // namespace phalanx::xdp::test
