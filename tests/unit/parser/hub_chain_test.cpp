// SPDX-License-Identifier: Apache-2.0
// The canonical hub chain (spec §4.5) on real hub content: syslog-logs → sshd-logs →
// dateparse-enrich + whitelists, with the hub's pattern files. Skips when the hub is absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "parser_fixture.h"

namespace phalanx::parser::testing {
namespace {

std::string hub_dir() {
  if (const char* env = std::getenv("PHALANX_HUB_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return PHALANX_SOURCE_DIR "/../shared/hub";
}

class HubChainTest : public ParserFixture {
 protected:
  void SetUp() override {
    ParserFixture::SetUp();
    hub_ = hub_dir();
    for (const char* rel : {"patterns", "parsers/s00-raw/crowdsecurity/syslog-logs.yaml",
                            "parsers/s01-parse/crowdsecurity/sshd-logs.yaml",
                            "parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml",
                            "parsers/s02-enrich/crowdsecurity/whitelists.yaml"}) {
      if (!fs::exists(fs::path(hub_) / rel)) {
        GTEST_SKIP() << "hub content not found: " << (fs::path(hub_) / rel)
                     << " (set PHALANX_HUB_DIR to a CrowdSec hub checkout)";
      }
    }
  }

  // Copies a hub parser into the fixture's parser tree, keeping the hub layout.
  void install(const std::string& rel) {
    const fs::path target = root_ / rel;
    fs::create_directories(target.parent_path());
    fs::copy_file(fs::path(hub_) / rel, target, fs::copy_options::overwrite_existing);
  }

  std::string hub_;
};

TEST_F(HubChainTest, SshdThroughTheCanonicalChain) {
  install("parsers/s00-raw/crowdsecurity/syslog-logs.yaml");
  install("parsers/s01-parse/crowdsecurity/sshd-logs.yaml");
  install("parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml");
  install("parsers/s02-enrich/crowdsecurity/whitelists.yaml");
  pattern_dirs_ = {(fs::path(hub_) / "patterns").string()};
  pinned_year_ = 2021;
  ASSERT_TRUE(load());
  ASSERT_FALSE(diags_.has_errors()) << all_diagnostics();
  EXPECT_EQ(pipeline_->stages(), Names({"s00-raw", "s01-parse", "s02-enrich"}));

  struct Case {
    const char* what;
    std::string raw;
    bool process;
    bool whitelisted;
    std::string source_ip;
  };
  const Case cases[] = {
      {"invalid user",
       "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
       true, false, "35.188.49.176"},
      {"private source is whitelisted but still parsed",
       "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 192.168.1.20 port 53502",
       true, true, "192.168.1.20"},
      {"another program has no s01 parser", "Feb 12 14:10:21 sd-126005 cron[99]: job done", false,
       false, ""},
      {"not syslog at all", "garbage", false, false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Event evt = log_event(c.raw, "syslog");
    evt.line.src = "/var/log/auth.log";
    EXPECT_EQ(parse_ok(evt), c.process);
    EXPECT_EQ(evt.whitelisted, c.whitelisted);
    if (!c.process) continue;
    EXPECT_EQ(evt.parsed.get("program"), "sshd");
    EXPECT_EQ(evt.parsed.get("logsource"), "syslog");
    EXPECT_EQ(evt.meta.get("machine"), "sd-126005");
    EXPECT_EQ(evt.meta.get("datasource_path"), "/var/log/auth.log");
    EXPECT_EQ(evt.meta.get("datasource_type"), "file");
    EXPECT_EQ(evt.meta.get("log_type"), "ssh_failed-auth");
    EXPECT_EQ(evt.meta.get("service"), "ssh");
    EXPECT_EQ(evt.meta.get("source_ip"), c.source_ip);
    EXPECT_EQ(evt.meta.get("target_user"), "pascal");
    EXPECT_EQ(evt.str_time, "Feb 12 14:10:21");
    EXPECT_EQ(evt.marshaled_time, "2021-02-12T14:10:21Z");
    EXPECT_EQ(evt.meta.get("timestamp"), "2021-02-12T14:10:21Z");
    if (c.whitelisted) {
      EXPECT_EQ(evt.whitelist_reason, "private ipv4/ipv6 ip/ranges");
    }
  }
}

}  // namespace
}  // namespace phalanx::parser::testing
