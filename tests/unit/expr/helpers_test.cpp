// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the CrowdSec helper functions, with the Go results they must reproduce.
#include <gtest/gtest.h>

#include "expr/data_files.h"
#include "expr/decision_counter.h"
#include "expr/stash.h"
#include "expr/utf8.h"
#include "expr_test_util.h"

namespace phalanx::expr::testing {
namespace {

void run_table(const std::vector<Case>& cases, RunContext ctx = {}) {
  for (const Case& c : cases) {
    EventFixture fx;
    auto program = fx.compile_evt(c.source, ctx.data_files);
    if (!program) {
      check_case(c, program.error(), true);
      continue;
    }
    Value vars[] = {Value::object(&fx.evt)};
    check_case(c, program->run(vars, ctx), false);
  }
}

TEST(ExprHelpers, Strings) {
  run_table({
      {"Upper('abc é')", S("ABC É")},
      {"Lower('ÀBC')", S("àbc")},
      {"Upper(evt.Meta.service) == Upper('SSH')", B(true)},
      {"Upper(nil)", Err("Upper: expected string argument, got <nil>")},
      {"Upper(evt.Unmarshaled.num)", Err("expected string argument, got float64")},
      {"Upper('a\\xffb')", S("A\xEF\xBF\xBD"
                             "B")},
      {"Split('a b c', ' ')", J(R"(["a","b","c"])")},
      {"Split('abc', '')", J(R"(["a","b","c"])")},
      {"Split('', ',')", J(R"([""])")},
      {"SplitN('a,b,c', ',', 2)", J(R"(["a","b,c"])")},
      {"SplitN('a,b,c', ',', 0)", J("[]")},
      {"SplitAfter('a,b', ',')", J(R"(["a,","b"])")},
      {"SplitAfterN('a,b,c', ',', 2)", J(R"(["a,","b,c"])")},
      {"Fields('  a \\t b\\n c ')", J(R"(["a","b","c"])")},
      {"TrimSpace('  \\t x y \\n')", S("x y")},
      {"Trim('--x--', '-')", S("x")},
      {"TrimLeft('--x--', '-')", S("x--")},
      {"TrimRight('--x--', '-')", S("--x")},
      {"TrimPrefix('prefix-body', 'prefix-')", S("body")},
      {"TrimPrefix('body', 'prefix-')", S("body")},
      {"TrimSuffix('body.log', '.log')", S("body")},
      {"Index('chicken', 'ken')", I(4)},
      {"Index('chicken', 'dmr')", I(-1)},
      {"IndexAny('golang', 'xyzn')", I(4)},
      {"Join(['a', 'b'], ', ')", S("a, b")},
      {"Replace('oink oink oink', 'k', 'ky', 2)", S("oinky oinky oink")},
      {"Replace('abc', '', '-', -1)", S("-a-b-c-")},
      {"ReplaceAll('oink oink', 'oink', 'moo')", S("moo moo")},
      {"QueryUnescape('a%20b+c')", S("a b c")},
      {"QueryUnescape('bad%zz')", S("bad%zz")},
      {"PathUnescape('a%2Fb+c')", S("a/b+c")},
      {"PathUnescape('%')", S("%")},
      {"QueryEscape('a b/c?d=é')", S("a+b%2Fc%3Fd%3D%C3%A9")},
      {"PathEscape('a b/c')", S("a%20b%2Fc")},
      {"Match('*.php', 'index.php')", B(true)},
      {"Match('*.php', 'index.html')", B(false)},
      {"Match('a?c', 'abc')", B(true)},
      {"Match('a?c', 'ac')", B(false)},
      {"Match('*', '')", B(true)},
      {"Match('', '')", B(true)},
      {"Match('', 'x')", B(false)},
      {"Match('a*', 'a')", B(true)},
      {"Match('a**', 'a')", B(false)},
      {"Match('**', 'b')", B(true)},
      {"Match('*a*b*c*', 'xxaxxbxxcxx')", B(true)},
      {"Match('*a*a*a*a*a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')",
       B(false)},
      {"ToString('x')", S("x")},
      {"ToString(1)", S("")},
      {"Atof('1.5')", F(1.5)},
      {"Atof('nope')", F(0)},
      {"B64Decode('aGVsbG8=')", S("hello")},
      {"B64Decode('!!!')", Err("illegal base64 data")},
      {"Get(['a', 'b'], 1)", S("b")},
      {"Get(['a', 'b'], 5)", S("")},
      {"basename('/var/log/auth.log')", S("auth.log")},
      {"basename('auth.log')", S("auth.log")},
      {"basename('/var/log/')", S("log")},
      {"basename('')", S(".")},
      {"FloatApproxEqual(1.0000001, 1.0)", B(true)},
      {"FloatApproxEqual(1.1, 1.0)", B(false)},
      {"FloatApproxEqual(2, 2.0)", B(true)},
      {"Hostname() != ''", B(true)},
  });
}

// Upper and Lower on ASCII change the 26 letters and nothing else, the characters next to
// them in the table ('@', '[', '`', '{') included.
TEST(ExprHelpers, UpperAndLowerOnEveryAsciiCharacter) {
  std::string all;
  for (int c = 0; c < 128; ++c)
    all.push_back(static_cast<char>(c));
  std::string upper = all;
  std::string lower = all;
  for (char& c : upper)
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  for (char& c : lower)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  EXPECT_EQ(go_to_upper(all), upper);
  EXPECT_EQ(go_to_lower(all), lower);
}

TEST(ExprHelpers, Sprintf) {
  run_table({
      {"Sprintf('%s-%d', 'a', 3)", S("a-3")},
      {"Sprintf('%v', 1.5)", S("1.5")},
      {"Sprintf('%v', 1700000000.0)", S("1.7e+09")},
      {"Sprintf('%v', 123456.0)", S("123456")},
      {"Sprintf('%v', 0.00001)", S("1e-05")},
      {"Sprintf('%v', evt.Unmarshaled.num)", S("42")},
      {"Sprintf('%v', nil)", S("<nil>")},
      {"Sprintf('%v', [1, 'a'])", S("[1 a]")},
      {"Sprintf('%v', {b: 1, a: 'x'})", S("map[a:x b:1]")},
      {"Sprintf('%f', 1.5)", S("1.500000")},
      {"Sprintf('%.2f', 3.14159)", S("3.14")},
      {"Sprintf('%5d|%-5d|%05d', 42, 42, 42)", S("   42|42   |00042")},
      {"Sprintf('%q', 'a\"b')", S("\"a\\\"b\"")},
      {"Sprintf('%x %X', 255, 255)", S("ff FF")},
      {"Sprintf('%t', true)", S("true")},
      {"Sprintf('%T %T %T', 1, 'a', 1.5)", S("int string float64")},
      {"Sprintf('%d', 'x')", S("%!d(string=x)")},
      {"Sprintf('%s')", S("%!s(MISSING)")},
      {"Sprintf('a', 1)", S("a%!(EXTRA int=1)")},
      {"Sprintf('100%%')", S("100%")},
      {"Sprintf('%v', int(evt.Parsed.count))", S("12")},
  });
}

TEST(ExprHelpers, Json) {
  run_table({
      {"JsonExtract(evt.Parsed.json, 'a.b[0]')", S("1")},
      {"JsonExtract(evt.Parsed.json, 'a.b[1]')", S("two")},
      {"JsonExtract(evt.Parsed.json, 'a.b[2].c')", S("x\\\"y")},
      {"JsonExtract(evt.Parsed.json, 'a.b[2]')", S(R"({"c":"x\"y"})")},
      {"JsonExtract(evt.Parsed.json, 'n')", S("3.5")},
      {"JsonExtract(evt.Parsed.json, 't')", S("true")},
      {"JsonExtract(evt.Parsed.json, 'missing')", S("")},
      {"JsonExtract(evt.Parsed.json, 'a.b[9]')", S("")},
      {"JsonExtract('not json', 'a')", S("")},
      {"JsonExtract('[{\"a\":1}]', '[0].a')", S("1")},
      {"JsonExtractUnescape(evt.Parsed.json, 'a', 'b', '[2]', 'c')", S("x\"y")},
      {"JsonExtractUnescape(evt.Parsed.json, 'n')", S("")},
      {"JsonExtractLib(evt.Parsed.json, 'a', 'b', '[1]')", S("two")},
      {"JsonExtractSlice(evt.Parsed.json, 'a.b')[1]", S("two")},
      {"JsonExtractSlice(evt.Parsed.json, 'a.b')[0]", F(1)},
      {"JsonExtractSlice(evt.Parsed.json, 'n')", Nil()},
      {"JsonExtractObject(evt.Parsed.json, 'a').b[1]", S("two")},
      {"JsonExtractObject(evt.Parsed.json, 'n')", Nil()},
      {"ToJsonString({a: [1, 'x'], b: nil})", S(R"({"a":[1,"x"],"b":null})")},
      {"ToJsonString(1e21)", S("1e+21")},
      {"ToJsonString(100000000.0)", S("100000000")},
      {"ToJsonString('<&>')", S(R"("\u003c\u0026\u003e")")},
      {"UnmarshalJSON('{\"k\": [1, {\"z\": \"v\"}]}', evt.Unmarshaled, 'new') == nil && "
       "evt.Unmarshaled.new.k[1].z == 'v'",
       B(true)},
      {"UnmarshalJSON('{\"k\": 5}', evt.Unmarshaled, 'x') in ['', nil] && evt.Unmarshaled.x.k == 5",
       B(true)},
      {"UnmarshalJSON('{bad', evt.Unmarshaled, 'x')", Err("UnmarshalJSON")},
      {"UnmarshalJSON('{}', 'notamap', 'x')", Err("target is not a map")},
      {"ParseKV(evt.Parsed.kv, evt.Unmarshaled, 'kv') == nil && evt.Unmarshaled.kv.a == '1' && "
       "evt.Unmarshaled.kv.b == 'two words' && evt.Unmarshaled.kv.c == '' && "
       "evt.Unmarshaled.kv.missing == ''",
       B(true)},
      {"ParseKV('no pairs here', evt.Unmarshaled, 'kv')", Err("invalid input format")},
      {"ParseKV('a=1', evt.Unmarshaled, 'a')", Err("target is not a map[string]string")},
      {"ParseKVLax('msg=hello world user=\"bob smith\" id=7', evt.Unmarshaled, 'l') == nil && "
       "evt.Unmarshaled.l.msg == 'hello world' && evt.Unmarshaled.l.user == 'bob smith' && "
       "evt.Unmarshaled.l.id == '7'",
       B(true)},
      {"ParseKVLax('k=\"a b=c\" z=1', evt.Unmarshaled, 'q') == nil && "
       "evt.Unmarshaled.q.k == 'a b=c' && len(evt.Unmarshaled.q) == 2",
       B(true)},
      {"KeyExists('a', evt.Unmarshaled)", B(true)},
      {"KeyExists('zz', evt.Unmarshaled)", B(false)},
  });
}

TEST(ExprHelpers, Network) {
  run_table({
      {"IpInRange('192.168.1.10', '192.168.0.0/16')", B(true)},
      {"IpInRange('10.0.0.1', '192.168.0.0/16')", B(false)},
      {"IpInRange('192.168.1.10', '192.168.1.10')", B(false)},
      {"IpInRange('2001:db8::1', '2001:db8::/32')", B(true)},
      {"IpInRange('::ffff:10.1.2.3', '10.0.0.0/8')", B(true)},
      {"IpInRange('10.1.2.3', '::/0')", B(false)},
      {"IpInRange('not an ip', '10.0.0.0/8')", B(false)},
      {"IpInRange('10.0.0.1', 'garbage')", B(false)},
      {"IpInRange(evt.Meta.source_ip, '192.168.1.0/24')", B(true)},
      {"IpToRange('192.168.1.77', '/24')", S("192.168.1.0/24")},
      {"IpToRange('192.168.1.77', '16')", S("192.168.0.0/16")},
      {"IpToRange('2001:db8::1', '/64')", S("2001:db8::/64")},
      {"IpToRange('192.168.1.77', '/33')", S("")},
      {"IpToRange('bad', '/24')", S("")},
      {"IsIP('1.2.3.4')", B(true)},
      {"IsIP('1.2.3')", B(false)},
      {"IsIPV4('1.2.3.4')", B(true)},
      {"IsIPV4('::1')", B(false)},
      {"IsIPV6('::1')", B(true)},
      {"IsIPV6('1.2.3.4')", B(false)},
      {"IsIPV6('::ffff:1.2.3.4')", B(false)},
      {"int(Distance('48.8566', '2.3522', '51.5074', '-0.1278'))", I(343)},
      {"Distance('0', '0', '51.5', '0')", F(0)},
      {"Distance('x', '0', '51.5', '0')", Err("lat1 is not a float")},
      {"Distance(evt.Enriched.Latitude, evt.Enriched.Longitude, '48.85', '2.35')", F(0)},
  });
}

// IpInRange keeps recent parses per thread; more ranges than it keeps, in turn and twice over,
// with valid and invalid texts, give the same answers as the first time.
TEST(ExprHelpers, IpInRangeOverManyRangesInTurn) {
  std::vector<Case> cases;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 12; ++i) {
      const std::string range = "'10." + std::to_string(i) + ".0.0/16'";
      const std::string inside = "'10." + std::to_string(i) + ".5.5'";
      const std::string outside = "'10." + std::to_string(i + 1) + ".5.5'";
      cases.push_back({"IpInRange(" + inside + ", " + range + ")", B(true)});
      cases.push_back({"IpInRange(" + outside + ", " + range + ")", B(false)});
      cases.push_back({"IpInRange(" + inside + ", 'bad" + std::to_string(i) + "')", B(false)});
      cases.push_back({"IpInRange('bad', " + range + ")", B(false)});
    }
  }
  run_table(cases);
}

TEST(ExprHelpers, XmlUrlTime) {
  run_table({
      {"XMLGetNodeValue(evt.Parsed.xml, '//System/EventID')", S("4625")},
      {"XMLGetNodeValue(evt.Parsed.xml, '/Event/System/EventID')", S("4625")},
      {"XMLGetNodeValue(evt.Parsed.xml, '//Nope')", S("")},
      {"XMLGetNodeValue('<broken', '//a')", S("")},
      {"XMLGetAttributeValue(evt.Parsed.xml, '//System/EventID', 'Qualifiers')", S("16384")},
      {"XMLGetAttributeValue(evt.Parsed.xml, '//System/EventID', 'Nope')", S("")},
      {"ParseUri('/p?a=1&b=x%20y&a=2#frag')", J(R"({"a":["1","2"],"b":["x y"]})")},
      {"ParseUri('/p?a=1;b=2')", J("{}")},
      {"ExtractQueryParam('/p?id=5&id=6', 'id')", J(R"(["5","6"])")},
      {"ExtractQueryParam('/p?id=5', 'nope')", J("[]")},
      {"ParseUnix('1700000000')", S("2023-11-14T22:13:20Z")},
      {"ParseUnix('1700000000.123')", S("2023-11-14T22:13:20Z")},
      {"ParseUnix('junk')", S("")},
      {"len(TimeNow()) == 20", B(true)},
      {"Distinct([1, 2, 1, 'a', 'a'])", J(R"([1,2,"a"])")},
      {"Distinct('x')", Nil()},
      {"Flatten([1, [2, [3]]], 4)", J("[1,2,3,4]")},
      {"FlattenDistinct([1, [1, 2]], 2)", J("[1,2]")},
  });
}

TEST(ExprHelpers, QueueIntervals) {
  EventFixture fx;
  TestEvent e1, e2, e3, e4;
  using namespace std::chrono;
  TimePoint t0 = sys_days(2024y / January / 1);
  e1.time = {t0, 0};
  e2.time = {t0 + 10min, 0};
  e3.time = {t0 + 30min, 0};
  e4.time = {t0 + 31min, 0};
  TestQueue q;
  q.events = {&e1, &e2, &e3, &e4};
  CompileOptions opts{.variables = {"evt", "queue", "leaky"}};
  Value vars[] = {Value::object(&fx.evt), Value::object(&q), Value()};
  auto eval = [&](const std::string& src) {
    auto p = compile(src, opts);
    EXPECT_TRUE(p.has_value()) << p.error().message();
    return p->run(vars);
  };
  auto median = eval("MedianInterval(map(queue.Queue, {#.Time}))");
  ASSERT_TRUE(median.has_value()) << median.error().message();
  EXPECT_EQ(median->as_duration(), Duration(10min));  // gaps 10m, 20m, 1m
  auto avg = eval("AverageInterval(map(queue.Queue[-3:], {#.Time}))");
  ASSERT_TRUE(avg.has_value());
  EXPECT_EQ(avg->as_duration(), Duration(10min + 30s));  // (20m + 1m) / 2
  auto cond = eval(
      "len(queue.Queue) >= 4 && MedianInterval(map(queue.Queue[-4:], {#.Time})) >= "
      "duration('10m')");
  ASSERT_TRUE(cond.has_value());
  EXPECT_TRUE(cond->truthy());
  auto one = eval("MedianInterval(map(queue.Queue[:1], {#.Time}))");
  EXPECT_FALSE(one.has_value());
  auto queue_any = eval("any(queue.Queue, {.Time == queue.Queue[0].Time}) && len(queue) == 4");
  ASSERT_TRUE(queue_any.has_value());
  EXPECT_TRUE(queue_any->truthy());
}

class FakeCounter final : public DecisionCounter {
 public:
  Result<int64_t> count(std::string_view value) override { return value == "1.2.3.4" ? 3 : 0; }
  Result<int64_t> count_since(std::string_view, Duration since) override {
    return since >= std::chrono::hours(24) ? 2 : 1;
  }
  Result<int64_t> count_active(std::string_view) override { return Error("store down"); }
  Result<Duration> active_time_left(std::string_view) override { return std::chrono::hours(4); }
};

TEST(ExprHelpers, DecisionsAndStash) {
  FakeCounter counter;
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  LruStash stash(clock);
  ASSERT_TRUE(stash.configure("s", 2, std::chrono::seconds(10)));
  RunContext ctx{.stash = &stash, .clock = &clock, .decisions = &counter};
  run_table(
      {
          {"GetDecisionsCount('1.2.3.4')", I(3)},
          {"GetDecisionsSinceCount('1.2.3.4', '2d')", I(2)},
          {"GetDecisionsSinceCount('1.2.3.4', '1h')", I(1)},
          {"GetActiveDecisionsCount('1.2.3.4')", Err("store down")},
          {"GetActiveDecisionsTimeLeft('x') == duration('4h')", B(true)},
          {"GetFromStash('s', 'k')", S("")},
          {"SetInStash('s', 'k', 'v') == nil && GetFromStash('s', 'k') == 'v'", B(true)},
          {"now().Unix()", I(1000)},
      },
      ctx);
  run_table({{"GetDecisionsCount('1.2.3.4')", Err("no decision store")},
             {"GetFromStash('s', 'k')", S("")}});
  clock.advance(std::chrono::seconds(11));
  EXPECT_EQ(stash.get("s", "k"), std::nullopt);  // expired with the cache TTL
}

}  // namespace
}  // namespace phalanx::expr::testing
