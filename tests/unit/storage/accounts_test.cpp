// SPDX-License-Identifier: Apache-2.0
// Machines and bouncers.
#include <gtest/gtest.h>

#include <cerrno>

#include "store_fixture.h"

namespace phalanx::storage::test {
namespace {

using std::chrono::hours;

class AccountsTest : public StoreTest {};

TEST_P(AccountsTest, MachinesAddGetUpdateDelete) {
  Machine m;
  m.machine_id = "abc123";
  m.password_hash = "$2a$10$hash";
  m.ip_address = "127.0.0.1";
  m.scenarios = "crowdsecurity/ssh-bf,crowdsecurity/http-probing";
  m.version = "v1.6.0";
  m.created_at = kT0;
  m.updated_at = kT0;
  ASSERT_TRUE(store_->add_machine(m));
  auto dup = store_->add_machine(m);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), EEXIST);
  EXPECT_EQ(dup.error().message(), "adding machine 'abc123': user already exist");

  auto got = store_->get_machine("abc123");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->password_hash, m.password_hash);
  EXPECT_EQ((*got)->scenarios, m.scenarios);
  EXPECT_EQ((*got)->auth_type, "password");
  EXPECT_FALSE((*got)->is_validated);
  EXPECT_FALSE((*got)->last_push.has_value());

  m.is_validated = true;
  m.last_heartbeat = kT0 + hours(1);
  m.updated_at = kT0 + hours(1);
  ASSERT_TRUE(store_->update_machine(m));
  got = store_->get_machine("abc123");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_TRUE((*got)->is_validated);
  EXPECT_EQ((*got)->last_heartbeat, kT0 + hours(1));
  EXPECT_EQ((*got)->updated_at, kT0 + hours(1));
  EXPECT_EQ((*got)->created_at, kT0);

  Machine other = m;
  other.machine_id = "zzz";
  auto missing = store_->update_machine(other);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);
  ASSERT_TRUE(store_->add_machine(other));
  auto list = store_->list_machines();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].machine_id, "abc123");

  auto del = store_->delete_machine("abc123");
  ASSERT_TRUE(del);
  EXPECT_TRUE(*del);
  del = store_->delete_machine("abc123");
  ASSERT_TRUE(del);
  EXPECT_FALSE(*del);
  auto gone = store_->get_machine("abc123");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_P(AccountsTest, BouncersByNameAndKeyHash) {
  Bouncer b;
  b.name = "fw";
  b.api_key_hash = std::string(128, 'a');
  b.type = "crowdsec-firewall-bouncer/v0.0.25";
  b.version = "v0.0.25";
  b.created_at = kT0;
  b.updated_at = kT0;
  ASSERT_TRUE(store_->add_bouncer(b));
  auto dup = store_->add_bouncer(b);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), EEXIST);

  Bouncer shared = b;  // key shared across IPs: "<name>@<ip>" rows with the same hash
  shared.name = "fw@192.0.2.10";
  shared.ip_address = "192.0.2.10";
  ASSERT_TRUE(store_->add_bouncer(shared));
  Bouncer other = b;
  other.name = "xdp";
  other.api_key_hash = std::string(128, 'b');
  ASSERT_TRUE(store_->add_bouncer(other));

  auto by_key = store_->bouncers_by_key_hash(std::string(128, 'a'));
  ASSERT_TRUE(by_key);
  ASSERT_EQ(by_key->size(), 2u);
  EXPECT_EQ((*by_key)[0].name, "fw");
  EXPECT_EQ((*by_key)[1].name, "fw@192.0.2.10");
  EXPECT_EQ((*by_key)[0].auth_type, "api-key");

  b.last_pull = kT0 + hours(2);
  b.ip_address = "192.0.2.1";
  b.revoked = true;
  ASSERT_TRUE(store_->update_bouncer(b));
  auto got = store_->get_bouncer("fw");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->last_pull, kT0 + hours(2));
  EXPECT_EQ((*got)->ip_address, "192.0.2.1");
  EXPECT_TRUE((*got)->revoked);
  EXPECT_EQ((*got)->type, b.type);

  auto list = store_->list_bouncers();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
  auto del = store_->delete_bouncer("xdp");
  ASSERT_TRUE(del);
  EXPECT_TRUE(*del);
  auto none = store_->bouncers_by_key_hash(std::string(128, 'b'));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  Bouncer ghost = b;
  ghost.name = "ghost";
  auto missing = store_->update_bouncer(ghost);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsTest, ::testing::Values(kSqlite, kPostgres),
                         backend_name);

}  // namespace
}  // namespace phalanx::storage::test
