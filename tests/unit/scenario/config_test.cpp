// SPDX-License-Identifier: Apache-2.0
#include "scenario/config.h"

#include <gtest/gtest.h>

#include "expr/event_memo.h"
#include "parser/event_object.h"
#include "scenario/scenario.h"

namespace phalanx::scenario {
namespace {

std::string all(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.items())
    out += d.to_string() + "\n";
  return out;
}

TEST(ScenarioConfig, DecodesEveryKey) {
  Diagnostics diags;
  auto s = decode_scenarios("x.yaml", R"(
type: leaky
name: test/all
description: d
filter: evt.Meta.log_type == 'a'
groupby: evt.Meta.source_ip
distinct: evt.Meta.user
capacity: 5
leakspeed: 10s
blackhole: 2m
reprocess: true
cache_size: 3
overflow_filter: len(queue.Queue) > 0
cancel_on: evt.Meta.log_type == 'ok'
scope:
  type: range
labels:
  remediation: true
  service: ssh
format: 2.0
debug: false
references: [a]
)",
                            diags);
  ASSERT_EQ(s.size(), 1u) << all(diags);
  EXPECT_EQ(s[0].type, BucketType::kLeaky);
  EXPECT_EQ(s[0].capacity, 5);
  EXPECT_EQ(s[0].leakspeed, std::chrono::seconds(10));
  EXPECT_EQ(*s[0].blackhole, std::chrono::minutes(2));
  EXPECT_TRUE(s[0].reprocess);
  EXPECT_EQ(s[0].cache_size, 3);
  EXPECT_EQ(s[0].scope_type, "Range");
  EXPECT_TRUE(s[0].remediation);
}

TEST(ScenarioConfig, RemediationAsAString) {
  Diagnostics diags;
  auto s = decode_scenarios("x.yaml",
                            "type: trigger\nname: a\ndescription: d\nfilter: 'true'\n"
                            "labels:\n  remediation: 'true'\n",
                            diags);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].remediation);
}

TEST(ScenarioConfig, EveryProblemIsReportedAndValidScenariosStillLoad) {
  Diagnostics diags;
  auto s = decode_scenarios("bad.yaml", R"(type: leaky
name: test/typo
description: d
filter: 'true'
capacty: 5
leakspeed: 10s
---
type: leaky
name: test/no-capacity
description: d
filter: 'true'
leakspeed: 10s
---
type: trigger
name: test/good
description: d
filter: 'true'
---
type: trigger
name: test/trigger-capacity
description: d
filter: 'true'
capacity: 3
---
type: counter
name: test/counter
description: d
filter: 'true'
capacity: -1
---
type: leaky
name: test/no-description
filter: 'true'
capacity: 1
leakspeed: 1s
---
type: weird
name: test/type
description: d
filter: 'true'
)",
                            diags);
  ASSERT_EQ(s.size(), 1u) << all(diags);
  EXPECT_EQ(s[0].name, "test/good");
  const std::string text = all(diags);
  EXPECT_NE(text.find("bad.yaml:5: 'test/typo': unknown key 'capacty'"), std::string::npos) << text;
  EXPECT_NE(text.find("'test/no-capacity': bad capacity for leaky '0'"), std::string::npos) << text;
  EXPECT_NE(text.find("'test/trigger-capacity': trigger can't have a capacity"), std::string::npos);
  EXPECT_NE(text.find("'test/counter': counter needs a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("'test/no-description': missing 'description'"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown bucket type 'weird'"), std::string::npos) << text;
}

TEST(ScenarioConfig, UnsupportedFormatIsSkippedWithAWarning) {
  Diagnostics diags;
  auto s = decode_scenarios(
      "x.yaml", "type: trigger\nname: a\ndescription: d\nfilter: 'true'\nformat: 4.0\n", diags);
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(diags.has_errors());
  EXPECT_EQ(diags.items().size(), 1u);
}

TEST(ScenarioConfig, ScopeRules) {
  Diagnostics diags;
  auto s = decode_scenarios("x.yaml", R"(type: trigger
name: custom-without-expression
description: d
filter: 'true'
scope:
  type: username
---
type: trigger
name: ip-with-expression
description: d
filter: 'true'
scope:
  type: Ip
  expression: evt.Meta.x
---
type: trigger
name: custom
description: d
filter: 'true'
scope:
  type: username
  expression: evt.Meta.user
)",
                            diags);
  ASSERT_EQ(s.size(), 1u) << all(diags);
  EXPECT_EQ(s[0].scope_type, "username");
  EXPECT_EQ(diags.error_count(), 2u) << all(diags);
}

// A scenario set from one file's text, without data files or host functions.
std::unique_ptr<ScenarioSet> load_text(const std::string& yaml, Diagnostics& diags) {
  return ScenarioSet::load({.items = {{"x.yaml", yaml}}, .data_files = nullptr, .functions = {}},
                           diags);
}

TEST(ScenarioSet, CompileErrorsNameTheScenarioAndKey) {
  Diagnostics diags;
  auto set = load_text(
      "type: trigger\nname: broken\ndescription: d\nfilter: evt.Meta.x ==\n---\n"
      "type: trigger\nname: fine\ndescription: d\nfilter: evt.Meta.x == 'a'\n",
      diags);
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(set->scenarios()[0].name(), "fine");
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(all(diags).find("'broken': filter:"), std::string::npos) << all(diags);
}

TEST(ScenarioSet, RouterListsOnlyCandidates) {
  Diagnostics diags;
  auto set = load_text(R"(type: trigger
name: ssh
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth' && evt.Meta.x != 'y'
---
type: trigger
name: http
description: d
filter: evt.Meta.log_type in ['http_access-log', 'http_error-log']
---
type: trigger
name: any
description: d
filter: evt.Meta.source_ip != ''
)",
                       diags);
  ASSERT_EQ(set->size(), 3u) << all(diags);
  EXPECT_EQ(set->indexed_count(), 2u);
  parser::Event evt;
  std::vector<uint32_t> c;
  evt.meta.set("log_type", "http_error-log");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{1, 2}));
  evt.meta.set("log_type", "ssh_failed-auth");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 2}));
  evt.meta.set("log_type", "other");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{2}));
}

// Three http scenarios: one routed by three equalities, one whose filter writes Meta.tag, one
// that reads it.
constexpr const char* kRoutedHttp = R"(type: trigger
name: probing
description: d
filter: evt.Meta.log_type == 'http_access-log' && evt.Meta.http_status in ['404', '403'] && evt.Parsed.verb == 'GET'
---
type: trigger
name: tagger
description: d
filter: evt.Meta.log_type == 'http_access-log' && evt.SetMeta('tag', 'seen')
---
type: trigger
name: tagged
description: d
filter: evt.Meta.log_type == 'http_access-log' && evt.Meta.tag == 'seen'
)";

TEST(ScenarioSet, RouterChecksEveryEqualityOfAFilter) {
  Diagnostics diags;
  auto set = load_text(kRoutedHttp, diags);
  ASSERT_EQ(set->size(), 3u) << all(diags);
  parser::Event evt;
  std::vector<uint32_t> c;
  evt.meta.set("log_type", "http_access-log");
  evt.meta.set("http_status", "404");
  evt.parsed.set("verb", "GET");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 1, 2}));
  // Each equality rules the scenario out on its own; an absent field is no match either.
  evt.meta.set("http_status", "200");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{1, 2}));
  evt.meta.set("http_status", "403");
  evt.parsed.set("verb", "POST");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{1, 2}));
  parser::Event bare;
  bare.meta.set("log_type", "http_access-log");
  set->candidates(bare, c);
  // Meta.tag is written by the tagger's filter before the tagged one runs: never a routing key.
  EXPECT_EQ(c, (std::vector<uint32_t>{1, 2}));
}

TEST(ScenarioSet, RoutedFilterLeavesOutWhatTheRouterTested) {
  Diagnostics diags;
  auto set = load_text(std::string(kRoutedHttp) + R"(---
type: trigger
name: unrouted
description: d
filter: evt.Meta.log_type != 'x'
)",
                       diags);
  ASSERT_EQ(set->size(), 4u) << all(diags);
  const auto& s = set->scenarios();
  // An event that fails every equality but passes the rest of each filter.
  parser::Event evt;
  evt.meta.set("log_type", "other");
  evt.meta.set("http_status", "200");
  evt.meta.set("tag", "seen");
  evt.parsed.set("verb", "GET");
  parser::EventObject obj(&evt);
  const expr::Value vars[] = {expr::Value::object(&obj)};
  auto truthy = [&](const expr::Program& p) {
    auto v = p.run(vars);
    return v && v->truthy();
  };
  // The router tests all three of the first filter's equalities: nothing of it is left.
  ASSERT_TRUE(s[0].routed);
  EXPECT_TRUE(truthy(s[0].filter));
  evt.parsed.set("verb", "HEAD");
  EXPECT_TRUE(truthy(s[0].filter));
  // What the router does not test stays: Meta.tag, which a filter writes.
  ASSERT_TRUE(s[2].routed);
  EXPECT_TRUE(truthy(s[2].filter));
  evt.meta.set("tag", "other");
  EXPECT_FALSE(truthy(s[2].filter));
  // An unrouted filter is whole.
  EXPECT_FALSE(s[3].routed);
  evt.meta.set("log_type", "x");
  EXPECT_FALSE(truthy(s[3].filter));
  // The router lists the routed scenarios only where their equalities hold (http_status is
  // 200 here, so not the first).
  std::vector<uint32_t> c;
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{3}));
  evt.meta.set("log_type", "http_access-log");
  set->candidates(evt, c);
  EXPECT_EQ(c, (std::vector<uint32_t>{1, 2, 3}));
}

// The cache gives what the router gives, through restarts and after it gives up.
TEST(ScenarioSet, RouteCacheListsWhatTheRouterLists) {
  Diagnostics diags;
  auto set = load_text(std::string(kRoutedHttp) + R"(---
type: trigger
name: by-ip
description: d
filter: evt.Meta.source_ip in ['192.0.2.1', '192.0.2.2'] && evt.Meta.log_type == 'http_access-log'
)",
                       diags);
  ASSERT_EQ(set->size(), 4u) << all(diags);
  ScenarioSet::RouteCache cache;
  std::vector<uint32_t> cached, plain;
  const std::vector<std::string> types = {"http_access-log", "ssh_failed-auth", ""};
  const std::vector<std::string> statuses = {"404", "200", "403"};
  size_t events = 0;
  // Every source address differs: the cache fills up again and again, then gives up.
  for (size_t round = 0; !cache.given_up() || round < 2; ++round) {
    for (size_t i = 0; i < 3 * ScenarioSet::RouteCache::kMaxEntries; ++i) {
      parser::Event evt;
      if (!types[i % 3].empty()) evt.meta.set("log_type", types[i % 3]);
      evt.meta.set("http_status", statuses[(i / 3) % 3]);
      evt.parsed.set("verb", i % 2 == 0 ? "GET" : "POST");
      evt.meta.set("source_ip", i < 9
                                    ? "192.0.2." + std::to_string(i % 3)
                                    : "198.51." + std::to_string(round) + "." + std::to_string(i));
      set->candidates(evt, cached, cache);
      set->candidates(evt, plain);
      ASSERT_EQ(cached, plain) << "event " << i << " of round " << round;
      ++events;
    }
    ASSERT_LT(round, 2 * ScenarioSet::RouteCache::kMaxRestarts) << "the cache never gives up";
  }
  EXPECT_GT(events, ScenarioSet::RouteCache::kMaxEntries * ScenarioSet::RouteCache::kMaxRestarts);
  // Another set with the same cache: it starts over rather than answer for the first.
  auto other =
      load_text("type: trigger\nname: x\ndescription: d\nfilter: evt.Meta.a == 'b'\n", diags);
  parser::Event evt;
  evt.meta.set("a", "b");
  ScenarioSet::RouteCache fresh;
  other->candidates(evt, cached, fresh);
  EXPECT_EQ(cached, (std::vector<uint32_t>{0}));
  set->candidates(evt, cached, fresh);
  set->candidates(evt, plain);
  EXPECT_EQ(cached, plain);
}

// Runs every scenario's guards and then its filter on an http event per row (Meta.http_path,
// Parsed.request), as the engine does, with one memo; checks the guards against `holds` and
// that no filter is true where its guards fail. Returns which filters were true, by row.
struct GuardRow {
  std::string path, request;
  std::vector<bool> holds;  // by scenario
};
std::vector<std::vector<bool>> check_guards(const ScenarioSet& set,
                                            const std::vector<GuardRow>& rows) {
  const auto& s = set.scenarios();
  ScenarioSet::Scratch scratch;
  expr::EventMemo memo;
  std::vector<std::vector<bool>> truth;
  for (const GuardRow& r : rows) {
    parser::Event evt;
    evt.meta.set("log_type", "http");
    evt.meta.set("http_path", r.path);
    evt.parsed.set("request", r.request);
    parser::EventObject obj(&evt);
    const expr::Value vars[] = {expr::Value::object(&obj)};
    expr::RunContext run;
    run.memo = &memo;
    memo.reset();
    set.new_event(scratch);
    auto& row = truth.emplace_back();
    for (uint32_t i = 0; i < s.size(); ++i) {
      const bool holds = set.guards_hold(i, vars, run, scratch);
      EXPECT_EQ(holds, r.holds[i]) << s[i].name() << " on " << r.path;
      auto v = s[i].filter.run(vars, run);
      row.push_back(v && v->truthy());
      EXPECT_TRUE(holds || !row.back()) << s[i].name() << " on " << r.path;
    }
  }
  return truth;
}

size_t count_true(const std::vector<std::vector<bool>>& truth) {
  size_t n = 0;
  for (const auto& row : truth)
    n += size_t(std::count(row.begin(), row.end(), true));
  return n;
}

// Filters that require literals, and two whose literals the router must not use.
constexpr const char* kLiteralHttp = R"(type: trigger
name: admin
description: d
filter: evt.Meta.log_type == 'http' && Upper(evt.Meta.http_path) contains Upper('/admin')
---
type: trigger
name: wp
description: d
filter: Upper(evt.Meta.http_path) matches '/WP-[A-Z]+\\.PHP'
---
type: trigger
name: xy
description: d
filter: let r = Lower(evt.Parsed.request); r contains '/x' || r contains '/y'
---
type: trigger
name: many
description: d
filter: evt.Meta.http_path contains 'a1' || evt.Meta.http_path contains 'a2' || evt.Meta.http_path contains 'a3' || evt.Meta.http_path contains 'a4' || evt.Meta.http_path contains 'a5' || evt.Meta.http_path contains 'a6' || evt.Meta.http_path contains 'a7' || evt.Meta.http_path contains 'a8' || evt.Meta.http_path contains 'a9'
---
type: trigger
name: tagger
description: d
filter: evt.SetMeta('tag', 'seen') && evt.Meta.tag contains 'seen'
---
type: trigger
name: fold
description: d
filter: evt.Meta.http_path matches '(?i)/secret'
)";

TEST(ScenarioSet, RouterSkipsFiltersWhoseLiteralsAreAbsent) {
  Diagnostics diags;
  auto set = load_text(kLiteralHttp, diags);
  ASSERT_EQ(set->size(), 6u) << all(diags);
  // tagger reads what a filter writes; fold's regexp matches other cases of its text.
  EXPECT_EQ(set->guarded_count(), 4u);
  const std::vector<GuardRow> rows = {
      {"/Admin/login", "GET /Admin/login", {true, false, false, false, true, true}},
      {"/wp-login.php", "GET /wp-login.php", {false, true, false, false, true, true}},
      {"/X/y", "GET /X/y", {false, false, true, false, true, true}},
      {"/b/a7", "GET /b", {false, false, false, true, true, true}},
      {"/a%64min/Secret", "GET /", {false, false, false, false, true, true}},
      {"", "", {false, false, false, false, true, true}},
  };
  // Each guarded one once, tagger six times, fold once.
  EXPECT_EQ(count_true(check_guards(*set, rows)), 11u);
}

std::unique_ptr<ScenarioSet> load_with_files(std::shared_ptr<expr::DataFiles> files,
                                             const std::string& yaml, Diagnostics& diags) {
  return ScenarioSet::load(
      {.items = {{"x.yaml", yaml}}, .data_files = std::move(files), .functions = {}}, diags);
}

// The lines of a data file are literals too, merged with the others of the same expression.
TEST(ScenarioSet, RouterLooksForTheLinesOfDataFiles) {
  auto files = std::make_shared<expr::DataFiles>();
  ASSERT_TRUE(files->add_strings("paths.txt", {"/etc/passwd", "/.env"}).has_value());
  ASSERT_TRUE(files->add_strings("empty.txt", {}).has_value());
  Diagnostics diags;
  auto set = load_with_files(files, R"yaml(type: trigger
name: sensitive
description: d
filter: "any(File('paths.txt'), {Lower(evt.Meta.http_path) endsWith Lower(#)})"
---
type: trigger
name: either
description: d
filter: "Lower(evt.Meta.http_path) contains '/admin' || any(File('paths.txt'), {evt.Parsed.request == #})"
---
type: trigger
name: never
description: d
filter: "any(File('empty.txt'), {evt.Meta.http_path contains #})"
)yaml",
                             diags);
  ASSERT_EQ(set->size(), 3u) << all(diags);
  EXPECT_EQ(set->guarded_count(), 3u);
  const std::vector<GuardRow> rows = {
      {"/x/ETC/PASSWD", "GET", {true, false, false}},
      {"/.env", "/.env", {true, true, false}},
      {"/Admin", "GET", {false, true, false}},
      {"/etc/passwd.bak", "/etc/passwd.bak", {true, true, false}},
  };
  // The last row holds literals of both, and neither filter is true for it.
  EXPECT_EQ(count_true(check_guards(*set, rows)), 4u);
}

// Upper(x) and Lower(x) are searched in x without regard to ASCII case; a text that is not
// ASCII is left to the filter, since Go's case mapping turns "ſ" into "S".
TEST(ScenarioSet, FoldedSubjectsAreSearchedWithoutCase) {
  auto files = std::make_shared<expr::DataFiles>();
  std::vector<std::string> lines;
  for (int i = 0; i < 12; ++i)
    lines.push_back("/Line" + std::to_string(i) + "/");
  ASSERT_TRUE(files->add_strings("lines.txt", lines).has_value());
  Diagnostics diags;
  auto set = load_with_files(files, R"yaml(type: trigger
name: secret
description: d
filter: Upper(evt.Meta.http_path) contains '/SECRET'
---
type: trigger
name: lines
description: d
filter: "any(File('lines.txt'), {Lower(evt.Meta.http_path) contains Lower(#)})"
---
type: trigger
name: never
description: d
filter: Lower(evt.Meta.http_path) contains '/Admin'
)yaml",
                             diags);
  ASSERT_EQ(set->size(), 3u) << all(diags);
  EXPECT_EQ(set->guarded_count(), 3u);
  const std::vector<GuardRow> rows = {
      {"/x/SeCrEt", "", {true, false, false}},
      {"/x/line7/", "", {false, true, false}},
      {"/LINE11/", "", {false, true, false}},
      {"/admin", "", {false, false, true}},
      {"/line3", "", {false, false, false}},
      {"/\xC5\xBF"
       "ecret",
       "",
       {true, true, true}},  // "/ſecret"
  };
  const std::vector<std::vector<bool>> filters = {
      {true, false, false},  {false, true, false},  {false, true, false},
      {false, false, false}, {false, false, false}, {true, false, false},
  };
  EXPECT_EQ(check_guards(*set, rows), filters);
}

}  // namespace
}  // namespace phalanx::scenario
