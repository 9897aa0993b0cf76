// SPDX-License-Identifier: Apache-2.0
// The simulation every log kind runs on: actors (benign hosts, attackers, background noise)
// each write their next line when the shared clock reaches them. Lines come out in time order
// because the scheduler always runs the actor whose turn is earliest, ties broken by actor
// number, so the order is the same with every heap implementation.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "rng.h"
#include "writer.h"

namespace phalanx::loggen {

// What an actor sees when its turn comes.
struct Turn {
  Millis now;
  Rng& rng;
  LineWriter& out;
};

class Actor {
 public:
  virtual ~Actor() = default;
  // Writes exactly one complete line stamped `turn.now` and returns the delay in milliseconds
  // (>= 1) until this actor's next line.
  virtual Millis act(Turn& turn) = 0;
};

class Scheduler {
 public:
  Scheduler(Millis start, uint64_t seed) : now_(start), rng_(seed) {}

  Rng& rng() { return rng_; }

  // Adds an actor whose first line comes `first_delay` ms after the start.
  void add(std::unique_ptr<Actor> actor, Millis first_delay);

  // Writes `lines` lines (fewer if the output fails). Timestamps never go back: two lines that
  // fall on the same millisecond are spread one millisecond apart.
  void run(uint64_t lines, LineWriter& out);

 private:
  struct Slot {
    Millis when;
    uint32_t id;
  };
  static bool later(const Slot& a, const Slot& b) {
    return a.when != b.when ? a.when > b.when : a.id > b.id;
  }

  Millis now_;
  Rng rng_;
  std::vector<std::unique_ptr<Actor>> actors_;
  std::vector<Slot> heap_;
};

// Delay helpers shared by the kinds (integers only, so no libm rounding can differ between
// platforms). All results are >= 1 ms.
Millis jitter(Rng& rng, Millis mean);           // uniform in [mean/2, 3*mean/2]
Millis spread(Rng& rng, Millis lo, Millis hi);  // log-uniform-ish over [lo, hi]

// Address pools. Benign hosts come from the benchmarking range 198.18.0.0/15 and
// 2001:db8:1000::/40; attackers from the documentation ranges 203.0.113.0/24, 198.51.100.0/24,
// 192.0.2.0/24 and 2001:db8:bad::/48; internal hosts from 10.0.0.0/8. Each call returns an
// address not handed out before by the same pool.
class AddressPool {
 public:
  enum class Role { kBenign, kAttacker, kInternal };
  std::string take(Rng& rng, Role role, bool ipv6);

 private:
  std::string make(Rng& rng, Role role, bool ipv6);
  std::unordered_set<std::string> used_;  // only looked up, never iterated
};

// An ephemeral client port.
inline uint64_t client_port(Rng& rng) {
  return rng.between(32768, 60999);
}

}  // namespace phalanx::loggen
