// SPDX-License-Identifier: Apache-2.0
// Centralised allowlists: lists by name, items unique per list, cascading delete.
#include <gtest/gtest.h>

#include <cerrno>

#include "store_fixture.h"

namespace phalanx::storage::test {
namespace {

using std::chrono::hours;

class AllowlistsTest : public StoreTest {
 protected:
  Allowlist list(const std::string& name) {
    Allowlist l;
    l.name = name;
    l.description = name + " hosts";
    l.created_at = l.updated_at = kT0;
    return l;
  }
  AllowlistItem item(const std::string& value, std::optional<TimePoint> expires = std::nullopt) {
    AllowlistItem i;
    i.value = value;
    i.description = "why " + value;
    i.created_at = kT0;
    i.expires_at = expires;
    return i;
  }
};

TEST_P(AllowlistsTest, CreateListGetDelete) {
  ASSERT_TRUE(store_->create_allowlist(list("partners")));
  ASSERT_TRUE(store_->create_allowlist(list("monitoring")));
  auto dup = store_->create_allowlist(list("partners"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), EEXIST);

  auto all = store_->list_allowlists(false);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "monitoring");  // by name
  EXPECT_EQ((*all)[1].name, "partners");
  EXPECT_EQ((*all)[1].description, "partners hosts");
  EXPECT_EQ((*all)[1].created_at, kT0);
  EXPECT_FALSE((*all)[1].console_managed);

  auto one = store_->get_allowlist("partners", true);
  ASSERT_TRUE(one);
  ASSERT_TRUE(one->has_value());
  EXPECT_TRUE((*one)->items.empty());
  auto none = store_->get_allowlist("nobody", true);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  auto gone = store_->delete_allowlist("partners");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(*gone);
  auto again = store_->delete_allowlist("partners");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(store_->list_allowlists(false)->size(), 1u);
}

TEST_P(AllowlistsTest, ItemsAreUniquePerListAndLeaveWithTheirList) {
  ASSERT_TRUE(store_->create_allowlist(list("a")));
  ASSERT_TRUE(store_->create_allowlist(list("b")));
  const std::vector<AllowlistItem> items{item("192.0.2.1"), item("2001:db8::/32", kT0 + hours(1))};
  auto added = store_->add_allowlist_items("a", items, kT0 + hours(2));
  ASSERT_TRUE(added) << added.error().message();
  EXPECT_EQ(*added, 2);
  // The same value again is not added twice; another list may hold it.
  const std::vector<AllowlistItem> again{item("192.0.2.1"), item("198.51.100.0/24")};
  EXPECT_EQ(*store_->add_allowlist_items("a", again, kT0 + hours(3)), 1);
  EXPECT_EQ(*store_->add_allowlist_items("b", again, kT0 + hours(3)), 2);
  auto missing = store_->add_allowlist_items("c", again, kT0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);

  auto a = store_->get_allowlist("a", true);
  ASSERT_TRUE(a && a->has_value());
  const auto& l = **a;
  ASSERT_EQ(l.items.size(), 3u);
  EXPECT_EQ(l.items[0].value, "192.0.2.1");
  EXPECT_EQ(l.items[0].description, "why 192.0.2.1");
  EXPECT_FALSE(l.items[0].expires_at.has_value());
  EXPECT_EQ(l.items[1].value, "2001:db8::/32");
  ASSERT_TRUE(l.items[1].expires_at.has_value());
  EXPECT_EQ(*l.items[1].expires_at, kT0 + hours(1));
  EXPECT_EQ(l.updated_at, kT0 + hours(3));  // every change touches the list

  const std::vector<std::string> values{"192.0.2.1", "203.0.113.9"};
  EXPECT_EQ(*store_->remove_allowlist_items("a", values, kT0 + hours(4)), 1);
  EXPECT_EQ((*store_->get_allowlist("a", true))->items.size(), 2u);

  ASSERT_TRUE(*store_->delete_allowlist("a"));
  auto lists = store_->list_allowlists(true);
  ASSERT_TRUE(lists);
  ASSERT_EQ(lists->size(), 1u);
  EXPECT_EQ((*lists)[0].name, "b");
  EXPECT_EQ((*lists)[0].items.size(), 2u);
  // Re-created, the list starts empty: the items went with the old one.
  ASSERT_TRUE(store_->create_allowlist(list("a")));
  EXPECT_TRUE((*store_->get_allowlist("a", true))->items.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AllowlistsTest, ::testing::Values(kSqlite, kPostgres),
                         backend_name);

}  // namespace
}  // namespace phalanx::storage::test
