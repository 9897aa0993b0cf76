// SPDX-License-Identifier: Apache-2.0
// The "nginx" kind: the combined-format access log of a public web site. People browse pages
// and their assets (200s, 304s from the cache, a few 404s), search engines crawl, an internal
// probe checks /healthz; attackers probe for files (404 runs), look for secrets (.env, .git,
// phpMyAdmin, wp-login.php), try path traversal, scan with tools known by their user agent
// (sqlmap, Nikto, masscan, ...) and brute-force a login form (401/403 bursts).
#pragma once

#include <cstdint>

#include "world.h"

namespace phalanx::loggen {

// Adds the nginx actors to `world`: a fixed benign population plus `attackers` attackers whose
// behaviours cycle through the five attacker kinds.
void populate_nginx(Scheduler& world, uint64_t attackers);

}  // namespace phalanx::loggen
