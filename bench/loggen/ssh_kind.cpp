// SPDX-License-Identifier: Apache-2.0
#include "ssh_kind.h"

#include <memory>
#include <string>

#include "catalog.h"
#include "ssh_common.h"

namespace phalanx::loggen {

// Every random draw is its own statement (never two in one call's arguments, whose order of
// evaluation is unspecified), so that the output does not depend on the compiler.
void populate_ssh(Scheduler& world, uint64_t attackers) {
  using ssh::kMinute;
  using ssh::kSecond;
  auto server = std::make_shared<ssh::Server>();
  Rng& rng = world.rng();
  AddressPool pool;
  for (uint64_t i = 0; i < 150; ++i) {
    const uint64_t who = rng.below(catalog::kBenignUsers.size());
    auto addr = pool.take(rng, AddressPool::Role::kBenign, rng.chance(0.25));
    auto actor = ssh::make_user(server, std::move(addr), std::string(catalog::kBenignUsers[who]),
                                1000 + who, rng);
    world.add(std::move(actor), rng.between(1, 30 * kMinute));
  }
  {
    auto addr = pool.take(rng, AddressPool::Role::kInternal, false);
    auto actor = ssh::make_health_check(server, std::move(addr));
    world.add(std::move(actor), rng.between(1, 30 * kSecond));
  }
  world.add(ssh::make_background(server), rng.between(1, kMinute));
  for (uint64_t i = 0; i < attackers; ++i) {
    auto addr = pool.take(rng, AddressPool::Role::kAttacker, rng.chance(0.2));
    auto actor = ssh::make_attacker(server, std::move(addr), i);
    world.add(std::move(actor), rng.between(1, 20 * kMinute));
  }
}

}  // namespace phalanx::loggen
