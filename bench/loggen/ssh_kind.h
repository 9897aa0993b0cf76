// SPDX-License-Identifier: Apache-2.0
// The "ssh" kind: an auth.log of an internet-facing server in RFC 3164 syslog format. Benign
// users log in (public key or password, now and then after a typo) and out; a load balancer
// health-checks the port; cron and logind add background lines; attackers brute-force root in
// fast bursts, brute-force slowly under rate limits, enumerate user names, and scan the
// protocol.
#pragma once

#include <cstdint>

#include "world.h"

namespace phalanx::loggen {

// Adds the ssh actors to `world`: a fixed benign population plus `attackers` attackers whose
// behaviours cycle through the four attacker kinds.
void populate_ssh(Scheduler& world, uint64_t attackers);

}  // namespace phalanx::loggen
