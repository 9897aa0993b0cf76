// SPDX-License-Identifier: Apache-2.0
#include "parser/node.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "expr/stash.h"
#include "parser/enrichers.h"

namespace phalanx::parser {
namespace {

using expr::Value;

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("parser");
  return log;
}

Result<Value> run(const expr::Program& program, EventObject& obj, ParseContext& ctx) {
  const Value vars[] = {Value::object(&obj)};
  return program.run(vars, *ctx.run);
}

// The string a static expression yields, following the hub's conversions: strings as is, ints
// in decimal, floats with %f, written into `out`. Returns false when the value yields nothing
// (nil, and the containers the hub warns about and skips); other kinds are an error.
Result<bool> static_string(const Value& v, std::string& out) {
  switch (v.kind()) {
    case expr::Kind::kString:
      out.assign(v.as_string());
      return true;
    case expr::Kind::kInt:
      out = std::to_string(v.as_int());
      return true;
    case expr::Kind::kFloat:
      out = fmt::format("{:f}", v.as_float());
      return true;
    case expr::Kind::kNil:
    case expr::Kind::kMap:
    case expr::Kind::kArray:
      return false;
    default:
      return Error(fmt::format("unexpected return type {} for a static value", v.type_name()));
  }
}

void set_target(Event& evt, TargetField field, const std::string& key, std::string_view value) {
  switch (field) {
    case TargetField::kStrTime:
      evt.str_time.assign(value);
      break;
    case TargetField::kStrTimeFormat:
      evt.str_time_format.assign(value);
      break;
    case TargetField::kMarshaledTime:
      evt.marshaled_time.assign(value);
      break;
    case TargetField::kWhitelistReason:
      evt.whitelist_reason.assign(value);
      break;
    case TargetField::kLineRaw:
      evt.line.raw.assign(value);
      break;
    case TargetField::kLineSrc:
      evt.line.src.assign(value);
      break;
    case TargetField::kLineModule:
      evt.line.module.assign(value);
      break;
    case TargetField::kParsed:
      evt.parsed.set(key, value);
      break;
    case TargetField::kMeta:
      evt.meta.set(key, value);
      break;
    case TargetField::kEnriched:
      evt.enriched.set(key, value);
      break;
    case TargetField::kLabels:
      evt.line.labels.set(key, value);
      break;
    case TargetField::kAlertSource:
      if (parser::Alert* alert = evt.overflow ? evt.overflow->alert() : nullptr) {
        Source& src = alert->source;
        // Scope and Value are shared with the overflow's source entry, as in the hub, where
        // both point at the same strings.
        Source* shared =
            evt.overflow->sources.empty() ? nullptr : &evt.overflow->sources.begin()->second;
        if (key == "Value") {
          src.value.assign(value);
          if (shared != nullptr) shared->value.assign(value);
        } else if (key == "Scope") {
          src.scope.assign(value);
          if (shared != nullptr) shared->scope.assign(value);
        } else if (key == "IP") {
          src.ip.assign(value);
        } else if (key == "Range") {
          src.range.assign(value);
        } else if (key == "AsName") {
          src.as_name.assign(value);
        } else if (key == "AsNumber") {
          src.as_number.assign(value);
        } else if (key == "Cn") {
          src.cn.assign(value);
        }
      }
      break;
    case TargetField::kUnsupported:
      break;
  }
}

// The string a plain field read gives, as the expression engine reads it: a map's missing key
// reads "".
std::string_view read_field(const Event& evt, TargetField field, const std::string& key,
                            const StringMap::SharedHint& hint) {
  switch (field) {
    case TargetField::kStrTime:
      return evt.str_time;
    case TargetField::kStrTimeFormat:
      return evt.str_time_format;
    case TargetField::kMarshaledTime:
      return evt.marshaled_time;
    case TargetField::kWhitelistReason:
      return evt.whitelist_reason;
    case TargetField::kLineRaw:
      return evt.line.raw;
    case TargetField::kLineSrc:
      return evt.line.src;
    case TargetField::kLineModule:
      return evt.line.module;
    case TargetField::kParsed:
      return evt.parsed.get(key, hint);
    case TargetField::kMeta:
      return evt.meta.get(key, hint);
    case TargetField::kEnriched:
      return evt.enriched.get(key, hint);
    case TargetField::kLabels:
      return evt.line.labels.get(key, hint);
    case TargetField::kAlertSource:
    case TargetField::kUnsupported:
      break;
  }
  return {};
}

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || std::isalnum(static_cast<unsigned char>(c));
  });
}

}  // namespace

std::pair<TargetField, std::string> plain_field_read(std::string_view expression) {
  const std::pair<TargetField, std::string> none{TargetField::kUnsupported, std::string()};
  while (!expression.empty() && std::isspace(static_cast<unsigned char>(expression.front())))
    expression.remove_prefix(1);
  while (!expression.empty() && std::isspace(static_cast<unsigned char>(expression.back())))
    expression.remove_suffix(1);
  if (!expression.starts_with("evt.")) return none;
  auto target = resolve_target(expression);
  if (!target) return none;
  switch (target->first) {
    case TargetField::kParsed:
    case TargetField::kMeta:
    case TargetField::kEnriched:
    case TargetField::kLabels:
      // One key: `evt.Parsed.a.b` reads a field of a string, which is another matter.
      return is_identifier(target->second) ? std::move(*target) : none;
    case TargetField::kAlertSource:
    case TargetField::kUnsupported:
      return none;
    default:
      return std::move(*target);
  }
}

Result<std::pair<TargetField, std::string>> resolve_target(std::string_view path) {
  if (path.starts_with("evt.")) path.remove_prefix(4);
  struct Simple {
    std::string_view path;
    TargetField field;
  };
  static constexpr Simple kSimple[] = {
      {"StrTime", TargetField::kStrTime},
      {"StrTimeFormat", TargetField::kStrTimeFormat},
      {"MarshaledTime", TargetField::kMarshaledTime},
      {"WhitelistReason", TargetField::kWhitelistReason},
      {"Line.Raw", TargetField::kLineRaw},
      {"Line.Src", TargetField::kLineSrc},
      {"Line.Module", TargetField::kLineModule},
  };
  for (const auto& s : kSimple) {
    if (path == s.path) return std::pair{s.field, std::string()};
  }
  struct Prefixed {
    std::string_view prefix;
    TargetField field;
  };
  static constexpr Prefixed kMaps[] = {
      {"Parsed.", TargetField::kParsed},
      {"Meta.", TargetField::kMeta},
      {"Enriched.", TargetField::kEnriched},
      {"Line.Labels.", TargetField::kLabels},
  };
  for (const auto& p : kMaps) {
    if (path.starts_with(p.prefix) && path.size() > p.prefix.size()) {
      return std::pair{p.field, std::string(path.substr(p.prefix.size()))};
    }
  }
  // Overflow fields belong to overflow events (postoverflows). The alert's source is what
  // hub postoverflows rewrite (ipv6_to_range); other overflow fields are not writable.
  if (path.starts_with("Overflow.Alert.Source.")) {
    return std::pair{TargetField::kAlertSource,
                     std::string(path.substr(std::string_view("Overflow.Alert.Source.").size()))};
  }
  if (path.starts_with("Overflow.")) return std::pair{TargetField::kUnsupported, std::string()};
  return Error("unknown target '" + std::string(path) + "'");
}

Result<void> apply_statics(const std::vector<CompiledStatic>& statics, Event& evt, EventObject& obj,
                           ParseContext& ctx) {
  for (const auto& st : statics) {
    // An expression's string is copied out first: it may borrow from the map being written.
    std::string_view value;
    if (!st.value.empty()) {
      value = st.value;
    } else if (st.source != TargetField::kUnsupported) {
      // What the expression would read, without running it.
      ctx.static_value.assign(read_field(evt, st.source, st.source_key, st.source_hint));
      value = ctx.static_value;
    } else if (st.expression) {
      auto out = run(*st.expression, obj, ctx);
      if (!out) {
        logger()->debug("static expression failed: {}", out.error().message());
        continue;
      }
      PHALANX_TRY(bool yielded, static_string(*out, ctx.static_value));
      if (!yielded) continue;
      value = ctx.static_value;
    }
    // Empty values are skipped, except for ParseDate, which then falls back to "now".
    if (value.empty() && !(st.kind == StaticKind::kMethod && st.key == "ParseDate")) continue;
    switch (st.kind) {
      case StaticKind::kMethod:
        if (ctx.enrichers != nullptr) ctx.enrichers->apply(st.key, value, evt);
        break;
      case StaticKind::kParsed:
        evt.parsed.set(st.key, value);
        break;
      case StaticKind::kMeta:
        evt.meta.set(st.key, value);
        break;
      case StaticKind::kEnriched:
        evt.enriched.set(st.key, value);
        break;
      case StaticKind::kTarget:
        set_target(evt, st.target, st.target_key, value);
        break;
    }
  }
  return ok();
}

bool Node::check_whitelist(Event& evt, EventObject& obj, ParseContext& ctx) const {
  if (!wl_ips_.empty() || !wl_cidrs_.empty()) {
    // Log events are checked by their source_ip, overflows by each of their sources.
    auto listed = [&](std::string_view text) {
      auto ip = net::IpAddress::parse(text);
      if (!ip) return false;
      if (std::find(wl_ips_.begin(), wl_ips_.end(), *ip) != wl_ips_.end()) return true;
      return std::any_of(wl_cidrs_.begin(), wl_cidrs_.end(),
                         [&](const net::Cidr& cidr) { return cidr.contains(*ip); });
    };
    if (evt.type == EventType::kOverflow) {
      if (evt.overflow) {
        for (const auto& [value, source] : evt.overflow->sources) {
          if (listed(value)) return true;
        }
      }
    } else if (listed(evt.meta.get("source_ip"))) {
      return true;
    }
  }
  for (const auto& program : wl_expressions_) {
    auto out = run(program, obj, ctx);
    if (out && out->truthy()) return true;
  }
  return false;
}

bool Node::run_grok(Event& evt, EventObject& obj, ParseContext& ctx, bool& node_state) const {
  // Captures point into the matched text. A field of Parsed is matched where it is, and copied
  // to the context's buffer only when the grok matched, because storing the captures into
  // Parsed may move or overwrite it: most groks of a parser are tried on a line and fail.
  std::string_view target;
  std::string& buffer = ctx.grok_input;
  bool in_parsed = false;
  if (grok_on_raw_) {
    target = evt.line.raw;
  } else if (!grok_apply_on_.empty()) {
    if (const std::string* v = evt.parsed.find(grok_apply_on_, grok_apply_on_hint_)) {
      target = *v;
      in_parsed = true;
    } else {
      node_state = false;  // the field is missing: the node fails, but the grok still runs on ""
    }
  } else if (grok_expression_) {
    buffer.clear();
    auto out = run(*grok_expression_, obj, ctx);
    if (!out) {
      node_state = false;
    } else if (out->is_string()) {
      buffer.assign(out->as_string());
    } else if (out->is_int()) {
      buffer = std::to_string(out->as_int());
    } else if (out->is_float()) {
      buffer = fmt::format("{:f}", out->as_float());
    }
    target = buffer;
  }
  if (!grok_->match(target, ctx.captures)) {
    node_state = false;
    return false;
  }
  if (in_parsed) {
    buffer.assign(target);
    ctx.captures.rebase(target, buffer.data());
  }
  evt.parsed.set_sorted(grok_->semantics(), ctx.captures.values(), grok_->semantics_by_name());
  return true;
}

void Node::run_stash(Event& evt, EventObject& obj, ParseContext& ctx) const {
  (void)evt;
  if (ctx.run == nullptr || ctx.run->stash == nullptr) return;
  for (const auto& s : stash_) {
    auto key = run(s.key, obj, ctx);
    auto value = run(s.value, obj, ctx);
    if (!key || !value || !key->is_string() || !value->is_string()) {
      logger()->debug("node {}: stash {}: key or value is not a string", name_, s.name);
      continue;
    }
    ctx.run->stash->set(s.name, key->as_string(), value->as_string(), s.ttl);
  }
}

Result<bool> Node::process(Event& evt, EventObject& obj, ParseContext& ctx,
                           const std::vector<std::string>& stages) const {
  bool node_state = true;
  if (filter_) {
    auto out = run(*filter_, obj, ctx);
    // A runtime error or a non-bool result counts as false.
    if (!out || !out->truthy()) return false;
  }
  NodeCount* count = nullptr;
  if (ctx.node_counts != nullptr && count_slot_ < ctx.node_counts->size()) {
    count = &(*ctx.node_counts)[count_slot_];
    ++count->entered;
  }

  const bool whitelisted = has_whitelist() && check_whitelist(evt, obj, ctx);
  if (whitelisted && !evt.whitelisted) {
    evt.whitelisted = true;
    evt.whitelist_reason = wl_reason_;
    if (evt.overflow) evt.overflow->whitelisted = true;
  }

  bool grok_ok = false;
  if (grok_) {
    grok_ok = run_grok(evt, obj, ctx, node_state);
    if (grok_ok) PHALANX_CHECK(apply_statics(grok_statics_, evt, obj, ctx));
  }
  if (grok_ok || !grok_) run_stash(evt, obj, ctx);

  // Children run even when this node's grok failed; see spec §4.3 step 5.
  for (const auto& child : children_) {
    PHALANX_TRY(bool child_ok, child.process(evt, obj, ctx, stages));
    if (child_ok) {
      node_state = true;
      if (next_stage_) break;
    } else if (!grok_ok) {
      node_state = false;
    }
  }
  if (!node_state) return false;

  // A whitelist node applies its statics only to events it actually whitelisted.
  if (!statics_.empty() && (whitelisted || !has_whitelist())) {
    PHALANX_CHECK(apply_statics(statics_, evt, obj, ctx));
  }
  if (next_stage_) {
    auto it = std::find(stages.begin(), stages.end(), evt.stage);
    if (it != stages.end() && it + 1 != stages.end()) evt.stage = *(it + 1);
  }
  if (count != nullptr) ++count->parsed;
  return true;
}

}  // namespace phalanx::parser
