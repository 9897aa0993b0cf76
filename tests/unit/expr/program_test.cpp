// SPDX-License-Identifier: Apache-2.0
// Program-level API: variable binding, constants, routing constraints, host functions,
// concurrent runs.
#include <gtest/gtest.h>

#include <thread>

#include "expr_test_util.h"

namespace phalanx::expr::testing {
namespace {

std::vector<EqualityConstraint> constraints_of(const std::string& src,
                                               std::vector<std::string> vars = {"evt"}) {
  CompileOptions opts{.variables = std::move(vars)};
  auto p = compile(src, opts);
  EXPECT_TRUE(p.has_value()) << src << ": " << (p ? "" : p.error().message());
  return p ? p->equality_constraints() : std::vector<EqualityConstraint>{};
}

using Paths = std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>;

Paths flatten(const std::vector<EqualityConstraint>& cs) {
  Paths out;
  for (const auto& c : cs)
    out.emplace_back(c.path, c.values);
  return out;
}

TEST(ExprProgram, EqualityConstraints) {
  struct Row {
    std::string source;
    Paths want;
  };
  const std::vector<Row> rows = {
      {"evt.Meta.log_type == 'ssh_failed-auth'",
       {{{"evt", "Meta", "log_type"}, {"ssh_failed-auth"}}}},
      {"'x' == evt.Meta.service", {{{"evt", "Meta", "service"}, {"x"}}}},
      {"evt.Meta[\"log_type\"] == \"a\"", {{{"evt", "Meta", "log_type"}, {"a"}}}},
      {"evt.Parsed.program in ['a', 'b']", {{{"evt", "Parsed", "program"}, {"a", "b"}}}},
      {"evt.Meta.log_type in ['http_access-log', 'http_error-log'] and "
       "evt.Meta.http_status == '404' && Upper(evt.Meta.x) == 'Y'",
       {{{"evt", "Meta", "log_type"}, {"http_access-log", "http_error-log"}},
        {{"evt", "Meta", "http_status"}, {"404"}}}},
      {"(evt.Meta.a == 'x' && evt.Meta.b == 'y') && true",
       {{{"evt", "Meta", "a"}, {"x"}}, {{"evt", "Meta", "b"}, {"y"}}}},
      {"evt.Meta.a == 'x' || evt.Meta.b == 'y'", {}},
      {"not (evt.Meta.a == 'x')", {}},
      {"evt.Meta.a != 'x'", {}},
      {"evt.Meta.a == 1", {}},
      {"evt.Parsed.program in ['a', 1]", {}},
      {"evt.Meta?.a == 'x'", {}},
      {"evt == 'x'", {}},
      {"let a = evt.Meta.x; a == 'y'", {}},
      {"1 == 1", {}},
  };
  for (const Row& r : rows)
    EXPECT_EQ(flatten(constraints_of(r.source)), r.want) << r.source;
  EXPECT_EQ(flatten(constraints_of("queue.x == 'a' && evt.y == 'b'", {"evt", "queue"})),
            (Paths{{{"queue", "x"}, {"a"}}, {{"evt", "y"}, {"b"}}}));
}

TEST(ExprProgram, ConstraintsNameTheirConjunct) {
  auto cs = constraints_of(
      "(evt.Meta.a == 'x' && Upper(evt.Meta.q) == 'Q') && evt.Meta.b in ['y'] && "
      "evt.Meta.c == 'z'");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].conjunct, 0u);
  EXPECT_EQ(cs[1].conjunct, 2u);
  EXPECT_EQ(cs[2].conjunct, 3u);
}

TEST(ExprProgram, EstablishedConjunctsAreLeftOut) {
  const std::string src = "m.a == 'x' && (m.b in ['y', 'z'] && m.c == 'w') && m.d == 'v'";
  CompileOptions opts{.variables = {"m"}};
  auto map = std::make_shared<Map>(true);
  map->set("a", Value::string("no"));
  map->set("b", Value::string("no"));
  map->set("c", Value::string("w"));
  map->set("d", Value::string("v"));
  const Value vars[] = {Value::map(map)};
  auto result = [&](std::vector<size_t> established) {
    auto p = compile(src, opts, established);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message());
    auto v = p->run(vars);
    EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message());
    return v->truthy();
  };
  EXPECT_FALSE(result({}));
  EXPECT_FALSE(result({0}));
  EXPECT_FALSE(result({1, 7}));  // a number past the last conjunct changes nothing
  EXPECT_TRUE(result({0, 1}));
  // A conjunct that is not left out is still tested, wherever it stands.
  map->set("c", Value::string("no"));
  EXPECT_FALSE(result({0, 1}));
  EXPECT_TRUE(result({0, 1, 2}));
  map->set("d", Value::string("no"));
  EXPECT_FALSE(result({0, 1, 2}));
  // The full program is unchanged by compiling a reduced one.
  auto full = compile(src, opts);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->equality_constraints().size(), 4u);
  EXPECT_EQ(full->source(), src);
}

TEST(ExprProgram, Constants) {
  struct Row {
    std::string source;
    bool constant;
  };
  const std::vector<Row> rows = {
      {"1==1", true},
      {"true", true},
      {"'a' + 'b'", true},
      {"len('abc') > 2", true},
      {"Upper('x') == 'X'", true},
      {"[1, 2]", true},
      {"1 in [1, 2]", true},
      {"false && evt.Meta.x == 'y'", true},
      {"true || evt.x", true},
      {"evt.Meta.x == 'y'", false},
      {"now() > now()", false},
      {"1 / 0 > 1", true},
      {"int('x')", false},
      {"File('x')", false},
      {"{a: 1}", false},
      {"true ? 1 : evt.x", true},
      {"fromJSON('{\"a\": 1}')", false},  // maps are mutable: never shared constants
      {"fromJSON('[1]')", true},
  };
  for (const Row& r : rows) {
    CompileOptions opts{.variables = {"evt"}};
    auto p = compile(r.source, opts);
    ASSERT_TRUE(p.has_value()) << r.source << ": " << p.error().message();
    EXPECT_EQ(p->is_constant(), r.constant) << r.source;
    EXPECT_EQ(p->constant_value().has_value(), r.constant) << r.source;
  }
  CompileOptions opts{.variables = {"evt"}};
  auto p = compile("1==1", opts);
  EXPECT_TRUE(p->constant_value()->truthy());
  // Without optimisation nothing folds, but the result is the same.
  CompileOptions plain{.variables = {"evt"}, .optimize = false};
  auto q = compile("1==1", plain);
  EXPECT_FALSE(q->is_constant());
  Value evt;
  EXPECT_TRUE(q->run({&evt, 1})->truthy());
}

TEST(ExprProgram, BindsVariablesByPosition) {
  CompileOptions opts{.variables = {"a", "b"}};
  auto p = compile("a + b * 10", opts);
  ASSERT_TRUE(p.has_value());
  Value vars[] = {Value::integer(1), Value::integer(2)};
  EXPECT_EQ(p->run(vars)->as_int(), 21);
  auto wrong = p->run({vars, 1});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("expected 2 variables, got 1"), std::string::npos);
  Program empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_FALSE(empty.run({}).has_value());
  EXPECT_EQ(p->source(), "a + b * 10");
}

TEST(ExprProgram, HostFunctionsAndErrorsWithColumns) {
  CompileOptions opts{.variables = {"evt"}};
  opts.functions.push_back(
      {"Twice", 1, 1, [](std::span<const Value> args, RunContext&) -> Result<Value> {
         return Value::integer(args[0].as_int() * 2);
       }});
  opts.functions.push_back({"len", 1, 1, [](std::span<const Value>, RunContext&) -> Result<Value> {
                              return Value::integer(-1);
                            }});
  auto p = compile("Twice(21) + len('abc')", opts);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  Value evt;
  EXPECT_EQ(p->run({&evt, 1})->as_int(), 41);
  auto bad = compile("Twice(1, 2)", opts);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "too many arguments to call Twice at column 1");
  auto unknown = compile("evt.Meta.x == 'a' && Foo(evt)", opts);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown function Foo at column 22");
  auto names = builtin_function_names();
  for (const char* n : {"any", "Upper", "RegexpInFile", "UnmarshalJSON", "IpInRange", "len",
                        "GetActiveDecisionsTimeLeft", "basename", "XMLGetNodeValue"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
}

TEST(ExprProgram, ConcurrentRunsShareOneProgram) {
  CompileOptions opts{.variables = {"evt"}};
  auto p = compile(
      "let n = int(evt.Parsed.count); any(1..n, {# == n}) && evt.Meta.log_type in ['a', "
      "'ssh_failed-auth'] && evt.Meta.source_ip startsWith '192.'",
      opts);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      EventFixture fx;
      RunContext ctx;
      Value vars[] = {Value::object(&fx.evt)};
      for (int i = 0; i < 2000; ++i)
        ok += p->run(vars, ctx)->truthy();
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 8000);
}

}  // namespace
}  // namespace phalanx::expr::testing
