// SPDX-License-Identifier: Apache-2.0
#include "profiles/profiles.h"

#include <optional>

#include "core/diagnostics.h"
#include "core/log.h"
#include "core/uuid.h"
#include "core/yaml.h"
#include "expr/go_format.h"
#include "expr/program.h"
#include "parser/overflow_object.h"

namespace phalanx::profiles {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("profiles");
  return log;
}

// One entry of a profile's `decisions`.
struct DecisionSpec {
  std::string type;
  std::optional<Duration> duration;  // absent: 4h
  std::string duration_text;
  std::string scope;
  std::string origin;
  bool simulated = false;
};

enum class OnError { kFail, kApply, kContinue, kBreak, kIgnore };

struct Profile {
  std::string name;
  std::string file;
  int line = 0;
  bool debug = false;
  std::vector<expr::Program> filters;
  std::optional<expr::Program> duration_expr;
  std::vector<DecisionSpec> decisions;
  bool break_on_success = false;
  OnError on_error = OnError::kFail;
};

constexpr Duration kDefaultDuration = std::chrono::hours(4);

const expr::CompileOptions& compile_options() {
  static const expr::CompileOptions opts{.variables = {"Alert"}};
  return opts;
}

struct Loader {
  const std::string& file;
  Diagnostics& diags;
  std::string item;
  bool ok = true;

  void error(const YAML::Node& at, std::string message) {
    diags.error(file, yaml::line_of(at), item, std::move(message));
    ok = false;
  }

  std::string scalar(const YAML::Node& parent, std::string_view key) {
    auto v = yaml::get_string(parent, key, file);
    if (!v) {
      error(parent[std::string(key)], v.error().message());
      return {};
    }
    return *v;
  }

  std::optional<expr::Program> compile(const YAML::Node& at, const std::string& source,
                                       std::string_view what) {
    auto prog = expr::compile(source, compile_options());
    if (!prog) {
      error(at, std::string(what) + " '" + source + "': " + prog.error().message());
      return std::nullopt;
    }
    return std::move(*prog);
  }

  std::optional<DecisionSpec> decision(const YAML::Node& node) {
    if (!node.IsMap()) {
      error(node, "decisions: each entry must be a map");
      return std::nullopt;
    }
    DecisionSpec d;
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (key != "type" && key != "duration" && key != "scope" && key != "origin" &&
          key != "simulated") {
        error(kv.first, "decisions: unknown key '" + key + "'");
      }
    }
    d.type = scalar(node, "type");
    if (d.type.empty()) error(node, "decisions: 'type' is required");
    d.duration_text = scalar(node, "duration");
    if (!d.duration_text.empty()) {
      auto parsed = parse_go_duration(d.duration_text, /*allow_days=*/true);
      if (!parsed) {
        error(node["duration"], "decisions: duration: " + parsed.error().message());
      } else {
        d.duration = *parsed;
      }
    }
    d.scope = scalar(node, "scope");
    d.origin = scalar(node, "origin");
    auto sim = yaml::get_bool(node, "simulated", file);
    if (!sim)
      error(node["simulated"], sim.error().message());
    else
      d.simulated = *sim;
    return d;
  }

  std::optional<Profile> profile(const YAML::Node& doc) {
    Profile p;
    p.file = file;
    p.line = yaml::line_of(doc);
    if (!doc.IsMap()) {
      error(doc, "a profile must be a map");
      return std::nullopt;
    }
    p.name = scalar(doc, "name");
    item = p.name;
    static const std::vector<std::string_view> kKeys = {
        "name",       "debug",      "filters",  "decisions",    "duration_expr",
        "on_success", "on_failure", "on_error", "notifications"};
    for (const auto& kv : doc) {
      const auto key = kv.first.as<std::string>();
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
        error(kv.first, "unknown key '" + key + "'");
    }
    if (p.name.empty()) error(doc, "'name' is required");
    auto debug = yaml::get_bool(doc, "debug", file);
    if (!debug)
      error(doc["debug"], debug.error().message());
    else
      p.debug = *debug;

    auto filters = yaml::get_string_list(doc, "filters", file);
    if (!filters) {
      error(doc["filters"], filters.error().message());
    } else {
      for (const auto& f : *filters)
        if (auto prog = compile(doc["filters"], f, "filter")) p.filters.push_back(std::move(*prog));
    }
    if (const YAML::Node ds = doc["decisions"]) {
      if (!ds.IsSequence()) {
        error(ds, "decisions: expected a list");
      } else {
        for (const auto& d : ds)
          if (auto spec = decision(d)) p.decisions.push_back(std::move(*spec));
      }
    }
    if (const std::string de = scalar(doc, "duration_expr"); !de.empty())
      p.duration_expr = compile(doc["duration_expr"], de, "duration_expr");

    const std::string on_success = scalar(doc, "on_success");
    if (on_success == "break")
      p.break_on_success = true;
    else if (!on_success.empty() && on_success != "continue")
      error(doc["on_success"], "on_success: '" + on_success + "' (expected continue or break)");
    // on_failure is accepted and has no effect: a filter that is false never stops the
    // profile's other filters nor the next profiles.
    const std::string on_failure = scalar(doc, "on_failure");
    if (!on_failure.empty() && on_failure != "continue" && on_failure != "break" &&
        on_failure != "apply")
      error(doc["on_failure"],
            "on_failure: '" + on_failure + "' (expected continue, break or apply)");
    const std::string on_error = scalar(doc, "on_error");
    if (on_error == "apply")
      p.on_error = OnError::kApply;
    else if (on_error == "continue")
      p.on_error = OnError::kContinue;
    else if (on_error == "break")
      p.on_error = OnError::kBreak;
    else if (on_error == "ignore")
      p.on_error = OnError::kIgnore;
    else if (!on_error.empty())
      error(doc["on_error"],
            "on_error: '" + on_error + "' (expected apply, continue, break or ignore)");
    auto notifications = yaml::get_string_list(doc, "notifications", file);
    if (!notifications)
      error(doc["notifications"], notifications.error().message());
    else if (!notifications->empty())
      diags.warning(file, yaml::line_of(doc["notifications"]), item,
                    "notifications are not sent by Phalanx; the key is ignored");
    return p;
  }
};

parser::Alert to_agent_alert(const storage::Alert& a) {
  parser::Alert out;
  out.scenario = a.scenario;
  out.scenario_hash = a.scenario_hash;
  out.scenario_version = a.scenario_version;
  out.message = a.message;
  out.leakspeed = a.leakspeed;
  out.start_at = expr::format_rfc3339_nano(ZonedTime{a.start_at, 0});
  out.stop_at = expr::format_rfc3339_nano(ZonedTime{a.stop_at, 0});
  out.kind = a.kind;
  out.capacity = a.capacity;
  out.events_count = a.events_count;
  out.simulated = a.simulated;
  out.remediation = a.remediation;
  out.source = a.source;
  out.events = a.events;
  out.meta = a.meta;
  return out;
}

// The profile's duration for one decision: duration_expr's result when it runs and parses,
// else the decision's own duration, else 4h.
Duration decision_duration(const Profile& p, const DecisionSpec& spec, const expr::Value& alert,
                           expr::RunContext& ctx) {
  const Duration fallback = spec.duration.value_or(kDefaultDuration);
  if (!p.duration_expr) return fallback;
  const expr::Value vars[] = {alert};
  auto out = p.duration_expr->run(vars, ctx);
  if (!out) {
    logger()->warn("profile '{}': duration_expr failed: {}", p.name, out.error().message());
    return fallback;
  }
  const expr::Value args[] = {*out};
  const std::string text = expr::go_sprintf("%v", args);
  auto parsed = parse_go_duration(text, /*allow_days=*/true);
  if (!parsed) {
    logger()->warn("profile '{}': duration_expr gave '{}', not a duration", p.name, text);
    return fallback;
  }
  return *parsed;
}

void generate(const Profile& p, const storage::Alert& alert, const expr::Value& alert_value,
              expr::RunContext& ctx, std::vector<storage::Decision>& out) {
  for (const auto& spec : p.decisions) {
    storage::Decision d;
    d.uuid = uuid_v4();
    d.simulated = spec.simulated || alert.simulated;
    d.scope = spec.scope.empty() ? alert.source.scope : spec.scope;
    d.type = spec.type;
    d.value = alert.source.value;
    d.origin = spec.origin.empty() ? "crowdsec" : "crowdsec/" + spec.origin;
    d.scenario = alert.scenario;
    // A decision lasts from the alert's end, not from now: a replayed alert about old logs makes
    // decisions that may have expired already.
    d.until = alert.stop_at + decision_duration(p, spec, alert_value, ctx);
    out.push_back(std::move(d));
  }
}

}  // namespace

struct ProfileSet::Impl {
  std::vector<Profile> profiles;
};

ProfileSet::ProfileSet() : impl_(std::make_unique<Impl>()) {}
ProfileSet::~ProfileSet() = default;
ProfileSet::ProfileSet(ProfileSet&&) noexcept = default;
ProfileSet& ProfileSet::operator=(ProfileSet&&) noexcept = default;

size_t ProfileSet::size() const {
  return impl_->profiles.size();
}

namespace {

Result<ProfileSet> build(Result<std::vector<yaml::Document>> docs, ProfileSet set,
                         std::vector<Profile>& profiles) {
  if (!docs) return docs.error().context("loading profiles");
  Diagnostics diags;
  for (const auto& doc : *docs) {
    if (doc.root.IsNull()) continue;  // an empty document between separators
    Loader loader{doc.file, diags, {}};
    auto p = loader.profile(doc.root);
    if (p && loader.ok) profiles.push_back(std::move(*p));
  }
  for (const auto& d : diags.items())
    if (d.severity == Diagnostic::Severity::kWarning) logger()->warn("{}", d.to_string());
  if (diags.has_errors()) {
    std::string msg = "loading profiles: " + std::to_string(diags.error_count()) + " error(s)";
    for (const auto& d : diags.items())
      if (d.severity == Diagnostic::Severity::kError) msg += "\n  " + d.to_string();
    return Error(std::move(msg));
  }
  return set;
}

}  // namespace

Result<ProfileSet> ProfileSet::load_file(const std::string& path) {
  ProfileSet set;
  std::vector<Profile>& profiles = set.impl_->profiles;
  return build(yaml::load_file(path), std::move(set), profiles);
}

Result<ProfileSet> ProfileSet::load_string(std::string_view text, std::string_view origin_name) {
  ProfileSet set;
  std::vector<Profile>& profiles = set.impl_->profiles;
  return build(yaml::load_string(text, std::string(origin_name)), std::move(set), profiles);
}

Result<Decided> ProfileSet::decide(const storage::Alert& alert,
                                   expr::DecisionCounter* counter) const {
  const parser::Alert view = to_agent_alert(alert);
  parser::AlertObject object(&view);
  const expr::Value alert_value = expr::Value::object(&object);
  expr::RunContext ctx{.decisions = counter};
  Decided out;
  for (const Profile& p : impl_->profiles) {
    bool matched = false;
    std::optional<Error> failure;
    std::vector<storage::Decision> decisions;
    for (const auto& filter : p.filters) {
      const expr::Value vars[] = {alert_value};
      auto v = filter.run(vars, ctx);
      if (v && !v->is_bool()) {
        const expr::Value args[] = {*v};
        v = Error("unexpected type " + expr::go_sprintf("%T", args) + " (" +
                  expr::go_sprintf("%v", args) + ")");
      }
      if (!v) {
        failure = v.error().context("profile '" + p.name + "': running '" + filter.source() + "'");
        decisions.clear();
        break;
      }
      if (p.debug)
        logger()->info("profile '{}': filter '{}' is {}", p.name, filter.source(), v->as_bool());
      if (!v->as_bool()) continue;
      // Each filter that is true adds the profile's decisions once more.
      matched = true;
      generate(p, alert, alert_value, ctx, decisions);
    }
    bool force_break = false;
    if (failure) {
      switch (p.on_error) {
        case OnError::kFail:
          return *failure;
        case OnError::kApply:
          logger()->warn("{}; applying the profile anyway", failure->message());
          matched = true;
          break;
        case OnError::kContinue:
          logger()->warn("{}; skipping the profile", failure->message());
          break;
        case OnError::kBreak:
          logger()->warn("{}; stopping", failure->message());
          force_break = true;
          break;
        case OnError::kIgnore:
          logger()->warn("{}; ignored", failure->message());
          break;
      }
    }
    if (!matched) continue;
    out.matched.push_back(p.name);
    for (auto& d : decisions)
      out.decisions.push_back(std::move(d));
    if (p.break_on_success || force_break) break;
  }
  return out;
}

Result<AllowList> AllowList::make(const std::vector<std::string>& entries,
                                  bool include_host_addresses) {
  AllowList list;
  list.entries_.push_back(*net::Cidr::parse("127.0.0.0/8"));
  list.entries_.push_back(*net::Cidr::parse("::1/128"));
  for (const auto& e : entries) {
    auto c = net::Cidr::parse(e);
    if (!c) return c.error().context("allow list entry '" + e + "'");
    list.entries_.push_back(*c);
  }
  if (include_host_addresses)
    for (const auto& c : net::host_addresses())
      list.entries_.push_back(c);
  return list;
}

std::string AllowList::refusal(std::string_view scope, std::string_view value) const {
  const bool ip = scope == "Ip" || scope == "ip";
  const bool range = scope == "Range" || scope == "range";
  if (!ip && !range) return {};
  auto target = net::Cidr::parse(value);
  if (!target) return "'" + std::string(value) + "' is not an address or range";
  for (const auto& allowed : entries_) {
    if (allowed.is_v4() != target->is_v4()) continue;
    // Overlap: a banned range must not cover an allowed address, nor the reverse.
    if (allowed.first() <= target->last() && target->first() <= allowed.last())
      return std::string(value) + " overlaps the allow list entry " + allowed.to_string();
  }
  return {};
}

}  // namespace phalanx::profiles
