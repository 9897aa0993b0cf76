// SPDX-License-Identifier: Apache-2.0
// Statics (spec §4.2): target precedence, values and their conversions, target paths, the
// ParseDate method (§4.6), and the stash.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "parser_fixture.h"

namespace phalanx::parser::testing {
namespace {

using StaticsTest = ParserFixture;

// Where a value landed, for the precedence table.
struct Landing {
  std::string method_out;  // Enriched.MarshaledTime (set only by the ParseDate method)
  std::string parsed, meta, enriched, str_time;
};

Landing landing(const Event& e) {
  return {std::string(e.enriched.get("MarshaledTime")), std::string(e.parsed.get("p")),
          std::string(e.meta.get("m")), std::string(e.enriched.get("e")), e.str_time};
}

TEST_F(StaticsTest, TargetPrecedence) {
  const std::string v = "2021-01-02T03:04:05Z";
  struct Case {
    const char* what;
    std::string keys;  // the target keys of one static entry
    Landing want;
  };
  const Case cases[] = {
      {"method wins over everything",
       "method: ParseDate\n    parsed: p\n    meta: m\n    enriched: e\n    target: evt.StrTime",
       {v, "", "", "", ""}},
      {"parsed wins over meta, enriched, target",
       "target: evt.StrTime\n    enriched: e\n    meta: m\n    parsed: p",
       {"", v, "", "", ""}},
      {"meta wins over enriched and target",
       "target: evt.StrTime\n    enriched: e\n    meta: m",
       {"", "", v, "", ""}},
      {"enriched wins over target", "target: evt.StrTime\n    enriched: e", {"", "", "", v, ""}},
      {"target alone", "target: evt.StrTime", {"", "", "", "", v}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string yaml = "name: n\nstatics:\n  - " + c.keys + "\n    value: \"" + v + "\"\n";
    auto r = run_single(yaml, log_event("x"));
    ASSERT_TRUE(r.success);
    const Landing got = landing(r.event);
    EXPECT_EQ(got.method_out, c.want.method_out);
    EXPECT_EQ(got.parsed, c.want.parsed);
    EXPECT_EQ(got.meta, c.want.meta);
    EXPECT_EQ(got.enriched, c.want.enriched);
    EXPECT_EQ(got.str_time, c.want.str_time);
  }
}

TEST_F(StaticsTest, Values) {
  struct Case {
    const char* what;
    std::string value_keys;  // value/expression lines of the static that writes Meta.out
    std::string want;        // Meta.out afterwards ("old" when the static was skipped)
  };
  const Case cases[] = {
      {"literal", "value: lit", "lit"},
      {"literal beats expression", "value: lit\n    expression: \"'from-expr'\"", "lit"},
      {"string expression", "expression: evt.Line.Raw + '!'", "hello!"},
      {"int in decimal", "expression: 1 + 2", "3"},
      {"negative int", "expression: 0 - 42", "-42"},
      {"int from len()", "expression: len(evt.Line.Raw)", "5"},
      {"float with %f", "expression: 1.5", "1.500000"},
      {"float from division", "expression: 1 / 4", "0.250000"},
      {"nil is skipped", "expression: evt.Unmarshaled.missing", "old"},
      {"empty string expression is skipped", "expression: \"''\"", "old"},
      {"missing Parsed key ('' ) is skipped", "expression: evt.Parsed.nope", "old"},
      {"empty literal is skipped", "value: \"\"", "old"},
      {"map is skipped", "expression: evt.Unmarshaled", "old"},
      {"array is skipped", "expression: \"['a', 'b']\"", "old"},
      {"runtime error is skipped", "expression: int(evt.Line.Raw)", "old"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string yaml =
        "name: n\nstatics:\n"
        "  - meta: out\n    value: old\n"
        "  - meta: out\n    " +
        c.value_keys +
        "\n"
        "  - meta: after\n    value: ran\n";
    auto r = run_single(yaml, log_event("hello"));
    ASSERT_TRUE(r.success);
    EXPECT_EQ(r.event.meta.get("out"), c.want);
    EXPECT_EQ(r.event.meta.get("after"), "ran");  // a skipped static does not stop the others
  }
}

TEST_F(StaticsTest, BoolStaticIsAnErrorForTheEvent) {
  reset_parsers();
  write_parser("s01-parse/n.yaml", R"y(
name: n
statics:
  - meta: out
    expression: evt.Line.Raw == 'hello'
)y");
  load_clean();
  Event evt = log_event("hello");
  auto out = parse(evt);
  EXPECT_FALSE(out) << "a bool static value is not a string, int or float";
  EXPECT_FALSE(evt.meta.contains("out"));
}

TEST_F(StaticsTest, TargetPaths) {
  struct Case {
    const char* path;
    std::string (*read)(const Event&);
  };
  const Case cases[] = {
      {"evt.StrTime", [](const Event& e) { return e.str_time; }},
      {"StrTime", [](const Event& e) { return e.str_time; }},
      {"evt.StrTimeFormat", [](const Event& e) { return e.str_time_format; }},
      {"MarshaledTime", [](const Event& e) { return e.marshaled_time; }},
      {"evt.MarshaledTime", [](const Event& e) { return e.marshaled_time; }},
      {"evt.Parsed.x", [](const Event& e) { return std::string(e.parsed.get("x")); }},
      {"Parsed.x", [](const Event& e) { return std::string(e.parsed.get("x")); }},
      {"evt.Meta.x", [](const Event& e) { return std::string(e.meta.get("x")); }},
      {"evt.Enriched.x", [](const Event& e) { return std::string(e.enriched.get("x")); }},
      {"evt.Line.Module", [](const Event& e) { return e.line.module; }},
      {"evt.Line.Src", [](const Event& e) { return e.line.src; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const std::string yaml = std::string("name: n\nstatics:\n  - target: ") + c.path +
                             "\n    expression: \"'v-' + evt.Line.Raw\"\n";
    auto r = run_single(yaml, log_event("hello"));
    ASSERT_TRUE(r.success);
    EXPECT_EQ(c.read(r.event), "v-hello");
  }
}

TEST(PlainFieldRead, OnlyAPlainReadOfOneStringField) {
  struct Case {
    const char* expression;
    TargetField field;
    const char* key;
  };
  const Case cases[] = {
      {"evt.Parsed.remote_addr", TargetField::kParsed, "remote_addr"},
      {"  evt.Meta.a_b1 ", TargetField::kMeta, "a_b1"},
      {"evt.Enriched.x", TargetField::kEnriched, "x"},
      {"evt.Line.Labels.type", TargetField::kLabels, "type"},
      {"evt.Line.Raw", TargetField::kLineRaw, ""},
      {"evt.StrTime", TargetField::kStrTime, ""},
      {"evt.MarshaledTime", TargetField::kMarshaledTime, ""},
      {"evt.Parsed.a.b", TargetField::kUnsupported, ""},
      {"evt.Parsed['x']", TargetField::kUnsupported, ""},
      {"evt.Parsed.x + ''", TargetField::kUnsupported, ""},
      {"evt.Parsed.1x", TargetField::kUnsupported, ""},
      {"Parsed.x", TargetField::kUnsupported, ""},
      {"evt.Unmarshaled.x", TargetField::kUnsupported, ""},
      {"evt.Overflow.Alert.Source.IP", TargetField::kUnsupported, ""},
      {"evt.Line.Labels", TargetField::kUnsupported, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expression);
    auto [field, key] = plain_field_read(c.expression);
    EXPECT_EQ(field, c.field);
    EXPECT_EQ(key, c.key);
  }
}

TEST_F(StaticsTest, PlainFieldReadsGiveWhatTheExpressionGives) {
  // Each plain read beside the same read through the expression engine (`+ ''`).
  for (const char* path :
       {"evt.Parsed.p", "evt.Parsed.missing", "evt.Meta.m", "evt.Meta.out", "evt.Enriched.e",
        "evt.Line.Raw", "evt.Line.Src", "evt.Line.Module", "evt.Line.Labels.type", "evt.StrTime"}) {
    SCOPED_TRACE(path);
    std::string got[2];
    for (int engine = 0; engine < 2; ++engine) {
      const std::string yaml = std::string(
                                   "name: n\nstatics:\n"
                                   "  - parsed: p\n    value: pv\n"
                                   "  - meta: m\n    value: mv\n"
                                   "  - enriched: e\n    value: ev\n"
                                   "  - target: evt.StrTime\n    value: st\n"
                                   "  - meta: out\n    value: old\n"
                                   "  - meta: out\n    expression: \"") +
                               path + (engine == 1 ? " + ''" : "") + "\"\n";
      auto r = run_single(yaml, log_event("hello"));
      ASSERT_TRUE(r.success);
      got[engine] = std::string(r.event.meta.get("out"));
    }
    EXPECT_EQ(got[0], got[1]);
    EXPECT_NE(got[0], "");
  }
}

TEST_F(StaticsTest, StaticsSeeEarlierStatics) {
  // Statics apply in order, each seeing the event as the previous ones left it.
  auto r = run_single(R"y(
name: n
statics:
  - parsed: a
    value: one
  - meta: b
    expression: evt.Parsed.a + '-two'
  - target: evt.Meta.c
    expression: evt.Meta.b + '-three'
)y",
                      log_event("x"));
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.event.meta.get("c"), "one-two-three");
}

// Parses with a ParseDate node the way dateparse-enrich does.
constexpr const char* kDateParser = R"y(
name: dateparse
statics:
  - method: ParseDate
    expression: evt.StrTime
  - target: MarshaledTime
    expression: evt.Enriched.MarshaledTime
  - meta: timestamp
    expression: evt.Enriched.MarshaledTime
)y";

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

TEST_F(StaticsTest, UnmarshalJsonMethodDecodesTheRawLine) {
  constexpr const char* kJsonParser = R"(
name: json
statics:
  - method: UnmarshalJSON
    value: "1"
  - meta: user
    expression: evt.Unmarshaled.user.name
)";
  auto r = run_single(kJsonParser, log_event(R"({"user": {"name": "alice"}, "n": 3})"));
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.event.meta.get("user"), "alice");
  auto bad = run_single(kJsonParser, log_event("not json"));
  ASSERT_TRUE(bad.success);
  EXPECT_FALSE(bad.event.meta.contains("user"));
}
TEST_F(StaticsTest, ParseDateWithPinnedYear) {
  pinned_year_ = 2019;
  Event evt = log_event("x");
  evt.str_time = "Mar  4 05:06:07";
  auto r = run_single(kDateParser, std::move(evt));
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.event.enriched.get("MarshaledTime"), "2019-03-04T05:06:07Z");
  EXPECT_EQ(r.event.marshaled_time, "2019-03-04T05:06:07Z");
  EXPECT_EQ(r.event.meta.get("timestamp"), "2019-03-04T05:06:07Z");
}

TEST_F(StaticsTest, ParseDateSetsTimeOnlyInTimeMachine) {
  pinned_year_ = 2019;
  const TimePoint ingest = log_event("x").time.time;
  for (auto mode : {ExpectMode::kLive, ExpectMode::kTimeMachine}) {
    SCOPED_TRACE(mode == ExpectMode::kLive ? "live" : "time machine");
    Event evt = log_event("x");
    evt.expect_mode = mode;
    evt.str_time = "2020-05-06T07:08:09+02:00";
    auto r = run_single(kDateParser, std::move(evt));
    ASSERT_TRUE(r.success);
    EXPECT_EQ(r.event.marshaled_time, "2020-05-06T07:08:09+02:00");
    if (mode == ExpectMode::kTimeMachine) {
      EXPECT_EQ(r.event.time.time, utc(2020, 5, 6, 5, 8, 9));
      EXPECT_EQ(r.event.time.utc_offset_s, 7200);
    } else {
      EXPECT_EQ(r.event.time.time, ingest);
    }
  }
}

TEST_F(StaticsTest, ParseDateRunsOnEmptyValueAndFallsBackToNow) {
  // Empty values skip statics, except ParseDate, which then yields "now".
  for (auto mode : {ExpectMode::kLive, ExpectMode::kTimeMachine}) {
    Event evt = log_event("x");
    evt.expect_mode = mode;
    auto r = run_single(kDateParser, std::move(evt));
    ASSERT_TRUE(r.success);
    EXPECT_EQ(r.event.enriched.get("MarshaledTime"), "2021-06-15T10:20:30Z");
    EXPECT_EQ(r.event.time.time, log_event("x").time.time) << "a fallback never sets Time";
  }
}

TEST_F(StaticsTest, ParseDateUsesStrTimeFormatFirst) {
  auto r = run_single(R"y(
name: n
statics:
  - target: evt.StrTimeFormat
    value: "2006/01/02 15h04"
  - target: evt.StrTime
    expression: evt.Line.Raw
  - method: ParseDate
    expression: evt.StrTime
)y",
                      log_event("2022/11/12 13h14"));
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.event.enriched.get("MarshaledTime"), "2022-11-12T13:14:00Z");
}

// A later node reads what an earlier node stashed, within one event and across events.
constexpr const char* kStashParsers = R"y(
name: split
grok:
  pattern: '^sid=%{WORD:sid}(?: user=%{WORD:user})?$'
  apply_on: Line.Raw
onsuccess: next_stage
)y";

constexpr const char* kStashUse = R"y(
name: store
filter: evt.Parsed.user != ''
stash:
  - name: sessions
    key: evt.Parsed.sid
    value: evt.Parsed.user
    ttl: 10m
    size: 2
---
name: store-after-failed-grok
grok:
  pattern: '^NEVER %{WORD:x}'
  apply_on: Line.Raw
stash:
  - name: never
    key: evt.Parsed.sid
    value: evt.Parsed.user
---
name: read
statics:
  - meta: stashed_user
    expression: GetFromStash('sessions', evt.Parsed.sid)
)y";

TEST_F(StaticsTest, StashWriteAndReadBack) {
  write_parser("s00-raw/split.yaml", kStashParsers);
  write_parser("s01-parse/use.yaml", kStashUse);
  load_clean();

  Event first = log_event("sid=abc user=bob");
  EXPECT_TRUE(parse_ok(first));
  EXPECT_EQ(first.meta.get("stashed_user"), "bob");  // written by an earlier node, same event
  EXPECT_EQ(stash_->get("sessions", "abc"), "bob");
  EXPECT_FALSE(stash_->get("never", "abc").has_value()) << "stash ran after a failed grok";

  Event second = log_event("sid=abc");
  EXPECT_TRUE(parse_ok(second));
  EXPECT_EQ(second.meta.get("stashed_user"), "bob");  // read back from an earlier event

  // The entry's TTL (10m) is the node's.
  clock_.advance(std::chrono::minutes(11));
  Event late = log_event("sid=abc");
  EXPECT_TRUE(parse_ok(late));
  EXPECT_FALSE(late.meta.contains("stashed_user"));  // expired: GetFromStash gives ""
}

TEST_F(StaticsTest, StashSizeIsConfigured) {
  write_parser("s00-raw/split.yaml", kStashParsers);
  write_parser("s01-parse/use.yaml", kStashUse);
  load_clean();
  for (const char* line : {"sid=s1 user=u1", "sid=s2 user=u2", "sid=s3 user=u3"}) {
    Event evt = log_event(line);
    EXPECT_TRUE(parse_ok(evt));
  }
  // size: 2 keeps the two most recent entries.
  EXPECT_FALSE(stash_->get("sessions", "s1").has_value());
  EXPECT_EQ(stash_->get("sessions", "s2"), "u2");
  EXPECT_EQ(stash_->get("sessions", "s3"), "u3");
}

}  // namespace
}  // namespace phalanx::parser::testing
