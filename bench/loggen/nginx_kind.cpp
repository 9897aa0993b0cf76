// SPDX-License-Identifier: Apache-2.0
#include "nginx_kind.h"

#include <string>

#include "nginx_common.h"

namespace phalanx::loggen {

// Every random draw is its own statement (never two in one call's arguments, whose order of
// evaluation is unspecified), so that the output does not depend on the compiler.
void populate_nginx(Scheduler& world, uint64_t attackers) {
  using nginx::kMinute;
  using nginx::kSecond;
  Rng& rng = world.rng();
  AddressPool pool;
  for (int i = 0; i < 400; ++i) {
    auto addr = pool.take(rng, AddressPool::Role::kBenign, rng.chance(0.3));
    auto actor = nginx::make_visitor(std::move(addr), rng);
    world.add(std::move(actor), rng.between(1, 60 * kMinute));
  }
  for (int i = 0; i < 3; ++i) {
    auto addr = pool.take(rng, AddressPool::Role::kBenign, i == 2);
    auto actor = nginx::make_crawler(std::move(addr), rng);
    world.add(std::move(actor), rng.between(1, 30 * kSecond));
  }
  auto probe = nginx::make_health_check(pool.take(rng, AddressPool::Role::kInternal, false));
  world.add(std::move(probe), rng.between(1, 10 * kSecond));
  for (uint64_t i = 0; i < attackers; ++i) {
    auto addr = pool.take(rng, AddressPool::Role::kAttacker, rng.chance(0.2));
    auto actor = nginx::make_attacker(std::move(addr), i, rng);
    world.add(std::move(actor), rng.between(1, 20 * kMinute));
  }
}

}  // namespace phalanx::loggen
