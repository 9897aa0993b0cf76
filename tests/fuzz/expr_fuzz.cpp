// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: compiles arbitrary input as an expression over {evt, queue} and, when it
// compiles, evaluates it against a small event. Neither step may crash, hang on small input,
// or trip a sanitizer; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "expr/data_files.h"
#include "expr/json.h"
#include "expr/program.h"
#include "expr/stash.h"
#include "expr/string_map_object.h"

namespace {

using phalanx::Result;
using namespace phalanx::expr;

class FuzzEvent final : public Object {
 public:
  FuzzEvent() {
    meta_ = {{"log_type", "http_access-log"}, {"source_ip", "192.0.2.7"}, {"http_path", "/a.php"}};
    parsed_ = {{"program", "nginx"}, {"message", R"({"k":[1,"x"],"n":2.5})"}};
    unmarshaled_ = *parse_json(R"({"a":{"b":[1,2,{"c":"d"}]},"s":"str"})");
  }
  std::string_view type_name() const override { return "Event"; }
  phalanx::expr::Value get(std::string_view field) const override {
    if (field == "Meta") return Value::object(&meta_view_);
    if (field == "Parsed") return Value::object(&parsed_view_);
    if (field == "Unmarshaled") return unmarshaled_;
    if (field == "Time")
      return Value::time({phalanx::TimePoint(std::chrono::seconds(1700000000)), 0});
    return Value();
  }
  Result<Value> call(std::string_view method, std::span<const Value> args) override {
    if (method == "GetMeta" && args.size() == 1 && args[0].is_string()) {
      return meta_view_.get(args[0].as_string());
    }
    if (method == "SetMeta" && args.size() == 2 && args[0].is_string() && args[1].is_string()) {
      meta_[std::string(args[0].as_string())] = std::string(args[1].as_string());
      return Value::boolean(true);
    }
    return Object::call(method, args);
  }

 private:
  StringMap meta_, parsed_;
  StringMapObject meta_view_{&meta_}, parsed_view_{&parsed_};
  Value unmarshaled_;
};

class FuzzQueue final : public Object {
 public:
  explicit FuzzQueue(FuzzEvent* e) : e_(e) {}
  std::string_view type_name() const override { return "Queue"; }
  Value get(std::string_view field) const override {
    return field == "Queue" ? Value::object(this) : Value();
  }
  bool is_list() const override { return true; }
  std::optional<size_t> size() const override { return 3; }
  Value at(size_t) const override { return Value::object(e_); }

 private:
  FuzzEvent* e_;
};

const DataFiles& data_files() {
  static const DataFiles* files = [] {
    auto* f = new DataFiles();
    (void)f->add_strings("lines.txt", {"/a.php", "10.0.0.0/8", "x"});
    (void)f->add_regexps("re.txt", {"^/a", "(?i)php$"});
    (void)f->add_map("map.json", {R"({"pattern":"/a","tag":"t","type":"contains"})"});
    return f;
  }();
  return *files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search down
  std::string_view source(reinterpret_cast<const char*>(data), size);
  CompileOptions opts{.variables = {"evt", "queue"}, .data_files = &data_files()};
  auto program = compile(source, opts);
  if (!program) return 0;
  FuzzEvent evt;
  FuzzQueue queue(&evt);
  LruStash stash;
  RunContext ctx{.data_files = &data_files(), .stash = &stash};
  Value vars[] = {Value::object(&evt), Value::object(&queue)};
  auto result = program->run(vars, ctx);
  if (result) (void)result->to_string();
  (void)program->equality_constraints();
  return 0;
}
