// SPDX-License-Identifier: Apache-2.0
// The XDP blocklist program, run with BPF_PROG_TEST_RUN over a table of hand-built frames and
// map states: each row checks the XDP action and that exactly one counter (origin, family,
// verdict) moved by one packet and the frame's length in bytes.
#include <linux/bpf.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "xdp_fixture.h"

namespace phalanx::xdp::test {
namespace {

enum class Life { kLive, kExpired, kNever };

struct Listed {
  const char* cidr;
  uint16_t origin = PHX_ORIGIN_CROWDSEC;
  Life life = Life::kLive;
};

struct Case {
  const char* name;
  std::function<Frame()> frame;
  std::vector<Listed> bans;
  std::vector<Listed> allows;
  uint32_t action;
  uint32_t origin;
  uint32_t family;
  uint32_t verdict;
};

constexpr uint32_t kNone = PHX_FAMILY_NONE;
constexpr uint32_t kV4 = PHX_FAMILY_V4;
constexpr uint32_t kV6 = PHX_FAMILY_V6;

Frame v4(const char* src) {
  return Frame().eth().ipv4(src).udp();
}
Frame v6(const char* src) {
  return Frame().eth().ipv6(src).udp();
}

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      // Plain hits and misses.
      {"v4_miss_empty_maps",
       [] { return v4("192.0.2.1"); },
       {},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_PREFILTER},
      {"v4_exact_hit",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", PHX_ORIGIN_CSCLI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CSCLI,
       kV4,
       PHX_VERDICT_DROP},
      {"v4_miss_other_banned",
       [] { return v4("192.0.2.2"); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_PREFILTER},
      {"v4_never_expires",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", PHX_ORIGIN_LOCAL, Life::kNever}},
       {},
       XDP_DROP,
       PHX_ORIGIN_LOCAL,
       kV4,
       PHX_VERDICT_DROP},
      {"v6_exact_hit",
       [] { return v6("2001:db8::1"); },
       {{"2001:db8::1", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV6,
       PHX_VERDICT_DROP},
      {"v6_miss",
       [] { return v6("2001:db8::2"); },
       {{"2001:db8::1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV6,
       PHX_VERDICT_PASS_PREFILTER},
      // VLAN tags.
      {"v4_8021q_hit",
       [] { return Frame().eth().vlan(kTpid8021Q, 10).ipv4("192.0.2.1").udp(); },
       {{"192.0.2.1"}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV4,
       PHX_VERDICT_DROP},
      {"v6_qinq_hit",
       [] {
         return Frame().eth().vlan(kTpid8021AD, 100).vlan(kTpid8021Q, 10).ipv6("2001:db8::1").udp();
       },
       {{"2001:db8::1"}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV6,
       PHX_VERDICT_DROP},
      {"v4_qinq_miss",
       [] {
         return Frame().eth().vlan(kTpid8021AD, 1).vlan(kTpid8021Q, 2).ipv4("192.0.2.9").udp();
       },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_PREFILTER},
      {"three_tags_not_parsed",
       [] {
         return Frame()
             .eth()
             .vlan(kTpid8021AD, 1)
             .vlan(kTpid8021Q, 2)
             .vlan(kTpid8021Q, 3)
             .ipv4("192.0.2.1");
       },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_NON_IP},
      // Not IP.
      {"arp_from_banned_sender",
       [] { return Frame().eth().arp("192.0.2.1", "192.0.2.254"); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_NON_IP},
      {"lldp",
       [] { return Frame().eth().ethertype(0x88cc); },
       {},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_NON_IP},
      // Truncated and malformed frames pass.
      {"truncated_ethernet",
       [] { return Frame().eth().ipv4("192.0.2.1").truncate(10); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_MALFORMED},
      {"empty_frame",
       [] { return Frame().eth().truncate(0); },
       {},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_MALFORMED},
      {"truncated_vlan_tag",
       [] { return Frame().eth().vlan(kTpid8021Q, 10).ipv4("192.0.2.1").truncate(16); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kNone,
       PHX_VERDICT_PASS_MALFORMED},
      {"truncated_ipv4_header",
       [] { return Frame().eth().ipv4("192.0.2.1").truncate(14 + 19); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_MALFORMED},
      {"truncated_ipv6_header",
       [] { return Frame().eth().ipv6("2001:db8::1").truncate(14 + 39); },
       {{"2001:db8::1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV6,
       PHX_VERDICT_PASS_MALFORMED},
      {"ipv4_bad_version",
       [] { return Frame().eth().ipv4_version("192.0.2.1", 6).udp(); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_MALFORMED},
      {"ipv4_bad_ihl",
       [] { return Frame().eth().ipv4("192.0.2.1", 4).udp(); },
       {{"192.0.2.1"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_MALFORMED},
      // Header variants that must still be filtered.
      {"ipv4_with_options_hit",
       [] { return Frame().eth().ipv4("192.0.2.1", 7).udp(); },
       {{"192.0.2.1"}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV4,
       PHX_VERDICT_DROP},
      {"ipv6_extension_headers_hit",
       [] { return Frame().eth().ipv6("2001:db8::1").ipv6_ext(0).ipv6_ext(44).udp(); },
       {{"2001:db8::1"}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV6,
       PHX_VERDICT_DROP},
      // Ranges.
      {"v4_range_hit",
       [] { return v4("10.1.2.3"); },
       {{"10.1.0.0/16", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV4,
       PHX_VERDICT_DROP},
      {"v4_range_far_corner_hit",
       [] { return v4("10.1.255.254"); },
       {{"10.1.0.0/16", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV4,
       PHX_VERDICT_DROP},
      {"v4_range_wide_saturates",
       [] { return v4("6.7.8.9"); },
       {{"4.0.0.0/6", PHX_ORIGIN_LISTS}},
       {},
       XDP_DROP,
       PHX_ORIGIN_LISTS,
       kV4,
       PHX_VERDICT_DROP},
      {"v4_range_same_24_miss",
       [] { return v4("10.9.9.1"); },
       {{"10.9.9.128/25"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_MISS},
      {"v4_longest_prefix_wins",
       [] { return v4("10.1.2.3"); },
       {{"10.0.0.0/8", PHX_ORIGIN_CAPI}, {"10.1.0.0/16", PHX_ORIGIN_CSCLI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CSCLI,
       kV4,
       PHX_VERDICT_DROP},
      {"exact_beats_range",
       [] { return v4("10.1.2.3"); },
       {{"10.1.0.0/16", PHX_ORIGIN_CAPI}, {"10.1.2.3", PHX_ORIGIN_CSCLI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CSCLI,
       kV4,
       PHX_VERDICT_DROP},
      {"expired_exact_falls_to_range",
       [] { return v4("10.1.2.3"); },
       {{"10.1.0.0/16", PHX_ORIGIN_CAPI}, {"10.1.2.3", PHX_ORIGIN_CSCLI, Life::kExpired}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV4,
       PHX_VERDICT_DROP},
      {"v6_range_48_hit",
       [] { return v6("2001:db8:5:ffff::1"); },
       {{"2001:db8:5::/48", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV6,
       PHX_VERDICT_DROP},
      {"v6_range_64_hit",
       [] { return v6("2001:db8:5:6::99"); },
       {{"2001:db8:5:6::/64", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV6,
       PHX_VERDICT_DROP},
      {"v6_range_40_expanded_hit",
       [] { return v6("2001:db8:ff:1::1"); },
       {{"2001:db8::/40", PHX_ORIGIN_CAPI}},
       {},
       XDP_DROP,
       PHX_ORIGIN_CAPI,
       kV6,
       PHX_VERDICT_DROP},
      {"v6_range_wide_saturates",
       [] { return v6("2400:cb00::1"); },
       {{"2400::/12", PHX_ORIGIN_LISTS}},
       {},
       XDP_DROP,
       PHX_ORIGIN_LISTS,
       kV6,
       PHX_VERDICT_DROP},
      {"v6_range_miss",
       [] { return v6("2001:db8:6::1"); },
       {{"2001:db8:5::/48"}},
       {},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV6,
       PHX_VERDICT_PASS_PREFILTER},
      // Allow list overrides bans; expired allow entries do not.
      {"allow_overrides_exact",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", PHX_ORIGIN_CAPI}},
       {{"192.0.2.0/24", PHX_ORIGIN_LOCAL}},
       XDP_PASS,
       PHX_ORIGIN_CAPI,
       kV4,
       PHX_VERDICT_PASS_ALLOWED},
      {"allow_overrides_range_v6",
       [] { return v6("2001:db8:5::1"); },
       {{"2001:db8::/32", PHX_ORIGIN_LISTS}},
       {{"2001:db8:5::1", PHX_ORIGIN_LOCAL}},
       XDP_PASS,
       PHX_ORIGIN_LISTS,
       kV6,
       PHX_VERDICT_PASS_ALLOWED},
      {"allow_elsewhere_still_drops",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1"}},
       {{"192.0.3.0/24"}},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV4,
       PHX_VERDICT_DROP},
      {"expired_allow_drops",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1"}},
       {{"192.0.2.1", PHX_ORIGIN_LOCAL, Life::kExpired}},
       XDP_DROP,
       PHX_ORIGIN_CROWDSEC,
       kV4,
       PHX_VERDICT_DROP},
      {"allow_without_ban_passes",
       [] { return v4("192.0.2.1"); },
       {},
       {{"192.0.2.1"}},
       XDP_PASS,
       PHX_ORIGIN_NONE,
       kV4,
       PHX_VERDICT_PASS_PREFILTER},
      // Expiry.
      {"expired_exact_passes",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", PHX_ORIGIN_CSCLI, Life::kExpired}},
       {},
       XDP_PASS,
       PHX_ORIGIN_CSCLI,
       kV4,
       PHX_VERDICT_PASS_EXPIRED},
      {"expired_range_passes_v6",
       [] { return v6("2001:db8:5::1"); },
       {{"2001:db8:5::/48", PHX_ORIGIN_CAPI, Life::kExpired}},
       {},
       XDP_PASS,
       PHX_ORIGIN_CAPI,
       kV6,
       PHX_VERDICT_PASS_EXPIRED},
      // Counters by origin.
      {"dynamic_origin_counted",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", 20}},
       {},
       XDP_DROP,
       20,
       kV4,
       PHX_VERDICT_DROP},
      {"origin_beyond_table_is_other",
       [] { return v4("192.0.2.1"); },
       {{"192.0.2.1", 300}},
       {},
       XDP_DROP,
       PHX_ORIGIN_OTHER,
       kV4,
       PHX_VERDICT_DROP},
  };
  return table;
}

class ProgTable : public XdpTest, public ::testing::WithParamInterface<Case> {
 protected:
  static uint64_t expiry(Life life) {
    switch (life) {
      case Life::kLive:
        return live();
      case Life::kExpired:
        return expired();
      case Life::kNever:
        return PHX_EXPIRY_NEVER;
    }
    return 0;
  }
};

TEST_P(ProgTable, VerdictAndCounters) {
  const Case& c = GetParam();
  for (const auto& b : c.bans)
    ASSERT_TRUE(maps_->ban(cidr(b.cidr), make_entry(b.origin, expiry(b.life))).has_value());
  for (const auto& a : c.allows)
    ASSERT_TRUE(maps_->allow(cidr(a.cidr), make_entry(a.origin, expiry(a.life))).has_value());

  const Frame frame = c.frame();
  auto result = run_program(object_->prog_fd(), frame.bytes());
  if (!result && result.error().message().starts_with(kShortFrameError))
    GTEST_SKIP() << "this kernel cannot test frames shorter than 14 bytes";
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->action, c.action);

  const Counters counters = this->counters();
  const phx_counter hit = counters.at(c.origin, c.family, c.verdict);
  EXPECT_EQ(hit.packets, 1U) << "want " << c.origin << "/" << c.family << "/" << c.verdict
                             << ", moved: " << describe(counters);
  EXPECT_EQ(hit.bytes, frame.bytes().size());
  EXPECT_EQ(counters.total().packets, 1U) << "some other counter moved too";
}

// Keeps gtest from dumping the raw bytes of a Case.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

INSTANTIATE_TEST_SUITE_P(Frames, ProgTable, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace phalanx::xdp::test
