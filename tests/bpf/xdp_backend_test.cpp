// SPDX-License-Identifier: Apache-2.0
// XdpBackend (the decision-stream backend) against the loaded program: deltas, resync that keeps
// common entries and lifts the rest, expiry sweep, origins in the counters, map read-back.
#include "bouncer-xdp/xdp_backend.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <thread>

#include "bouncer-xdp/map_walk.h"
#include "xdp_fixture.h"

namespace phalanx::xdp::test {
namespace {

using namespace std::chrono_literals;
using bouncer::Decision;

Decision decision(std::string value, std::string scope = "Ip", std::string origin = "crowdsec",
                  Duration duration = 1h) {
  Decision d;
  d.scope = std::move(scope);
  d.value = std::move(value);
  d.origin = std::move(origin);
  d.type = "ban";
  d.duration = duration;
  auto target = bouncer::decision_target(d.scope, d.value);
  EXPECT_TRUE(target.has_value()) << d.value;
  if (target) d.target = *target;
  return d;
}

Frame v4(const char* src) {
  return Frame().eth().ipv4(src).udp();
}
Frame v6(const char* src) {
  return Frame().eth().ipv6(src).udp();
}

using XdpBackendTest = XdpTest;

TEST_F(XdpBackendTest, DeltasBanAndLift) {
  XdpBackend backend(*maps_);
  bouncer::DecisionBatch add;
  add.added = {decision("192.0.2.1"), decision("2001:db8::1"),
               decision("198.51.100.0/24", "Range", "cscli"), decision("FR", "Country")};
  ASSERT_TRUE(backend.apply(add).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_DROP);
  EXPECT_EQ(run(v6("2001:db8::1")), XDP_DROP);
  EXPECT_EQ(run(v4("198.51.100.77")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_PASS);
  EXPECT_EQ(backend.stats().skipped, 1u);  // Country: no address
  const Counters c = counters();
  EXPECT_EQ(c.at(PHX_ORIGIN_CSCLI, PHX_FAMILY_V4, PHX_VERDICT_DROP).packets, 1u) << describe(c);
  EXPECT_EQ(c.at(PHX_ORIGIN_CROWDSEC, PHX_FAMILY_V6, PHX_VERDICT_DROP).packets, 1u);

  bouncer::DecisionBatch lift;
  lift.deleted = {decision("192.0.2.1", "Ip", "crowdsec", -1s),
                  decision("198.51.100.0/24", "Range", "cscli", -1s),
                  decision("203.0.113.9")};  // never banned: not an error
  ASSERT_TRUE(backend.apply(lift).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v4("198.51.100.77")), XDP_PASS);
  EXPECT_EQ(run(v6("2001:db8::1")), XDP_DROP);
}

TEST_F(XdpBackendTest, DeleteThenAddInOneBatchEndsBanned) {
  XdpBackend backend(*maps_);
  bouncer::DecisionBatch b;
  b.deleted = {decision("192.0.2.5", "Ip", "crowdsec", -1s)};
  b.added = {decision("192.0.2.5", "Ip", "cscli")};
  ASSERT_TRUE(backend.apply(b).has_value());
  EXPECT_EQ(run(v4("192.0.2.5")), XDP_DROP);
}

TEST_F(XdpBackendTest, ResyncReplacesTheState) {
  XdpBackend backend(*maps_);
  const std::vector<Decision> before = {decision("192.0.2.1"), decision("192.0.2.2"),
                                        decision("10.0.0.0/8", "Range")};
  ASSERT_TRUE(backend.resync(before).has_value());
  EXPECT_EQ(backend.active(), 3u);
  const std::vector<Decision> after = {decision("192.0.2.2"), decision("192.0.2.3"),
                                       decision("2001:db8::/32", "Range")};
  ASSERT_TRUE(backend.resync(after).has_value());
  EXPECT_EQ(backend.active(), 3u);
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v4("10.1.2.3")), XDP_PASS);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.3")), XDP_DROP);
  EXPECT_EQ(run(v6("2001:db8:1::9")), XDP_DROP);
  // The prefilter was rewritten for the new state: lifted sources skip every lookup again.
  ASSERT_TRUE(reset_counters(maps_->fds().counters).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_PREFILTER).packets, 1u);

  auto exact = read_exact_v4(maps_->fds().ban_v4);
  ASSERT_TRUE(exact.has_value());
  ASSERT_EQ(exact->size(), 2u);
  auto ranges = read_lpm_v6(maps_->fds().range_v6);
  ASSERT_TRUE(ranges.has_value());
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_EQ((*ranges)[0].target.to_string(), "2001:db8::/32");
  ASSERT_TRUE(backend.resync({}).has_value());
  EXPECT_EQ(backend.active(), 0u);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_PASS);
}

// A resync stores a prefilter built from the snapshot alone; the allow entries keep their bits.
TEST_F(XdpBackendTest, AllowEntriesOutliveAResync) {
  XdpBackend backend(*maps_);
  const phx_entry allow = make_entry(PHX_ORIGIN_LOCAL, PHX_EXPIRY_NEVER);
  ASSERT_TRUE(maps_->allow(cidr("192.0.2.0/24"), allow).has_value());
  ASSERT_TRUE(maps_->allow(cidr("2001:db8:7::/48"), allow).has_value());
  const std::vector<Decision> snapshot = {decision("192.0.2.1"), decision("2001:db8:7::1"),
                                          decision("198.51.100.1")};
  ASSERT_TRUE(backend.resync(snapshot).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v6("2001:db8:7::1")), XDP_PASS);
  EXPECT_EQ(run(v4("198.51.100.1")), XDP_DROP);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_ALLOWED).packets, 2u);
}

// No packet sees a half-loaded blocklist: until the commit every packet meets the old state
// whole, from the commit on the new one whole.
TEST_F(XdpBackendTest, ResyncSwapsTheWholeStateAtTheCommit) {
  XdpBackend backend(*maps_);
  bouncer::DecisionBatch before;
  before.added = {decision("192.0.2.1"), decision("192.0.2.2"), decision("10.0.0.0/8", "Range")};
  ASSERT_TRUE(backend.apply(before).has_value());
  const uint32_t generation = maps_->generation();
  ASSERT_TRUE(backend.begin_resync().has_value());
  const std::vector<Decision> one = {decision("192.0.2.2"), decision("192.0.2.3")};
  const std::vector<Decision> two = {decision("2001:db8::/32", "Range"), decision("192.0.2.2")};
  ASSERT_TRUE(backend.resync_batch(one).has_value());
  EXPECT_EQ(run(v4("192.0.2.3")), XDP_PASS);  // written off-line, not in force yet
  ASSERT_TRUE(backend.resync_batch(two).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_DROP);  // the old state holds until the commit
  EXPECT_EQ(run(v4("10.1.2.3")), XDP_DROP);
  EXPECT_EQ(run(v6("2001:db8:1::9")), XDP_PASS);
  ASSERT_TRUE(backend.commit_resync().has_value());
  EXPECT_NE(maps_->generation(), generation);
  EXPECT_EQ(backend.active(), 3u);  // 192.0.2.2 twice counts once
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v4("10.1.2.3")), XDP_PASS);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.3")), XDP_DROP);
  EXPECT_EQ(run(v6("2001:db8:1::9")), XDP_DROP);
  EXPECT_FALSE(backend.commit_resync().has_value());  // no session open any more
  // The old generation left its slot: only the new maps are reachable.
  auto exact = read_exact_v4(maps_->fds().ban_v4);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->size(), 2u);
  uint32_t id = 0;
  EXPECT_NE(bpf_map_lookup_elem(maps_->fds().gens_ban_v4, &generation, &id), 0);
}

// A delta applied while a resync is open is enforced at once and survives the commit; a lift
// in it is not undone by the snapshot's older copy.
TEST_F(XdpBackendTest, DeltaDuringAResyncSurvivesTheCommit) {
  XdpBackend backend(*maps_);
  const std::vector<Decision> old_state = {decision("192.0.2.1")};
  ASSERT_TRUE(backend.resync(old_state).has_value());
  ASSERT_TRUE(backend.begin_resync().has_value());
  const std::vector<Decision> snapshot = {decision("192.0.2.1"), decision("192.0.2.2")};
  ASSERT_TRUE(backend.resync_batch(snapshot).has_value());
  bouncer::DecisionBatch delta;
  delta.added = {decision("198.51.100.5")};
  delta.deleted = {decision("192.0.2.2")};
  ASSERT_TRUE(backend.apply(delta).has_value());
  EXPECT_EQ(run(v4("198.51.100.5")), XDP_DROP);
  ASSERT_TRUE(backend.commit_resync().has_value());
  EXPECT_EQ(run(v4("198.51.100.5")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_PASS);
}

TEST_F(XdpBackendTest, AnAbortedResyncLiftsNothing) {
  XdpBackend backend(*maps_);
  const std::vector<Decision> before = {decision("192.0.2.1"), decision("10.0.0.0/8", "Range")};
  ASSERT_TRUE(backend.resync(before).has_value());
  ASSERT_TRUE(backend.begin_resync().has_value());
  const std::vector<Decision> part = {decision("192.0.2.9")};
  ASSERT_TRUE(backend.resync_batch(part).has_value());
  const uint32_t generation = maps_->generation();
  backend.abort_resync();  // the download broke
  EXPECT_EQ(maps_->generation(), generation);
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_DROP);
  EXPECT_EQ(run(v4("10.1.2.3")), XDP_DROP);
  EXPECT_EQ(run(v4("192.0.2.9")), XDP_PASS);  // the half-written snapshot never came in force
  // The next complete snapshot sorts it out.
  const std::vector<Decision> snapshot = {decision("192.0.2.9")};
  ASSERT_TRUE(backend.resync(snapshot).has_value());
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v4("10.1.2.3")), XDP_PASS);
  EXPECT_EQ(run(v4("192.0.2.9")), XDP_DROP);
  EXPECT_EQ(backend.active(), 1u);
}

TEST_F(XdpBackendTest, SweepRemovesExpiredEntriesOnly) {
  XdpBackend backend(*maps_);
  bouncer::DecisionBatch b;
  b.added = {decision("192.0.2.1", "Ip", "crowdsec", 1ms), decision("192.0.2.2"),
             decision("10.9.0.0/16", "Range", "crowdsec", 1ms)};
  ASSERT_TRUE(backend.apply(b).has_value());
  std::this_thread::sleep_for(30ms);          // past the deadline and a coarse-clock tick
  EXPECT_EQ(run(v4("192.0.2.1")), XDP_PASS);  // the program already ignores it
  auto n = backend.sweep_expired();
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(backend.active(), 1u);
  EXPECT_EQ(run(v4("192.0.2.2")), XDP_DROP);
  auto exact = read_exact_v4(maps_->fds().ban_v4);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->size(), 1u);
}

TEST_F(XdpBackendTest, ReadBackManyEntriesInBatches) {
  XdpBackend backend(*maps_);
  std::vector<Decision> many;
  for (int i = 0; i < 3000; ++i)
    many.push_back(decision("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
  ASSERT_TRUE(backend.resync(many).has_value());
  auto all = read_exact_v4(maps_->fds().ban_v4);
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_EQ(all->size(), 3000u);
  EXPECT_EQ(run(v4("10.0.11.183")), XDP_DROP);
}

}  // namespace
}  // namespace phalanx::xdp::test
