// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/mirror.h"

#include <gtest/gtest.h>

#include <set>

namespace phalanx::nft {
namespace {

using namespace std::chrono_literals;

bouncer::Decision d(const std::string& value, std::chrono::milliseconds dur, int64_t id = 1,
                    const std::string& origin = "crowdsec") {
  bouncer::Decision x;
  x.id = id;
  x.origin = origin;
  x.value = value;
  x.scope = value.find('/') == std::string::npos ? "Ip" : "Range";
  x.duration = dur;
  x.target = *bouncer::decision_target(x.scope, value);
  return x;
}

TEST(Mirror, AddsOnlyNewAndExtendedTargets) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h, 1)};
  EXPECT_EQ(m.apply(b, 0).add4.size(), 1u);
  b.added = {d("192.0.2.1", 1h, 1)};  // repeated: nothing to write
  EXPECT_TRUE(m.apply(b, 100).empty());
  b.added = {d("192.0.2.1", 10min, 2)};  // shorter duplicate: nothing
  EXPECT_TRUE(m.apply(b, 200).empty());
  b.added = {d("192.0.2.1", 4h, 3)};  // extended: rewrite
  auto p = m.apply(b, 300);
  ASSERT_EQ(p.add4.size(), 1u);
  EXPECT_EQ(p.add4[0].expiry_ms, 300 + 4 * 3600 * 1000);
}

TEST(Mirror, AnExtensionFromAnotherOriginDeletesTheElementBeforeAddingItAgain) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h, 1, "crowdsec"), d("2001:db8::1", 1h, 2, "crowdsec")};
  auto p = m.apply(b, 0);
  ASSERT_EQ(p.add4.size(), 1u);
  EXPECT_TRUE(p.del4.empty());
  EXPECT_EQ(m.origin_name(p.add4[0].origin), "crowdsec");
  // Same origin, longer: a refresh in place.
  b.added = {d("192.0.2.1", 2h, 3, "crowdsec")};
  p = m.apply(b, 0);
  EXPECT_EQ(p.add4.size(), 1u);
  EXPECT_TRUE(p.del4.empty());
  // Another origin, longer: the kernel cannot change the element's counter, so delete + add.
  b.added = {d("192.0.2.1", 4h, 4, "cscli"), d("2001:db8::1", 4h, 5, "cscli")};
  p = m.apply(b, 0);
  ASSERT_EQ(p.del4.size(), 1u);
  ASSERT_EQ(p.add4.size(), 1u);
  EXPECT_EQ(p.del4[0], p.add4[0].addr);
  EXPECT_EQ(m.origin_name(p.add4[0].origin), "cscli");
  ASSERT_EQ(p.del6.size(), 1u);
  ASSERT_EQ(p.add6.size(), 1u);
  EXPECT_EQ(m.origin_name(m.find_v6(p.del6[0])->origin), "cscli");
  // Another origin, shorter: nothing changes, the element keeps counting under cscli.
  b.added = {d("192.0.2.1", 1h, 6, "CAPI")};
  EXPECT_TRUE(m.apply(b, 0).empty());
  EXPECT_EQ(m.origin_name(m.find_v4(p.add4[0].addr)->origin), "cscli");
  // A snapshot naming the same expiry under another origin leaves the kernel's element alone,
  // and the mirror keeps the origin the kernel has.
  const std::vector<bouncer::Decision> snap = {d("192.0.2.1", 4h, 7, "CAPI"),
                                               d("2001:db8::1", 4h, 5, "cscli")};
  p = m.resync(snap, 0);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(m.origin_name(m.find_v4(0xC0000201u)->origin), "cscli");
}

TEST(Mirror, WithoutTimeoutUpdatesEveryRewriteOfAnExistingHostDeletesItFirst) {
  Mirror m;
  m.replace_on_refresh(true);
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h, 1), d("2001:db8::1", 1h, 2)};
  auto p = m.apply(b, 0);
  EXPECT_EQ(p.add4.size(), 1u);
  EXPECT_TRUE(p.del4.empty());  // new: a plain add
  b.added = {d("192.0.2.1", 4h, 3), d("2001:db8::1", 4h, 4)};
  p = m.apply(b, 0);
  ASSERT_EQ(p.del4.size(), 1u);
  EXPECT_EQ(p.del4[0], p.add4[0].addr);
  EXPECT_EQ(p.del6.size(), 1u);
  EXPECT_EQ(p.add6.size(), 1u);
  // A snapshot that moves the expiry: the same.
  const std::vector<bouncer::Decision> snap = {d("192.0.2.1", 1h, 3), d("2001:db8::1", 4h, 4)};
  p = m.resync(snap, 0);
  EXPECT_EQ(p.del4.size(), 1u);
  EXPECT_EQ(p.add4.size(), 1u);
  EXPECT_TRUE(p.del6.empty());  // unchanged: nothing written
}

TEST(Mirror, AnEmptyOriginIsAnOriginOfItsOwn) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h, 1, ""), d("192.0.2.2", 1h, 2, "cscli"), d("192.0.2.3", 1h, 3, "")};
  auto p = m.apply(b, 0);
  ASSERT_EQ(m.origin_count(), 2u);
  ASSERT_EQ(p.add4.size(), 3u);
  EXPECT_EQ(m.origin_name(p.add4[0].origin), "");
  EXPECT_EQ(m.origin_name(p.add4[1].origin), "cscli");
  EXPECT_EQ(m.origin_name(p.add4[2].origin), "");
  EXPECT_EQ(m.counts().at({"", "ipv4"}), 2u);
}

TEST(Mirror, DeletingADuplicateKeepsTheLongerBan) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 4h, 1), d("192.0.2.1", 1h, 2)};
  (void)m.apply(b, 0);
  bouncer::DecisionBatch del;
  del.deleted = {d("192.0.2.1", -1s, 2)};
  EXPECT_TRUE(m.apply(del, 0).empty());
  del.deleted = {d("192.0.2.1", -1s, 1)};
  EXPECT_EQ(m.apply(del, 0).del4.size(), 1u);
  EXPECT_EQ(m.hosts(), 0u);
}

TEST(Mirror, ResyncDeletesWhatTheSnapshotLacksAndRewritesMovedExpiries) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h), d("192.0.2.2", 1h), d("10.0.0.0/8", 1h), d("2001:db8::1", 1h)};
  (void)m.apply(b, 0);
  const std::vector<bouncer::Decision> snap = {d("192.0.2.2", 1h), d("192.0.2.3", 1h),
                                               d("2001:db8::1", 3h)};
  auto p = m.resync(snap, 1000);
  ASSERT_EQ(p.del4.size(), 1u);
  EXPECT_EQ(net::IpAddress::from_v4(p.del4[0]).to_string(), "192.0.2.1");
  ASSERT_EQ(p.add4.size(), 1u);  // .3 new; .2 unchanged (within the slack)
  EXPECT_EQ(net::IpAddress::from_v4(p.add4[0].addr).to_string(), "192.0.2.3");
  EXPECT_EQ(p.add6.size(), 1u);  // expiry moved by 2h
  EXPECT_TRUE(p.ranges_changed[0]);
  EXPECT_EQ(m.ranges(), 0u);
}

TEST(Mirror, SkipsDecisionsWithoutAnAddressOrAlreadyExpired) {
  Mirror m;
  bouncer::DecisionBatch b;
  bouncer::Decision country;
  country.scope = "Country";
  country.value = "FR";
  country.duration = 1h;
  b.added = {country, d("192.0.2.1", -1s)};
  auto p = m.apply(b, 0);
  EXPECT_EQ(p.skipped, 2u);
  EXPECT_TRUE(p.empty());
}

TEST(Mirror, CountsByOriginAndFamily) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h, 1, "crowdsec"), d("192.0.2.2", 1h, 2, "CAPI"),
             d("10.0.0.0/8", 1h, 3, "CAPI"), d("2001:db8::1", 1h, 4, "cscli")};
  (void)m.apply(b, 0);
  auto c = m.counts();
  EXPECT_EQ((c[{"CAPI", "ipv4"}]), 2u);
  EXPECT_EQ((c[{"crowdsec", "ipv4"}]), 1u);
  EXPECT_EQ((c[{"cscli", "ipv6"}]), 1u);
  EXPECT_EQ(m.expire(3600 * 1000 + 1), 4u);
}

TEST(Mirror, AResyncAfterTheMarkWrapsStillLiftsWhatTheSnapshotLacks) {
  Mirror m;
  bouncer::DecisionBatch b;
  b.added = {d("192.0.2.1", 1h), d("10.0.0.0/8", 1h)};
  (void)m.apply(b, 0);
  // Resyncs that never commit (the LAPI dropped each answer midway) advance the mark; after
  // 65,536 of them it comes round to the one the entries carry.
  for (int i = 0; i < 65535; ++i)
    m.begin_resync();
  const std::vector<bouncer::Decision> snap = {d("192.0.2.2", 1h)};
  Plan p;
  m.begin_resync();
  m.resync_step(snap, 1000, p);
  m.end_resync(p);
  ASSERT_EQ(p.del4.size(), 1u);
  EXPECT_EQ(net::IpAddress::from_v4(p.del4[0]).to_string(), "192.0.2.1");
  EXPECT_TRUE(p.ranges_changed[0]);
  EXPECT_EQ(m.hosts(), 1u);
  EXPECT_EQ(m.ranges(), 0u);
}

TEST(Mirror, ManyDeletesLeaveEveryOtherEntryFindableAndEverythingRefersToThem) {
  Mirror m;
  bouncer::DecisionBatch b;
  std::vector<bouncer::Decision> odd;
  for (uint32_t i = 0; i < 2000; ++i) {
    const auto addr = net::IpAddress::from_v4(0xC6336400u + i).to_string();  // 198.51.100.0+
    b.added.push_back(d(addr, 1h, i + 1));
    if (i % 2) odd.push_back(d(addr, 1h, i + 1));
  }
  b.added.push_back(d("2001:db8::1", 1h, 5000));
  (void)m.apply(b, 0);
  auto p = m.resync(odd, 1000);
  EXPECT_EQ(p.del4.size(), 1000u);
  EXPECT_EQ(p.del6.size(), 1u);
  EXPECT_TRUE(p.add4.empty());
  for (uint32_t i = 0; i < 2000; ++i) {
    const auto slot = m.find_v4(0xC6336400u + i);
    ASSERT_EQ(slot.has_value(), i % 2 == 1) << i;
    if (slot) {
      EXPECT_EQ(slot->id, int64_t{i} + 1);
    }
  }
  const Plan all = m.everything();
  EXPECT_EQ(all.mirror4, 1000u);
  EXPECT_EQ(all.mirror6, 0u);
  EXPECT_EQ(all.host_writes(), 1000u);
  std::set<uint32_t> seen;
  for (size_t i = 0; i < all.mirror4; ++i) {
    const Host4 h = m.v4_at(i);
    EXPECT_EQ(h.expiry_ms, 3600 * 1000);  // the first sighting's expiry: the resync kept it
    seen.insert(h.addr);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(seen.count(0xC6336401u));
  EXPECT_EQ(m.expire(3600 * 1000), 1000u);
  EXPECT_EQ(m.hosts(), 0u);
}

}  // namespace
}  // namespace phalanx::nft
