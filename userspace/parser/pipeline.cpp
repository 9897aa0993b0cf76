// SPDX-License-Identifier: Apache-2.0
#include "parser/pipeline.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include "core/log.h"
#include "core/yaml.h"
#include "parser/node_compiler.h"

namespace phalanx::parser {
namespace fs = std::filesystem;

namespace {

// YAML errors read "file:line:col: cause"; move the line into the diagnostic's own field so
// that the file is not printed twice.
void split_position(Diagnostics& diags) {
  Diagnostic& d = diags.last();
  const std::string prefix = d.file + ":";
  if (!d.message.starts_with(prefix)) return;
  const std::string_view rest = std::string_view(d.message).substr(prefix.size());
  int line = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), line);
  if (ec != std::errc() || line <= 0) return;
  d.line = line;
  d.message = std::string(rest.substr(ptr - rest.data()));
  if (d.message.starts_with(":")) d.message.erase(0, 1);
  // Keep the column with the cause: "col 5: cause".
  if (!d.message.empty() && std::isdigit(static_cast<unsigned char>(d.message[0]))) {
    d.message = "column " + d.message;
  }
}

}  // namespace

std::string stage_of_path(std::string_view path) {
  for (fs::path p = fs::path(path).parent_path(); !p.empty() && p != p.root_path();
       p = p.parent_path()) {
    const std::string name = p.filename().string();
    if (name.size() > 4 && name[0] == 's' && std::isdigit(static_cast<unsigned char>(name[1])) &&
        std::isdigit(static_cast<unsigned char>(name[2])) && name[3] == '-') {
      return name;
    }
  }
  return "";
}

Result<std::vector<ParserItem>> discover_parsers(const std::string& dir) {
  std::vector<ParserItem> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return Error("listing parsers in " + dir + ": " + ec.message(), ec.value());
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext != ".yaml" && ext != ".yml") continue;
    std::string stage = stage_of_path(entry.path().string());
    if (!stage.empty()) out.push_back({std::move(stage), entry.path().string(), {}});
  }
  std::sort(out.begin(), out.end(), [](const ParserItem& a, const ParserItem& b) {
    const auto an = fs::path(a.path).filename(), bn = fs::path(b.path).filename();
    return std::tie(a.stage, an, a.path) < std::tie(b.stage, bn, b.path);
  });
  return out;
}

std::unique_ptr<Pipeline> Pipeline::load(const PipelineOptions& options, Diagnostics& diags) {
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline());
  pipeline->patterns_ = std::make_shared<grok::PatternLibrary>();
  pipeline->data_files_ =
      options.data_files ? options.data_files : std::make_shared<expr::DataFiles>();
  for (const auto& dir : options.pattern_dirs) {
    auto loaded = pipeline->patterns_->load_directory(dir);
    if (!loaded) diags.error(dir, 0, "", loaded.error().message());
  }

  // Node order inside a stage: by file basename, then document order (spec §4.4).
  std::vector<ParserItem> items = options.items;
  std::stable_sort(items.begin(), items.end(), [](const ParserItem& a, const ParserItem& b) {
    const auto an = fs::path(a.path).filename(), bn = fs::path(b.path).filename();
    return std::tie(a.stage, an) < std::tie(b.stage, bn);
  });

  // Decode every file first: pattern_syntax is one global namespace where the first
  // definition in load order wins, and every node may use any of them.
  std::vector<std::pair<std::string, std::vector<NodeConfig>>> decoded;
  for (const auto& item : items) {
    auto docs = item.content.empty() ? yaml::load_file(item.path)
                                     : yaml::load_string(item.content, item.path);
    if (!docs) {
      diags.error(item.path, 0, "", docs.error().message());
      split_position(diags);
      continue;
    }
    std::vector<YAML::Node> roots;
    for (auto& d : *docs)
      roots.push_back(d.root);
    decoded.emplace_back(item.stage, decode_parser_documents(roots, item.path, diags));
  }
  for (const auto& [stage, nodes] : decoded) {
    for (const auto& node : nodes)
      register_pattern_syntax(node, *pipeline->patterns_, diags);
  }

  diags.append(pipeline->patterns_->diagnostics());

  NodeCompiler compiler(*pipeline->patterns_, *pipeline->data_files_, options.functions, diags);
  std::map<std::string, std::vector<Node>> by_stage;
  for (const auto& [stage, nodes] : decoded) {
    auto& target = by_stage[stage];
    for (const auto& config : nodes) {
      if (auto node = compiler.compile(config)) target.push_back(std::move(*node));
    }
  }
  uint32_t slot = 0;
  for (auto& [name, nodes] : by_stage) {
    for (Node& node : nodes)
      node.count_slot_ = slot++;
    pipeline->stage_names_.push_back(name);
    pipeline->stages_.push_back({name, std::move(nodes)});
  }
  pipeline->stash_specs_ = compiler.stash_specs();
  return pipeline;
}

size_t Pipeline::node_count() const {
  size_t n = 0;
  for (const auto& s : stages_)
    n += s.nodes.size();
  return n;
}

std::vector<std::string> Pipeline::node_names(std::string_view stage) const {
  std::vector<std::string> out;
  for (const auto& s : stages_) {
    if (s.name != stage) continue;
    for (const auto& n : s.nodes)
      out.push_back(n.name());
  }
  return out;
}

std::vector<Pipeline::CountedNode> Pipeline::counted_nodes() const {
  std::vector<CountedNode> out;
  for (const auto& s : stages_) {
    for (const auto& n : s.nodes)
      out.push_back({s.name, n.name()});
  }
  return out;
}

void Pipeline::configure_stash(expr::LruStash& stash) const {
  for (const auto& s : stash_specs_) {
    auto configured = stash.configure(s.name, s.size, s.ttl);
    if (!configured) {
      log::get("parser")->warn("stash {}: {}", s.name, configured.error().message());
    }
  }
}

Result<bool> Pipeline::parse(Event& evt, ParseContext& ctx, ParseObserver* observer) const {
  if (stages_.empty()) {
    evt.process = false;
    return false;
  }
  if (evt.stage.empty()) evt.stage = stages_.front().name;
  evt.parsed.reserve(ctx.parsed_keys);
  evt.meta.reserve(ctx.meta_keys);
  evt.enriched.reserve(ctx.enriched_keys);
  auto remember_sizes = [&] {
    ctx.parsed_keys = static_cast<uint32_t>(evt.parsed.size());
    ctx.meta_keys = static_cast<uint32_t>(evt.meta.size());
    ctx.enriched_keys = static_cast<uint32_t>(evt.enriched.size());
  };
  EventObject obj(&evt);
  for (size_t si = 0; si < stages_.size(); ++si) {
    const Stage& stage = stages_[si];
    // An event injected at a later stage skips the earlier ones.
    const auto current = std::find(stage_names_.begin(), stage_names_.end(), evt.stage);
    if (current != stage_names_.end() && size_t(current - stage_names_.begin()) > si) continue;

    bool stage_ok = false;
    for (const Node& node : stage.nodes) {
      if (evt.stage != stage.name) break;  // a node moved the event on
      PHALANX_TRY(bool ok, node.process(evt, obj, ctx, stage_names_));
      if (observer != nullptr) observer->on_node(stage.name, node.name(), evt, ok);
      stage_ok = stage_ok || ok;
      if (ok && node.next_stage()) break;
    }
    if (!stage_ok) {
      remember_sizes();
      evt.process = false;
      return false;
    }
  }
  remember_sizes();
  evt.process = true;
  return true;
}

}  // namespace phalanx::parser
