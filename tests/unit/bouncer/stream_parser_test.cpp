// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

namespace phalanx::bouncer {
namespace {

using namespace std::chrono_literals;

// Everything a parse produced, in order, in a comparable form.
struct Parsed {
  std::vector<std::string> added;
  std::vector<std::string> deleted;
  std::vector<std::string> rejected;
  std::vector<std::pair<StreamList, size_t>> batches;
  bool operator==(const Parsed&) const = default;
};

std::string describe(const Decision& d) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", d.id, d.origin, d.scenario, d.scope, d.type,
                     d.value, d.uuid, d.duration.count(),
                     d.target ? d.target->to_string() : std::string("-"));
}

// Feeds `body` in the pieces `cuts` delimits (offsets, ascending).
Result<Parsed> parse_pieces(std::string_view body, const std::vector<size_t>& cuts,
                            size_t batch = StreamParser::kDefaultBatch) {
  Parsed out;
  StreamParser parser(
      [&](StreamList list, std::vector<Decision>& b) -> Result<void> {
        out.batches.emplace_back(list, b.size());
        for (const auto& d : b)
          (list == StreamList::kNew ? out.added : out.deleted).push_back(describe(d));
        return ok();
      },
      [&](std::string why) { out.rejected.push_back(std::move(why)); }, batch);
  size_t at = 0;
  for (const size_t cut : cuts) {
    PHALANX_CHECK(parser.feed(body.substr(at, cut - at)));
    at = cut;
  }
  PHALANX_CHECK(parser.feed(body.substr(at)));
  PHALANX_CHECK(parser.finish());
  return out;
}

// Both lists, each key order, escapes (quotes, braces, brackets, backslashes, \u) inside
// strings, unknown keys with nested values at both levels, a decision that does not parse and an
// item that is not an object, whitespace everywhere.
constexpr std::string_view kTricky = R"( {
  "extra" : {"a": [1, {"b": "}]\"{["}], "c": null, "d": -1.5e3, "e": true} ,
  "deleted" :[ {"duration":"-1h","id":7,"origin":"cscli","scenario":"manual","scope":"Ip",
    "type":"ban","value":"192.0.2.7"} ] ,
  "new": [
   {"value":"2001:db8::1","scope":"Ip","duration":"3h59m58s","id":42,"origin":"crowdsec",
    "scenario":"crowd\"sec}/ssh-{bf]\\","type":"ban","uuid":"u-\u00e9-1","unknown":{"x":[{}]},
    "note":"a\nb\"c\\\"d\t}"} ,
   {"duration":"1m0.5s","id":43,"origin":"CAPI","scenario":"x","scope":"Range","type":"ban",
    "value":"10.1.0.0/16"},
   {"duration":"soon","id":44,"scope":"Ip","value":"1.2.3.4"},
   "not an object",
   {"duration":"4h","id":45,"origin":"cscli","scenario":"x","scope":"Country","type":"ban",
    "value":"FR"},
   { "id" : 46 , "duration" : "1s" , "scope" : "ip" , "value" : "198.51.100.9", "type":"ban" }
  ],
  "trailer": "}]"
}
)";

TEST(StreamParser, TrickyBodyParsesAsExpected) {
  auto r = parse_pieces(kTricky, {});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(
      r->deleted,
      (std::vector<std::string>{"7|cscli|manual|Ip|ban|192.0.2.7||-3600000000000|192.0.2.7/32"}));
  ASSERT_EQ(r->added.size(), 4u);
  EXPECT_EQ(r->added[0],
            "42|crowdsec|crowd\"sec}/ssh-{bf]\\|Ip|ban|2001:db8::1|u-\xc3\xa9-1|14398000000000|"
            "2001:db8::1/128");
  EXPECT_EQ(r->added[1], "43|CAPI|x|Range|ban|10.1.0.0/16||60500000000|10.1.0.0/16");
  EXPECT_EQ(r->added[2], "45|cscli|x|Country|ban|FR||14400000000000|-");
  EXPECT_EQ(r->added[3], "46|||ip|ban|198.51.100.9||1000000000|198.51.100.9/32");
  ASSERT_EQ(r->rejected.size(), 2u);
  EXPECT_NE(r->rejected[0].find("new[2] (id 44): duration"), std::string::npos) << r->rejected[0];
  EXPECT_EQ(r->rejected[1], "new[3] (id ?): not an object");
}

TEST(StreamParser, EverySplitPointGivesTheWholeBodyResult) {
  const auto whole = parse_pieces(kTricky, {});
  ASSERT_TRUE(whole.has_value());
  for (size_t cut = 0; cut <= kTricky.size(); ++cut) {
    auto r = parse_pieces(kTricky, {cut});
    ASSERT_TRUE(r.has_value()) << "cut at " << cut << ": " << r.error().message();
    ASSERT_EQ(*r, *whole) << "cut at " << cut;
  }
  // Two cuts at every pair of offsets a few bytes apart, and one byte at a time.
  for (size_t a = 0; a + 7 <= kTricky.size(); ++a) {
    auto r = parse_pieces(kTricky, {a, a + 1 + a % 7});
    ASSERT_TRUE(r.has_value()) << "cuts at " << a;
    ASSERT_EQ(*r, *whole) << "cuts at " << a;
  }
  std::vector<size_t> every(kTricky.size());
  for (size_t i = 0; i < every.size(); ++i)
    every[i] = i;
  auto r = parse_pieces(kTricky, every);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, *whole);
}

TEST(StreamParser, NullEmptyAndMissingListsInEitherOrder) {
  for (const char* body :
       {R"({"new":null,"deleted":null})", R"({"deleted":null,"new":null})", R"({})",
        R"({"new":[]})", R"({"deleted":[],"new":[]})", " { \"new\" : [ ] , \"deleted\" : null } ",
        "{\n\"new\"\t:\r\nnull}\n"}) {
    auto r = parse_pieces(body, {});
    ASSERT_TRUE(r.has_value()) << body << ": " << r.error().message();
    EXPECT_TRUE(r->added.empty() && r->deleted.empty() && r->batches.empty()) << body;
  }
  auto a = parse_pieces(
      R"({"deleted":[{"duration":"1s","scope":"Ip","value":"1.1.1.1"}],"new":[{"duration":"1s","scope":"Ip","value":"2.2.2.2"}]})",
      {});
  auto b = parse_pieces(
      R"({"new":[{"duration":"1s","scope":"Ip","value":"2.2.2.2"}],"deleted":[{"duration":"1s","scope":"Ip","value":"1.1.1.1"}]})",
      {});
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->added, b->added);
  EXPECT_EQ(a->deleted, b->deleted);
  EXPECT_EQ(a->added.size(), 1u);
  EXPECT_EQ(a->deleted.size(), 1u);
}

std::string decision_json(uint32_t i, std::mt19937& rng) {
  std::vector<std::string> fields = {
      fmt::format(R"("id":{})", i),
      R"("origin":"CAPI")",
      R"("scenario":"crowdsecurity/http-probing")",
      R"("scope":"Ip")",
      R"("type":"ban")",
      fmt::format(R"("value":"10.{}.{}.{}")", (i >> 16) & 255, (i >> 8) & 255, i & 255),
      fmt::format(R"("duration":"{}s")", 60 + i % 1000),
  };
  std::shuffle(fields.begin(), fields.end(), rng);
  std::string out = "{";
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k) out += rng() % 4 == 0 ? " , " : ",";
    out += fields[k];
  }
  return out + "}";
}

TEST(StreamParser, BatchesNeverMixListsAndKeepOrder) {
  std::mt19937 rng(7);
  std::string body = R"({"new":[)";
  for (uint32_t i = 0; i < 10; ++i)
    body += (i ? "," : "") + decision_json(i, rng);
  body += R"(],"deleted":[)";
  for (uint32_t i = 100; i < 104; ++i)
    body += (i > 100 ? "," : "") + decision_json(i, rng);
  body += "]}";
  auto r = parse_pieces(body, {}, 3);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  using B = std::pair<StreamList, size_t>;
  EXPECT_EQ(r->batches, (std::vector<B>{{StreamList::kNew, 3},
                                        {StreamList::kNew, 3},
                                        {StreamList::kNew, 3},
                                        {StreamList::kNew, 1},
                                        {StreamList::kDeleted, 3},
                                        {StreamList::kDeleted, 1}}));
  ASSERT_EQ(r->added.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i)
    EXPECT_EQ(r->added[i].substr(0, r->added[i].find('|')), std::to_string(i));
}

TEST(StreamParser, RandomChunkingOfALargeBodyMatchesTheWholeBody) {
  std::mt19937 rng(11);
  std::string body = "{\"new\":[";
  for (uint32_t i = 0; i < 20000; ++i)
    body += (i ? (rng() % 3 ? "," : " ,\n ") : "") + decision_json(i, rng);
  body += "],\"deleted\":null}";
  const auto whole = parse_pieces(body, {});
  ASSERT_TRUE(whole.has_value()) << whole.error().message();
  ASSERT_EQ(whole->added.size(), 20000u);
  for (int round = 0; round < 5; ++round) {
    std::vector<size_t> cuts;
    for (size_t at = 0; at < body.size(); at += 1 + rng() % 9000)
      cuts.push_back(at);
    auto r = parse_pieces(body, cuts, 1000);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r->added, whole->added);
  }
}

TEST(StreamParser, MalformedBodiesAreErrorsNamingTheProblem) {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {"", "ends before its closing brace"},
      {"not json", "invalid JSON"},
      {"[]", "expected a JSON object"},
      {"42", "expected a JSON object"},
      {R"({"new":{}})", "new: expected an array or null"},
      {R"({"deleted":"x"})", "deleted: expected an array or null"},
      {R"({"new":nul})", "new: expected an array or null"},
      {R"({"new":[{]})", "unexpected ']'"},
      {R"({"new":[1,]})", "expected a value"},
      {R"({"new":[,]})", "expected a value"},
      {R"({"new":[}])", "expected a value"},
      {R"({"new" [] })", "expected ':'"},
      {R"({"new":[]} x)", "data after the closing brace"},
      {R"({"new":[]}})", "data after the closing brace"},
      {R"({"new":[] "deleted":[]})", "expected ',' or '}'"},
      {R"({"new":[{"id":1} {"id":2}]})", "expected ',' or ']' after new[0]"},
      {R"({"x":})", "expected a value"},
      {R"({"new":[]},)", "data after the closing brace"},
      {R"({"new":[{"id":1 "x":2}]})", "invalid JSON in new[0]"},
      {R"({"new":[{"id":1,"value":"a)", "ends before its closing brace"},
      {R"({,"new":[]})", "expected a key"},
      {R"({"new":[],})", "expected a key"},
  };
  for (const auto& c : cases) {
    auto r = parse_pieces(c.body, {});
    ASSERT_FALSE(r.has_value()) << c.body;
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos)
        << c.body << " -> " << r.error().message();
    EXPECT_EQ(r.error().message().rfind("parsing decision stream: ", 0), 0u);
  }
  std::string deep = R"({"x":)" + std::string(10000, '[');
  auto r = parse_pieces(deep, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("nested deeper"), std::string::npos);
}

TEST(StreamParser, EveryTruncationIsAnErrorAndNeverACrash) {
  for (size_t len = 0; len < kTricky.size(); ++len) {
    // Whitespace after the closing brace is the only thing a body may lose.
    if (kTricky.substr(0, len).find_last_of('}') == kTricky.rfind('}')) continue;
    auto r = parse_pieces(kTricky.substr(0, len), {len / 2});
    EXPECT_FALSE(r.has_value()) << "truncated at " << len;
  }
}

TEST(StreamParser, ErrorsStickAndSinkErrorsStopTheParse) {
  int batches = 0;
  StreamParser parser(
      [&](StreamList, std::vector<Decision>&) -> Result<void> {
        ++batches;
        return Error("backend says no");
      },
      nullptr, 1);
  auto r = parser.feed(
      R"({"new":[{"duration":"1s","scope":"Ip","value":"1.1.1.1"},{"duration":"1s","scope":"Ip","value":"1.1.1.2"}]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "backend says no");
  EXPECT_EQ(batches, 1);
  EXPECT_FALSE(parser.feed("{}").has_value());
  EXPECT_FALSE(parser.finish().has_value());
}

TEST(StreamParser, FieldsOfAnotherTypeCountAsAbsent) {
  auto r = parse_pieces(
      R"({"new":[{"id":"12","origin":5,"scope":"Ip","value":"1.2.3.4","duration":"1h","type":["ban"],"uuid":null},
                 {"id":1.5,"scope":"Ip","value":"1.2.3.5","duration":"1h","id":9}]})",
      {});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->added.size(), 2u);
  EXPECT_EQ(r->added[0], "0|||Ip||1.2.3.4||3600000000000|1.2.3.4/32");
  EXPECT_EQ(r->added[1], "0|||Ip||1.2.3.5||3600000000000|1.2.3.5/32");  // the first "id" counts
}

TEST(StreamParser, EscapedKeysAreUnescaped) {
  auto r = parse_pieces(
      R"({"n\u0065w":[{"duration":"1s","scope":"Ip","value":"1.1.1.1"}],"\u0064eleted":null})", {});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->added.size(), 1u);
}

}  // namespace
}  // namespace phalanx::bouncer
