// SPDX-License-Identifier: Apache-2.0
// The bouncers' main loop: stop signals are taken synchronously, and periodic jobs (expiry
// sweeps, usage metrics) each run on their own period, however the periods compare.
#pragma once

#include <signal.h>

#include <chrono>

namespace phalanx::bouncer {

using SteadyClock = std::chrono::steady_clock;

// Blocks SIGINT and SIGTERM in this thread (threads started later inherit the mask) so that
// wait_for_stop() takes them, and ignores SIGPIPE: a LAPI that closes a TLS connection under a
// write must not kill the bouncer (OpenSSL writes without MSG_NOSIGNAL).
sigset_t block_stop_signals();

// Waits until one of `signals` arrives or `until` passes. Returns the signal, or 0 at the
// deadline (a deadline already passed returns at once).
int wait_for_stop(const sigset_t& signals, SteadyClock::time_point until);

// One periodic job. The first run is due one period after `start`; after a run the next is
// due one period later than the time the run was noticed, so a late wake never makes runs bunch
// up. A period of zero or less turns the job off: never due, next() is time_point::max().
class Periodic {
 public:
  Periodic(SteadyClock::duration every, SteadyClock::time_point start)
      : every_(every), next_(every.count() > 0 ? start + every : SteadyClock::time_point::max()) {}

  SteadyClock::time_point next() const { return next_; }

  // True when the job is due at `now`; schedules the next run.
  bool due(SteadyClock::time_point now) {
    if (now < next_) return false;
    next_ = now + every_;
    return true;
  }

 private:
  SteadyClock::duration every_;
  SteadyClock::time_point next_;
};

}  // namespace phalanx::bouncer
