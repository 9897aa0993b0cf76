// SPDX-License-Identifier: Apache-2.0
// Value, Map, Object defaults, JSON conversion, Go formatting, the stash.
#include "expr/value.h"

#include <gtest/gtest.h>

#include "expr/go_format.h"
#include "expr/json.h"
#include "expr/stash.h"
#include "expr/string_map_object.h"

namespace phalanx::expr {
namespace {

TEST(ExprValue, KindsAndAccessors) {
  static_assert(sizeof(Value) == 32);
  EXPECT_TRUE(Value().is_nil());
  EXPECT_EQ(Value::integer(5).as_int(), 5);
  EXPECT_EQ(Value::floating(2.5).to_double(), 2.5);
  EXPECT_EQ(Value::integer(2).to_double(), 2.0);
  EXPECT_TRUE(Value::boolean(true).truthy());
  EXPECT_FALSE(Value::integer(1).truthy());
  EXPECT_FALSE(Value().truthy());
  std::string backing = "borrowed";
  Value b = Value::view(backing);
  EXPECT_TRUE(b.is_borrowed_string());
  Value o = b.to_owned();
  EXPECT_FALSE(o.is_borrowed_string());
  backing[0] = 'X';
  EXPECT_EQ(o.as_string(), "borrowed");
  EXPECT_EQ(b.as_string(), "Xorrowed");
  EXPECT_EQ(kind_name(Kind::kDuration), "duration");
  EXPECT_EQ(Value::string("s").type_name(), "string");
}

TEST(ExprValue, Equality) {
  EXPECT_EQ(Value::integer(1), Value::floating(1.0));
  EXPECT_NE(Value::integer(1), Value::string("1"));
  EXPECT_EQ(Value(), Value());
  EXPECT_NE(Value(), Value::view(""));
  EXPECT_EQ(Value::view("a"), Value::string("a"));
  EXPECT_EQ(Value::array({Value::integer(1)}), Value::array({Value::floating(1)}));
  auto m1 = Value::new_map();
  auto m2 = Value::new_map();
  m1.as_map().set("k", Value::integer(1));
  EXPECT_NE(m1, m2);
  m2.as_map().set("k", Value::integer(1));
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(Value::duration(std::chrono::seconds(60)), Value::duration(std::chrono::minutes(1)));
}

TEST(ExprValue, MapsStoreOwnedValues) {
  auto m = std::make_shared<Map>(true);
  {
    std::string temp = "temporary";
    m->set("k", Value::view(temp));
  }
  EXPECT_EQ(m->get("k").as_string(), "temporary");
  EXPECT_EQ(m->get("missing").as_string(), "");  // map[string]string semantics
  Map any_map;
  EXPECT_TRUE(any_map.get("missing").is_nil());
  EXPECT_TRUE(m->erase("k"));
  EXPECT_FALSE(m->has("k"));
}

TEST(ExprValue, DisplayLikeGo) {
  struct Row {
    Value v;
    std::string want;
  };
  std::vector<Row> rows = {
      {Value(), "<nil>"},
      {Value::boolean(false), "false"},
      {Value::integer(-3), "-3"},
      {Value::floating(1.5), "1.5"},
      {Value::floating(100000), "100000"},
      {Value::floating(1e6), "1e+06"},
      {Value::floating(1234567), "1.234567e+06"},
      {Value::floating(0.0001), "0.0001"},
      {Value::floating(0.00001), "1e-05"},
      {Value::floating(-2.5e-7), "-2.5e-07"},
      {Value::floating(0.1 + 0.2), "0.30000000000000004"},
      {Value::floating(1.0 / 0.0), "+Inf"},
      {Value::array({Value::integer(1), Value::string("a")}), "[1 a]"},
      {Value::duration(std::chrono::hours(4)), "4h0m0s"},
      {Value::time(ZonedTime{TimePoint(std::chrono::seconds(1700000000)), 3600}),
       "2023-11-14 23:13:20 +0100 +0100"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(r.v.to_string(), r.want);
  EXPECT_EQ(format_go_float_fixed(1.5, 6), "1.500000");
  EXPECT_EQ(format_go_float_fixed(2, -1), "2");
  EXPECT_EQ(go_quote("a\"b\n\x01"), "\"a\\\"b\\n\\x01\"");
  ZonedTime t{TimePoint(std::chrono::seconds(1700000000)) + std::chrono::milliseconds(120), -18000};
  EXPECT_EQ(format_rfc3339_nano(t), "2023-11-14T17:13:20.12-05:00");
  EXPECT_EQ(format_rfc3339(ZonedTime{TimePoint(std::chrono::seconds(0)), 0}),
            "1970-01-01T00:00:00Z");
}

TEST(ExprValue, JsonRoundTrip) {
  auto v = parse_json(R"({"a":[1,2.5,"x",null,true],"b":{"c":"d"}})");
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->as_map().get("a").as_array()[0].is_float());  // Go decodes numbers as float64
  auto ints = parse_json(R"({"n": 3, "f": 3.5})", JsonNumbers::kPreserveIntegers);
  EXPECT_TRUE(ints->as_map().get("n").is_int());
  EXPECT_TRUE(ints->as_map().get("f").is_float());
  EXPECT_EQ(to_json(*v).dump(), R"({"a":[1.0,2.5,"x",null,true],"b":{"c":"d"}})");
  auto marshaled = go_json_marshal(*v);
  ASSERT_TRUE(marshaled);
  EXPECT_EQ(*marshaled, R"({"a":[1,2.5,"x",null,true],"b":{"c":"d"}})");
  EXPECT_FALSE(go_json_marshal(Value::floating(std::nan(""))));
  auto bad = parse_json("{oops");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("parsing json: ", 0), 0u);
}

TEST(ExprValue, StringMapObjectSemantics) {
  StringMap m = {{"k", "v"}};
  StringMapObject obj(&m);
  EXPECT_EQ(obj.get("k").as_string(), "v");
  EXPECT_TRUE(obj.get("k").is_borrowed_string());
  EXPECT_EQ(obj.get("missing").as_string(), "");
  EXPECT_TRUE(obj.has("k"));
  EXPECT_FALSE(obj.has("missing"));
  EXPECT_EQ(obj.size(), 1u);
  EXPECT_EQ(obj.keys(), std::vector<std::string>{"k"});
  EXPECT_EQ(to_json(Value::object(&obj)).dump(), R"({"k":"v"})");
  std::unordered_map<std::string, std::string> um = {{"x", "y"}};
  StringMapView<std::unordered_map<std::string, std::string>> uview(&um);
  EXPECT_EQ(uview.get("x").as_string(), "y");
  StringMapObject none;
  EXPECT_EQ(none.get("x").as_string(), "");
  EXPECT_FALSE(obj.call("Foo", {}).has_value());
  EXPECT_FALSE(obj.set("k", Value()).has_value());
}

TEST(ExprStash, LruWithTtl) {
  ManualClock clock(TimePoint(std::chrono::seconds(100)));
  LruStash stash(clock);
  ASSERT_TRUE(stash.configure("c", 2, std::chrono::seconds(0)));
  EXPECT_FALSE(stash.configure("c", 0, {}));
  stash.set("c", "a", "1", std::chrono::seconds(5));
  stash.set("c", "b", "2", {});
  EXPECT_EQ(stash.get("c", "a"), "1");  // a is now most recent
  stash.set("c", "c", "3", {});         // evicts b
  EXPECT_EQ(stash.get("c", "b"), std::nullopt);
  EXPECT_EQ(stash.size("c"), 2u);
  clock.advance(std::chrono::seconds(6));
  EXPECT_EQ(stash.get("c", "a"), std::nullopt);  // expired
  EXPECT_EQ(stash.get("c", "c"), "3");           // no TTL
  EXPECT_EQ(stash.get("other", "x"), std::nullopt);
  stash.set("undeclared", "k", "v", {});  // only declared caches store, as CrowdSec
  EXPECT_EQ(stash.get("undeclared", "k"), std::nullopt);
  stash.set("c", "d", "4", {});
  EXPECT_EQ(stash.size("c"), 2u);
  ASSERT_TRUE(stash.configure("c", 1, std::chrono::seconds(0)));  // shrinking evicts the LRU
  EXPECT_EQ(stash.get("c", "c"), std::nullopt);
  EXPECT_EQ(stash.get("c", "d"), "4");
}

}  // namespace
}  // namespace phalanx::expr
