// SPDX-License-Identifier: Apache-2.0
// Incremental closures (expr/incremental.h, expr/list_cache.h): which bodies count as pure,
// and that closures over a list keeping a ListCache give what a full evaluation gives after
// appends and front pops, while evaluating each element once.
#include "expr/incremental.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "expr/ast.h"
#include "expr/list_cache.h"
#include "expr/program.h"

namespace phalanx::expr {
namespace {

// ---------------------------------------------------------------------------------------------
// Purity

bool pure_body(const std::string& body, const std::vector<std::string>& host_names = {}) {
  auto ast = detail::parse("filter(x, {" + body + "})");
  EXPECT_TRUE(ast.has_value()) << body;
  if (!ast) return false;
  const detail::Ast& closure = *(*ast)->kids[1];
  EXPECT_EQ(closure.kind, detail::AstKind::kClosure);
  std::vector<std::unique_ptr<HostFunction>> host;
  for (const auto& name : host_names)
    host.push_back(std::make_unique<HostFunction>(HostFunction{.name = name}));
  return detail::is_pure_element_body(*closure.kids[0], host);
}

TEST(ExprPurity, ElementFunctionsArePure) {
  for (const char* body : {
           "#.Meta.log_type == 'ssh_failed-auth'",
           ".Meta.log_type == 'ssh_failed-auth'",
           "#.Time",
           "#",
           "#.Meta.exe in ['/usr/bin/wget', '/usr/bin/curl']",
           "!(.Meta.exe startsWith '/usr/' or .Meta.exe startsWith '/bin/')",
           ".Meta.exe matches '^/bin/(sh|bash)$'",
           ".Meta.a contains .Meta.b && not (.Meta.c endsWith 'x')",
           "Lower(#.Meta.user) == 'root'",
           "len(#.Meta) > 2 ? int(#.Meta.count) + 1 : -1",
           "#.Time.Hour() >= 22 || #.Time.Weekday() == 'Sunday'",
           "#.GetMeta('source_ip') != ''",
           "#?.Meta[\"k\"] ?? 'none'",
           "#.Line.Raw[0:4] == 'Nov '",
           "[#.Meta.a, #.Meta.b]",
           "duration(#.Meta.d) > duration('10m')",
           "IpInRange(#.Meta.source_ip, '10.0.0.0/8')",
       }) {
    EXPECT_TRUE(pure_body(body)) << body;
  }
}

TEST(ExprPurity, AnythingElseIsNot) {
  for (const char* body : {
           "#index > 2",                              // position, not element
           "#acc",                                    // reduce's accumulator
           "#.Meta.source_ip == evt.Meta.source_ip",  // an outer variable
           "let y = #.Meta.a; y == 'b'",              // a let-binding
           "#.SetMeta('seen', 'yes')",                // a side effect
           "#.Meta.a == 'x' && SetInStash('c', #.Meta.a, '1m')",
           "GetFromStash('c', #.Meta.a) == ''",  // reads state
           "#.Time > now()",                     // reads the clock
           "TimeNow() != ''",
           "#.Meta.a in File('list.txt')",  // reads data files
           "any(#.Meta.list, {# == 'x'})",  // nested closures are not analysed
           "{'a': #.Meta.a}",               // a mutable map literal
           "UnmarshalJSON(#.Line.Raw, #.Unmarshaled, 'x')",
           "#.Meta.a == 'x'; true",  // a sequence
           "#.Method()",             // an unknown method
           "Hostname() == #.Meta.host",
       }) {
    EXPECT_FALSE(pure_body(body)) << body;
  }
}

TEST(ExprPurity, HostFunctionsShadowingPureBuiltinsAreNotPure) {
  EXPECT_TRUE(pure_body("Lower(#.Meta.a) == 'x'"));
  EXPECT_FALSE(pure_body("Lower(#.Meta.a) == 'x'", {"Lower"}));
  EXPECT_FALSE(pure_body("MyHelper(#) == 'x'", {"MyHelper"}));
}

// ---------------------------------------------------------------------------------------------
// A list that opts in, with elements that count how often closures read them.

struct Reads {
  size_t fields = 0;
  size_t touches = 0;
};

class Item final : public Object {
 public:
  Item(int64_t n, std::string tag, Reads* reads) : n_(n), tag_(std::move(tag)), reads_(reads) {}
  std::string_view type_name() const override { return "Item"; }
  Value get(std::string_view field) const override {
    ++reads_->fields;
    if (field == "n") return Value::integer(n_);
    if (field == "tag") return Value::view(tag_);
    if (field == "self") return Value::object(this);
    return Value();
  }
  // Touch() has a side effect (counted): a body calling it is never cached.
  Result<Value> call(std::string_view method, std::span<const Value> args) override {
    if (method == "Touch") {
      ++reads_->touches;
      return Value::boolean(true);
    }
    return Object::call(method, args);
  }

 private:
  int64_t n_;
  std::string tag_;
  Reads* reads_;
};

class ItemList final : public Object {
 public:
  explicit ItemList(bool cached) : cached_(cached) {}
  std::string_view type_name() const override { return "[]Item"; }
  Value get(std::string_view) const override { return Value(); }
  bool is_list() const override { return true; }
  std::optional<size_t> size() const override { return items_.size(); }
  Value at(size_t i) const override { return Value::object(items_[i].get()); }
  ListCache* list_cache() const override { return cached_ ? &cache_ : nullptr; }

  void push(int64_t n, std::string tag) {
    items_.push_back(std::make_unique<Item>(n, std::move(tag), &reads));
  }
  void pop() {
    items_.pop_front();
    cache_.pop_front();
  }
  // A change the cache cannot describe: every element replaced.
  void replace_all(int64_t n, std::string tag) {
    for (auto& item : items_)
      item = std::make_unique<Item>(n, tag, &reads);
    cache_.clear();
  }
  size_t length() const { return items_.size(); }

  Reads reads;

 private:
  bool cached_;
  std::deque<std::unique_ptr<Item>> items_;
  mutable ListCache cache_;
};

Program compile_queue(const std::string& source, bool optimize = true,
                      std::vector<HostFunction> functions = {}) {
  CompileOptions opts{.variables = {"queue", "x"}, .functions = std::move(functions)};
  opts.optimize = optimize;
  auto p = compile(source, opts);
  EXPECT_TRUE(p.has_value()) << source << ": " << (p ? "" : p.error().message());
  return p ? *p : Program();
}

Result<Value> run_on(const Program& p, const ItemList& list, Value x = Value::view("a")) {
  const Value vars[] = {Value::object(&list), x};
  return p.run(vars);
}

// Same value or same error; arrays element by element (objects by identity).
void expect_same(const Result<Value>& got, const Result<Value>& want, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.has_value(), want.has_value()) << (got ? "value" : got.error().message()) << " vs "
                                               << (want ? "value" : want.error().message());
  if (!got) {
    EXPECT_EQ(got.error().message(), want.error().message());
    return;
  }
  ASSERT_EQ(got->kind(), want->kind()) << got->to_string() << " vs " << want->to_string();
  if (!got->is_array()) {
    EXPECT_TRUE(*got == *want) << got->to_string() << " vs " << want->to_string();
    return;
  }
  const Array& a = got->as_array();
  const Array& b = want->as_array();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind(), b[i].kind()) << "element " << i;
    EXPECT_TRUE(a[i] == b[i]) << "element " << i << ": " << a[i].to_string() << " vs "
                              << b[i].to_string();
  }
}

// A deterministic stream of list changes: mostly appends, some front pops, in bursts.
struct Lcg {
  uint64_t state;
  uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  }
};

TEST(ExprIncremental, CachedResultsEqualFullEvaluationAfterAppendsAndPops) {
  const std::vector<std::string> sources = {
      "filter(queue, {.n % 3 == 0})",
      "map(queue, {.n * 2})",
      "map(queue, {.tag + '!'})",
      "map(queue, {.tag})",
      "count(queue, {.tag == 'a'})",
      "any(queue, {.n > 40})",
      "all(queue, {.n < 45})",
      "none(queue, {.tag == 'z'})",
      "one(queue, {.n == 7})",
      "let f = filter(queue, {.tag in ['a', 'b']}); len(f) >= 2 ? f[-1].n - f[-2].n : -1",
      "len(filter(queue, {Lower(.tag) startsWith 'a'})) + count(queue, {.n > 10})",
      "map(filter(queue, {.n > 20}), {.n})[-3:]",
      // Errors that depend on the element: the first failing element must still fail.
      "filter(queue, {.n > 45 ? .tag : true})",
      "any(queue, {.n == 3 || .n})",
      "count(queue, {.n < 48 ? true : 1})",
      "map(queue, {100 % (.n - 20)})",
      // A mapper returning objects cannot be kept: evaluated in full, same result.
      "map(queue, {.n > 30 ? .self : .n})",
  };
  for (const std::string& source : sources) {
    SCOPED_TRACE(source);
    const Program cached = compile_queue(source);
    const Program reference = compile_queue(source, /*optimize=*/false);
    ItemList list(/*cached=*/true);
    Lcg rng{42};
    const char* kTags[] = {"a", "b", "c", "A"};
    for (int step = 0; step < 400; ++step) {
      const uint32_t r = rng.next() % 10;
      if (r < 3 && list.length() > 0) {
        const uint32_t pops = 1 + rng.next() % 3;
        for (uint32_t i = 0; i < pops && list.length() > 0; ++i)
          list.pop();
      } else {
        list.push(rng.next() % 50, kTags[rng.next() % 4]);
      }
      // Some steps run twice in a row: a run with nothing new must give the same again.
      const int runs = r == 9 ? 2 : 1;
      for (int k = 0; k < runs; ++k) {
        expect_same(run_on(cached, list), run_on(reference, list),
                    "step " + std::to_string(step) + " length " + std::to_string(list.length()));
      }
    }
  }
}

TEST(ExprIncremental, EachElementIsEvaluatedOnce) {
  const Program p = compile_queue("filter(queue, {.tag == 'a'})");
  ItemList cached(true), plain(false);
  for (int i = 0; i < 200; ++i) {
    cached.push(i, i % 2 ? "a" : "b");
    plain.push(i, i % 2 ? "a" : "b");
    auto a = run_on(p, cached);
    auto b = run_on(p, plain);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->as_array().size(), b->as_array().size());
  }
  EXPECT_EQ(cached.reads.fields, 200u);
  EXPECT_EQ(plain.reads.fields, 200u * 201 / 2);
}

TEST(ExprIncremental, ImpureBodiesAreNeverCached) {
  const std::vector<std::string> sources = {
      "filter(queue, {.tag == x})",                   // outer variable
      "filter(queue, {#index >= 0 && .tag == 'a'})",  // position
      "filter(queue, {.Touch() && .tag == 'a'})",     // side effect
      "filter(queue, {Lower(.tag) == 'a'})",          // Lower is the host's, see below
  };
  std::vector<HostFunction> host = {
      {.name = "Lower",
       .min_args = 1,
       .max_args = 1,
       .fn = [](std::span<const Value> args, RunContext&) { return Result<Value>(args[0]); }}};
  for (const std::string& source : sources) {
    SCOPED_TRACE(source);
    const Program p = compile_queue(source, true, host);
    ItemList list(true);
    for (int i = 0; i < 50; ++i) {
      list.push(i, "a");
      auto v = run_on(p, list);
      ASSERT_TRUE(v.has_value()) << v.error().message();
      EXPECT_EQ(v->as_array().size(), list.length());
    }
    EXPECT_EQ(list.reads.fields, 50u * 51 / 2);
  }
}

TEST(ExprIncremental, AnOuterVariableIsReadOnEveryRun) {
  const Program p = compile_queue("count(queue, {.tag == x})");
  ItemList list(true);
  list.push(1, "a");
  list.push(2, "b");
  list.push(3, "b");
  EXPECT_EQ(run_on(p, list, Value::view("a"))->as_int(), 1);
  EXPECT_EQ(run_on(p, list, Value::view("b"))->as_int(), 2);
}

TEST(ExprIncremental, AResultKeptByTheCallerDoesNotChange) {
  const Program p = compile_queue("filter(queue, {.n > 0})");
  const Program m = compile_queue("map(queue, {.n})");
  ItemList list(true);
  list.push(1, "a");
  list.push(2, "a");
  auto first = run_on(p, list);
  auto first_map = run_on(m, list);
  ASSERT_TRUE(first && first_map);
  list.push(3, "a");
  list.pop();
  auto second = run_on(p, list);
  auto second_map = run_on(m, list);
  ASSERT_TRUE(second && second_map);
  ASSERT_EQ(first->as_array().size(), 2u);
  EXPECT_EQ(second->as_array().size(), 2u);
  EXPECT_EQ(first_map->to_string(), "[1 2]");
  EXPECT_EQ(second_map->to_string(), "[2 3]");
  // And once the caller let go, the next run still sees the right content.
  first = Value();
  first_map = Value();
  list.push(4, "a");
  EXPECT_EQ(run_on(m, list)->to_string(), "[2 3 4]");
  EXPECT_EQ(run_on(p, list)->as_array().size(), 3u);
}

TEST(ExprIncremental, ClearForgetsResultsAfterOtherChanges) {
  const Program p = compile_queue("count(queue, {.n > 5})");
  ItemList list(true);
  for (int i = 0; i < 10; ++i)
    list.push(i, "a");
  EXPECT_EQ(run_on(p, list)->as_int(), 4);
  list.replace_all(0, "a");
  EXPECT_EQ(run_on(p, list)->as_int(), 0);
}

TEST(ExprIncremental, UnoptimisedProgramsEvaluateInFull) {
  const Program p = compile_queue("any(queue, {.n < 0})", /*optimize=*/false);
  ItemList list(true);
  for (int i = 0; i < 20; ++i) {
    list.push(i, "a");
    EXPECT_FALSE(run_on(p, list)->as_bool());
  }
  EXPECT_EQ(list.reads.fields, 20u * 21 / 2);
}

TEST(ExprIncremental, TwoProgramsShareOneListWithoutMixingResults) {
  const Program a = compile_queue("count(queue, {.n % 2 == 0})");
  const Program b = compile_queue("count(queue, {.n % 2 == 0})");  // same text, other closure
  const Program c = compile_queue("count(queue, {.n % 2 == 1})");
  ItemList list(true);
  for (int i = 0; i < 9; ++i) {
    list.push(i, "a");
    EXPECT_EQ(run_on(a, list)->as_int(), i / 2 + 1);
    EXPECT_EQ(run_on(c, list)->as_int(), (i + 1) / 2);
  }
  EXPECT_EQ(run_on(b, list)->as_int(), 5);
}

}  // namespace
}  // namespace phalanx::expr
