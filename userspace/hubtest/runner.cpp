// SPDX-License-Identifier: Apache-2.0
#include "hubtest/runner.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "core/clock.h"
#include "expr/program.h"
#include "expr/stash.h"
#include "parser/enrichers.h"
#include "parser/pipeline.h"

namespace phalanx::hubtest {
namespace fs = std::filesystem;

namespace {

using expr::Value;

// Collects the parser dump: stage → node → one entry per event that reached the node.
class DumpObserver final : public parser::ParseObserver {
 public:
  void on_node(std::string_view stage, const std::string& node, const parser::Event& event,
               bool success) override {
    auto entry = std::make_shared<expr::Map>();
    entry->set("Idx", Value::integer(int64_t(line_index)));
    entry->set("Evt", parser::snapshot_event(event));
    entry->set("Success", Value::boolean(success));
    dump_[std::string(stage)][node].push_back(Value::map(std::move(entry)));
  }

  // The `results` variable of parser.assert. It always holds a "success" stage mapping "" to
  // an empty list, as the hub's dump does, so len(results) is the stage count plus one.
  Value results(const std::vector<std::string>& stages) const {
    auto root = std::make_shared<expr::Map>();
    for (const auto& stage : stages) {
      auto nodes = std::make_shared<expr::Map>();
      if (auto it = dump_.find(stage); it != dump_.end()) {
        for (const auto& [node, entries] : it->second)
          nodes->set(node, Value::array(entries));
      }
      root->set(stage, Value::map(std::move(nodes)));
    }
    auto success = std::make_shared<expr::Map>();
    success->set("", Value::array(expr::Array{}));
    root->set("success", Value::map(std::move(success)));
    return Value::map(std::move(root));
  }

  size_t line_index = 0;

 private:
  std::map<std::string, std::map<std::string, expr::Array>> dump_;
};

// Resolves a test's parser reference: a hub name, or a path relative to the test directory
// or to the hub root.
Result<parser::ParserItem> resolve_parser(const hub::Index& index, const TestCase& tc,
                                          const std::string& ref) {
  if (ref.ends_with(".yaml") || ref.ends_with(".yml")) {
    for (const fs::path& base : {fs::path(tc.dir), fs::path(index.dir())}) {
      const fs::path p = (base / ref).lexically_normal();
      if (fs::exists(p))
        return parser::ParserItem{parser::stage_of_path(p.string()), p.string(), {}};
    }
    return Error("parser file '" + ref + "' not found");
  }
  PHALANX_TRY(auto item, index.find(hub::ItemType::kParser, ref));
  return parser::ParserItem{item.stage, item.path, {}};
}

// The node the hub's runner injects for override_statics: first in s00-raw, always entered.
std::string overrides_yaml(const TestCase& tc) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "overrides";
  out << YAML::Key << "filter" << YAML::Value << "1==1";
  out << YAML::Key << "statics" << YAML::Value << YAML::BeginSeq;
  for (const auto& st : tc.override_statics) {
    static constexpr const char* kKinds[] = {"method", "parsed", "meta", "enriched", "target"};
    out << YAML::BeginMap << YAML::Key << kKinds[int(st.kind)] << YAML::Value << st.key;
    if (!st.value.empty()) out << YAML::Key << "value" << YAML::Value << st.value;
    if (!st.expression.empty()) out << YAML::Key << "expression" << YAML::Value << st.expression;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return out.c_str();
}

bool mentions_geoip(const std::vector<std::string>& lines) {
  static constexpr std::string_view kGeoFields[] = {"IsoCode",  "IsInEU",   "ASNNumber",
                                                    "ASNumber", "ASNOrg",   "SourceRange",
                                                    "Latitude", "Longitude"};
  for (const auto& line : lines) {
    for (auto field : kGeoFields) {
      if (line.find(field) != std::string::npos) return true;
    }
  }
  return false;
}

// The hub's runner rewrites datasource_path comparisons to compare basenames.
std::string rewrite_assert(const std::string& line) {
  if (line.find("datasource_path") == std::string::npos ||
      line.find("basename(") != std::string::npos) {
    return line;
  }
  const auto eq = line.find(" == ");
  if (eq == std::string::npos) return line;
  return "basename(" + line.substr(0, eq) + ")" + line.substr(eq);
}

// Evaluates one assertion; on failure, also evaluates the left-hand side for the report.
std::optional<AssertFailure> check_assert(const std::string& line, const Value& results) {
  const expr::CompileOptions opts{.variables = {"results"}};
  const std::string source = rewrite_assert(line);
  auto program = expr::compile(source, opts);
  if (!program) return AssertFailure{line, "compile error: " + program.error().message()};
  const Value vars[] = {results};
  auto out = program->run(vars);
  if (out && out->is_bool() && out->as_bool()) return std::nullopt;
  AssertFailure failure{line, ""};
  if (!out) {
    failure.actual = "error: " + out.error().message();
  } else if (!out->is_bool()) {
    failure.actual = "not a boolean: " + out->to_string();
  } else if (const auto eq = source.find(" == "); eq != std::string::npos) {
    auto lhs = expr::compile(source.substr(0, eq), opts);
    auto value = lhs ? lhs->run(vars) : Result<Value>(lhs.error());
    failure.actual = value ? value->to_string() : "error: " + value.error().message();
  } else {
    failure.actual = "false";
  }
  return failure;
}

}  // namespace

std::string_view status_name(Status status) {
  switch (status) {
    case Status::kPass:
      return "pass";
    case Status::kFail:
      return "fail";
    case Status::kSkip:
      return "skip";
    case Status::kError:
      return "error";
  }
  return "?";
}

TestResult Runner::run(const std::string& test_dir) const {
  TestResult result;
  result.name = fs::path(test_dir).filename().string();
  auto loaded = load_test_case(test_dir);
  if (!loaded) {
    result.status = Status::kError;
    result.reason = loaded.error().message();
    return result;
  }
  const TestCase& tc = *loaded;
  result.scenario_part_pending = !tc.scenarios.empty();
  auto skip = [&](std::string reason) {
    result.status = Status::kSkip;
    result.reason = std::move(reason);
    return result;
  };
  if (tc.appsec) return skip("needs the AppSec (WAF) engine");
  if (tc.ignore_parsers || tc.parser_asserts.empty()) {
    return skip(tc.scenarios.empty() ? "no parser assertions"
                                     : "scenario assertions only (no parser assertions)");
  }
  if (options_.geoip_city_path.empty() && mentions_geoip(tc.parser_asserts)) {
    return skip("needs the GeoLite2 databases (not available)");
  }

  parser::PipelineOptions popts;
  popts.pattern_dirs = {index_.patterns_dir()};
  popts.data_files = std::make_shared<expr::DataFiles>(index_.data_dir());
  for (const auto& ref : tc.parsers) {
    auto item = resolve_parser(index_, tc, ref);
    if (!item) {
      result.status = Status::kError;
      result.reason = item.error().message();
      return result;
    }
    popts.items.push_back(std::move(*item));
  }
  if (!tc.override_statics.empty()) {
    popts.items.push_back({"s00-raw", "00_overrides.yaml", overrides_yaml(tc)});
  }
  Diagnostics diags;
  auto pipeline = parser::Pipeline::load(popts, diags);
  if (diags.has_errors()) {
    result.status = Status::kError;
    for (const auto& d : diags.items()) {
      if (d.severity == Diagnostic::Severity::kError) result.reason += d.to_string() + "; ";
    }
    return result;
  }

  parser::EnricherOptions eopts{.geoip_city_path = options_.geoip_city_path,
                                .geoip_asn_path = options_.geoip_asn_path,
                                .pinned_year = options_.year};
  auto enrichers = parser::Enrichers::create(eopts);
  if (!enrichers) {
    result.status = Status::kError;
    result.reason = enrichers.error().message();
    return result;
  }
  expr::LruStash stash;
  pipeline->configure_stash(stash);
  expr::RunContext run_ctx{.data_files = popts.data_files.get(), .stash = &stash};
  parser::ParseContext ctx{.run = &run_ctx, .enrichers = enrichers->get()};

  std::ifstream in(tc.log_file, std::ios::binary);
  if (!in) {
    result.status = Status::kError;
    result.reason = "cannot read log file " + tc.log_file;
    return result;
  }
  DumpObserver dump;
  std::string raw;
  const ZonedTime now{SystemClock::instance().now(), 0};
  while (std::getline(in, raw)) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (raw.empty()) continue;  // cat mode skips empty lines
    parser::Event evt = parser::make_line_event(raw, tc.log_type, tc.log_file, now);
    for (const auto& [k, v] : tc.labels)
      evt.line.labels.set(k, v);
    (void)pipeline->parse(evt, ctx, &dump);  // a failed event is simply not parsed further
    ++dump.line_index;
  }
  result.lines = dump.line_index;

  const Value results = dump.results(pipeline->stages());
  for (const auto& line : tc.parser_asserts) {
    ++result.parser_asserts;
    if (auto failure = check_assert(line, results)) result.failures.push_back(std::move(*failure));
  }
  result.status = result.failures.empty() ? Status::kPass : Status::kFail;
  return result;
}

}  // namespace phalanx::hubtest
