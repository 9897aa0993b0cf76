// SPDX-License-Identifier: Apache-2.0
#include "parser/node_compiler.h"

#include <tuple>

#include "core/duration.h"
#include "parser/enrichers.h"

namespace phalanx::parser {

void register_pattern_syntax(const NodeConfig& node, grok::PatternLibrary& patterns,
                             Diagnostics& diags) {
  for (const auto& [name, regex] : node.pattern_syntax) {
    auto added = patterns.add(name, regex, node.file);
    if (!added) {
      diags.error(node.file, node.line, node.name, added.error().message());
    }  // a redefinition is kept out and recorded in the library's own diagnostics
  }
  for (const auto& child : node.nodes)
    register_pattern_syntax(child, patterns, diags);
}

NodeCompiler::NodeCompiler(const grok::PatternLibrary& patterns, expr::DataFiles& data_files,
                           const std::vector<expr::HostFunction>& functions, Diagnostics& diags)
    : patterns_(patterns), data_files_(data_files), diags_(diags) {
  expr_options_.variables = {"evt"};
  expr_options_.data_files = &data_files_;
  expr_options_.functions = functions;
}

std::optional<expr::Program> NodeCompiler::compile_expr(const std::string& source,
                                                        const std::string& file, int line,
                                                        const std::string& item,
                                                        std::string_view what) {
  auto program = expr::compile(source, expr_options_);
  if (!program) {
    diags_.error(
        file, line, item,
        "compiling " + std::string(what) + " '" + source + "': " + program.error().message());
    return std::nullopt;
  }
  return std::move(*program);
}

std::optional<std::vector<CompiledStatic>> NodeCompiler::compile_statics(
    const std::vector<StaticConfig>& statics, const std::string& file, const std::string& item) {
  std::vector<CompiledStatic> out;
  bool ok = true;
  for (const auto& st : statics) {
    CompiledStatic c;
    c.kind = st.kind;
    c.key = st.key;
    c.value = st.value;
    if (st.value.empty() && !st.expression.empty()) {
      c.expression = compile_expr(st.expression, file, st.line, item, "static expression");
      if (!c.expression) ok = false;
      if (c.expression) std::tie(c.source, c.source_key) = plain_field_read(st.expression);
    }
    if (st.kind == StaticKind::kTarget) {
      auto target = resolve_target(st.key);
      if (!target) {
        // The hub only fails such a static when it runs ("unable to set value"), so the node
        // still loads; the static does nothing.
        diags_.warning(file, st.line, item, target.error().message() + "; the static is ignored");
        c.target = TargetField::kUnsupported;
      } else {
        c.target = target->first;
        c.target_key = target->second;
      }
    }
    if (st.kind == StaticKind::kMethod && !Enrichers::is_known(st.key)) {
      diags_.error(file, st.line, item, "unknown method '" + st.key + "'");
      ok = false;
    }
    out.push_back(std::move(c));
  }
  if (!ok) return std::nullopt;
  return out;
}

bool NodeCompiler::compile_whitelist(const WhitelistConfig& wl, const NodeConfig& config,
                                     Node& node) {
  bool ok = true;
  node.wl_reason_ = wl.reason;
  for (const auto& text : wl.ips) {
    auto ip = net::IpAddress::parse(text);
    if (!ip) {
      diags_.error(config.file, wl.line, config.name, "whitelist: " + ip.error().message());
      ok = false;
      continue;
    }
    node.wl_ips_.push_back(*ip);
  }
  for (const auto& text : wl.cidrs) {
    auto cidr = net::Cidr::parse(text);
    if (!cidr) {
      diags_.error(config.file, wl.line, config.name, "whitelist: " + cidr.error().message());
      ok = false;
      continue;
    }
    node.wl_cidrs_.push_back(*cidr);
  }
  for (const auto& source : wl.expressions) {
    auto program = compile_expr(source, config.file, wl.line, config.name, "whitelist expression");
    if (!program) {
      ok = false;
      continue;
    }
    node.wl_expressions_.push_back(std::move(*program));
  }
  return ok;
}

bool NodeCompiler::compile_grok(const GrokConfig& grok, const NodeConfig& config, Node& node) {
  auto pattern = grok.name.empty() ? grok::Pattern::compile(patterns_, grok.pattern)
                                   : grok::Pattern::compile_named(patterns_, grok.name);
  bool ok = true;
  if (!pattern) {
    diags_.error(config.file, grok.line, config.name, pattern.error().message());
    ok = false;
  } else {
    node.grok_ = std::move(*pattern);
  }
  if (!grok.apply_on.empty()) {
    node.grok_on_raw_ = grok.apply_on == "Line.Raw";
    node.grok_apply_on_ = grok.apply_on;
  } else {
    node.grok_expression_ =
        compile_expr(grok.expression, config.file, grok.line, config.name, "grok expression");
    ok = ok && node.grok_expression_.has_value();
  }
  auto statics = compile_statics(grok.statics, config.file, config.name);
  if (!statics) return false;
  node.grok_statics_ = std::move(*statics);
  return ok;
}

bool NodeCompiler::compile_stash(const NodeConfig& config, Node& node) {
  bool ok = true;
  for (const auto& s : config.stash) {
    auto key = compile_expr(s.key, config.file, s.line, config.name, "stash key");
    auto value = compile_expr(s.value, config.file, s.line, config.name, "stash value");
    Duration ttl{};
    if (!s.ttl.empty()) {
      auto parsed = parse_go_duration(s.ttl);
      if (!parsed) {
        diags_.error(config.file, s.line, config.name, "stash ttl: " + parsed.error().message());
        ok = false;
      } else {
        ttl = *parsed;
      }
    }
    if (s.size <= 0) {
      diags_.error(config.file, s.line, config.name, "stash size must be positive");
      ok = false;
    }
    if (!key || !value) {
      ok = false;
      continue;
    }
    node.stash_.push_back({s.name, std::move(*key), std::move(*value), ttl, size_t(s.size)});
    stash_specs_.push_back({s.name, size_t(std::max<long long>(s.size, 1)), ttl});
  }
  return ok;
}

std::optional<Node> NodeCompiler::compile(const NodeConfig& config) {
  Node node;
  node.name_ = config.name;
  node.next_stage_ = config.next_stage;
  bool ok = true;
  for (const auto& d : config.data) {
    if (d.dest_file.empty() || d.type.empty()) continue;
    auto loaded = data_files_.load(expr::DataSourceSpec{d.source_url, d.dest_file, d.type});
    if (!loaded) {
      diags_.error(config.file, config.line, config.name, loaded.error().message());
      ok = false;
    }
  }
  if (!config.filter.empty()) {
    node.filter_ = compile_expr(config.filter, config.file, config.line, config.name, "filter");
    ok = ok && node.filter_.has_value();
  }
  if (config.whitelist) ok = compile_whitelist(*config.whitelist, config, node) && ok;
  if (config.grok) ok = compile_grok(*config.grok, config, node) && ok;
  ok = compile_stash(config, node) && ok;
  auto statics = compile_statics(config.statics, config.file, config.name);
  if (statics) {
    node.statics_ = std::move(*statics);
  } else {
    ok = false;
  }
  for (const auto& child_config : config.nodes) {
    auto child = compile(child_config);
    if (!child) {
      ok = false;
      continue;
    }
    node.children_.push_back(std::move(*child));
  }
  if (!ok) return std::nullopt;
  return node;
}

}  // namespace phalanx::parser
