// SPDX-License-Identifier: Apache-2.0
// Conversions between decision lifetimes and the deadlines stored in XDP map values.
//
// phx_entry::expiry_ns is a CLOCK_MONOTONIC deadline in nanoseconds (bpf/xdp_blocklist.h says
// why): the program reads the coarse flavour of the same clock, so an entry lives up to one tick
// past its deadline. It never jumps with the wall clock. These helpers take the current readings
// as arguments so that tests are exact; expiry_clock_now_ns() supplies the live one.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/time.h"

namespace phalanx::xdp {

// CLOCK_MONOTONIC now, in nanoseconds. Thread-safe.
uint64_t expiry_clock_now_ns();

// The deadline `remaining` after clock_now. A remaining time <= 0 gives clock_now (already
// expired: entries are live only while now < expiry). Saturates one below PHX_EXPIRY_NEVER so a
// huge duration never turns into "never".
uint64_t expiry_after(std::chrono::nanoseconds remaining, uint64_t clock_now);

// The deadline for the wall-clock instant `until`, given the wall and expiry clocks read together.
uint64_t expiry_at(TimePoint until, TimePoint wall_now, uint64_t clock_now);

// Time left before `expiry`: zero once expired, nanoseconds::max() for PHX_EXPIRY_NEVER.
std::chrono::nanoseconds time_left(uint64_t expiry, uint64_t clock_now);

}  // namespace phalanx::xdp
