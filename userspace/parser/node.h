// SPDX-License-Identifier: Apache-2.0
// A compiled parser node and the algorithm that runs it (spec §4.3): filter, whitelist, grok
// with its statics, stash, children, node statics, stage move. Nodes are immutable after
// loading and shared by every parser worker; per-worker state lives in ParseContext.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/result.h"
#include "expr/program.h"
#include "grok/pattern.h"
#include "grok/pattern_library.h"
#include "parser/event.h"
#include "parser/event_object.h"
#include "parser/node_config.h"

namespace phalanx::parser {

class Enrichers;

// What one top-level parser node did with the events that reached it: `entered` passed its
// filter, `parsed` of those it succeeded on (the others failed).
struct NodeCount {
  uint64_t entered = 0;
  uint64_t parsed = 0;
};

// Per-worker scratch state and services; not shared between threads.
struct ParseContext {
  expr::RunContext* run = nullptr;
  const Enrichers* enrichers = nullptr;
  grok::Captures captures;
  std::string grok_input;    // a copy of the Parsed field a grok matched (captures point into it)
  std::string static_value;  // the string a static's expression yielded, being written
  // When set, the top-level nodes count into it, indexed as Pipeline::counted_nodes() lists
  // them (sized by the caller).
  std::vector<NodeCount>* node_counts = nullptr;
  // How many keys the last event parsed here ended with in Parsed, Meta and Enriched: the
  // next event reserves that much, since events of one source tend to carry the same keys.
  uint32_t parsed_keys = 0;
  uint32_t meta_keys = 0;
  uint32_t enriched_keys = 0;
};

// A stash cache that a parser's `stash:` entries declare: its capacity and default TTL.
struct StashSpec {
  std::string name;
  size_t size = 100;
  Duration ttl{};
};

// Event fields a `target:` static can write (the hub walks Go field names; these are the
// string fields and string maps of the event).
enum class TargetField {
  kStrTime,
  kStrTimeFormat,
  kMarshaledTime,
  kWhitelistReason,
  kLineRaw,
  kLineSrc,
  kLineModule,
  kParsed,       // Parsed.<key>
  kMeta,         // Meta.<key>
  kEnriched,     // Enriched.<key>
  kLabels,       // Line.Labels.<key>
  kAlertSource,  // Overflow.Alert.Source.<field> (postoverflows; ignored on log events)
  kUnsupported,  // a path the parser cannot write (e.g. Overflow.* on a log event): ignored
};

// Resolves "evt.StrTime", "MarshaledTime", "evt.Parsed.x", … Returns kUnsupported with no
// error for paths that exist in the hub's model but are not writable here.
Result<std::pair<TargetField, std::string>> resolve_target(std::string_view path);

struct CompiledStatic {
  StaticKind kind = StaticKind::kMeta;
  std::string key;
  std::string value;
  std::optional<expr::Program> expression;
  TargetField target = TargetField::kUnsupported;  // kind == kTarget
  std::string target_key;                          // map key for map targets
  // An expression that only reads one string field (evt.Parsed.x, evt.Line.Raw): the field,
  // which apply_statics reads directly. kUnsupported for any other expression.
  TargetField source = TargetField::kUnsupported;
  std::string source_key;
  // Where source_key sat in its map last time: events from one parser keep their keys in
  // the same places.
  StringMap::SharedHint source_hint;
};

// The field a static expression reads when it is a plain read of one of the event's string
// fields ("evt.Parsed.remote_addr", "evt.StrTime", "evt.Line.Labels.type"); kUnsupported for
// any other expression, which the expression engine evaluates.
std::pair<TargetField, std::string> plain_field_read(std::string_view expression);

class Node {
 public:
  const std::string& name() const { return name_; }
  bool next_stage() const { return next_stage_; }

  // Runs the node on the event. Returns whether the node succeeded; an error for the cases
  // the hub treats as fatal for the event (a static expression returning an unusable type).
  // `stages` is the ordered stage list, for onsuccess: next_stage.
  Result<bool> process(Event& evt, EventObject& obj, ParseContext& ctx,
                       const std::vector<std::string>& stages) const;

  // Where this node counts in ParseContext::node_counts; none for children.
  static constexpr uint32_t kNotCounted = UINT32_MAX;

 private:
  friend class NodeCompiler;
  friend class Pipeline;

  bool check_whitelist(Event& evt, EventObject& obj, ParseContext& ctx) const;
  bool run_grok(Event& evt, EventObject& obj, ParseContext& ctx, bool& node_state) const;
  void run_stash(Event& evt, EventObject& obj, ParseContext& ctx) const;
  bool has_whitelist() const {
    return !wl_ips_.empty() || !wl_cidrs_.empty() || !wl_expressions_.empty();
  }

  std::string name_;
  uint32_t count_slot_ = kNotCounted;
  bool next_stage_ = false;
  std::optional<expr::Program> filter_;

  std::string wl_reason_;
  std::vector<net::IpAddress> wl_ips_;
  std::vector<net::Cidr> wl_cidrs_;
  std::vector<expr::Program> wl_expressions_;

  std::optional<grok::Pattern> grok_;
  bool grok_on_raw_ = false;
  std::string grok_apply_on_;
  StringMap::SharedHint grok_apply_on_hint_;  // where grok_apply_on_ sits in evt.parsed
  std::optional<expr::Program> grok_expression_;
  std::vector<CompiledStatic> grok_statics_;

  struct Stash {
    std::string name;
    expr::Program key;
    expr::Program value;
    Duration ttl{};
    size_t size = 100;
  };
  std::vector<Stash> stash_;

  std::vector<Node> children_;
  std::vector<CompiledStatic> statics_;
};

// Applies statics in order (spec §4.2). Returns an error when an expression yields a type that
// cannot become a string (bool, object, …), as the hub does.
Result<void> apply_statics(const std::vector<CompiledStatic>& statics, Event& evt, EventObject& obj,
                           ParseContext& ctx);

}  // namespace phalanx::parser
