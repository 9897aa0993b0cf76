// SPDX-License-Identifier: Apache-2.0
// phalanx explain: shows, for each line, every stage and node of the parser pipeline — whether
// it ran, whether it succeeded, and what it set — so an admin can see why a line parsed or not.
#include "cli/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/content.h"
#include "cli/output.h"

namespace phalanx::cli {
namespace {

struct NodeRun {
  std::string node;
  bool success = false;
  std::vector<std::pair<std::string, std::string>> changes;  // "Meta.log_type" → value
};

void diff_map(std::string_view prefix, const parser::StringMap& before,
              const parser::StringMap& after, NodeRun& out) {
  for (const auto& [k, v] : after) {
    const std::string* old = before.find(k);
    if (old == nullptr || *old != v) out.changes.emplace_back(fmt::format("{}.{}", prefix, k), v);
  }
}

void diff_field(std::string_view name, const std::string& before, const std::string& after,
                NodeRun& out) {
  if (before != after) out.changes.emplace_back(std::string(name), after);
}

// Records what each top-level node changed, by comparing the event with its previous state.
class ExplainObserver final : public parser::ParseObserver {
 public:
  explicit ExplainObserver(const parser::Event& initial) : previous_(initial) {}

  void on_node(std::string_view stage, const std::string& node, const parser::Event& evt,
               bool success) override {
    NodeRun run{node, success, {}};
    diff_map("Parsed", previous_.parsed, evt.parsed, run);
    diff_map("Meta", previous_.meta, evt.meta, run);
    diff_map("Enriched", previous_.enriched, evt.enriched, run);
    diff_field("StrTime", previous_.str_time, evt.str_time, run);
    diff_field("StrTimeFormat", previous_.str_time_format, evt.str_time_format, run);
    diff_field("MarshaledTime", previous_.marshaled_time, evt.marshaled_time, run);
    const std::string before_u = previous_.unmarshaled.to_string();
    const std::string after_u = evt.unmarshaled.to_string();
    if (before_u != after_u) run.changes.emplace_back("Unmarshaled", after_u);
    if (!previous_.whitelisted && evt.whitelisted) {
      run.changes.emplace_back("Whitelisted", "true (" + evt.whitelist_reason + ")");
    }
    runs_[std::string(stage)].push_back(std::move(run));
    previous_ = evt;
  }

  // The first stage in which no node succeeded (where the event was dropped).
  std::string first_failed_stage(const std::vector<std::string>& stages) const {
    for (const auto& stage : stages) {
      const auto* list = runs(stage);
      const bool any_ok =
          list != nullptr &&
          std::any_of(list->begin(), list->end(), [](const NodeRun& r) { return r.success; });
      if (!any_ok) return stage;
    }
    return "";
  }

  const std::vector<NodeRun>* runs(const std::string& stage) const {
    auto it = runs_.find(stage);
    return it == runs_.end() ? nullptr : &it->second;
  }

 private:
  parser::Event previous_;
  std::map<std::string, std::vector<NodeRun>> runs_;
};

struct Explained {
  std::string raw;
  bool parsed = false;
  std::string error;
  parser::Event final_event;
  std::string dropped_at;  // the stage where no node succeeded
};

std::string verdict(const Explained& e) {
  if (!e.error.empty()) return "error: " + e.error;
  if (!e.parsed && e.dropped_at.empty()) return "dropped: no parser is loaded";
  if (!e.parsed) return "dropped: no node succeeded in stage " + e.dropped_at;
  if (e.final_event.whitelisted) return "whitelisted: " + e.final_event.whitelist_reason;
  return "parsed: the event goes on to the scenarios";
}

void print_human(const Explained& e, const ExplainObserver& obs, const parser::Pipeline& p,
                 std::ostream& out) {
  out << "line: " << printable(e.raw) << "\n";
  for (const auto& stage : p.stages()) {
    out << "  " << stage << "\n";
    const auto* runs = obs.runs(stage);
    size_t i = 0;
    for (const auto& name : p.node_names(stage)) {
      const NodeRun* run =
          runs != nullptr && i < runs->size() && (*runs)[i].node == name ? &(*runs)[i++] : nullptr;
      if (run == nullptr) {
        out << fmt::format("    - {:<40} not run\n", name);
        continue;
      }
      out << fmt::format("    {} {}\n", run->success ? "\u2713" : "\u2717", name);
      for (const auto& [k, v] : run->changes) {
        out << fmt::format("        {} = {}\n", k, printable(v));
      }
    }
  }
  out << "  => " << verdict(e) << "\n";
}

nlohmann::json to_json(const Explained& e, const ExplainObserver& obs, const parser::Pipeline& p) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& stage : p.stages()) {
    nlohmann::json nodes = nlohmann::json::array();
    const auto* runs = obs.runs(stage);
    size_t i = 0;
    for (const auto& name : p.node_names(stage)) {
      const bool ran = runs != nullptr && i < runs->size() && (*runs)[i].node == name;
      nlohmann::json node{{"name", name}, {"ran", ran}};
      if (ran) {
        const NodeRun& run = (*runs)[i++];
        node["success"] = run.success;
        nlohmann::json changes = nlohmann::json::object();
        for (const auto& [k, v] : run.changes)
          changes[k] = json_string(v);
        node["set"] = std::move(changes);
      }
      nodes.push_back(std::move(node));
    }
    stages.push_back({{"stage", stage}, {"nodes", std::move(nodes)}});
  }
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& [k, v] : e.final_event.meta)
    meta[k] = json_string(v);
  return {{"line", json_string(e.raw)},
          {"parsed", e.parsed},
          {"whitelisted", e.final_event.whitelisted},
          {"verdict", verdict(e)},
          {"meta", std::move(meta)},
          {"stages", std::move(stages)}};
}

}  // namespace

int run_explain(const ExplainOptions& opts) {
  auto content = load_content(opts.content);
  if (!content) return fail("explain: " + content.error().message());
  report_diagnostics(content->diagnostics, opts.content.show_warnings);
  std::vector<std::string> lines;
  if (!opts.line.empty()) lines.push_back(opts.line);
  if (!opts.file.empty()) {
    std::ifstream in(opts.file, std::ios::binary);
    if (!in) return fail("explain: cannot read " + opts.file);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (!l.empty()) lines.push_back(std::move(l));
    }
  }
  if (lines.empty()) return usage_error("explain: give --line or --file");

  LineParser parser(*content);
  const ZonedTime now{SystemClock::instance().now(), 0};
  nlohmann::json all = nlohmann::json::array();
  for (const auto& raw : lines) {
    Explained e;
    e.raw = raw;
    parser::Event evt =
        parser::make_line_event(raw, opts.type, opts.file.empty() ? "-" : opts.file, now);
    ExplainObserver obs(evt);
    auto parsed = parser.parse(evt, &obs);
    if (!parsed) {
      e.error = parsed.error().message();
    } else {
      e.parsed = *parsed;
      if (!e.parsed) e.dropped_at = obs.first_failed_stage(content->pipeline->stages());
    }
    e.final_event = std::move(evt);
    if (opts.json) {
      all.push_back(to_json(e, obs, *content->pipeline));
    } else {
      print_human(e, obs, *content->pipeline, std::cout);
    }
  }
  if (opts.json) std::cout << all.dump(2) << "\n";
  return 0;
}

}  // namespace phalanx::cli
