// SPDX-License-Identifier: Apache-2.0
#include "scenario/scenario.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace phalanx::scenario {

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class Compiler {
 public:
  Compiler(const LoadOptions& options, Diagnostics& diags) : diags_(diags) {
    base_.data_files = options.data_files.get();
    base_.functions = options.functions;
  }

  // The options every expression is compiled with, for the given variables.
  expr::CompileOptions options(std::vector<std::string> variables) const {
    expr::CompileOptions opts = base_;
    opts.variables = std::move(variables);
    return opts;
  }

  // Compiles one expression of a scenario; an empty source leaves `out` invalid.
  bool compile(const ScenarioConfig& s, std::string_view key, const std::string& source,
               std::vector<std::string> variables, expr::Program& out) {
    if (source.empty()) return true;
    auto program = expr::compile(source, options(std::move(variables)));
    if (!program) {
      diags_.error(s.file, s.line, s.name,
                   std::string(key) + ": " + program.error().message() + " in '" + source + "'");
      return false;
    }
    out = std::move(*program);
    return true;
  }

 private:
  expr::CompileOptions base_;
  Diagnostics& diags_;
};

size_t queue_limit(const ScenarioConfig& c) {
  long long limit = c.capacity;
  if (c.cache_size > 0 && (c.capacity == -1 || c.cache_size <= c.capacity)) limit = c.cache_size;
  if (limit < 0) return SIZE_MAX;
  return size_t(limit) + 1;
}

Duration lifetime(const ScenarioConfig& c) {
  switch (c.type) {
    case BucketType::kLeaky:
      return c.leakspeed * (c.capacity + 1);
    case BucketType::kConditional:
    case BucketType::kBayesian:
      return c.leakspeed;
    case BucketType::kCounter:
      return c.duration;
    case BucketType::kTrigger:
      return Duration{0};
  }
  return Duration{0};
}

}  // namespace

namespace {

std::string hex_digest(const EVP_MD* md, std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  return hex_digest(EVP_sha256(), bytes);
}

std::string sha1_hex(std::string_view bytes) {
  return hex_digest(EVP_sha1(), bytes);
}

std::unique_ptr<ScenarioSet> ScenarioSet::load(const LoadOptions& options, Diagnostics& diags) {
  auto set = std::unique_ptr<ScenarioSet>(new ScenarioSet());
  set->data_files_ = options.data_files;
  Compiler compiler(options, diags);
  std::map<std::string, std::string> seen;  // name → file, to report duplicates
  for (const auto& item : options.items) {
    std::string text = item.content;
    if (text.empty()) {
      auto read = read_file(item.path);
      if (!read) {
        diags.error(item.path, 0, {}, read.error().message());
        continue;
      }
      text = std::move(*read);
    }
    const std::string hash = sha256_hex(text);
    for (auto& config : decode_scenarios(item.path, text, diags)) {
      // The hub accepts several scenarios with one name (variants in one file); warn only
      // across files, where it is more likely a copy.
      if (auto [it, inserted] = seen.emplace(config.name, config.file);
          !inserted && it->second != config.file) {
        diags.warning(config.file, config.line, config.name,
                      "scenario name also used in " + it->second);
      }
      bool ok = true;
      for (const auto& d : config.data) {
        if (!options.data_files) {
          diags.error(config.file, config.line, config.name, "data files are not available");
          ok = false;
          break;
        }
        auto loaded =
            options.data_files->load(expr::DataSourceSpec{d.source_url, d.dest_file, d.type});
        if (!loaded) {
          diags.error(config.file, config.line, config.name, loaded.error().message());
          ok = false;
        }
      }
      Scenario s;
      const std::vector<std::string> evt{"evt"};
      ok = compiler.compile(config, "filter", config.filter, evt, s.filter) && ok;
      ok = compiler.compile(config, "groupby", config.groupby, evt, s.groupby) && ok;
      ok = compiler.compile(config, "distinct", config.distinct, evt, s.distinct) && ok;
      ok = compiler.compile(config, "cancel_on", config.cancel_on, evt, s.cancel_on) && ok;
      ok =
          compiler.compile(config, "scope.expression", config.scope_expression, evt, s.scope) && ok;
      ok = compiler.compile(config, "condition", config.condition, {"evt", "queue", "leaky"},
                            s.condition) &&
           ok;
      ok = compiler.compile(config, "overflow_filter", config.overflow_filter,
                            {"queue", "signal", "leaky"}, s.overflow_filter) &&
           ok;
      for (const auto& bc : config.bayesian_conditions) {
        BayesianCondition c{{}, bc.prob_given_evil, bc.prob_given_benign, bc.guillotine};
        ok = compiler.compile(config, "bayesian condition", bc.condition, {"evt", "queue", "leaky"},
                              c.condition) &&
             ok;
        s.bayesian.push_back(std::move(c));
      }
      if (!ok) continue;
      s.hash = hash;
      s.version = !item.version.empty()     ? item.version
                  : !config.version.empty() ? config.version
                                            : "?";
      s.lifetime = lifetime(config);
      s.queue_limit = queue_limit(config);
      s.index = uint32_t(set->scenarios_.size());
      s.family = s.index;
      for (const auto& other : set->scenarios_) {
        if (other.config.name == config.name && other.config.filter == config.filter) {
          s.family = other.family;
          break;
        }
      }
      s.config = std::move(config);
      set->scenarios_.push_back(std::move(s));
    }
  }
  set->build_index(compiler.options({"evt"}));
  return set;
}

std::optional<std::string_view> event_field(const parser::Event& evt,
                                            const std::vector<std::string>& path,
                                            const parser::StringMap::SharedHint* hint) {
  auto get = [&](const parser::StringMap& m, const std::string& key) {
    return hint != nullptr ? m.get(key, *hint) : m.get(key);
  };
  if (path.size() == 2) {
    const std::string& map = path[0];
    if (map == "Meta") return get(evt.meta, path[1]);
    if (map == "Parsed") return get(evt.parsed, path[1]);
    if (map == "Enriched") return get(evt.enriched, path[1]);
    if (map == "Line") {
      if (path[1] == "Module") return std::string_view(evt.line.module);
      if (path[1] == "Src") return std::string_view(evt.line.src);
    }
    return std::nullopt;
  }
  if (path.size() == 3 && path[0] == "Line" && path[1] == "Labels") {
    return get(evt.line.labels, path[2]);
  }
  return std::nullopt;
}

std::set<std::vector<std::string>> fields_filter_writes(const Scenario& s) {
  // Every mention counts; only a call with a literal key narrows it to that key.
  static const std::regex kCall(R"(Set(Meta|Parsed)(\s*\(\s*["']([^"']*)["'])?)");
  std::set<std::vector<std::string>> out;
  const std::string& f = s.config.filter;
  for (auto it = std::sregex_iterator(f.begin(), f.end(), kCall); it != std::sregex_iterator();
       ++it) {
    const std::string map = (*it)[1];
    if ((*it)[2].matched) {
      out.insert({map, (*it)[3]});
    } else {
      out.insert({map});  // a computed key: anything in the map
    }
  }
  return out;
}

bool ScenarioSet::unwritten(const Written& written, const std::vector<std::string>& path) {
  if (path.size() < 2 || path[0] != "evt") return false;
  const std::vector<std::string> rest(path.begin() + 1, path.end());
  return !written.count(rest) && !written.count({rest[0]});
}

void ScenarioSet::build_index(const expr::CompileOptions& filter_options) {
  // Each scenario is indexed under the constraint whose field the most scenarios share, so a
  // typical event looks up one or two fields; its other constraints are checked after.
  std::map<std::vector<std::string>, size_t> popularity;
  // Routing is decided before any filter runs: it must not read what a filter may write.
  Written written;
  for (const auto& s : scenarios_)
    written.merge(fields_filter_writes(s));
  build_guards(filter_options, written);
  auto usable = [&](const expr::EqualityConstraint& c) {
    if (!unwritten(written, c.path)) return false;
    parser::Event probe;
    return event_field(probe, {c.path.begin() + 1, c.path.end()}).has_value();
  };
  checks_.assign(scenarios_.size(), {});
  for (const auto& s : scenarios_) {
    for (const auto& c : s.filter.equality_constraints()) {
      if (usable(c)) ++popularity[std::vector<std::string>(c.path.begin() + 1, c.path.end())];
    }
  }
  for (auto& s : scenarios_) {
    const expr::EqualityConstraint* best = nullptr;
    size_t best_score = 0;
    for (const auto& c : s.filter.equality_constraints()) {
      if (!usable(c)) continue;
      const size_t score = popularity[std::vector<std::string>(c.path.begin() + 1, c.path.end())];
      if (score > best_score) {
        best = &c;
        best_score = score;
      }
    }
    if (best == nullptr) {
      unindexed_.push_back(s.index);
      continue;
    }
    const std::vector<std::string> path(best->path.begin() + 1, best->path.end());
    auto it = std::find_if(indexes_.begin(), indexes_.end(),
                           [&](const FieldIndex& f) { return f.path == path; });
    if (it == indexes_.end()) {
      indexes_.push_back({path, {}, {}});
      it = indexes_.end() - 1;
    }
    for (const auto& v : best->values)
      it->by_value[v].push_back(s.index);
    ++indexed_count_;
    std::vector<size_t> tested{best->conjunct};
    for (const auto& c : s.filter.equality_constraints()) {
      if (&c == best || !usable(c)) continue;
      const std::vector<std::string> field(c.path.begin() + 1, c.path.end());
      auto f = std::find(check_fields_.begin(), check_fields_.end(), field);
      if (f == check_fields_.end()) {
        if (check_fields_.size() == kMaxCheckFields) continue;  // the filter still tests it
        f = check_fields_.insert(check_fields_.end(), field);
        check_hints_.emplace_back();
      }
      checks_[s.index].push_back({uint32_t(f - check_fields_.begin()), c.values});
      tested.push_back(c.conjunct);
    }
    // Every event the router lists this scenario for has passed these conjuncts already, and
    // they read fields no filter writes: the engine runs the filter without them. It replaces
    // the whole filter rather than sitting beside it, since a second compiled copy of every
    // hub filter (their data-file indexes, their regexps) costs megabytes. A filter that
    // compiled once compiles again; should it not, the whole filter stays.
    if (auto routed = expr::compile(s.config.filter, filter_options, tested)) {
      s.filter = std::move(*routed);
      s.routed = true;
    }
  }
}

void ScenarioSet::candidates(const parser::Event& evt, std::vector<uint32_t>& out,
                             RouteCache& cache) const {
  if (cache.owner_ != this) {
    cache = RouteCache();
    cache.owner_ = this;
  }
  if (cache.given_up()) return candidates(evt, out);
  // The key: every field the router reads, absent or with its value and length.
  std::string& key = cache.key_;
  key.clear();
  auto add = [&](std::optional<std::string_view> v) {
    if (!v) {
      key += '\0';
      return;
    }
    const auto n = uint32_t(v->size());
    key += '\1';
    key.append(reinterpret_cast<const char*>(&n), sizeof(n));
    key.append(*v);
  };
  for (const auto& index : indexes_)
    add(event_field(evt, index.path, &index.hint));
  for (size_t f = 0; f < check_fields_.size(); ++f)
    add(event_field(evt, check_fields_[f], &check_hints_[f]));
  if (auto it = cache.entries_.find(std::string_view(key)); it != cache.entries_.end()) {
    out.assign(it->second.begin(), it->second.end());
    return;
  }
  candidates(evt, out);
  if (cache.entries_.size() >= RouteCache::kMaxEntries) {
    cache.entries_.clear();
    ++cache.restarts_;
  }
  cache.entries_.emplace(key, out);
}

void ScenarioSet::candidates(const parser::Event& evt, std::vector<uint32_t>& out) const {
  out.clear();
  out.insert(out.end(), unindexed_.begin(), unindexed_.end());
  const size_t plain = out.size();
  for (const auto& index : indexes_) {
    auto value = event_field(evt, index.path, &index.hint);
    if (!value) continue;
    auto it = index.by_value.find(*value);
    if (it != index.by_value.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  if (out.size() != plain || !indexes_.empty()) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  if (!check_fields_.empty()) {
    // Each checked field is read once per event, when a candidate first needs it. An absent
    // field fails the check, as `nil == 'x'` and `nil in [...]` are false.
    std::array<std::optional<std::string_view>, kMaxCheckFields> value;
    std::array<bool, kMaxCheckFields> read{};
    std::erase_if(out, [&](uint32_t i) {
      for (const Check& c : checks_[i]) {
        if (!read[c.field]) {
          value[c.field] = event_field(evt, check_fields_[c.field], &check_hints_[c.field]);
          read[c.field] = true;
        }
        const auto& v = value[c.field];
        if (!v || std::find(c.values.begin(), c.values.end(), *v) == c.values.end()) return true;
      }
      return false;
    });
  }
}

}  // namespace phalanx::scenario
