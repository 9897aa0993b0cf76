// SPDX-License-Identifier: Apache-2.0
#include "bouncer/daemon_loop.h"

#include <pthread.h>

#include <cerrno>

namespace phalanx::bouncer {

sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

int wait_for_stop(const sigset_t& signals, SteadyClock::time_point until) {
  while (true) {
    const auto left = until - SteadyClock::now();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    if (ns <= 0) return 0;
    timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                     static_cast<long>(ns % 1'000'000'000)};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    // EINTR: another signal's handler ran; wait for what is left.
  }
}

}  // namespace phalanx::bouncer
