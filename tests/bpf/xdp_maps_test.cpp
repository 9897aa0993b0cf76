// SPDX-License-Identifier: Apache-2.0
// phalanx_xdp_maps against the loaded program: batch writes and deletes, the prefilter's
// maintenance (stale bits, rebuild, bypass, the allow entries' bits), expiry refresh, counters over
// repeated runs, and pinning with reuse by a second loader.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bouncer-xdp/keys.h"
#include "xdp_blocklist.skel.h"
#include "xdp_fixture.h"

namespace phalanx::xdp::test {
namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

std::string v4_text(uint32_t i) {
  return "10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." +
         std::to_string(i & 0xff);
}

Frame v4_frame(const std::string& src) {
  return Frame().eth().ipv4(src).udp();
}
Frame v6_frame(const std::string& src) {
  return Frame().eth().ipv6(src).udp();
}

using XdpMapsTest = XdpTest;

TEST_F(XdpMapsTest, BatchBanDropsThenBatchUnbanPasses) {
  std::vector<BanRequest> bans;
  for (uint32_t i = 1; i <= 1000; ++i)
    bans.push_back({cidr(v4_text(i)), make_entry(PHX_ORIGIN_CAPI, live())});
  for (uint32_t i = 1; i <= 100; ++i)
    bans.push_back({cidr("2001:db8::" + std::to_string(i)), make_entry(PHX_ORIGIN_CAPI, live())});
  bans.push_back({cidr("172.16.0.0/12"), make_entry(PHX_ORIGIN_LISTS, live())});
  bans.push_back({cidr("2001:db8:aaaa::/48"), make_entry(PHX_ORIGIN_LISTS, live())});

  auto stats = maps_->ban_batch(bans);
  ASSERT_TRUE(stats.has_value()) << stats.error().message();
  EXPECT_EQ(stats->applied, bans.size());
  EXPECT_LT(stats->syscalls, bans.size()) << "batch syscalls should cover many elements each";

  for (const char* src : {"10.0.0.1", "10.0.3.232", "172.31.255.1"})
    EXPECT_EQ(run(v4_frame(src)), XDP_DROP) << src;
  for (const char* src : {"2001:db8::64", "2001:db8:aaaa:1::1"})
    EXPECT_EQ(run(v6_frame(src)), XDP_DROP) << src;
  EXPECT_EQ(run(v4_frame("10.0.3.233")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_DROP).packets, 5U);

  std::vector<net::Cidr> targets;
  for (const auto& b : bans)
    targets.push_back(b.target);
  targets.push_back(cidr("203.0.113.9"));  // never banned: counted as missing
  auto removed = maps_->unban_batch(targets);
  ASSERT_TRUE(removed.has_value()) << removed.error().message();
  EXPECT_EQ(removed->applied, bans.size());
  EXPECT_EQ(removed->missing, 1U);
  EXPECT_EQ(run(v4_frame("10.0.0.1")), XDP_PASS);
  EXPECT_EQ(run(v6_frame("2001:db8:aaaa:1::1")), XDP_PASS);
}

TEST_F(XdpMapsTest, StaleBitsCostALookupUntilRebuild) {
  ASSERT_TRUE(maps_->ban(cidr("192.0.2.7"), make_entry(PHX_ORIGIN_CSCLI, live())).has_value());
  ASSERT_TRUE(maps_->ban(cidr("192.0.2.8"), make_entry(PHX_ORIGIN_CSCLI, live())).has_value());
  ASSERT_TRUE(maps_->unban(cidr("192.0.2.7")).has_value());

  EXPECT_EQ(run(v4_frame("192.0.2.7")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_MISS).packets, 1U);  // stale bit

  auto fill = maps_->rebuild_prefilter();
  ASSERT_TRUE(fill.has_value()) << fill.error().message();
  EXPECT_EQ(fill->v4, 2.0 / (64.0 * PHX_PF_V4_WORDS)) << "only 192.0.2.8's two bits are left";
  EXPECT_EQ(fill->v6, 0.0);
  EXPECT_EQ(run(v4_frame("192.0.2.7")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_PREFILTER).packets, 1U);
  EXPECT_EQ(run(v4_frame("192.0.2.8")), XDP_DROP) << "rebuild lost a live entry's bits";
}

TEST_F(XdpMapsTest, RebuildKeepsRangesAndV6) {
  ASSERT_TRUE(maps_->ban(cidr("198.18.0.0/15"), make_entry(PHX_ORIGIN_LISTS, live())).has_value());
  ASSERT_TRUE(
      maps_->ban(cidr("2001:db8:1::/48"), make_entry(PHX_ORIGIN_LISTS, live())).has_value());
  ASSERT_TRUE(maps_->ban(cidr("2001:db8::5"), make_entry(PHX_ORIGIN_LISTS, live())).has_value());
  maps_->prefilter().store(PrefilterImage());  // wipe, as if the bitmap were lost
  EXPECT_EQ(run(v4_frame("198.19.4.4")), XDP_PASS);

  ASSERT_TRUE(maps_->rebuild_prefilter().has_value());
  EXPECT_EQ(run(v4_frame("198.19.4.4")), XDP_DROP);
  EXPECT_EQ(run(v6_frame("2001:db8:1:2::3")), XDP_DROP);
  EXPECT_EQ(run(v6_frame("2001:db8::5")), XDP_DROP);
}

TEST_F(XdpMapsTest, EntryWithoutPrefilterBitsIsSkipped) {
  // Written behind the library's back: proves the program really skips lookups on a clear bit.
  const phx_v4_key key = v4_key(cidr("192.0.2.50").network());
  const phx_entry value = make_entry(PHX_ORIGIN_CSCLI, live());
  ASSERT_EQ(bpf_map_update_elem(maps_->fds().ban_v4, &key, &value, BPF_ANY), 0);
  EXPECT_EQ(run(v4_frame("192.0.2.50")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_PREFILTER).packets, 1U);

  maps_->prefilter().saturate();  // bypass: every source takes the lookups
  EXPECT_EQ(run(v4_frame("192.0.2.50")), XDP_DROP);
  EXPECT_EQ(run(v4_frame("192.0.2.51")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_MISS).packets, 1U);
  const PrefilterFill fill = maps_->prefilter().fill();
  EXPECT_EQ(fill.v4, 1.0);
  EXPECT_EQ(fill.v6, 1.0);
}

// A ban hit consults the allow list only where the prefilter's allow bit is set; the rebuild
// keeps the allow entries' bits, or it would drop allowed sources.
TEST_F(XdpMapsTest, AllowEntriesKeepTheirBitsThroughARebuild) {
  const phx_entry ban = make_entry(PHX_ORIGIN_CSCLI, live());
  const phx_entry allow = make_entry(PHX_ORIGIN_LOCAL, live());
  ASSERT_TRUE(maps_->ban(cidr("203.0.113.5"), ban).has_value());
  ASSERT_TRUE(maps_->ban(cidr("198.51.0.0/16"), ban).has_value());
  ASSERT_TRUE(maps_->ban(cidr("2001:db8:7::1"), ban).has_value());
  ASSERT_TRUE(maps_->allow(cidr("203.0.113.0/24"), allow).has_value());
  ASSERT_TRUE(maps_->allow(cidr("198.51.100.7"), allow).has_value());
  ASSERT_TRUE(maps_->allow(cidr("2001:db8::/32"), allow).has_value());
  const auto expect_allowed = [&](const char* when) {
    ASSERT_TRUE(reset_counters(maps_->fds().counters).has_value());
    EXPECT_EQ(run(v4_frame("203.0.113.5")), XDP_PASS) << when;
    EXPECT_EQ(run(v4_frame("198.51.100.7")), XDP_PASS) << when;
    EXPECT_EQ(run(v6_frame("2001:db8:7::1")), XDP_PASS) << when;
    EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_ALLOWED).packets, 3U) << when;
    EXPECT_EQ(run(v4_frame("198.51.100.8")), XDP_DROP) << when;
  };
  expect_allowed("after allow()");
  maps_->prefilter().store(PrefilterImage());  // wipe, as if the bitmap were lost
  ASSERT_TRUE(maps_->rebuild_prefilter().has_value());
  expect_allowed("after a rebuild");
}

TEST_F(XdpMapsTest, AllowEntryWithoutBitsIsMarkedWhenTheMapsAreOpened) {
  // Written behind the library's back, as pins left by a version without the allow bit hold it.
  const phx_lpm_v4_key key = lpm_v4_key(cidr("192.0.2.60/32"));
  const phx_entry allow = make_entry(PHX_ORIGIN_LOCAL, live());
  ASSERT_EQ(bpf_map_update_elem(maps_->fds().allow_v4, &key, &allow, BPF_ANY), 0);
  ASSERT_TRUE(maps_->ban(cidr("192.0.2.60"), make_entry(PHX_ORIGIN_CSCLI, live())).has_value());
  EXPECT_EQ(run(v4_frame("192.0.2.60")), XDP_DROP) << "the program skips the allow lookup";

  auto reopened = BlocklistMaps::open(map_fds(*object_));
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  EXPECT_EQ(run(v4_frame("192.0.2.60")), XDP_PASS);
  EXPECT_EQ(counters().verdict_total(PHX_VERDICT_PASS_ALLOWED).packets, 1U);
}

// The program looks only in the generation phx_gen names; a generation filled off-line comes in
// force whole with put_in_force(), and a slot left empty fails open.
TEST_F(XdpMapsTest, ProgramReadsOnlyTheGenerationInForce) {
  ASSERT_TRUE(maps_->ban(cidr("192.0.2.1"), make_entry(PHX_ORIGIN_CAPI, live())).has_value());
  auto next = maps_->new_generation();
  ASSERT_TRUE(next.has_value()) << next.error().message();
  const std::vector<BanRequest> bans = {{cidr("192.0.2.2"), make_entry(PHX_ORIGIN_CAPI, live())},
                                        {cidr("10.0.0.0/8"), make_entry(PHX_ORIGIN_CAPI, live())}};
  ASSERT_TRUE(maps_->ban_batch(*next, bans).has_value());
  EXPECT_EQ(run(v4_frame("192.0.2.1")), XDP_DROP);
  EXPECT_EQ(run(v4_frame("192.0.2.2")), XDP_PASS);
  EXPECT_EQ(run(v4_frame("10.1.1.1")), XDP_PASS);
  const uint32_t before = maps_->generation();
  ASSERT_TRUE(maps_->put_in_force(std::move(*next)).has_value());
  EXPECT_EQ(maps_->generation(), (before + 1) % PHX_GENERATIONS);
  EXPECT_EQ(run(v4_frame("192.0.2.1")), XDP_PASS);
  EXPECT_EQ(run(v4_frame("192.0.2.2")), XDP_DROP);
  EXPECT_EQ(run(v4_frame("10.1.1.1")), XDP_DROP);
  // Someone empties the slot in force: no lookup target, every packet passes.
  const uint32_t gen = maps_->generation();
  ASSERT_EQ(bpf_map_delete_elem(maps_->fds().gens_ban_v4, &gen), 0);
  ASSERT_EQ(bpf_map_delete_elem(maps_->fds().gens_range_v4, &gen), 0);
  EXPECT_EQ(run(v4_frame("192.0.2.2")), XDP_PASS);
  EXPECT_EQ(run(v4_frame("10.1.1.1")), XDP_PASS);
}

TEST_F(XdpMapsTest, RebanRefreshesExpiry) {
  const net::Cidr target = cidr("192.0.2.9");
  ASSERT_TRUE(maps_->ban(target, make_entry(PHX_ORIGIN_CROWDSEC, expired())).has_value());
  EXPECT_EQ(run(v4_frame("192.0.2.9")), XDP_PASS);
  ASSERT_TRUE(maps_->ban(target, make_entry(PHX_ORIGIN_CROWDSEC, live())).has_value());
  EXPECT_EQ(run(v4_frame("192.0.2.9")), XDP_DROP);
}

TEST_F(XdpMapsTest, UnbanAndUnallowReportMissingEntries) {
  auto r = maps_->unban(cidr("192.0.2.1"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_NE(r.error().message().find("192.0.2.1"), std::string::npos);
  auto range = maps_->unban(cidr("10.0.0.0/8"));
  ASSERT_FALSE(range.has_value());
  EXPECT_EQ(range.error().code(), ENOENT);
  ASSERT_TRUE(
      maps_->allow(cidr("2001:db8::/32"), make_entry(PHX_ORIGIN_LOCAL, live())).has_value());
  EXPECT_TRUE(maps_->unallow(cidr("2001:db8::/32")).has_value());
  EXPECT_EQ(maps_->unallow(cidr("2001:db8::/32")).error().code(), ENOENT);
}

TEST_F(XdpMapsTest, FullMapIsAnError) {
  std::vector<BanRequest> bans;
  for (uint32_t i = 0; i < small_maps().max_ban_v4 + 10; ++i)
    bans.push_back({cidr(v4_text(i)), make_entry(PHX_ORIGIN_CAPI, live())});
  auto stats = maps_->ban_batch(bans);
  ASSERT_FALSE(stats.has_value());
  EXPECT_EQ(stats.error().code(), E2BIG) << stats.error().message();
}

TEST_F(XdpMapsTest, CountersSumRepeatedRunsAndReset) {
  ASSERT_TRUE(maps_->ban(cidr("192.0.2.1"), make_entry(PHX_ORIGIN_CAPI, live())).has_value());
  const Frame frame = v4_frame("192.0.2.1");
  EXPECT_EQ(run(frame, 1000), XDP_DROP);
  const phx_counter c = counters().at(PHX_ORIGIN_CAPI, PHX_FAMILY_V4, PHX_VERDICT_DROP);
  EXPECT_EQ(c.packets, 1000U);
  EXPECT_EQ(c.bytes, 1000U * frame.bytes().size());
  ASSERT_TRUE(reset_counters(maps_->fds().counters).has_value());
  EXPECT_EQ(counters().total().packets, 0U);
}

TEST_F(XdpMapsTest, KeysRoundTrip) {
  EXPECT_EQ(address_of(v4_key(cidr("192.0.2.1").network())).to_string(), "192.0.2.1");
  EXPECT_EQ(address_of(v6_key(cidr("2001:db8::1").network())).to_string(), "2001:db8::1");
  EXPECT_EQ(cidr_of(lpm_v4_key(cidr("10.1.0.0/16"))).to_string(), "10.1.0.0/16");
  EXPECT_EQ(cidr_of(lpm_v6_key(cidr("2001:db8::/32"))).to_string(), "2001:db8::/32");
  // Network byte order, as the program reads it from the packet.
  const phx_v4_key k = v4_key(cidr("1.2.3.4").network());
  const auto* b = reinterpret_cast<const uint8_t*>(&k.addr);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[3], 4);
}

// Unmounts and removes a directory mounted by private_bpffs() when the test ends.
struct BpffsGuard {
  std::string dir;
  ~BpffsGuard() {
    if (dir.empty()) return;
    umount2(dir.c_str(), MNT_DETACH);
    rmdir(dir.c_str());
  }
};

// Mounts a bpffs on a fresh directory inside a new private mount namespace of this process.
// Returns the directory, or "" with the reason (not root, no CAP_SYS_ADMIN, no bpffs).
std::string private_bpffs(std::string& why) {
  if (unshare(CLONE_NEWNS) != 0) {
    why = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    return "";
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    why = std::string("making mounts private: ") + std::strerror(errno);
    return "";
  }
  char dir[] = "/tmp/phalanx-bpffs-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    why = std::string("mkdtemp: ") + std::strerror(errno);
    return "";
  }
  if (mount("bpf", dir, "bpf", 0, nullptr) != 0) {
    why = std::string("mounting bpffs: ") + std::strerror(errno);
    rmdir(dir);
    return "";
  }
  return dir;
}

// Pins into a fresh directory on a bpffs (PHALANX_BPFFS_DIR, default /sys/fs/bpf), loads a
// second object from the same pins and checks both programs see one state.
TEST(XdpPinning, SecondLoaderReusesPinnedMaps) {
  const char* env = std::getenv("PHALANX_BPFFS_DIR");
  std::string bpffs = env != nullptr ? env : "/sys/fs/bpf";
  BpffsGuard guard;
  struct statfs fs {};
  if (statfs(bpffs.c_str(), &fs) != 0 || static_cast<long>(fs.f_type) != kBpfFsMagic) {
    // No bpffs here: mount a private one in a mount namespace of this test process only, so
    // nothing is left on the host whatever happens.
    std::string why;
    bpffs = private_bpffs(why);
    if (bpffs.empty()) GTEST_SKIP() << "no bpffs at /sys/fs/bpf and none can be mounted: " << why;
    guard.dir = bpffs;
  }
  LoadOptions options = small_maps();
  options.pin_dir = bpffs + "/phalanx-test-" + std::to_string(getpid());

  auto first = XdpObject::open_and_load(options);
  if (!first && bpf_unavailable(first.error()))
    GTEST_SKIP() << "BPF unavailable here: " << first.error().message();
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_TRUE(first->created_prefilter());
  EXPECT_TRUE(std::filesystem::exists(options.pin_dir + "/phx_ban_v4"));
  EXPECT_TRUE(std::filesystem::exists(options.pin_dir + "/phx_pf2_v4"));
  {
    auto maps = BlocklistMaps::open(map_fds(*first));
    ASSERT_TRUE(maps.has_value());
    ASSERT_TRUE(maps->ban(cidr("192.0.2.77"), make_entry(PHX_ORIGIN_CSCLI, PHX_EXPIRY_NEVER)));
  }

  auto second = XdpObject::open_and_load(options);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  auto r = run_program(second->prog_fd(), v4_frame("192.0.2.77").bytes());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->action, XDP_DROP) << "second loader did not reuse the pinned ban and prefilter";
  EXPECT_FALSE(second->created_prefilter());

  // The bitmaps pinned under a retired name, as an earlier build with another layout left them:
  // a loader creates new ones beside the pinned bans, and says so; they take the bans' bits
  // from rebuild_prefilter(); remove_retired_pins() removes the old names.
  for (const char* fam : {"v4", "v6"}) {
    ASSERT_EQ(rename((options.pin_dir + "/phx_pf2_" + fam).c_str(),
                     (options.pin_dir + "/phx_pfilter_" + fam).c_str()),
              0);
  }
  auto inspect = XdpObject::open_pinned(options.pin_dir);  // `phalanx xdp` before the restart
  ASSERT_FALSE(inspect.has_value());
  EXPECT_NE(inspect.error().message().find("pinned by an earlier build (phx_pfilter_v4)"),
            std::string::npos)
      << inspect.error().message();
  {
    auto upgraded = XdpObject::open_and_load(options);
    ASSERT_TRUE(upgraded.has_value()) << upgraded.error().message();
    EXPECT_TRUE(upgraded->created_prefilter());
    auto maps = BlocklistMaps::open(map_fds(*upgraded));
    ASSERT_TRUE(maps.has_value()) << maps.error().message();
    EXPECT_EQ(run_program(upgraded->prog_fd(), v4_frame("192.0.2.77").bytes())->action, XDP_PASS)
        << "new bitmaps start empty";
    ASSERT_TRUE(maps->rebuild_prefilter().has_value());
    EXPECT_EQ(run_program(upgraded->prog_fd(), v4_frame("192.0.2.77").bytes())->action, XDP_DROP);
  }
  auto removed = XdpObject::remove_retired_pins(options.pin_dir);
  ASSERT_TRUE(removed.has_value()) << removed.error().message();
  EXPECT_EQ(*removed, (std::vector<std::string>{"phx_pfilter_v4", "phx_pfilter_v6"}));
  EXPECT_FALSE(std::filesystem::exists(options.pin_dir + "/phx_pfilter_v4"));
  EXPECT_TRUE(XdpObject::remove_retired_pins(options.pin_dir)->empty());

  // Other ban map sizes: the pins are reused, the generation in force is kept, and the next
  // generation (a resync) takes the new size.
  LoadOptions bigger = options;
  bigger.max_ban_v4 *= 2;
  {
    auto third = XdpObject::open_and_load(bigger);
    ASSERT_TRUE(third.has_value()) << third.error().message();
    auto maps = BlocklistMaps::open(map_fds(*third));
    ASSERT_TRUE(maps.has_value()) << maps.error().message();
    auto in_force = BanMaps::of_generation(maps->fds(), maps->generation());
    ASSERT_TRUE(in_force.has_value());
    EXPECT_EQ(in_force->sizes()->ban_v4, options.max_ban_v4);
    auto next = maps->new_generation();
    ASSERT_TRUE(next.has_value()) << next.error().message();
    EXPECT_EQ(next->sizes()->ban_v4, bigger.max_ban_v4);
  }
  EXPECT_EQ(run_program(second->prog_fd(), v4_frame("192.0.2.77").bytes())->action, XDP_DROP);
  LoadOptions other_allow = options;
  other_allow.max_allow_v4 *= 2;
  EXPECT_FALSE(XdpObject::open_and_load(other_allow).has_value())
      << "an allow map size mismatch must not reuse";

  EXPECT_TRUE(second->unpin_maps().has_value());
  EXPECT_FALSE(std::filesystem::exists(options.pin_dir + "/phx_ban_v4"));

  // Pins of another layout (a plain hash where this build has a map of maps) are named.
  const int foreign = bpf_map_create(BPF_MAP_TYPE_HASH, "phx_ban_v4", 4, 16, 16, nullptr);
  ASSERT_GE(foreign, 0);
  ASSERT_EQ(bpf_obj_pin(foreign, (options.pin_dir + "/phx_ban_v4").c_str()), 0);
  close(foreign);
  auto refused = XdpObject::open_and_load(options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("phx_ban_v4 has another map layout"), std::string::npos)
      << refused.error().message();
  std::filesystem::remove(options.pin_dir + "/phx_ban_v4");
  std::filesystem::remove(options.pin_dir);
}

}  // namespace
}  // namespace phalanx::xdp::test
