// SPDX-License-Identifier: Apache-2.0
#include "hubtest/runner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/clock.h"
#include "expr/program.h"
#include "expr/stash.h"
#include "parser/enrichers.h"
#include "parser/pipeline.h"
#include "scenario/detector.h"

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

// Resolves a test's item reference: a hub name, or a path relative to the test directory or
// to the hub root.
Result<hub::Item> resolve_item(const hub::Index& index, const TestCase& tc, hub::ItemType type,
                               const std::string& ref) {
  if (ref.ends_with(".yaml") || ref.ends_with(".yml")) {
    // "/scenarios/x.yaml" is relative to the hub root too.
    const std::string rel = ref.starts_with("/") ? ref.substr(1) : ref;
    for (const fs::path& base : {fs::path(tc.dir), fs::path(index.dir())}) {
      const fs::path p = (base / rel).lexically_normal();
      if (fs::exists(p)) return hub::Item{type, ref, p.string(), parser::stage_of_path(p.string())};
    }
    return Error(std::string(hub::item_type_name(type)) + " file '" + ref + "' not found");
  }
  return index.find(type, ref);
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
std::optional<AssertFailure> check_assert(const std::string& file, const std::string& line,
                                          const Value& results) {
  const expr::CompileOptions opts{.variables = {"results"}};
  const std::string source = rewrite_assert(line);
  auto program = expr::compile(source, opts);
  if (!program) return AssertFailure{file, line, "compile error: " + program.error().message()};
  const Value vars[] = {results};
  auto out = program->run(vars);
  if (out && out->is_bool() && out->as_bool()) return std::nullopt;
  AssertFailure failure{file, line, ""};
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

namespace {

// Whether a test depends on what only the GeoLite2 databases provide: it runs a geoip-enrich
// parser (the hub's, or a copy pointing at test databases that cannot be downloaded here) and
// its assertions or scenarios read geo fields.
bool needs_geoip(const TestCase& tc, const std::vector<std::string>& scenario_texts) {
  const bool enriches = std::any_of(tc.parsers.begin(), tc.parsers.end(), [](const auto& p) {
    return p.find("geoip-enrich") != std::string::npos;
  });
  return enriches && (mentions_geoip(tc.parser_asserts) || mentions_geoip(tc.scenario_asserts) ||
                      mentions_geoip(scenario_texts));
}

// A data file a scenario or parser names but the hub snapshot does not ship (the hub's runner
// downloads them from their source_url, which is not reachable here).
std::optional<std::string> missing_data_file(const Diagnostics& diags) {
  for (const auto& d : diags.items()) {
    if (d.severity == Diagnostic::Severity::kError &&
        d.message.find("loading data file") != std::string::npos &&
        d.message.find("No such file") != std::string::npos) {
      return d.message;
    }
  }
  return std::nullopt;
}

// The `results` of scenario.assert: the bucket dump, sorted descending by scenario and sources
// as the hub's runner does.
Value scenario_results(std::vector<parser::Event> dump) {
  auto sort_key = [](const parser::Event& e) {
    std::string key = e.overflow->alert() ? e.overflow->alert()->scenario : std::string();
    bool first = true;
    for (const auto& [value, src] : e.overflow->sources) {
      if (!first) key += "@";
      key += value;
      first = false;
    }
    return key;
  };
  std::stable_sort(dump.begin(), dump.end(), [&](const parser::Event& a, const parser::Event& b) {
    return sort_key(a) > sort_key(b);
  });
  expr::Array results;
  results.reserve(dump.size());
  for (const auto& e : dump)
    results.push_back(parser::snapshot_event(e));
  return Value::array(std::move(results));
}

}  // namespace

TestResult Runner::run(const std::string& test_dir) const {
  TestResult result;
  result.name = fs::path(test_dir).filename().string();
  auto loaded = load_test_case(test_dir);
  auto error = [&](std::string reason) {
    result.status = Status::kError;
    result.reason = std::move(reason);
    return result;
  };
  if (!loaded) return error(loaded.error().message());
  const TestCase& tc = *loaded;
  auto skip = [&](std::string reason) {
    result.status = Status::kSkip;
    result.reason = std::move(reason);
    return result;
  };
  if (tc.appsec) return skip("needs the AppSec (WAF) engine");
  const bool check_parsers = !tc.ignore_parsers && !tc.parser_asserts.empty();
  const bool check_scenarios = !tc.scenarios.empty();
  if (!check_parsers && !check_scenarios) return skip("no parser or scenario assertions");

  parser::PipelineOptions popts;
  popts.pattern_dirs = {index_.patterns_dir()};
  popts.data_files = std::make_shared<expr::DataFiles>(index_.data_dir());
  parser::PipelineOptions post_opts = popts;
  for (const auto& ref : tc.parsers) {
    auto item = resolve_item(index_, tc, hub::ItemType::kParser, ref);
    if (!item) return error(item.error().message());
    popts.items.push_back({item->stage, item->path, {}});
  }
  if (!tc.override_statics.empty()) {
    popts.items.push_back({"s00-raw", "00_overrides.yaml", overrides_yaml(tc)});
  }
  for (const auto& ref : tc.postoverflows) {
    auto item = resolve_item(index_, tc, hub::ItemType::kPostoverflow, ref);
    if (!item) return error(item.error().message());
    post_opts.items.push_back({item->stage, item->path, {}});
  }
  scenario::LoadOptions sopts{.items = {}, .data_files = popts.data_files, .functions = {}};
  std::vector<std::string> scenario_texts;
  for (const auto& ref : tc.scenarios) {
    auto item = resolve_item(index_, tc, hub::ItemType::kScenario, ref);
    if (!item) return error(item.error().message());
    std::ifstream file(item->path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    sopts.items.push_back({item->path, text});
    scenario_texts.push_back(std::move(text));
  }
  if (options_.geoip_city_path.empty() && needs_geoip(tc, scenario_texts)) {
    return skip("needs the GeoLite2 databases (not available)");
  }
  Diagnostics diags;
  auto pipeline = parser::Pipeline::load(popts, diags);
  auto postoverflows = parser::Pipeline::load(post_opts, diags);
  auto scenarios = scenario::ScenarioSet::load(sopts, diags);
  if (auto missing = missing_data_file(diags)) {
    return skip("a data file is not in the hub snapshot: " + *missing);
  }
  if (diags.has_errors()) {
    std::string reason;
    for (const auto& d : diags.items()) {
      if (d.severity == Diagnostic::Severity::kError) reason += d.to_string() + "; ";
    }
    return error(reason);
  }

  parser::EnricherOptions eopts{.geoip_city_path = options_.geoip_city_path,
                                .geoip_asn_path = options_.geoip_asn_path,
                                .pinned_year = options_.year};
  auto enrichers = parser::Enrichers::create(eopts);
  if (!enrichers) return error(enrichers.error().message());
  expr::LruStash stash;
  pipeline->configure_stash(stash);
  postoverflows->configure_stash(stash);
  expr::RunContext run_ctx{.data_files = popts.data_files.get(), .stash = &stash};
  parser::ParseContext ctx{.run = &run_ctx, .enrichers = enrichers->get()};
  parser::ParseContext post_ctx{.run = &run_ctx, .enrichers = enrichers->get()};
  scenario::Detector detector(*scenarios, postoverflows.get(), &post_ctx, {}, run_ctx);

  std::ifstream in(tc.log_file, std::ios::binary);
  if (!in) return error("cannot read log file " + tc.log_file);
  DumpObserver dump;
  std::vector<parser::Event> alerts, overflows;
  std::string raw;
  const ZonedTime now{SystemClock::instance().now(), 0};
  while (std::getline(in, raw)) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (raw.empty()) continue;  // cat mode skips empty lines
    parser::Event evt = parser::make_line_event(raw, tc.log_type, tc.log_file, now);
    for (const auto& [k, v] : tc.labels)
      evt.line.labels.set(k, v);
    auto parsed = pipeline->parse(evt, ctx, &dump);
    ++dump.line_index;
    // Only events every stage parsed, and that no whitelist caught, reach the scenarios.
    if (parsed && *parsed && !evt.whitelisted) detector.feed(evt, alerts, &overflows);
  }
  result.lines = dump.line_index;
  result.alerts = overflows.size();

  if (check_parsers) {
    const Value results = dump.results(pipeline->stages());
    for (const auto& line : tc.parser_asserts) {
      ++result.parser_asserts;
      if (auto failure = check_assert("parser.assert", line, results)) {
        result.failures.push_back(std::move(*failure));
      }
    }
  }
  if (check_scenarios) {
    if (tc.scenario_asserts.empty()) {
      result.failures.push_back({"scenario.assert", "(empty)", "no scenario assertions"});
    }
    const Value results = scenario_results(std::move(overflows));
    for (const auto& line : tc.scenario_asserts) {
      ++result.scenario_asserts;
      if (auto failure = check_assert("scenario.assert", line, results)) {
        result.failures.push_back(std::move(*failure));
      }
    }
  }
  result.status = result.failures.empty() ? Status::kPass : Status::kFail;
  return result;
}

}  // namespace phalanx::hubtest
