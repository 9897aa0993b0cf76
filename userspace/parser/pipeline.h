// SPDX-License-Identifier: Apache-2.0
// The parser pipeline: stages of compiled nodes (s00-raw → s01-parse → s02-enrich, or the
// postoverflow stages) and the stage driver of spec §4.4.
//
// Loading collects every problem (file, line, node) and keeps every node that compiled, so
// one bad parser does not take the others down. A loaded Pipeline is immutable and shared by
// all parser workers; each worker brings its own ParseContext.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"
#include "expr/data_files.h"
#include "expr/stash.h"
#include "grok/pattern_library.h"
#include "parser/node.h"

namespace phalanx::parser {

// A parser file and the stage it belongs to.
struct ParserItem {
  std::string stage;    // "s01-parse"
  std::string path;     // orders the item within its stage (by basename) and names it in errors
  std::string content;  // YAML text; when empty, the file at `path` is read
};

// The stage of a parser file: the name of its nearest ancestor directory shaped like "sNN-…"
// ("parsers/s01-parse/author/x.yaml" → "s01-parse"), or "" when there is none.
std::string stage_of_path(std::string_view path);

// Lists the parser files (*.yaml, *.yml) below `dir`. The stage of a file is the name of its
// nearest ancestor directory shaped like "sNN-…" (parsers/s01-parse/x.yaml and the hub layout
// parsers/s01-parse/author/x.yaml both work). Errors: unreadable directory.
Result<std::vector<ParserItem>> discover_parsers(const std::string& dir);

// Receives every top-level node evaluation, for dumps and `phalanx explain`. `event` is the
// state after the node ran.
class ParseObserver {
 public:
  virtual ~ParseObserver() = default;
  virtual void on_node(std::string_view stage, const std::string& node, const Event& event,
                       bool success) = 0;
};

struct PipelineOptions {
  std::vector<ParserItem> items;
  // Pattern library directories (files of "NAME regex" lines), loaded in order.
  std::vector<std::string> pattern_dirs;
  // Data files named by `data:` entries are loaded into this registry; required when any
  // parser has `data:` or uses File()/RegexpInFile().
  std::shared_ptr<expr::DataFiles> data_files;
  // Extra functions for expressions (e.g. overflow helpers); may be empty.
  std::vector<expr::HostFunction> functions;
};

class Pipeline {
 public:
  // Loads and compiles every item. Never fails as a whole: problems go to `diags` and the
  // nodes that compiled are kept.
  static std::unique_ptr<Pipeline> load(const PipelineOptions& options, Diagnostics& diags);

  // Runs the event through the stages. Returns the hub's `Process` flag: true when every stage
  // had a successful node (the event goes on to the scenarios unless whitelisted), false when
  // it was dropped. An error means a node hit a fatal condition; the event is dropped.
  Result<bool> parse(Event& evt, ParseContext& ctx, ParseObserver* observer = nullptr) const;

  const std::vector<std::string>& stages() const { return stage_names_; }
  // The top-level node names of a stage, in evaluation order (empty for an unknown stage).
  std::vector<std::string> node_names(std::string_view stage) const;
  size_t node_count() const;
  // The top-level nodes in the order they count into ParseContext::node_counts (a vector of
  // this size): stage by stage, in evaluation order.
  struct CountedNode {
    std::string stage;
    std::string name;
  };
  std::vector<CountedNode> counted_nodes() const;
  // Declares the stash caches the parsers use (size and TTL) on the worker-shared stash.
  void configure_stash(expr::LruStash& stash) const;
  const grok::PatternLibrary& patterns() const { return *patterns_; }

 private:
  struct Stage {
    std::string name;
    std::vector<Node> nodes;
  };
  friend class NodeCompiler;

  std::vector<Stage> stages_;
  std::vector<std::string> stage_names_;
  std::vector<StashSpec> stash_specs_;
  std::shared_ptr<grok::PatternLibrary> patterns_;
  std::shared_ptr<expr::DataFiles> data_files_;
};

}  // namespace phalanx::parser
