// SPDX-License-Identifier: Apache-2.0
#include "bouncer/decision.h"

#include <gtest/gtest.h>

namespace phalanx::bouncer {
namespace {

using namespace std::chrono_literals;

TEST(DecisionStream, ParsesCrowdsecShapedBody) {
  auto r = parse_stream_response(R"({"deleted":[{"duration":"-1h2m3s","id":7,"origin":"cscli",
    "scenario":"manual","scope":"Ip","type":"ban","value":"192.0.2.7"}],
    "new":[{"duration":"3h59m58s","id":42,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf",
    "scope":"Ip","type":"ban","uuid":"u-1","value":"2001:db8::1"},
    {"duration":"1m0.5s","id":43,"origin":"CAPI","scenario":"x","scope":"Range","type":"ban",
    "value":"10.1.0.0/16"},
    {"duration":"4h","id":44,"origin":"cscli","scenario":"x","scope":"Country","type":"ban",
    "value":"FR","extra":"ignored"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->added.size(), 3u);
  ASSERT_EQ(r->deleted.size(), 1u);
  EXPECT_EQ(r->added[0].id, 42);
  EXPECT_EQ(r->added[0].duration, 3h + 59min + 58s);
  EXPECT_EQ(r->added[0].uuid, "u-1");
  ASSERT_TRUE(r->added[0].target.has_value());
  EXPECT_EQ(r->added[0].target->to_string(), "2001:db8::1/128");
  EXPECT_EQ(r->added[1].target->to_string(), "10.1.0.0/16");
  EXPECT_EQ(r->added[1].duration, 60s + 500ms);
  EXPECT_FALSE(r->added[2].target.has_value());  // Country: not an address
  EXPECT_EQ(r->deleted[0].duration, -(1h + 2min + 3s));
  EXPECT_EQ(r->deleted[0].target->to_string(), "192.0.2.7/32");
}

TEST(DecisionStream, NullAndMissingListsAreEmpty) {
  for (const char* body : {R"({"new":null,"deleted":null})", R"({})", R"({"new":[]})"}) {
    auto r = parse_stream_response(body);
    ASSERT_TRUE(r.has_value()) << body;
    EXPECT_TRUE(r->added.empty());
    EXPECT_TRUE(r->deleted.empty());
  }
}

TEST(DecisionStream, LowerCaseScopesAreAddresses) {
  auto r = parse_stream_response(
      R"({"new":[{"duration":"1s","scope":"ip","type":"ban","value":"1.2.3.4"},
                 {"duration":"1s","scope":"range","type":"ban","value":"1.2.3.0/24"}]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->added[0].target.has_value());
  EXPECT_TRUE(r->added[1].target.has_value());
}

TEST(DecisionStream, BodyErrorsFail) {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {"not json", "invalid JSON"},
      {"[]", "expected a JSON object"},
      {R"({"new":{}})", "new: expected an array"},
  };
  for (const auto& c : cases) {
    auto r = parse_stream_response(c.body);
    ASSERT_FALSE(r.has_value()) << c.body;
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << r.error().message();
  }
}

TEST(DecisionStream, BadDecisionsAreLeftOutNamedAndTheRestKept) {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {R"({"new":[{"id":5,"duration":"soon","scope":"Ip","value":"1.2.3.4"},
                  {"id":6,"duration":"1h","scope":"Ip","value":"1.2.3.5"}]})",
       "new[0] (id 5): duration"},
      {R"({"deleted":[{"id":9,"duration":"1s","scope":"Ip","value":"1.2.3"}],
           "new":[{"id":6,"duration":"1h","scope":"Ip","value":"1.2.3.5"}]})",
       "deleted[0] (id 9): value"},
      {R"({"new":[{"id":6,"duration":"1h","scope":"Ip","value":"1.2.3.5"},
                  {"id":1,"duration":"1s","scope":"Range","value":"10.0.0.0/33"}]})",
       "new[1] (id 1): value"},
  };
  for (const auto& c : cases) {
    auto r = parse_stream_response(c.body);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    ASSERT_EQ(r->rejected.size(), 1u) << c.body;
    EXPECT_NE(r->rejected[0].find(c.expect), std::string::npos) << r->rejected[0];
    ASSERT_EQ(r->added.size(), 1u) << c.body;
    EXPECT_EQ(r->added[0].value, "1.2.3.5");
  }
}

}  // namespace
}  // namespace phalanx::bouncer
