// SPDX-License-Identifier: Apache-2.0
// NftBackend against the real kernel, in a private network namespace (label netns).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "bouncer-nft/elements.h"
#include "bouncer-nft/monitor.h"
#include "nft_fixture.h"

namespace phalanx::nft::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

Layout admin_layout() {
  Layout l;
  l.table = "admin";
  return l;
}

TEST_F(NftNamespace, HostsGoToHashSetsAndRangesToIntervalSets) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1h), decision("2001:db8::1", 1h),
                 decision("198.51.100.0/24", 1h), decision("2001:db8:1::/48", 1h),
                 decision("203.0.113.7/32", 1h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32", "203.0.113.7/32"}));
  EXPECT_EQ(entries(kBan6), (Strings{"2001:db8::1/128"}));
  EXPECT_EQ(entries(kRange4), (Strings{"198.51.100.0/24"}));
  EXPECT_EQ(entries(kRange6), (Strings{"2001:db8:1::/48"}));
  EXPECT_EQ(entries(kAllow4), (Strings{"127.0.0.0/8"}));
  auto sets = existing_sets(*socket_, Layout{});
  ASSERT_TRUE(sets.has_value());
  EXPECT_EQ(sets->size(), 6u);
}

TEST_F(NftNamespace, ElementsCarryTheDecisionsTimeout) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 2h), decision("198.51.100.0/24", 3h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  auto hosts = read_set(*socket_, Layout{}, kBan4);
  ASSERT_TRUE(hosts.has_value());
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_NEAR(static_cast<double>((*hosts)[0].timeout_ms), 7200e3, 5e3);
  auto ranges = read_set(*socket_, Layout{}, kRange4);
  ASSERT_TRUE(ranges.has_value());
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_NEAR(static_cast<double>((*ranges)[0].timeout_ms), 10800e3, 5e3);
}

TEST_F(NftNamespace, ElementsExpireOnTheirOwn) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1s), decision("198.51.100.0/24", 1s),
                 decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(entries(kBan4).size(), 2u);
  EXPECT_EQ(entries(kRange4).size(), 1u);
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.2/32"}));
  EXPECT_EQ(entries(kRange4), Strings{});
}

TEST_F(NftNamespace, OverlappingRangesAreMergedWithoutLosingEither) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("10.0.0.0/8", 1h, 1), decision("10.1.0.0/16", 4h, 2),
                 decision("10.1.2.3", 1h, 3)};
  ASSERT_TRUE(b->apply(batch).has_value());
  auto ranges = read_set(*socket_, Layout{}, kRange4);
  ASSERT_TRUE(ranges.has_value());
  ASSERT_EQ(ranges->size(), 3u);  // 10.0/16 (1h), 10.1/16 (4h), 10.2.0.0-10.255.255.255 (1h)
  EXPECT_EQ((*ranges)[1].target.to_string(), "10.1.0.0/16");
  EXPECT_NEAR(static_cast<double>((*ranges)[1].timeout_ms), 4 * 3600e3, 5e3);
  EXPECT_NEAR(static_cast<double>((*ranges)[0].timeout_ms), 3600e3, 5e3);
  EXPECT_EQ(entries(kBan4), (Strings{"10.1.2.3/32"}));  // the host inside stays a host
  // Lifting the /8 leaves the /16.
  bouncer::DecisionBatch lift;
  lift.deleted = {decision("10.0.0.0/8", -1s, 1)};
  ASSERT_TRUE(b->apply(lift).has_value());
  EXPECT_EQ(entries(kRange4), (Strings{"10.1.0.0/16"}));
  // And the /16 again lifted leaves nothing.
  lift.deleted = {decision("10.1.0.0/16", -1s, 2)};
  ASSERT_TRUE(b->apply(lift).has_value());
  EXPECT_EQ(entries(kRange4), Strings{});
}

TEST_F(NftNamespace, DeleteLiftsAndDeletingAnAbsentTargetIsFine) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1h), decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  bouncer::DecisionBatch lift;
  lift.deleted = {decision("192.0.2.1", -1s), decision("192.0.2.99", -1s)};
  ASSERT_TRUE(b->apply(lift).has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.2/32"}));
}

TEST_F(NftNamespace, ExtendedDecisionsRefreshTheKernelTimeout) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 10min, 1)};
  ASSERT_TRUE(b->apply(batch).has_value());
  batch.added = {decision("192.0.2.1", 4h, 2)};
  ASSERT_TRUE(b->apply(batch).has_value());
  auto hosts = read_set(*socket_, Layout{}, kBan4);
  ASSERT_TRUE(hosts.has_value());
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_NEAR(static_cast<double>((*hosts)[0].expires_ms), 4 * 3600e3, 5e3);
}

TEST_F(NftNamespace, TheProbeFindsWhatThisKernelCanDoAndLeavesNothingBehind) {
  auto b = backend();
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  const int version = major * 100 + minor;
  const KernelFeatures f = b->features();
  if (version >= 610) {
    EXPECT_TRUE(f.destroy) << u.release;
    EXPECT_TRUE(f.timeout_update) << u.release;
  } else if (version >= 603) {
    EXPECT_TRUE(f.destroy) << u.release;
  } else {
    EXPECT_FALSE(f.destroy) << u.release;
  }
  auto probe = get_host(*socket_, Layout{}, kBan4, *net::IpAddress::parse("240.0.0.1"));
  ASSERT_TRUE(probe.has_value());
  EXPECT_FALSE(probe->has_value());
  EXPECT_EQ(entries(kBan4), Strings{});
}

// Kernels before 6.3 have no DESTROYSETELEM and kernels before 6.10 do not update an element's
// timeout: the same cases through DELSETELEM and delete + add, on this kernel.
TEST_F(NftNamespace, OnAnOlderKernelDeletesOfAbsentElementsAndExtensionsStillApply) {
  auto b = backend(Layout{}, KernelFeatures{false, false});
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 10min, 1), decision("192.0.2.2", 1h, 2),
                 decision("192.0.2.3", 1h, 3), decision("2001:db8::1", 10min, 4),
                 decision("198.51.100.0/24", 10min, 5)};
  ASSERT_TRUE(b->apply(batch).has_value());
  // Someone else deletes .2 and .3 (or they expired a moment ago) behind the mirror's back.
  {
    Batch other;
    {
      ElementWriter w(other, Layout{}, kBan4, ElementOp::kDestroy);
      for (const uint32_t a : {0xC0000202u, 0xC0000203u}) {
        const uint32_t be = htonl(a);
        w.element({reinterpret_cast<const uint8_t*>(&be), 4}, 0, false, 0);
      }
    }
    other.close();
    auto r = socket_->commit(other);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  // Extensions (delete + add), a lift of an element already gone (ENOENT, left out) and an
  // extension of one already gone (its delete left out, its add applied), in one delta.
  batch.added = {decision("192.0.2.1", 4h, 6), decision("2001:db8::1", 4h, 7),
                 decision("198.51.100.0/24", 4h, 8), decision("192.0.2.3", 4h, 9)};
  batch.deleted = {decision("192.0.2.2", -1s, 2)};
  auto r = b->apply(batch);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(b->stats().rejected, 0u);
  EXPECT_EQ(b->stats().deleted, 4u);  // the lift, and one delete per extended host
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32", "192.0.2.3/32"}));
  for (const SetId id : {kBan4, kBan6, kRange4}) {
    auto set = read_set(*socket_, Layout{}, id);
    ASSERT_TRUE(set.has_value());
    for (const auto& e : *set)
      EXPECT_NEAR(static_cast<double>(e.expires_ms), 4 * 3600e3, 5e3) << e.target.to_string();
  }
  // A resync that lifts an element already gone.
  {
    Batch other;
    {
      ElementWriter w(other, Layout{}, kBan6, ElementOp::kDestroy);
      w.element(v6_key(*net::IpAddress::parse("2001:db8::1")), 0, false, 0);
    }
    other.close();
    ASSERT_TRUE(socket_->commit(other).has_value());
  }
  const std::vector<bouncer::Decision> snapshot = {decision("192.0.2.1", 4h, 6)};
  auto s = b->resync(snapshot);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(b->stats().rejected, 0u);
  EXPECT_EQ(entries(kBan4), Strings{"192.0.2.1/32"});
  EXPECT_EQ(entries(kBan6), Strings{});
  EXPECT_EQ(entries(kRange4), Strings{});
}

TEST_F(NftNamespace, RestartReplacesTheSetsAtomicallyAndKeepsOneCopyOfTheRules) {
  {
    auto b = backend();
    bouncer::DecisionBatch batch;
    batch.added = {decision("192.0.2.1", 1h), decision("192.0.2.2", 1h),
                   decision("198.51.100.0/24", 1h)};
    ASSERT_TRUE(b->apply(batch).has_value());
  }
  // A new process: the table is reused; its first resync lifts what the snapshot lacks. An
  // origin it meets first still gets a number of its own.
  auto b = backend();
  const std::vector<bouncer::Decision> snapshot = {decision("192.0.2.3", 1h, 0, "cscli"),
                                                   decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->resync(snapshot).has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.2/32", "192.0.2.3/32"}));
  EXPECT_EQ(entries(kRange4), Strings{});
  auto counters = read_counters(*socket_, Layout{});
  ASSERT_TRUE(counters.has_value());
  // processed, ban4, range4, ban6, range6, and the origins': crowdsec keeps the number the
  // first run gave it (found again through the comments), cscli gets the next.
  std::map<std::string, std::string> comments;
  for (const auto& c : *counters)
    comments[c.name] = c.comment;
  EXPECT_EQ(comments.size(), 9u);
  EXPECT_EQ(comments["o41"], "crowdsec");
  EXPECT_EQ(comments["o61"], "crowdsec");
  EXPECT_EQ(comments["o42"], "cscli");
  auto e = get_host(*socket_, Layout{}, kBan4, *net::IpAddress::parse("192.0.2.2"));
  ASSERT_TRUE(e.has_value() && e->has_value());
  EXPECT_EQ((*e)->counter, "o41");
}

TEST_F(NftNamespace, AnExtensionFromAnotherOriginMovesTheElementToThatOriginsCounter) {
  auto b = backend();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1h, 1, "crowdsec"), decision("2001:db8::1", 1h, 2)};
  ASSERT_TRUE(b->apply(batch).has_value());
  const auto host = [&](SetId id, const char* addr) {
    auto r = get_host(*socket_, Layout{}, id, *net::IpAddress::parse(addr));
    EXPECT_TRUE(r.has_value() && r->has_value()) << addr;
    return r && *r ? **r : KernelEntry{};
  };
  EXPECT_EQ(host(kBan4, "192.0.2.1").counter, "o41");
  EXPECT_EQ(host(kBan6, "2001:db8::1").counter, "o61");
  // The kernel refuses to change an element's counter in place: the backend deletes and adds
  // it in one transaction, with the longer timeout.
  batch.added = {decision("192.0.2.1", 4h, 3, "cscli"), decision("2001:db8::1", 4h, 4, "cscli")};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(b->stats().rejected, 0u);
  const KernelEntry e = host(kBan4, "192.0.2.1");
  EXPECT_EQ(e.counter, "o42");
  EXPECT_GT(e.timeout_ms, 3 * 3600 * 1000u);
  EXPECT_EQ(host(kBan6, "2001:db8::1").counter, "o62");
  // A range: its segment follows the origin of its longest decision.
  batch.added = {decision("198.51.100.0/24", 1h, 5, "crowdsec")};
  ASSERT_TRUE(b->apply(batch).has_value());
  batch.added = {decision("198.51.100.0/24", 2h, 6, "CAPI")};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(b->stats().rejected, 0u);
  EXPECT_EQ(entries(kRange4), Strings{"198.51.100.0/24"});
  auto counters = read_counters(*socket_, Layout{});
  ASSERT_TRUE(counters.has_value());
  std::map<std::string, std::string> comments;
  for (const auto& c : *counters)
    comments[c.name] = c.comment;
  EXPECT_EQ(comments["o43"], "CAPI");
  EXPECT_EQ(comments["o62"], "cscli");
}

TEST_F(NftNamespace, ATableOfPlainSetsFromAnEarlierVersionIsCreatedAgain) {
  // The layout before drops were counted by origin: plain sets, the rule matching them.
  ASSERT_EQ(std::system("nft -f - <<'EOF'\n"
                        "table inet phalanx {\n"
                        "  set ban4 { type ipv4_addr; flags timeout; elements = { 192.0.2.9 } }\n"
                        "  set range4 { type ipv4_addr; flags interval,timeout; }\n"
                        "  chain prerouting { type filter hook prerouting priority raw; "
                        "ip saddr @ban4 drop; }\n"
                        "}\n"
                        "EOF"),
            0);
  auto before = mismatched_sets(*socket_, Layout{});
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, (Strings{"ban4", "range4"}));
  auto b = backend();
  auto after = mismatched_sets(*socket_, Layout{});
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->empty());
  const std::vector<bouncer::Decision> snapshot = {decision("192.0.2.1", 1h)};
  ASSERT_TRUE(b->resync(snapshot).has_value());
  EXPECT_EQ(entries(kBan4), Strings{"192.0.2.1/32"});
}

TEST_F(NftNamespace, ARestartReplacingManyElementsLosesNoneOfThem) {
  {
    auto b = backend();
    bouncer::DecisionBatch batch;
    batch.added = {decision("192.0.2.1", 1h), decision("2001:db8::1", 1h)};
    ASSERT_TRUE(b->apply(batch).has_value());
  }
  // 150,000 IPv4 and 2,000 IPv6 hosts: the replace is one transaction of ~4.3 MB, sent from
  // several buffer blocks in one sendmsg.
  std::vector<bouncer::Decision> snapshot;
  for (uint32_t i = 0; i < 150000; ++i)
    snapshot.push_back(decision(net::IpAddress::from_v4(0x0b000000u + i).to_string(), 1h));
  for (uint32_t i = 0; i < 2000; ++i)
    snapshot.push_back(decision(fmt::format("2001:db8:2::{:x}", i + 1), 1h));
  auto b = backend();
  ASSERT_TRUE(b->resync(snapshot).has_value());
  MirrorSnapshot want;
  b->with_mirror([&](const Mirror& m) { want = nft::snapshot(m, monotonic_ms()); });
  EXPECT_EQ(want.v4.size(), 150000u);
  // Right after the load: the kernel may still be resizing the set, which the audit must see
  // through.
  auto report = audit(*socket_, Layout{}, want);
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_EQ(report->kernel_hosts, 152000u);
  EXPECT_EQ(report->missing, 0u);
  EXPECT_EQ(report->extra, 0u);  // 192.0.2.1 and 2001:db8::1 were lifted
  for (const auto& e : report->examples)
    ADD_FAILURE() << e;
}

// A backend writing IPv4 hosts in transactions of three elements, so that a small snapshot
// exercises the writer thread.
std::unique_ptr<NftBackend> small_chunks() {
  BackendOptions o;
  o.allow = {*net::Cidr::parse("127.0.0.0/8")};
  o.chunk = 3;
  auto b = NftBackend::open(o);
  EXPECT_TRUE(b.has_value()) << b.error().message();
  EXPECT_TRUE((*b)->setup().has_value());
  return std::move(*b);
}

TEST_F(NftNamespace, ResyncInBatchesWritesAsItGoesAndLiftsOnlyAtCommit) {
  auto b = small_chunks();
  bouncer::DecisionBatch before;
  before.added = {decision("192.0.2.1", 1h), decision("192.0.2.2", 1h),
                  decision("198.51.100.0/24", 1h), decision("2001:db8::9", 1h)};
  ASSERT_TRUE(b->apply(before).has_value());
  ASSERT_TRUE(b->begin_resync().has_value());
  const std::vector<bouncer::Decision> one = {decision("192.0.2.2", 1h), decision("192.0.2.3", 1h),
                                              decision("192.0.2.4", 1h), decision("192.0.2.5", 1h)};
  const std::vector<bouncer::Decision> two = {decision("2001:db8::1", 1h),
                                              decision("192.0.2.6", 1h), decision("10.0.0.0/8", 1h),
                                              decision("FR", 1h)};
  ASSERT_TRUE(b->resync_batch(one).has_value());
  ASSERT_TRUE(b->resync_batch(two).has_value());
  // Nothing lifted while the snapshot is still coming.
  const Strings mid = entries(kBan4);
  EXPECT_NE(std::find(mid.begin(), mid.end(), "192.0.2.1/32"), mid.end());
  EXPECT_EQ(entries(kRange4), Strings{"198.51.100.0/24"});
  EXPECT_EQ(entries(kBan6), Strings{"2001:db8::9/128"});
  ASSERT_TRUE(b->commit_resync().has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.2/32", "192.0.2.3/32", "192.0.2.4/32", "192.0.2.5/32",
                                     "192.0.2.6/32"}));
  EXPECT_EQ(entries(kBan6), Strings{"2001:db8::1/128"});
  EXPECT_EQ(entries(kRange4), Strings{"10.0.0.0/8"});
  size_t hosts = 0;
  b->with_mirror([&](const Mirror& m) { hosts = m.hosts(); });
  EXPECT_EQ(hosts, 6u);
  EXPECT_FALSE(b->commit_resync().has_value());  // no session open any more
}

TEST_F(NftNamespace, AnAbortedResyncLiftsNothing) {
  auto b = small_chunks();
  bouncer::DecisionBatch before;
  before.added = {decision("192.0.2.1", 1h), decision("198.51.100.0/24", 1h)};
  ASSERT_TRUE(b->apply(before).has_value());
  ASSERT_TRUE(b->begin_resync().has_value());
  const std::vector<bouncer::Decision> part = {
      decision("192.0.2.7", 1h), decision("192.0.2.8", 1h), decision("192.0.2.9", 1h),
      decision("192.0.2.10", 1h), decision("10.1.0.0/16", 1h)};
  ASSERT_TRUE(b->resync_batch(part).has_value());
  b->abort_resync();  // the download broke
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32", "192.0.2.10/32", "192.0.2.7/32",
                                     "192.0.2.8/32", "192.0.2.9/32"}));
  EXPECT_EQ(entries(kRange4), (Strings{"10.1.0.0/16", "198.51.100.0/24"}));
  // The next complete snapshot sorts it out.
  const std::vector<bouncer::Decision> snapshot = {decision("192.0.2.9", 1h)};
  ASSERT_TRUE(b->resync(snapshot).has_value());
  EXPECT_EQ(entries(kBan4), Strings{"192.0.2.9/32"});
  EXPECT_EQ(entries(kRange4), Strings{});
}

TEST_F(NftNamespace, AnAbortedResyncAfterARestartLiftsNothing) {
  {
    auto b = backend();
    bouncer::DecisionBatch batch;
    batch.added = {decision("192.0.2.1", 1h), decision("198.51.100.0/24", 1h)};
    ASSERT_TRUE(b->apply(batch).has_value());
  }
  auto b = backend();  // the table exists: this resync would replace the sets' contents
  ASSERT_TRUE(b->begin_resync().has_value());
  const std::vector<bouncer::Decision> part = {decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->resync_batch(part).has_value());
  EXPECT_EQ(entries(kBan4), Strings{"192.0.2.1/32"});  // nothing written before the commit
  b->abort_resync();
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32", "192.0.2.2/32"}));
  EXPECT_EQ(entries(kRange4), Strings{"198.51.100.0/24"});
  // Still a replace: the next snapshot flushes what the earlier run left.
  const std::vector<bouncer::Decision> snapshot = {decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->resync(snapshot).has_value());
  EXPECT_EQ(entries(kBan4), Strings{"192.0.2.2/32"});
  EXPECT_EQ(entries(kRange4), Strings{});
}

TEST_F(NftNamespace, TheKernelsRefusalNamesTheElementAndTheRestApplies) {
  auto b = backend();
  // Someone else puts 10.0.0.0/8 into our range set behind our back: our 10.1.0.0/16 now
  // overlaps it and the kernel refuses that element. The rest of the delta must still apply.
  {
    Batch other;
    ElementWriter w(other, Layout{}, kRange4, ElementOp::kAdd);
    w.segment(
        Segment{net::Cidr::parse("10.0.0.0/8")->first(), net::Cidr::parse("10.0.0.0/8")->last(), 0},
        3600000, 0, "range4");
    w.finish();
    other.close();
    auto r = socket_->commit(other);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  bouncer::DecisionBatch batch;
  batch.added = {decision("10.1.0.0/16", 1h), decision("192.0.2.0/24", 1h),
                 decision("198.51.100.1", 1h)};
  auto r = b->apply(batch);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(b->stats().rejected, 1u);
  EXPECT_EQ(entries(kBan4), (Strings{"198.51.100.1/32"}));
  EXPECT_EQ(entries(kRange4), (Strings{"10.0.0.0/8", "192.0.2.0/24"}));
}

TEST_F(NftNamespace, RepairsAfterTheTableIsDeletedByHand) {
  auto b = backend();
  auto monitor = Monitor::open(b->layout(), b->portid());
  ASSERT_TRUE(monitor.has_value()) << monitor.error().message();
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1h), decision("198.51.100.0/24", 1h),
                 decision("2001:db8::1", 1h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  // Someone else (another socket) deletes our table.
  {
    Batch del;
    add_delete_table(del, Layout{});
    del.close();
    auto r = socket_->commit(del);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  auto damage = (*monitor)->wait();
  ASSERT_TRUE(damage.has_value());
  EXPECT_TRUE(damage->ruleset);
  ASSERT_TRUE(b->repair(*damage).has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32"}));
  EXPECT_EQ(entries(kBan6), (Strings{"2001:db8::1/128"}));
  EXPECT_EQ(entries(kRange4), (Strings{"198.51.100.0/24"}));
  EXPECT_EQ(b->stats().repairs, 1u);
}

TEST_F(NftNamespace, RestoresElementsSomeoneElseDeleted) {
  auto b = backend();
  auto monitor = Monitor::open(b->layout(), b->portid());
  ASSERT_TRUE(monitor.has_value());
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", 1h), decision("192.0.2.2", 1h)};
  ASSERT_TRUE(b->apply(batch).has_value());
  {
    Batch del;
    ElementWriter w(del, Layout{}, kBan4, ElementOp::kDestroy);
    const uint8_t key[4] = {192, 0, 2, 1};
    w.element(key, 0, false, 0);
    w.finish();
    del.close();
    auto r = socket_->commit(del);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.2/32"}));
  auto damage = (*monitor)->wait();
  ASSERT_TRUE(damage.has_value());
  ASSERT_EQ(damage->v4.size(), 1u);
  ASSERT_TRUE(b->repair(*damage).has_value());
  EXPECT_EQ(entries(kBan4), (Strings{"192.0.2.1/32", "192.0.2.2/32"}));
}

TEST_F(NftNamespace, TeardownRemovesOnlyOurTable) {
  {
    Batch b;
    add_ruleset(b, admin_layout());
    b.close();
    auto r = socket_->commit(b);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  auto b = backend();
  ASSERT_TRUE(b->teardown().has_value());
  EXPECT_FALSE(*table_exists(*socket_, Layout{}));
  EXPECT_TRUE(*table_exists(*socket_, admin_layout()));
}

}  // namespace
}  // namespace phalanx::nft::testing

namespace phalanx::nft::testing {
namespace {

TEST_F(NftNamespace, NetdevIngressTableOnADevice) {
  if (std::system("ip link add phxnd0 type veth peer name phxnd1 2>/dev/null && "
                  "ip link set phxnd0 up") != 0)
    GTEST_SKIP() << "cannot create a veth pair";
  Layout l;
  l.family = NFPROTO_NETDEV;
  l.hook = "ingress";
  l.chain = "ingress";
  l.devices = {"phxnd0", "phxnd1"};  // one ingress chain over both devices
  auto b = backend(l);
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", std::chrono::hours(1)),
                 decision("2001:db8::/32", std::chrono::hours(1))};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(entries(kBan4, l), std::vector<std::string>{"192.0.2.1/32"});
  EXPECT_EQ(entries(kRange6, l), std::vector<std::string>{"2001:db8::/32"});
}

TEST_F(NftNamespace, RejectInsteadOfDrop) {
  Layout l;
  l.reject = true;
  auto b = backend(l);
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", std::chrono::hours(1))};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(entries(kBan4, l), std::vector<std::string>{"192.0.2.1/32"});
}

TEST_F(NftNamespace, SetOnlyFillsSetsInTheAdminsTableAndCreatesNoChain) {
  {
    Batch mk;
    nlmsghdr* nlh = mk.begin_message(NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE, "admin table");
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "filter");
    mk.end_message(nlh);
    mk.close();
    auto r = socket_->commit(mk);
    ASSERT_TRUE(r.has_value() && r->empty());
  }
  Layout l;
  l.table = "filter";
  l.set_only = true;
  l.set_prefix = "phalanx_";
  auto b = backend(l);
  bouncer::DecisionBatch batch;
  batch.added = {decision("192.0.2.1", std::chrono::hours(1))};
  ASSERT_TRUE(b->apply(batch).has_value());
  EXPECT_EQ(entries(kBan4, l), std::vector<std::string>{"192.0.2.1/32"});
  auto sets = existing_sets(*socket_, l);
  ASSERT_TRUE(sets.has_value());
  EXPECT_EQ(*sets, (std::vector<std::string>{"phalanx_ban4", "phalanx_range4", "phalanx_ban6",
                                             "phalanx_range6"}));
  auto counters = read_counters(*socket_, l);
  ASSERT_TRUE(counters.has_value());
  EXPECT_TRUE(counters->empty());  // no counters, no chain, no rules of ours
  // Stopping with flush_on_stop empties our sets and leaves the admin's table.
  ASSERT_TRUE(b->teardown().has_value());
  EXPECT_TRUE(entries(kBan4, l).empty());
  EXPECT_TRUE(*table_exists(*socket_, l));
}

}  // namespace
}  // namespace phalanx::nft::testing
