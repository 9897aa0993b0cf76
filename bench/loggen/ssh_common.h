// SPDX-License-Identifier: Apache-2.0
// Pieces shared by the ssh actors: the simulated server, one client connection, the syslog
// prefix, and the factories ssh_kind.cpp assembles the population from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "world.h"

namespace phalanx::loggen::ssh {

inline constexpr Millis kSecond = 1000;
inline constexpr Millis kMinute = 60 * kSecond;
inline constexpr Millis kHour = 60 * kMinute;

// The server every actor talks to: its host name and the pid/session counters.
struct Server {
  std::string host = "bastion-01";
  uint64_t next_pid = 48211;
  uint64_t next_session = 1043;

  uint64_t new_pid(Rng& rng) { return next_pid += rng.between(1, 40); }
};

// Writes "Nov 23 10:07:14 bastion-01 <program>[<pid>]: ".
inline void prefix(Turn& t, const Server& srv, std::string_view program, uint64_t pid) {
  t.out.put_syslog_time(t.now).put(' ').put(srv.host).put(' ').put(program).put('[');
  t.out.put_uint(pid).put("]: ");
}

// One TCP connection: client address and port, and the sshd process serving it.
struct Conn {
  std::string addr;
  uint64_t port = 0;
  uint64_t pid = 0;

  void renew(Turn& t, Server& srv) {
    port = client_port(t.rng);
    pid = srv.new_pid(t.rng);
  }
  // Writes "sshd[<pid>]: " after the time and host.
  void sshd(Turn& t, const Server& srv) const { prefix(t, srv, "sshd", pid); }
  // Writes "<addr> port <port>".
  void peer(Turn& t) const { t.out.put(addr).put(" port ").put_uint(port); }
};

using ServerPtr = std::shared_ptr<Server>;

std::unique_ptr<Actor> make_user(ServerPtr srv, std::string addr, std::string user, uint64_t uid,
                                 Rng& rng);
std::unique_ptr<Actor> make_health_check(ServerPtr srv, std::string addr);
std::unique_ptr<Actor> make_background(ServerPtr srv);
// Attacker `index` gets behaviour index % 4: fast brute force, slow brute force, user
// enumeration, protocol scanning.
std::unique_ptr<Actor> make_attacker(ServerPtr srv, std::string addr, uint64_t index);

}  // namespace phalanx::loggen::ssh
