// SPDX-License-Identifier: Apache-2.0
// Turns decoded NodeConfigs into compiled Nodes: expressions compiled once, grok patterns
// compiled to RE2, whitelists parsed, targets resolved, data files loaded. Every problem is
// reported with file, line and node name; a node with an error is left out.
#pragma once

#include <optional>
#include <vector>

#include "core/diagnostics.h"
#include "expr/data_files.h"
#include "expr/program.h"
#include "grok/pattern.h"
#include "grok/pattern_library.h"
#include "parser/node.h"
#include "parser/node_config.h"

namespace phalanx::parser {

// Registers a node's pattern_syntax (and its children's) into the library; the first
// definition of a name wins and later ones are warnings, as in the hub.
void register_pattern_syntax(const NodeConfig& node, grok::PatternLibrary& patterns,
                             Diagnostics& diags);

class NodeCompiler {
 public:
  NodeCompiler(const grok::PatternLibrary& patterns, expr::DataFiles& data_files,
               const std::vector<expr::HostFunction>& functions, Diagnostics& diags);

  // Compiles a node and its children; nullopt (with diagnostics) on any error.
  std::optional<Node> compile(const NodeConfig& config);
  // Compiles a list of statics for the given file/item (used for hubtest override_statics).
  std::optional<std::vector<CompiledStatic>> compile_statics(
      const std::vector<StaticConfig>& statics, const std::string& file, const std::string& item);

  const std::vector<StashSpec>& stash_specs() const { return stash_specs_; }

 private:
  std::optional<expr::Program> compile_expr(const std::string& source, const std::string& file,
                                            int line, const std::string& item,
                                            std::string_view what);
  bool compile_whitelist(const WhitelistConfig& wl, const NodeConfig& config, Node& node);
  bool compile_grok(const GrokConfig& grok, const NodeConfig& config, Node& node);
  bool compile_stash(const NodeConfig& config, Node& node);

  const grok::PatternLibrary& patterns_;
  expr::DataFiles& data_files_;
  expr::CompileOptions expr_options_;
  Diagnostics& diags_;
  std::vector<StashSpec> stash_specs_;
};

}  // namespace phalanx::parser
