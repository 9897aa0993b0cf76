// SPDX-License-Identifier: Apache-2.0
#include "world.h"

#include <algorithm>
#include <charconv>

namespace phalanx::loggen {
namespace {

std::string hex(uint64_t value) {
  char tmp[17];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, value, 16);
  (void)ec;
  return std::string(tmp, end);
}

std::string dec(uint64_t value) {
  char tmp[21];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, value);
  (void)ec;
  return std::string(tmp, end);
}

std::string ipv4(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  return dec(a) + "." + dec(b) + "." + dec(c) + "." + dec(d);
}

// 2001:db8:<g3>:<g4>::<g8> with non-zero groups, which is already in RFC 5952 canonical form,
// or, one time in four, eight non-zero groups (a SLAAC-style address).
std::string ipv6(Rng& rng, uint64_t g3_base, uint64_t g3_span) {
  const uint64_t g3 = g3_base + rng.below(g3_span);
  const uint64_t g4 = rng.between(1, 0xffff);
  if (rng.below(4) == 0) {
    std::string s = "2001:db8:" + hex(g3) + ":" + hex(g4);
    for (int i = 0; i < 4; ++i)
      s += ":" + hex(rng.between(1, 0xffff));
    return s;
  }
  return "2001:db8:" + hex(g3) + ":" + hex(g4) + "::" + hex(rng.between(1, 0xfff));
}

}  // namespace

void Scheduler::add(std::unique_ptr<Actor> actor, Millis first_delay) {
  const auto id = static_cast<uint32_t>(actors_.size());
  actors_.push_back(std::move(actor));
  heap_.push_back(Slot{now_ + std::max<Millis>(first_delay, 1), id});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

void Scheduler::run(uint64_t lines, LineWriter& out) {
  for (uint64_t n = 0; n < lines && !heap_.empty() && !out.failed(); ++n) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Slot slot = heap_.back();
    heap_.pop_back();
    // Never go back in time, and keep lines at least a millisecond apart.
    now_ = std::max(slot.when, now_ + 1);
    Turn turn{now_, rng_, out};
    const Millis delay = actors_[slot.id]->act(turn);
    out.end_line();
    heap_.push_back(Slot{now_ + std::max<Millis>(delay, 1), slot.id});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  out.flush();
}

Millis jitter(Rng& rng, Millis mean) {
  const auto m = static_cast<uint64_t>(std::max<Millis>(mean, 2));
  return static_cast<Millis>(rng.between(m / 2, m + m / 2));
}

Millis spread(Rng& rng, Millis lo, Millis hi) {
  // Pick a decade-ish band first, then a point in it: short delays are as likely as long
  // ones, as with real inter-arrival times, without calling log/exp.
  lo = std::max<Millis>(lo, 1);
  hi = std::max(hi, lo);
  Millis band_lo = lo;
  while (band_lo * 4 <= hi && rng.below(2) == 0)
    band_lo *= 4;
  const Millis band_hi = std::min(hi, band_lo * 4);
  return static_cast<Millis>(
      rng.between(static_cast<uint64_t>(band_lo), static_cast<uint64_t>(band_hi)));
}

std::string AddressPool::make(Rng& rng, Role role, bool ipv6_addr) {
  // Draws are made one statement at a time: the evaluation order of function arguments is
  // unspecified, and the output must not depend on the compiler.
  switch (role) {
    case Role::kBenign: {
      if (ipv6_addr) return ipv6(rng, 0x1000, 0x1000);
      const uint64_t b = rng.between(18, 19);
      const uint64_t c = rng.below(256);
      return ipv4(198, b, c, rng.between(1, 254));
    }
    case Role::kAttacker: {
      if (ipv6_addr) return ipv6(rng, 0xbad, 1);
      static constexpr uint64_t kNets[3][3] = {{203, 0, 113}, {198, 51, 100}, {192, 0, 2}};
      const auto& net = kNets[rng.below(3)];
      return ipv4(net[0], net[1], net[2], rng.between(1, 254));
    }
    case Role::kInternal: {
      const uint64_t b = rng.below(4);
      const uint64_t c = rng.below(256);
      return ipv4(10, b, c, rng.between(1, 254));
    }
  }
  return "192.0.2.1";
}

std::string AddressPool::take(Rng& rng, Role role, bool ipv6_addr) {
  // The attacker /24s hold 762 addresses; past that, repeats are accepted.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string addr = make(rng, role, ipv6_addr);
    if (used_.insert(addr).second) return addr;
  }
  return make(rng, role, ipv6_addr);
}

}  // namespace phalanx::loggen
