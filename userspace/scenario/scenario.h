// SPDX-License-Identifier: Apache-2.0
// Compiled scenarios (the hub's bucket factories) and the router that picks, for an event, the
// scenarios whose filter can match it.
//
// Loading collects every problem (file, line, scenario) and keeps every scenario that compiled,
// so one bad file does not take the others down. A loaded ScenarioSet is immutable and shared
// by every worker.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/diagnostics.h"
#include "expr/data_files.h"
#include "expr/program.h"
#include "parser/event.h"
#include "scenario/config.h"

namespace phalanx::scenario {

struct BayesianCondition {
  expr::Program condition;
  double prob_given_evil = 0;
  double prob_given_benign = 0;
  bool guillotine = false;
};

struct Scenario {
  ScenarioConfig config;
  uint32_t index = 0;  // load order: the order in which scenarios see an event
  // Scenarios with the same filter and name share buckets (the hub keys buckets by
  // sha1(filter, groupby, name)); this is the index of the first of them.
  uint32_t family = 0;
  std::string hash;           // sha256 of the file (scenario_hash)
  std::string version = "?";  // scenario_version
  // {evt}. When `routed`, compiled without the equalities the router tests before it lists
  // this scenario (ScenarioSet::candidates): run it only on the events the router lists.
  expr::Program filter;
  bool routed = false;
  expr::Program groupby;          // {evt}; may be invalid (no groupby)
  expr::Program distinct;         // {evt}
  expr::Program cancel_on;        // {evt}
  expr::Program scope;            // {evt}
  expr::Program condition;        // {evt, queue, leaky}
  expr::Program overflow_filter;  // {queue, signal, leaky}
  std::vector<BayesianCondition> bayesian;
  // How long a bucket lives without a pour: (capacity+1)·leakspeed for leaky, leakspeed for
  // conditional and bayesian, duration for counter; 0 for triggers (they die on every pour).
  Duration lifetime{0};
  // Events kept for the alert: capacity+1, or cache_size+1; SIZE_MAX when unbounded.
  size_t queue_limit = 0;

  const std::string& name() const { return config.name; }
  BucketType type() const { return config.type; }
};

// A scenario file, or scenario text held in memory.
struct ScenarioItem {
  std::string path;       // names the file in errors; read when content is empty
  std::string content;    // YAML text
  std::string version{};  // the hub version of this item, when known
};

struct LoadOptions {
  std::vector<ScenarioItem> items;
  // Receives the scenarios' `data:` files; required when any scenario uses data files.
  std::shared_ptr<expr::DataFiles> data_files;
  std::vector<expr::HostFunction> functions;
};

// std::hash over string views, for maps keyed by std::string that are searched by view.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view v) const noexcept { return std::hash<std::string_view>()(v); }
};

class ScenarioSet {
 public:
  // Never fails as a whole: problems go to diags and the scenarios that compiled are kept.
  static std::unique_ptr<ScenarioSet> load(const LoadOptions& options, Diagnostics& diags);
  ScenarioSet();
  ~ScenarioSet();
  ScenarioSet(const ScenarioSet&) = delete;
  ScenarioSet& operator=(const ScenarioSet&) = delete;

  // What guards_hold() works in, one per thread.
  struct Scratch {
    // Stamped with the event's generation: by literal subject, matched for this event; by
    // literal, found in its subject's text. A new event only moves the generation on.
    uint32_t generation = 0;
    std::vector<uint32_t> subject_read;
    std::vector<uint32_t> subject_hit;  // by subject: one of its literals was found
    std::vector<uint32_t> found;
    std::vector<int> hits;
  };

  const std::vector<Scenario>& scenarios() const { return scenarios_; }
  size_t size() const { return scenarios_.size(); }
  const std::shared_ptr<expr::DataFiles>& data_files() const { return data_files_; }

  // The scenarios whose filter may be true for this event, in load order. A scenario whose
  // filter has top-level equalities on event fields (evt.Meta.log_type == 'x', `in [...]`,
  // joined by `&&`) is found through one of them in an index, and listed only when every such
  // field has one of its values; the others are always listed.
  void candidates(const parser::Event& evt, std::vector<uint32_t>& out) const;
  // candidates() remembered by the values of the fields it reads, one cache per thread:
  // events of one log type mostly agree on them, and routing one costs a lookup instead of
  // an index walk per field. Bounded: a full cache starts over, and one that keeps filling
  // up (routing fields that differ from event to event) is given up on.
  class RouteCache {
   public:
    static constexpr size_t kMaxEntries = 256;
    static constexpr size_t kMaxRestarts = 16;
    bool given_up() const { return restarts_ >= kMaxRestarts; }

   private:
    friend class ScenarioSet;
    const ScenarioSet* owner_ = nullptr;
    std::unordered_map<std::string, std::vector<uint32_t>, StringViewHash, std::equal_to<>>
        entries_;
    std::string key_;
    size_t restarts_ = 0;
  };
  void candidates(const parser::Event& evt, std::vector<uint32_t>& out, RouteCache& cache) const;
  // Whether the literals that scenario's filter requires (expr::LiteralConstraint, such as
  // Upper(evt.Meta.http_path) contains '/JSON/SETUP-RESTORE.ACTION' in the hub's CVE
  // scenarios) occur in the event `vars` binds; false when its filter cannot be true. Each
  // expression the literals are looked for in is computed once per event and searched for all
  // of them in one pass of an automaton, where each filter would search in turn. The
  // expressions run with `run`, whose memo the filters then share. Call new_event() for each
  // event, and again after anything that may have changed it.
  bool guards_hold(uint32_t scenario, std::span<const expr::Value> vars, expr::RunContext& run,
                   Scratch& scratch) const {
    return guards_[scenario].empty() || test_guards(scenario, vars, run, scratch);
  }
  void new_event(Scratch& scratch) const {
    if (guarded_count_ != 0) start_event(scratch);
  }
  // How many scenarios the router can skip by field value (for lint and metrics).
  size_t indexed_count() const { return indexed_count_; }
  // How many scenarios the router can skip by the literals their filters require.
  size_t guarded_count() const { return guarded_count_; }

 private:
  struct FieldIndex {
    std::vector<std::string> path;  // {"Meta", "log_type"}
    // Transparent lookup: the router finds a field's value without copying it.
    std::unordered_map<std::string, std::vector<uint32_t>, StringViewHash, std::equal_to<>>
        by_value;
    parser::StringMap::SharedHint hint;  // where the field's key sits in its map
  };
  // filter_options: how the filters were compiled, to compile them again without what the
  // router tests.
  void build_index(const expr::CompileOptions& filter_options);
  // The event fields some filter writes (fields_filter_writes()), which routing must not read.
  using Written = std::set<std::vector<std::string>>;
  // Whether `path` ({"evt", "Meta", "x"}) names an event field no filter writes.
  static bool unwritten(const Written& written, const std::vector<std::string>& path);
  // The literal guards (guards.cpp); before build_index, which recompiles the filters.
  void build_guards(const expr::CompileOptions& filter_options, const Written& written);
  bool test_guards(uint32_t scenario, std::span<const expr::Value> vars, expr::RunContext& run,
                   Scratch& scratch) const;
  void start_event(Scratch& scratch) const;
  void match_subject(uint32_t subject, std::span<const expr::Value> vars, expr::RunContext& run,
                     Scratch& scratch) const;

  std::vector<Scenario> scenarios_;
  std::shared_ptr<expr::DataFiles> data_files_;
  // The other equalities of an indexed scenario, tested once the index found it.
  struct Check {
    uint32_t field = 0;  // into check_fields_
    std::vector<std::string> values;
  };
  static constexpr size_t kMaxCheckFields = 16;
  std::vector<FieldIndex> indexes_;
  std::vector<std::vector<std::string>> check_fields_;
  std::vector<parser::StringMap::SharedHint> check_hints_;  // one per check field
  std::vector<std::vector<Check>> checks_;                  // by scenario index
  std::vector<uint32_t> unindexed_;
  size_t indexed_count_ = 0;
  // An expression over the event that guards look for literals in, with how it finds them.
  struct LiteralSubject;
  std::vector<std::unique_ptr<LiteralSubject>> subjects_;
  size_t literal_count_ = 0;  // literal ids are 0 .. literal_count_ - 1
  // By scenario: its guards, each met when one of its literals occurs; the literals grouped
  // by the subject they are looked for in.
  struct GuardPart {
    uint32_t subject = 0;
    std::vector<uint32_t> literals;  // literal ids
  };
  using Guard = std::vector<GuardPart>;
  std::vector<std::vector<Guard>> guards_;
  size_t guarded_count_ = 0;
};

// The value of an event field named by a path below evt ({"Meta", "log_type"}); nullopt when
// the path is not one the router knows how to read.
std::optional<std::string_view> event_field(const parser::Event& evt,
                                            const std::vector<std::string>& path,
                                            const parser::StringMap::SharedHint* hint = nullptr);

// The event fields a scenario's filter may change (evt.SetMeta / evt.SetParsed), which later
// scenarios' filters then see: {"Meta", "cve"} for a literal key, {"Meta"} when the key is
// computed or the name is mentioned otherwise. Empty when the filter changes nothing.
std::set<std::vector<std::string>> fields_filter_writes(const Scenario& s);

// Lowercase hex sha256 of bytes (scenario_hash).
std::string sha256_hex(std::string_view bytes);
// Lowercase hex sha1 of bytes (bucket keys, as the hub computes them).
std::string sha1_hex(std::string_view bytes);

}  // namespace phalanx::scenario
