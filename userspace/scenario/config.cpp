// SPDX-License-Identifier: Apache-2.0
#include "scenario/config.h"

#include <cstdlib>

#include "core/yaml.h"

namespace phalanx::scenario {
namespace {

using yaml::line_of;

struct Ctx {
  const std::string& file;
  std::string item;
  Diagnostics& diags;
  bool ok = true;

  void error(const YAML::Node& at, std::string message) {
    diags.error(file, line_of(at), item, std::move(message));
    ok = false;
  }
};

void read_string(Ctx& c, const YAML::Node& doc, std::string_view key, std::string& out) {
  auto v = yaml::get_string(doc, key, c.file, out);
  if (!v) return c.error(doc[std::string(key)], v.error().message());
  out = std::move(*v);
}

void read_int(Ctx& c, const YAML::Node& doc, std::string_view key, long long& out) {
  auto v = yaml::get_int(doc, key, c.file, out);
  if (!v) return c.error(doc[std::string(key)], v.error().message());
  out = *v;
}

void read_bool(Ctx& c, const YAML::Node& doc, std::string_view key, bool& out) {
  auto v = yaml::get_bool(doc, key, c.file, out);
  if (!v) return c.error(doc[std::string(key)], v.error().message());
  out = *v;
}

void read_float(Ctx& c, const YAML::Node& node, std::string_view key, double& out) {
  const YAML::Node v = node[std::string(key)];
  if (!v) return;
  if (!v.IsScalar()) return c.error(v, "key '" + std::string(key) + "': expected a number");
  const std::string text = v.Scalar();
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return c.error(v, "key '" + std::string(key) + "': '" + text + "' is not a number");
  }
  out = d;
}

// Reads a Go duration; an absent key leaves `out` alone and returns false.
bool read_duration(Ctx& c, const YAML::Node& doc, std::string_view key, Duration& out) {
  std::string text;
  read_string(c, doc, key, text);
  if (text.empty()) return false;
  auto d = parse_go_duration(text);
  if (!d) {
    c.error(doc[std::string(key)], "key '" + std::string(key) + "': " + d.error().message());
    return false;
  }
  out = *d;
  return true;
}

// "1.0" ≤ format ≤ "3.0", compared as the hub's version constraint does (major.minor).
bool format_supported(const std::string& format) {
  char* end = nullptr;
  const double v = std::strtod(format.c_str(), &end);
  return end != format.c_str() && v >= 1.0 && v <= 3.0;
}

void decode_scope(Ctx& c, const YAML::Node& scope, ScenarioConfig& out) {
  if (!scope.IsMap()) return c.error(scope, "scope must be a map with type and expression");
  c.ok =
      parser::check_known_keys(scope, {"type", "expression"}, c.file, c.item, "scope", c.diags) &&
      c.ok;
  read_string(c, scope, "type", out.scope_type);
  read_string(c, scope, "expression", out.scope_expression);
  if (out.scope_type.empty()) out.scope_type = "Ip";
  // The hub spells the two built-in scopes in any case ("ip", "Range"); the alert uses the
  // canonical spelling.
  std::string lower;
  for (char ch : out.scope_type)
    lower += char(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "ip") out.scope_type = "Ip";
  if (lower == "range") out.scope_type = "Range";
  if (out.scope_type == "Ip" && !out.scope_expression.empty()) {
    c.error(scope, "scope Ip takes no expression (the source is evt.Meta.source_ip)");
  }
  if (out.scope_type != "Ip" && out.scope_type != "Range" && out.scope_expression.empty()) {
    c.error(scope, "scope '" + out.scope_type + "' needs an expression returning the value");
  }
}

void decode_bayesian(Ctx& c, const YAML::Node& list, ScenarioConfig& out) {
  if (!list.IsSequence()) return c.error(list, "bayesian_conditions must be a list");
  for (const auto& node : list) {
    if (!node.IsMap()) {
      c.error(node, "a bayesian condition must be a map");
      continue;
    }
    c.ok = parser::check_known_keys(
               node, {"condition", "prob_given_evil", "prob_given_benign", "guillotine"}, c.file,
               c.item, "bayesian condition", c.diags) &&
           c.ok;
    BayesianConditionConfig bc;
    bc.line = line_of(node);
    read_string(c, node, "condition", bc.condition);
    read_float(c, node, "prob_given_evil", bc.prob_given_evil);
    read_float(c, node, "prob_given_benign", bc.prob_given_benign);
    read_bool(c, node, "guillotine", bc.guillotine);
    if (bc.condition.empty()) c.error(node, "a bayesian condition needs 'condition'");
    out.bayesian_conditions.push_back(std::move(bc));
  }
}

// The per-type rules of the hub's validation (spec §3.1, §3.4).
void validate(Ctx& c, const YAML::Node& doc, ScenarioConfig& s, bool has_capacity,
              bool has_leakspeed, bool has_duration) {
  switch (s.type) {
    case BucketType::kLeaky:
      if (s.capacity <= 0)
        c.error(doc, "bad capacity for leaky '" + std::to_string(s.capacity) + "'");
      if (!has_leakspeed || s.leakspeed.count() <= 0) c.error(doc, "leaky needs a leakspeed > 0");
      break;
    case BucketType::kTrigger:
      if (has_capacity && s.capacity != 0) c.error(doc, "trigger can't have a capacity");
      break;
    case BucketType::kCounter:
      if (!has_duration || s.duration.count() <= 0) c.error(doc, "counter needs a duration > 0");
      if (s.capacity != -1) c.error(doc, "counter must have a capacity of -1");
      break;
    case BucketType::kConditional:
      if (s.condition.empty()) c.error(doc, "conditional bucket needs a condition");
      if (!has_leakspeed || s.leakspeed.count() <= 0) {
        c.error(doc, "conditional bucket needs a leakspeed > 0");
      }
      if (s.capacity != -1) {
        c.diags.warning(c.file, line_of(doc), c.item,
                        "conditional bucket capacity should be -1 (unlimited)");
      }
      break;
    case BucketType::kBayesian:
      if (s.capacity != -1) c.error(doc, "bayesian bucket must have a capacity of -1");
      if (!has_leakspeed || s.leakspeed.count() <= 0) {
        c.error(doc, "bayesian bucket needs a leakspeed > 0");
      }
      if (s.bayesian_conditions.empty()) c.error(doc, "bayesian bucket needs bayesian_conditions");
      if (!(s.bayesian_prior > 0 && s.bayesian_prior <= 1)) {
        c.error(doc, "bayesian_prior must be in (0, 1]");
      }
      if (!(s.bayesian_threshold > 0 && s.bayesian_threshold <= 1)) {
        c.error(doc, "bayesian_threshold must be in (0, 1]");
      }
      break;
  }
}

std::optional<ScenarioConfig> decode_one(const YAML::Node& doc, const std::string& file,
                                         Diagnostics& diags) {
  ScenarioConfig s;
  s.file = file;
  s.line = line_of(doc);
  Ctx c{file, {}, diags};
  if (!doc.IsMap()) {
    c.error(doc, "a scenario must be a map");
    return std::nullopt;
  }
  read_string(c, doc, "name", s.name);
  c.item = s.name;
  c.ok = parser::check_known_keys(doc,
                                  {"type",
                                   "name",
                                   "description",
                                   "filter",
                                   "groupby",
                                   "distinct",
                                   "capacity",
                                   "leakspeed",
                                   "duration",
                                   "blackhole",
                                   "reprocess",
                                   "cache_size",
                                   "overflow_filter",
                                   "cancel_on",
                                   "condition",
                                   "bayesian_prior",
                                   "bayesian_threshold",
                                   "bayesian_conditions",
                                   "scope",
                                   "labels",
                                   "data",
                                   "format",
                                   "debug",
                                   "references",
                                   "version",
                                   "author",
                                   "profiling"},
                                  file, s.name, "scenario", diags) &&
         c.ok;

  std::string format;
  read_string(c, doc, "format", format);
  if (!format.empty() && !format_supported(format)) {
    diags.warning(file, s.line, s.name,
                  "format " + format + " is not supported (1.0 to 3.0); scenario skipped");
    return std::nullopt;
  }

  std::string type;
  read_string(c, doc, "type", type);
  if (type == "leaky") {
    s.type = BucketType::kLeaky;
  } else if (type == "trigger") {
    s.type = BucketType::kTrigger;
  } else if (type == "counter") {
    s.type = BucketType::kCounter;
  } else if (type == "conditional") {
    s.type = BucketType::kConditional;
  } else if (type == "bayesian") {
    s.type = BucketType::kBayesian;
  } else if (type.empty()) {
    c.error(doc, "missing 'type'");
  } else {
    c.error(doc["type"], "unknown bucket type '" + type + "'");
  }
  if (s.name.empty()) c.error(doc, "missing 'name'");
  read_string(c, doc, "description", s.description);
  if (s.description.empty()) c.error(doc, "missing 'description'");
  read_string(c, doc, "filter", s.filter);
  if (s.filter.empty()) c.error(doc, "missing 'filter'");
  read_string(c, doc, "groupby", s.groupby);
  read_string(c, doc, "distinct", s.distinct);
  read_string(c, doc, "overflow_filter", s.overflow_filter);
  read_string(c, doc, "cancel_on", s.cancel_on);
  read_string(c, doc, "condition", s.condition);
  read_string(c, doc, "version", s.version);
  read_int(c, doc, "capacity", s.capacity);
  read_int(c, doc, "cache_size", s.cache_size);
  read_bool(c, doc, "reprocess", s.reprocess);
  read_bool(c, doc, "debug", s.debug);
  const bool has_leakspeed = read_duration(c, doc, "leakspeed", s.leakspeed);
  const bool has_duration = read_duration(c, doc, "duration", s.duration);
  Duration blackhole{0};
  if (read_duration(c, doc, "blackhole", blackhole)) s.blackhole = blackhole;
  read_float(c, doc, "bayesian_prior", s.bayesian_prior);
  read_float(c, doc, "bayesian_threshold", s.bayesian_threshold);
  if (doc["bayesian_conditions"]) decode_bayesian(c, doc["bayesian_conditions"], s);
  if (doc["scope"]) decode_scope(c, doc["scope"], s);
  if (doc["data"])
    c.ok = parser::decode_data_list(doc["data"], file, s.name, s.data, diags) && c.ok;
  if (const YAML::Node labels = doc["labels"]) {
    if (!labels.IsMap() && !labels.IsNull()) {
      c.error(labels, "labels must be a map");
    } else {
      // A clone: a node of the document would keep the whole file's tree alive with it.
      s.labels = YAML::Clone(labels);
      if (const YAML::Node r = labels["remediation"]; r && r.IsScalar()) {
        s.remediation = r.Scalar() == "true" || r.Scalar() == "True" || r.Scalar() == "TRUE";
      }
    }
  }
  validate(c, doc, s, bool(doc["capacity"]), has_leakspeed, has_duration);
  if (!c.ok) return std::nullopt;
  return s;
}

}  // namespace

std::string_view bucket_type_name(BucketType type) {
  switch (type) {
    case BucketType::kLeaky:
      return "leaky";
    case BucketType::kTrigger:
      return "trigger";
    case BucketType::kCounter:
      return "counter";
    case BucketType::kConditional:
      return "conditional";
    case BucketType::kBayesian:
      return "bayesian";
  }
  return "?";
}

std::vector<ScenarioConfig> decode_scenarios(const std::string& file, const std::string& text,
                                             Diagnostics& diags) {
  std::vector<ScenarioConfig> out;
  auto docs = yaml::load_string(text, file);
  if (!docs) {
    diags.error(file, 0, {}, docs.error().message());
    return out;
  }
  for (const auto& doc : *docs) {
    if (!doc.root || doc.root.IsNull()) continue;
    if (auto s = decode_one(doc.root, file, diags)) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace phalanx::scenario
