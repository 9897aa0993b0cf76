// SPDX-License-Identifier: Apache-2.0
// Shared fixture for the expr tests: an event, a queue, and compile-and-run helpers.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "expr/json.h"
#include "expr/program.h"
#include "test_event.h"

namespace phalanx::expr::testing {

// What a table row expects: a value (kind and value must match) or an error substring.
struct Expect {
  enum class What { kValue, kError, kCompileError } what = What::kValue;
  Value value;
  std::string error;
};

inline Expect I(int64_t v) {
  return {Expect::What::kValue, Value::integer(v), {}};
}
inline Expect F(double v) {
  return {Expect::What::kValue, Value::floating(v), {}};
}
inline Expect S(std::string v) {
  return {Expect::What::kValue, Value::string(std::move(v)), {}};
}
inline Expect B(bool v) {
  return {Expect::What::kValue, Value::boolean(v), {}};
}
inline Expect Nil() {
  return {Expect::What::kValue, Value(), {}};
}
inline Expect V(Value v) {
  return {Expect::What::kValue, std::move(v), {}};
}
// An array or map, compared through its JSON rendering.
inline Expect J(std::string json) {
  return {Expect::What::kValue, *parse_json(json, JsonNumbers::kPreserveIntegers), {}};
}
inline Expect Err(std::string substring) {
  return {Expect::What::kError, {}, std::move(substring)};
}
inline Expect CompileErr(std::string substring) {
  return {Expect::What::kCompileError, {}, std::move(substring)};
}

struct Case {
  std::string source;
  Expect expect;
};

inline std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.source;
}

class EventFixture {
 public:
  EventFixture() {
    evt.meta = {{"log_type", "ssh_failed-auth"},
                {"source_ip", "192.168.1.10"},
                {"service", "ssh"},
                {"http_path", "/admin/login.php"},
                {"http_status", "404"}};
    evt.parsed = {
        {"program", "sshd"},
        {"message", "Failed password for root from 1.2.3.4"},
        {"count", "12"},
        {"float", "1.5"},
        {"json", R"({"a":{"b":[1,"two",{"c":"x\"y"}]},"n":3.5,"t":true})"},
        {"kv", R"(a=1 b="two words" c=)"},
        {"xml", R"(<Event><System><EventID Qualifiers="16384">4625</EventID></System></Event>)"}};
    evt.enriched = {{"Latitude", "48.85"}, {"Longitude", "2.35"}};
    evt.unmarshaled = *parse_json(R"({"a":{"b":1,"list":["x","y"],"s":"str","n":null},"num":42})");
    evt.line.raw = "raw line";
    evt.line.labels = {{"type", "syslog"}};
    evt.line.module = "file";
    using namespace std::chrono;
    evt.time = ZonedTime{sys_days(2024y / March / 16) + 19h + 30min + 5s, 0};  // a Saturday
  }

  Result<Program> compile_evt(const std::string& source, const DataFiles* files = nullptr,
                              bool optimize = true) {
    CompileOptions opts;
    opts.variables = {"evt"};
    opts.data_files = files;
    opts.optimize = optimize;
    return compile(source, opts);
  }

  Result<Value> eval(const std::string& source, RunContext& ctx, const DataFiles* files = nullptr,
                     bool optimize = true) {
    PHALANX_TRY(Program p, compile_evt(source, files, optimize));
    Value vars[] = {Value::object(&evt)};
    return p.run(vars, ctx);
  }

  TestEvent evt;
};

inline bool same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.is_array() || a.is_map()) return to_json(a) == to_json(b);
  return a == b || (a.is_float() && std::isnan(a.as_float()) && std::isnan(b.as_float()));
}

inline std::string show(const Value& v) {
  return std::string(kind_name(v.kind())) + ":" +
         (v.is_array() || v.is_map() ? to_json(v).dump() : v.to_string());
}

// Checks one row; `result` is what compile+run produced (a compile error is flagged by
// compile_failed).
inline void check_case(const Case& c, const Result<Value>& result, bool compile_failed) {
  SCOPED_TRACE(c.source);
  switch (c.expect.what) {
    case Expect::What::kValue:
      ASSERT_TRUE(result.has_value()) << result.error().message();
      EXPECT_TRUE(same(*result, c.expect.value))
          << "got " << show(*result) << ", want " << show(c.expect.value);
      break;
    case Expect::What::kError:
      ASSERT_FALSE(result.has_value()) << "got " << show(*result);
      EXPECT_FALSE(compile_failed)
          << "compile error instead of runtime error: " << result.error().message();
      EXPECT_NE(result.error().message().find(c.expect.error), std::string::npos)
          << result.error().message();
      break;
    case Expect::What::kCompileError:
      ASSERT_FALSE(result.has_value()) << "got " << show(*result);
      EXPECT_TRUE(compile_failed) << "runtime error instead of compile error";
      EXPECT_NE(result.error().message().find(c.expect.error), std::string::npos)
          << result.error().message();
      break;
  }
}

// Runs every row twice, with and without compile-time optimisation; both must agree.
inline void run_both_ways(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    for (bool optimize : {true, false}) {
      SCOPED_TRACE(optimize ? "optimized" : "unoptimized");
      EventFixture fx;
      auto program = fx.compile_evt(c.source, nullptr, optimize);
      if (!program) {
        check_case(c, program.error(), true);
        continue;
      }
      RunContext ctx;
      Value vars[] = {Value::object(&fx.evt)};
      check_case(c, program->run(vars, ctx), false);
    }
  }
}

}  // namespace phalanx::expr::testing
