// SPDX-License-Identifier: Apache-2.0
// Compiles every grok pattern the CrowdSec hub ships or uses: the patterns/ library, and every
// `pattern_syntax`, `grok.pattern` and `grok.name` of the hub's parsers and postoverflows.
// Needs the hub (env PHALANX_HUB_DIR, default ../shared/hub); skips without it.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/yaml.h"
#include "grok/base_patterns.h"
#include "grok/pattern.h"
#include "grok/pattern_set.h"
#include "grok/syntax.h"

namespace phalanx::grok {
namespace {

namespace fs = std::filesystem;

fs::path hub_dir() {
  const char* env = std::getenv("PHALANX_HUB_DIR");
  return env && *env ? fs::path(env) : fs::path(PHALANX_SOURCE_DIR "/../shared/hub");
}

#define REQUIRE_HUB()                                       \
  if (!fs::is_directory(hub_dir() / "patterns"))            \
  GTEST_SKIP() << "CrowdSec hub not found at " << hub_dir() \
               << " (set PHALANX_HUB_DIR to a hub checkout to run this test)"

struct HubGrok {
  std::string where;
  std::string text;  // a pattern, or a name when by_name
  bool by_name = false;
};

struct HubContent {
  PatternLibrary library;
  std::vector<HubGrok> groks;
  size_t syntax_entries = 0;
  std::set<std::string> syntax_names;
};

// Walks one parser node (and its children) the way the loader does: pattern_syntax entries
// go into the global library, first definition winning; grok patterns are collected.
void walk_node(const YAML::Node& node, const std::string& where, HubContent& hub) {
  if (!node.IsMap()) return;
  if (const YAML::Node syntax = node["pattern_syntax"]; syntax && syntax.IsMap()) {
    for (const auto& kv : syntax) {
      std::string name = kv.first.as<std::string>();
      ++hub.syntax_entries;
      hub.syntax_names.insert(name);
      auto added = hub.library.add(name, kv.second.as<std::string>(), where);
      EXPECT_TRUE(added) << where << ": " << added.error().message();
    }
  }
  if (const YAML::Node grok = node["grok"]; grok && grok.IsMap()) {
    if (grok["pattern"]) hub.groks.push_back({where, grok["pattern"].as<std::string>(), false});
    if (grok["name"]) hub.groks.push_back({where, grok["name"].as<std::string>(), true});
  }
  if (const YAML::Node children = node["nodes"]; children && children.IsSequence()) {
    for (const auto& child : children)
      walk_node(child, where, hub);
  }
}

HubContent load_hub() {
  HubContent hub;
  auto loaded = hub.library.load_directory((hub_dir() / "patterns").string());
  EXPECT_TRUE(loaded) << loaded.error().message();
  // The patterns/ directory must not redefine a built-in (no warnings yet).
  for (const Diagnostic& d : hub.library.diagnostics().items())
    ADD_FAILURE() << "patterns/ conflict: " << d.file << ": " << d.message;
  std::vector<std::string> files;
  for (const char* top : {"parsers", "postoverflows"}) {
    for (const auto& e : fs::recursive_directory_iterator(hub_dir() / top)) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());  // the loader's order: by parser file path
  for (const std::string& file : files) {
    auto docs = yaml::load_file(file);
    if (!docs) {
      ADD_FAILURE() << docs.error().message();
      continue;
    }
    std::string rel = fs::relative(file, hub_dir()).string();
    for (const yaml::Document& doc : *docs) {
      try {
        walk_node(doc.root, rel, hub);
      } catch (const YAML::Exception& e) {
        ADD_FAILURE() << rel << ": " << e.what();
      }
    }
  }
  return hub;
}

// Every line of the hub's .tests logs.
std::vector<std::string> hub_test_log_lines() {
  std::vector<std::string> lines;
  for (const auto& e : fs::recursive_directory_iterator(hub_dir() / ".tests")) {
    if (!e.is_regular_file() || e.path().extension() != ".log") continue;
    std::ifstream in(e.path(), std::ios::binary);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  return lines;
}

TEST(HubPatternsTest, EveryLibraryPatternCompiles) {
  REQUIRE_HUB();
  PatternLibrary lib;
  ASSERT_TRUE(lib.load_directory((hub_dir() / "patterns").string()));
  EXPECT_TRUE(lib.diagnostics().empty());
  size_t ok = 0;
  for (const std::string& name : lib.names()) {
    auto p = Pattern::compile_named(lib, name);
    if (p) {
      ++ok;
    } else {
      ADD_FAILURE() << p.error().message();
    }
  }
  std::cout << "[ hub      ] library: " << ok << "/" << lib.size() << " patterns compile ("
            << base_patterns().size() << " built-in, " << lib.size() - base_patterns().size()
            << " from patterns/)\n";
  EXPECT_EQ(ok, lib.size());
}

TEST(HubPatternsTest, EveryParserGrokCompiles) {
  REQUIRE_HUB();
  HubContent hub = load_hub();
  size_t ok = 0, with_semantics = 0;
  for (const HubGrok& g : hub.groks) {
    auto p = g.by_name ? Pattern::compile_named(hub.library, g.text)
                       : Pattern::compile(hub.library, g.text);
    if (!p) {
      ADD_FAILURE() << g.where << ": " << p.error().message();
      continue;
    }
    ++ok;
    with_semantics += !p->semantics().empty();
    if (p->semantics().empty()) {
      std::cout << "[ hub      ] no semantic (never matches): " << g.where << ": " << g.text
                << "\n";
    }
  }
  size_t by_name =
      std::count_if(hub.groks.begin(), hub.groks.end(), [](const HubGrok& g) { return g.by_name; });
  std::cout << "[ hub      ] parser groks: " << ok << "/" << hub.groks.size() << " compile ("
            << by_name << " by name, " << with_semantics
            << " with semantics); pattern_syntax: " << hub.syntax_entries << " entries, "
            << hub.syntax_names.size() << " distinct names, "
            << hub.library.diagnostics().items().size() << " ignored redefinitions\n";
  EXPECT_EQ(ok, hub.groks.size());
  EXPECT_GT(hub.groks.size(), 250u);  // sanity: the walk found the hub's groks
}

// Runs every hub grok over every line of the hub's .tests logs, with one RE2::Set prefilter
// per parser file (the intended use: the groks of one node and its children), and checks that
// each set names exactly the patterns that match.
TEST(HubPatternsTest, PatternSetsAgreeOnHubTestLogs) {
  REQUIRE_HUB();
  HubContent hub = load_hub();
  std::map<std::string, std::vector<Pattern>> by_file;
  for (const HubGrok& g : hub.groks) {
    auto p = g.by_name ? Pattern::compile_named(hub.library, g.text)
                       : Pattern::compile(hub.library, g.text);
    if (p) by_file[g.where].push_back(std::move(p).value());
  }
  const std::vector<std::string> lines = hub_test_log_lines();
  size_t matches = 0, fallbacks = 0;
  std::vector<int> candidates;
  for (const auto& [file, patterns] : by_file) {
    auto set = PatternSet::build(patterns);
    ASSERT_TRUE(set) << file << ": " << set.error().message();
    for (const std::string& line : lines) {
      if (!set->candidates(line, candidates)) {
        ++fallbacks;
        continue;
      }
      std::vector<int> want;
      for (size_t i = 0; i < patterns.size(); ++i)
        if (patterns[i].matches(line)) want.push_back(static_cast<int>(i));
      EXPECT_EQ(candidates, want) << file << ": " << line;
      matches += want.size();
    }
  }
  std::cout << "[ hub      ] " << by_file.size() << " parser files x " << lines.size()
            << " .tests log lines: " << matches << " (grok, line) matches, " << fallbacks
            << " prefilter fallbacks\n";
  EXPECT_GT(matches, 0u);
}

// The PCRE2 extraction path against RE2 alone, on every hub grok and every line of the hub's
// .tests logs: same match decision, same value for every semantic.
TEST(HubPatternsTest, FastExtractionAgreesWithRe2OnHubTestLogs) {
  REQUIRE_HUB();
  HubContent hub = load_hub();
  const std::vector<std::string> lines = hub_test_log_lines();
  CompileOptions reference_options;
  reference_options.fast_extraction = false;
  size_t patterns = 0, fast = 0, compared = 0;
  std::set<std::string> seen;
  Captures got, want;
  for (const HubGrok& g : hub.groks) {
    if (!seen.insert((g.by_name ? "name:" : "pattern:") + g.text).second) continue;
    auto p = g.by_name ? Pattern::compile_named(hub.library, g.text)
                       : Pattern::compile(hub.library, g.text);
    auto r = g.by_name ? Pattern::compile_named(hub.library, g.text, reference_options)
                       : Pattern::compile(hub.library, g.text, reference_options);
    if (!p || !r || p->semantics().empty()) continue;
    ++patterns;
    if (!p->has_fast_extraction()) {
      std::cout << "[ hub      ] RE2 extraction only: " << g.where << ": " << g.text << "\n";
      continue;
    }
    ++fast;
    for (const std::string& line : lines) {
      bool matched = p->match(line, got);
      ASSERT_EQ(matched, r->match(line, want)) << g.where << ": " << line;
      if (!matched) continue;
      ++compared;
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], want[i])
            << g.where << ": semantic " << p->semantics()[i] << " on " << line;
    }
  }
  std::cout << "[ hub      ] fast extraction on " << fast << "/" << patterns
            << " distinct groks with semantics; " << compared
            << " matching (grok, line) pairs compared with RE2 over " << lines.size()
            << " .tests log lines\n";
  EXPECT_GT(compared, 1000u);
}

// match() refuses a line without the grok's required literal before any search; matches()
// asks RE2 alone. On every hub grok and every line of the hub's .tests logs they must agree.
TEST(HubPatternsTest, RequiredLiteralNeverRefusesAHubMatch) {
  REQUIRE_HUB();
  HubContent hub = load_hub();
  const std::vector<std::string> lines = hub_test_log_lines();
  size_t patterns = 0, matched = 0;
  std::set<std::string> seen;
  Captures caps;
  for (const HubGrok& g : hub.groks) {
    if (!seen.insert((g.by_name ? "name:" : "pattern:") + g.text).second) continue;
    auto p = g.by_name ? Pattern::compile_named(hub.library, g.text)
                       : Pattern::compile(hub.library, g.text);
    if (!p || p->semantics().empty()) continue;
    ++patterns;
    for (const std::string& line : lines) {
      const bool m = p->match(line, caps);
      ASSERT_EQ(m, p->matches(line)) << g.where << ": " << line;
      matched += m ? 1 : 0;
    }
  }
  std::cout << "[ hub      ] " << patterns << " distinct groks x " << lines.size()
            << " .tests log lines: " << matched << " matches, each confirmed by RE2 alone\n";
  EXPECT_GT(matched, 1000u);
}

// CrowdSec numbers semantics by counting '(' in the literal text between references (minus
// "(?:", "\(" and "(?flags)"), wrapping every reference in a capturing group. We number by
// RE2's own rules. This checks that both give the same group on every hub pattern, by
// rebuilding the reference numbering independently.
struct NaiveExpansion {
  std::string regex;
  std::map<std::string, int> naive;      // semantic → naive group number
  std::map<std::string, size_t> parens;  // semantic → offset of its '('
};

int naive_count(std::string_view s) {
  auto count = [&](std::string_view needle) {
    int n = 0;
    for (size_t p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + 1))
      ++n;
    return n;
  };
  int flags = 0;  // "(?i)", "(?s)" and the like
  for (size_t p = s.find("(?"); p != std::string_view::npos; p = s.find("(?", p + 1)) {
    size_t q = p + 2;
    while (q < s.size() && std::isalpha(static_cast<unsigned char>(s[q])))
      ++q;
    if (q > p + 2 && q < s.size() && s[q] == ')') ++flags;
  }
  return count("(") - count("(?:") - count("\\(") - flags;
}

const NaiveExpansion& naive_expand(const PatternLibrary& lib, const std::string& text,
                                   std::map<std::string, NaiveExpansion>& memo) {
  if (auto it = memo.find(text); it != memo.end()) return it->second;
  NaiveExpansion out;
  std::vector<Reference> refs = find_references(text);
  std::set<std::string> direct;
  for (const Reference& r : refs)
    direct.insert(std::string(r.semantic));
  int order = 1;
  size_t pos = 0;
  for (const Reference& r : refs) {
    std::string_view part = std::string_view(text).substr(pos, r.begin - pos);
    order += naive_count(part);
    out.regex += part;
    const std::string* def = lib.find(r.name);
    if (def == nullptr) {
      ADD_FAILURE() << "unknown pattern " << r.name;
      break;
    }
    const NaiveExpansion& sub = naive_expand(lib, *def, memo);
    RE2 sub_re(sub.regex, RE2::Latin1);
    size_t base = out.regex.size();
    if (!r.semantic.empty()) {
      out.naive[std::string(r.semantic)] = order;
      out.parens[std::string(r.semantic)] = base;
    }
    out.regex += "(" + sub.regex + ")";
    for (const auto& [k, v] : sub.naive) {
      if (direct.contains(k)) continue;
      out.naive[k] = order + v;
      out.parens[k] = base + 1 + sub.parens.at(k);
    }
    order += sub_re.NumberOfCapturingGroups() + 1;
    pos = r.end;
  }
  out.regex += text.substr(pos);
  return memo.emplace(text, std::move(out)).first->second;
}

TEST(HubPatternsTest, NaiveGroupNumberingAgreesWithRe2) {
  REQUIRE_HUB();
  HubContent hub = load_hub();
  std::map<std::string, NaiveExpansion> memo;
  size_t checked = 0;
  std::vector<std::string> texts;
  for (const std::string& name : hub.library.names())
    texts.push_back(*hub.library.find(name));
  for (const HubGrok& g : hub.groks)
    if (!g.by_name) texts.push_back(g.text);
  for (const std::string& text : texts) {
    const NaiveExpansion& e = naive_expand(hub.library, text, memo);
    std::vector<size_t> offsets = capture_group_offsets(e.regex);
    for (const auto& [sem, paren] : e.parens) {
      auto it = std::lower_bound(offsets.begin(), offsets.end(), paren);
      ASSERT_TRUE(it != offsets.end() && *it == paren) << text;
      int actual = static_cast<int>(it - offsets.begin()) + 1;
      EXPECT_EQ(e.naive.at(sem), actual) << "semantic '" << sem << "' of " << text;
    }
    ++checked;
  }
  std::cout << "[ hub      ] naive numbering checked on " << checked << " patterns\n";
}

}  // namespace
}  // namespace phalanx::grok
