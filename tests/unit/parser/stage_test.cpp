// SPDX-License-Identifier: Apache-2.0
// The stage driver (spec §4.4), whitelists (§4.3 step 2 and 7), the parse observer, and
// hostile input through a small three-stage chain.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser_fixture.h"

namespace phalanx::parser::testing {
namespace {

using StageTest = ParserFixture;

// Each node records that it ran (Meta.ran_<name>) through its statics, which only run on
// success; `filter: "1 == 2"` makes a node fail.
std::string node_doc(const std::string& name, bool next_stage, bool succeed = true) {
  std::string out = "name: " + name + "\n";
  if (next_stage) out += "onsuccess: next_stage\n";
  if (!succeed) out += "filter: \"1 == 2\"\n";
  out += "statics:\n  - meta: ran_" + name + "\n    value: \"yes\"\n";
  return out;
}

TEST_F(StageTest, NextStageStopsTheStageAndContinueNodesAllRun) {
  write_parser("s00-raw/a.yaml", node_doc("raw", true));
  write_parser("s01-parse/a.yaml", node_doc("p_fail", true, false) + "---\n" +
                                       node_doc("p_ok", true) + "---\n" + node_doc("p_late", true));
  write_parser("s02-enrich/a.yaml", node_doc("e1", false) + "---\n" + node_doc("e2", false) +
                                        "---\n" + node_doc("e3", false, false) + "---\n" +
                                        node_doc("e4", false));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("x");
  auto out = parse(evt, &observer);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out);
  EXPECT_TRUE(evt.process);
  EXPECT_EQ(observer.names(), Names({"raw", "p_fail", "p_ok", "e1", "e2", "e3", "e4"}));
  EXPECT_FALSE(evt.meta.contains("ran_p_late"));
  for (const char* ran : {"ran_raw", "ran_p_ok", "ran_e1", "ran_e2", "ran_e4"}) {
    EXPECT_EQ(evt.meta.get(ran), "yes") << ran;
  }
  EXPECT_FALSE(evt.meta.contains("ran_e3"));
  EXPECT_EQ(evt.stage, "s02-enrich");
}

TEST_F(StageTest, TopLevelNodesCountWhatEnteredAndWhatParsed) {
  write_parser("s00-raw/a.yaml", node_doc("raw", true));
  write_parser("s01-parse/a.yaml",
               node_doc("p_filtered", true, false) + "---\n" +
                   "name: p_nomatch\nonsuccess: next_stage\ngrok:\n  pattern: '^never$'\n"
                   "  apply_on: message\n---\n" +
                   node_doc("p_ok", true) + "---\n" + node_doc("p_late", true));
  write_parser("s02-enrich/a.yaml", node_doc("e1", false) + "---\n" + node_doc("e2", false, false));
  load_clean();
  std::vector<NodeCount> counts(pipeline_->node_count());
  node_counts_ = &counts;
  for (int i = 0; i < 3; ++i) {
    Event evt = log_event("x");
    evt.parsed.set("message", "something");
    ASSERT_TRUE(parse_ok(evt));
  }
  const auto nodes = pipeline_->counted_nodes();
  ASSERT_EQ(nodes.size(), counts.size());
  std::vector<std::string> got;
  for (size_t i = 0; i < nodes.size(); ++i)
    got.push_back(nodes[i].stage + "/" + nodes[i].name + " " + std::to_string(counts[i].entered) +
                  " " + std::to_string(counts[i].parsed));
  // The filtered-out node was not entered, the grok that did not match was entered and failed,
  // the node after a next_stage success was never reached.
  EXPECT_EQ(got, Names({"s00-raw/raw 3 3", "s01-parse/p_filtered 0 0", "s01-parse/p_nomatch 3 0",
                        "s01-parse/p_ok 3 3", "s01-parse/p_late 0 0", "s02-enrich/e1 3 3",
                        "s02-enrich/e2 0 0"}));
}

TEST_F(StageTest, StageWithoutSuccessDropsTheEvent) {
  write_parser("s00-raw/a.yaml", node_doc("raw", true));
  write_parser("s01-parse/a.yaml",
               node_doc("p1", true, false) + "---\n" + node_doc("p2", false, false));
  write_parser("s02-enrich/a.yaml", node_doc("enrich", false));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("x");
  evt.process = true;  // must be reset by the driver
  auto out = parse(evt, &observer);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_FALSE(*out);
  EXPECT_FALSE(evt.process);
  EXPECT_EQ(observer.names(), Names({"raw", "p1", "p2"}));  // s02 never runs
  EXPECT_FALSE(evt.meta.contains("ran_enrich"));
}

TEST_F(StageTest, ContinueSuccessDoesNotMoveTheEventOn) {
  // Only next_stage moves an event; one that stays in s00 never reaches s01's nodes, so s01
  // has no success and the event is dropped.
  write_parser("s00-raw/a.yaml", node_doc("raw", false));
  write_parser("s01-parse/a.yaml", node_doc("parse", true));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("x");
  EXPECT_FALSE(parse_ok(evt, &observer));
  EXPECT_FALSE(evt.process);
  EXPECT_FALSE(evt.meta.contains("ran_parse"));
  EXPECT_EQ(observer.names(), Names({"raw"}));
}

TEST_F(StageTest, EventInjectedAtLaterStageSkipsEarlierOnes) {
  write_parser("s00-raw/a.yaml", node_doc("raw", true));
  write_parser("s01-parse/a.yaml", node_doc("parse", true));
  write_parser("s02-enrich/a.yaml", node_doc("enrich", false));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("x");
  evt.stage = "s01-parse";
  EXPECT_TRUE(parse_ok(evt, &observer));
  EXPECT_EQ(observer.names(), Names({"parse", "enrich"}));
  EXPECT_FALSE(evt.meta.contains("ran_raw"));

  Event late = log_event("x");
  late.stage = "s02-enrich";
  RecordingObserver late_observer;
  EXPECT_TRUE(parse_ok(late, &late_observer));
  EXPECT_EQ(late_observer.names(), Names({"enrich"}));
}

TEST_F(StageTest, NextStageOnLastStageIsANoOp) {
  write_parser("s00-raw/a.yaml", node_doc("raw", true));
  write_parser("s01-parse/a.yaml", node_doc("last", true) + "---\n" + node_doc("after", false));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("x");
  EXPECT_TRUE(parse_ok(evt, &observer));
  EXPECT_EQ(evt.stage, "s01-parse");
  EXPECT_EQ(observer.names(), Names({"raw", "last"}));  // the success still ends the stage
  EXPECT_FALSE(evt.meta.contains("ran_after"));
}

TEST_F(StageTest, EmptyPipelineDropsEverything) {
  load_clean();
  Event evt = log_event("x");
  EXPECT_FALSE(parse_ok(evt));
  EXPECT_FALSE(evt.process);
}

TEST_F(StageTest, ObserverSeesTopLevelNodesWithStateAfterEach) {
  write_parser("s00-raw/a.yaml", R"y(
name: raw
grok:
  pattern: '^%{WORD:program}: %{GREEDYDATA:message}$'
  apply_on: Line.Raw
onsuccess: next_stage
nodes:
  - name: raw-child
    statics:
      - meta: child
        value: "yes"
)y");
  write_parser("s01-parse/a.yaml", node_doc("miss", true, false) + "---\n" + node_doc("hit", true) +
                                       "---\n" + node_doc("unseen", true));
  write_parser("s02-enrich/a.yaml", node_doc("enrich", false));
  load_clean();
  RecordingObserver observer;
  Event evt = log_event("sshd: hello world");
  EXPECT_TRUE(parse_ok(evt, &observer));

  ASSERT_EQ(observer.calls.size(), 4u) << "children and nodes after a next_stage success are "
                                          "not reported";
  const auto& raw = observer.calls[0];
  EXPECT_EQ(raw.stage, "s00-raw");
  EXPECT_EQ(raw.node, "raw");
  EXPECT_TRUE(raw.success);
  EXPECT_EQ(raw.parsed.get("program"), "sshd");
  EXPECT_EQ(raw.meta.get("child"), "yes");
  EXPECT_EQ(raw.event_stage, "s01-parse");  // already moved on by the node

  const auto& miss = observer.calls[1];
  EXPECT_EQ(miss.stage, "s01-parse");
  EXPECT_EQ(miss.node, "miss");
  EXPECT_FALSE(miss.success);
  EXPECT_FALSE(miss.meta.contains("ran_hit"));

  const auto& hit = observer.calls[2];
  EXPECT_EQ(hit.node, "hit");
  EXPECT_TRUE(hit.success);
  EXPECT_EQ(hit.meta.get("ran_hit"), "yes");
  EXPECT_FALSE(hit.meta.contains("ran_enrich"));

  EXPECT_EQ(observer.calls[3].stage, "s02-enrich");
  EXPECT_EQ(observer.calls[3].node, "enrich");
  EXPECT_TRUE(observer.calls[3].success);
}

constexpr const char* kWhitelist = R"y(
name: wl
whitelist:
  reason: private or trusted
  ip:
    - 192.0.2.1
    - "::1"
  cidr:
    - 10.0.0.0/8
    - 2001:db8::/32
  expression:
    - evt.Meta.user == 'root'
    - evt.SetMeta('second_expr_ran', 'yes') && false
statics:
  - meta: wl_static
    value: "yes"
)y";

TEST_F(StageTest, Whitelist) {
  struct Case {
    const char* what;
    std::string source_ip;
    std::string user;
    bool whitelisted;
    bool second_expression_runs;
  };
  const Case cases[] = {
      {"listed ip", "192.0.2.1", "", true, false},
      {"listed ipv6", "::1", "", true, false},
      {"in cidr", "10.20.30.40", "", true, false},
      {"in ipv6 cidr", "2001:db8:1::5", "", true, false},
      {"outside", "11.0.0.1", "", false, true},
      {"expression", "", "root", true, false},
      {"expression with an outside ip", "203.0.113.9", "root", true, false},
      {"no ip, no match", "", "alice", false, true},
      {"unparsable ip", "not-an-ip", "", false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Event evt = log_event("x");
    if (!c.source_ip.empty()) evt.meta.set("source_ip", c.source_ip);
    if (!c.user.empty()) evt.meta.set("user", c.user);
    auto r = run_single(kWhitelist, std::move(evt));
    EXPECT_TRUE(r.success) << "a filter-less whitelist node always succeeds";
    EXPECT_EQ(r.event.whitelisted, c.whitelisted);
    EXPECT_EQ(r.event.whitelist_reason, c.whitelisted ? "private or trusted" : "");
    // Node statics of a whitelist node only run when it whitelisted the event.
    EXPECT_EQ(r.event.meta.contains("wl_static"), c.whitelisted);
    // Expressions stop at the first true one.
    EXPECT_EQ(r.event.meta.contains("second_expr_ran"), c.second_expression_runs);
  }
}

TEST_F(StageTest, WhitelistChecksMetaSourceIpOnly) {
  Event evt = log_event("x");
  evt.parsed.set("source_ip", "10.0.0.1");
  auto r = run_single(kWhitelist, std::move(evt));
  EXPECT_FALSE(r.event.whitelisted);
}

TEST_F(StageTest, WhitelistBehindAFalseFilter) {
  Event evt = log_event("x");
  evt.meta.set("source_ip", "10.0.0.1");
  auto r = run_single(std::string(kWhitelist) + "filter: \"1 == 2\"\n", std::move(evt));
  EXPECT_FALSE(r.success);
  EXPECT_FALSE(r.event.whitelisted);
}

TEST_F(StageTest, WhitelistedEventStillCompletesParsing) {
  // Whitelisting does not stop the pipeline; the event is dropped later, by the caller.
  write_parser("s01-parse/a.yaml", std::string(kWhitelist) + "onsuccess: next_stage\n");
  write_parser("s02-enrich/a.yaml", node_doc("enrich", false));
  load_clean();
  Event evt = log_event("x");
  evt.meta.set("source_ip", "10.1.1.1");
  EXPECT_TRUE(parse_ok(evt));
  EXPECT_TRUE(evt.whitelisted);
  EXPECT_EQ(evt.meta.get("ran_enrich"), "yes");
}

// A small syslog-like chain exercised with hostile lines.
constexpr const char* kRaw = R"y(
name: raw
filter: "evt.Line.Labels.type == 'test'"
grok:
  pattern: '^%{WORD:program}: %{GREEDYDATA:message}$'
  apply_on: Line.Raw
onsuccess: next_stage
statics:
  - target: evt.StrTime
    expression: evt.Parsed.message
)y";
constexpr const char* kParse = R"y(
name: parse
filter: "evt.Parsed.program == 'prog' && len(evt.Parsed.message) > 0"
grok:
  pattern: '%{IP:source_ip}$'
  apply_on: message
onsuccess: next_stage
statics:
  - meta: source_ip
    expression: evt.Parsed.source_ip
  - meta: upper
    expression: upper(evt.Parsed.program) + trim(evt.Parsed.message)
)y";
constexpr const char* kEnrich = R"y(
name: dateparse
statics:
  - method: ParseDate
    expression: evt.StrTime
  - meta: timestamp
    expression: evt.Enriched.MarshaledTime
)y";

TEST_F(StageTest, HostileInput) {
  write_parser("s00-raw/raw.yaml", kRaw);
  write_parser("s01-parse/parse.yaml", kParse);
  write_parser("s02-enrich/dateparse.yaml", kEnrich);
  load_clean();

  const std::string mb(1 << 20, 'a');
  std::string binary = "prog: ";
  for (int i = 0; i < 256; ++i)
    binary += char(i == '\n' ? 'n' : i);
  binary += " 192.0.2.44";
  struct Case {
    const char* what;
    std::string raw;
    bool process;
    std::string source_ip;
  };
  const Case cases[] = {
      {"1 MB line", "prog: " + mb + " 192.0.2.1", true, "192.0.2.1"},
      {"1 MB line that matches nothing", mb, false, ""},
      {"1 MB line of spaces", std::string(1 << 20, ' '), false, ""},
      {"every byte value, NUL included", binary, true, "192.0.2.44"},
      {"invalid UTF-8", "prog: caf\xe9 \xc3\x28 \xff\xfe\xed\xa0\x80 192.0.2.5", true, "192.0.2.5"},
      {"invalid UTF-8 in the program name", "pr\xffog: 192.0.2.6", false, ""},
      {"empty line", "", false, ""},
      {"only CR and LF", "\r\n\r\n", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Event evt = log_event(c.raw);
    auto out = parse(evt);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, c.process);
    if (c.process) {
      EXPECT_EQ(evt.meta.get("source_ip"), c.source_ip);
      EXPECT_EQ(evt.parsed.get("program"), "prog");
      EXPECT_EQ(evt.parsed.get("message"), std::string_view(c.raw).substr(6));
      EXPECT_FALSE(evt.meta.get("timestamp").empty());  // "now": nothing here is a date
    }
  }
}

}  // namespace
}  // namespace phalanx::parser::testing
