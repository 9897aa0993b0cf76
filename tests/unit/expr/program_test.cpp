// SPDX-License-Identifier: Apache-2.0
// Program-level API: variable binding, constants, routing constraints, host functions,
// concurrent runs.
#include <gtest/gtest.h>

#include <thread>

#include "expr/data_files.h"
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

// Each constraint as its tests, "subject ~ literal" ("=~" for a regexp).
std::vector<std::vector<std::string>> literal_constraints_of(const std::string& src,
                                                             CompileOptions opts = {
                                                                 .variables = {"evt"}}) {
  EXPECT_TRUE(compile(src, opts).has_value()) << src;
  auto constraints = literal_constraints(src, opts);
  EXPECT_TRUE(constraints.has_value()) << src << ": " << constraints.error().message();
  std::vector<std::vector<std::string>> out;
  if (!constraints) return out;
  for (const auto& c : *constraints) {
    auto& tests = out.emplace_back();
    for (const auto& t : c.any) {
      for (const auto& literal : t.literals)
        tests.push_back(t.subject + (t.regex ? " =~ " : " ~ ") + literal);
    }
  }
  return out;
}

TEST(ExprProgram, LiteralConstraints) {
  struct Row {
    std::string source;
    std::vector<std::vector<std::string>> want;
  };
  const std::string path = R"(evt["Meta"]["http_path"])";
  const std::vector<Row> rows = {
      {"Upper(evt.Meta.http_path) contains Upper('/vendor/x')",
       {{"Upper(" + path + ") ~ /VENDOR/X"}}},
      {"evt.Meta.log_type == 'http' && Lower(evt.Meta.http_path) startsWith '/a' && "
       "evt.Meta.http_path endsWith '.php'",
       {{"Lower(" + path + ") ~ /a"}, {path + " ~ .php"}}},
      {"Upper(PathUnescape(evt.Meta.http_path)) contains 'A' or "
       "Upper(PathUnescape(evt.Meta.http_path)) contains Lower('B')",
       {{"Upper(PathUnescape(" + path + ")) ~ A", "Upper(PathUnescape(" + path + ")) ~ b"}}},
      {"Upper(evt.Meta.http_path) matches Upper('/a/[^/]+')",
       {{"Upper(" + path + ") =~ /A/[^/]+"}}},
      {"'POST' == Upper(evt.Parsed.verb)", {{R"(Upper(evt["Parsed"]["verb"]) ~ POST)"}}},
      {"Lower(evt.Meta.m) in ['get', Lower('PUT')]",
       {{R"(Lower(evt["Meta"]["m"]) ~ get)", R"(Lower(evt["Meta"]["m"]) ~ put)"}}},
      {"evt.Meta.s in ['404', '403'] || evt.Meta.p contains 'x'",
       {{R"(evt["Meta"]["s"] ~ 404)", R"(evt["Meta"]["s"] ~ 403)", R"(evt["Meta"]["p"] ~ x)"}}},
      // Seen through leading lets; equalities in their body count as literals.
      {"let r = Lower(evt.Parsed.request); evt.Meta.s in ['404'] && r contains '/x'",
       {{R"(evt["Meta"]["s"] ~ 404)"}, {R"(Lower(evt["Parsed"]["request"]) ~ /x)"}}},
      // Equalities on plain fields route the scenario already.
      {"evt.Meta.a == 'x' && evt.Meta.b in ['y']", {}},
      {"evt.Meta.a contains ''", {}},
      {"evt.Meta.a contains 'x' || evt.Meta.b != 'y'", {}},
      {"not (evt.Meta.a contains 'x')", {}},
      {"evt.Meta.a contains evt.Meta.b", {}},
      {"Upper(evt.Meta.a) contains 1", {}},
      {"evt.Meta?.a contains 'x'", {}},
      {"evt contains 'x'", {}},
      {"let evt = 1; evt.Meta.a contains 'x'", {}},
      {"let a = evt.Meta.a; let a = 'z'; a contains 'x'", {}},
      {"Upper(evt.Meta.a) + 'q' contains 'x'", {}},
      {"any(evt.Meta.a, {# contains 'x'})", {}},
  };
  for (const Row& r : rows)
    EXPECT_EQ(literal_constraints_of(r.source), r.want) << r.source;
  // The lines of a data file the compiler binds are the literals of any(File(...), ...).
  DataFiles files;
  ASSERT_TRUE(files.add_strings("f.txt", {"/a", "b"}).has_value());
  ASSERT_TRUE(files.add_strings("none.txt", {}).has_value());
  CompileOptions with_files{.variables = {"evt"}, .data_files = &files};
  const std::string p = R"(evt["Meta"]["p"])";
  const std::vector<Row> file_rows = {
      {"any(File('f.txt'), {Upper(evt.Meta.p) contains Upper(#)})",
       {{"Upper(" + p + ") ~ /A", "Upper(" + p + ") ~ B"}}},
      {"evt.Meta.x == 'y' && any(File('f.txt'), {evt.Meta.p endsWith #})",
       {{p + " ~ /a", p + " ~ b"}}},
      {"any(File('f.txt'), {Lower(# ) == Lower(evt.Meta.p)}) || evt.Meta.p startsWith 'c'",
       {{"Lower(" + p + ") ~ /a", "Lower(" + p + ") ~ b", p + " ~ c"}}},
      {"any(File('none.txt'), {evt.Meta.p contains #})", {{}}},
      {"any(File('missing.txt'), {evt.Meta.p contains #})", {}},
      {"any(File('f.txt'), {evt.Meta.p contains # + 'x'})", {}},
      {"any(File('f.txt'), {# contains evt.Meta.p})", {}},
      {"any(File('f.txt'), {evt.Meta.p matches #})", {}},
      {"any(File('f.txt'), {evt.Meta[#] contains 'x'})", {}},
  };
  for (const Row& r : file_rows)
    EXPECT_EQ(literal_constraints_of(r.source, with_files), r.want) << r.source;
  // A host function that takes the name of Upper or Lower leaves their literals unknown.
  CompileOptions hosted{.variables = {"evt"}};
  hosted.functions.push_back(
      {"Upper", 1, 1, [](std::span<const Value> a, RunContext&) { return Result<Value>(a[0]); }});
  EXPECT_TRUE(literal_constraints_of("Upper(evt.Meta.a) contains 'X'", hosted).empty());
  EXPECT_TRUE(literal_constraints_of("evt.Meta.a contains Upper('x')", hosted).empty());
}

// What the router relies on: whenever the program is true, one literal of each constraint
// occurs in the value of its subject, compiled on its own.
TEST(ExprProgram, LiteralConstraintsHoldWheneverTheProgramIsTrue) {
  const std::vector<std::string> sources = {
      "Upper(m.a) contains Upper('/x/') && Lower(m.b) in ['get', 'post']",
      "PathUnescape(m.a) startsWith '/%' || Lower(m.a) endsWith '.PHP' || m.a == 'q'",
      "let u = Upper(m.b); u == 'GET' || u contains 'OS'",
      "any(File('f.txt'), {Upper(m.a) contains Upper(#)}) || any(File('f.txt'), {# == m.b})",
  };
  const std::vector<std::pair<std::string, std::string>> values = {
      {"/x/y", "GET"},    {"/X/", "post"}, {"/%25z", "Get"}, {"/a.php", "PoSt"},
      {"/A.PHP", "head"}, {"q", "x"},      {"Q", "os"},      {"", ""},
  };
  DataFiles files;
  ASSERT_TRUE(files.add_strings("f.txt", {"/x", "post", "q"}).has_value());
  CompileOptions opts{.variables = {"m"}, .data_files = &files};
  size_t true_runs = 0;
  for (const std::string& src : sources) {
    auto p = compile(src, opts);
    ASSERT_TRUE(p.has_value()) << src;
    auto constraints = literal_constraints(src, opts);
    ASSERT_TRUE(constraints.has_value() && !constraints->empty()) << src;
    for (const auto& [a, b] : values) {
      auto map = std::make_shared<Map>(true);
      map->set("a", Value::string(a));
      map->set("b", Value::string(b));
      const Value vars[] = {Value::map(map)};
      auto v = p->run(vars);
      if (!v || !v->truthy()) continue;
      ++true_runs;
      for (const auto& c : *constraints) {
        bool found = false;
        for (const auto& t : c.any) {
          auto subject = compile(t.subject, opts);
          ASSERT_TRUE(subject.has_value()) << t.subject;
          auto text = subject->run(vars);
          ASSERT_TRUE(text.has_value() && text->is_string()) << t.subject;
          for (const auto& literal : t.literals)
            found = found || text->as_string().find(literal) != std::string_view::npos;
        }
        EXPECT_TRUE(found) << src << " with a=" << a << " b=" << b;
      }
    }
  }
  EXPECT_GE(true_runs, 12u);  // the table exercises the programs' true side
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
