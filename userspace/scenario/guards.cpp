// SPDX-License-Identifier: Apache-2.0
// The scenario router's literal guards (ScenarioSet::guards_hold): which literals each filter
// requires, and finding them in an event.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "core/log.h"
#include "expr/utf8.h"
#include "grok/syntax.h"
#include "scenario/scenario.h"

namespace phalanx::scenario {

struct ScenarioSet::LiteralSubject {
  std::string text;                   // LiteralConstraint::Test::subject
  expr::Program value;                // {evt}; its calls share the filters' memo
  std::vector<std::string> literals;  // pattern i is literals[i], literal id first + i
  uint32_t first = 0;
  // With more than kMaxScanned literals, one automaton finds them all, byte for byte (Latin-1:
  // a literal matches the bytes of the text, whatever they encode); fewer are searched one by
  // one, which costs less than a pass of the automaton.
  static constexpr size_t kMaxScanned = 8;
  bool scan = false;
  // For Upper(x) and Lower(x), x itself: the literals are looked for in its text without
  // regard to ASCII case, which spares computing the fold where a filter would not need it.
  // Each literal is found whenever the folded text holds it, and perhaps more often (a
  // literal not folded as the text is), which only lets the filter decide. Not valid when
  // the text of x is not ASCII: Go's case mapping is beyond bytes there.
  expr::Program unfolded;

  // The automaton, compiled by the first event that needs it: the hub's scenarios look for
  // about 7,700 literals in 50 fields (sigma rules alone 6,000 in a Windows command line), and
  // automata for them all cost 5 MB where most hosts see only some of those logs. Null when
  // it did not compile: every literal then counts as found. Thread-safe.
  const RE2::Set* automaton() const {
    std::call_once(compiled_, [this] {
      RE2::Options options;
      options.set_encoding(RE2::Options::EncodingLatin1);
      options.set_case_sensitive(!unfolded.valid());
      options.set_log_errors(false);
      auto built = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
      bool ok = true;
      for (const std::string& literal : literals)
        ok = ok && built->Add(RE2::QuoteMeta(literal), nullptr) >= 0;
      if (ok && built->Compile()) {
        set_ = std::move(built);
      } else {
        log::get("scenario")
            ->warn(
                "the literals scenario filters look for in {} did not compile into one "
                "automaton: those filters run on every event",
                text);
      }
    });
    return set_.get();
  }

 private:
  mutable std::once_flag compiled_;
  mutable std::unique_ptr<RE2::Set> set_;
};

namespace {

// The x of a subject written Upper(x) or Lower(x), as text; "" for any other.
std::string_view unfolded_text(std::string_view subject) {
  for (std::string_view fold : {"Upper(", "Lower("}) {
    if (subject.starts_with(fold) && subject.ends_with(')')) {
      return subject.substr(fold.size(), subject.size() - fold.size() - 1);
    }
  }
  return {};
}

// Whether text holds literal, ASCII letters compared without case.
bool contains_ignoring_case(std::string_view text, std::string_view literal) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  if (literal.size() > text.size()) return false;
  for (size_t i = 0; i + literal.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < literal.size() && lower(text[i + j]) == lower(literal[j]))
      ++j;
    if (j == literal.size()) return true;
  }
  return false;
}

}  // namespace

ScenarioSet::ScenarioSet() = default;
ScenarioSet::~ScenarioSet() = default;

void ScenarioSet::build_guards(const expr::CompileOptions& filter_options, const Written& written) {
  auto readable = [&](const std::vector<std::string>& path) { return unwritten(written, path); };
  // By scenario, its guards as (subject, literal in subject) until the literals are numbered.
  std::vector<std::vector<std::vector<std::pair<uint32_t, uint32_t>>>> found(scenarios_.size());
  std::map<std::string, uint32_t> subject_index;
  std::vector<std::map<std::string, uint32_t>> literal_index;  // by subject
  auto subject_of = [&](const expr::LiteralConstraint::Test& t) -> std::optional<uint32_t> {
    auto [it, added] = subject_index.try_emplace(t.subject, uint32_t(subjects_.size()));
    if (!added) return it->second;
    auto value = expr::compile(t.subject, filter_options);
    if (!value) {  // not expected: the subject is part of a filter that compiled
      log::get("scenario")->warn("routing by {} is off: {}", t.subject, value.error().message());
      subject_index.erase(it);
      return std::nullopt;
    }
    auto subject = std::make_unique<LiteralSubject>();
    subject->text = t.subject;
    subject->value = std::move(*value);
    if (auto inner = unfolded_text(t.subject); !inner.empty()) {
      if (auto unfolded = expr::compile(inner, filter_options)) {
        subject->unfolded = std::move(*unfolded);
      }
    }
    subjects_.push_back(std::move(subject));
    literal_index.emplace_back();
    return it->second;
  };
  for (const auto& s : scenarios_) {
    auto constraints = expr::literal_constraints(s.config.filter, filter_options);
    if (!constraints) continue;  // not expected: the filter compiled
    for (const auto& c : *constraints) {
      std::vector<std::pair<uint32_t, uint32_t>> guard;
      bool usable = true;
      for (const auto& t : c.any) {
        std::vector<std::string> regex_literal;
        if (t.regex) {
          // A regexp that folds case may match its literal in other cases.
          if (!grok::may_fold_case(t.literals[0])) {
            regex_literal.push_back(grok::required_literal(t.literals[0]));
          }
          if (regex_literal.empty() || regex_literal[0].empty()) usable = false;
        }
        if (!usable || !std::all_of(t.reads.begin(), t.reads.end(), readable)) {
          usable = false;
          break;
        }
        auto sub = subject_of(t);
        if (!sub) {
          usable = false;
          break;
        }
        LiteralSubject& subject = *subjects_[*sub];
        for (const std::string& literal : t.regex ? regex_literal : t.literals) {
          auto [lit, fresh] =
              literal_index[*sub].try_emplace(literal, uint32_t(subject.literals.size()));
          if (fresh) subject.literals.push_back(literal);
          guard.emplace_back(*sub, lit->second);
        }
      }
      // A guard without literals (tests over empty data files) is never met, as its
      // conjunct is never true.
      if (usable) found[s.index].push_back(std::move(guard));
    }
  }
  // Number the literals subject after subject.
  for (auto& subject : subjects_) {
    subject->first = uint32_t(literal_count_);
    literal_count_ += subject->literals.size();
    subject->scan = subject->literals.size() <= LiteralSubject::kMaxScanned;
  }
  // A scenario's guards are tested cheapest first: those on plain fields before those that
  // compute (the calls of its subjects), which a failed cheap one spares.
  auto cost = [&](const std::vector<std::pair<uint32_t, uint32_t>>& guard) {
    size_t calls = 0;
    for (auto [sub, lit] : guard)
      calls = std::max<size_t>(
          calls, size_t(std::count(subjects_[sub]->text.begin(), subjects_[sub]->text.end(), '(')));
    return calls;
  };
  guards_.assign(scenarios_.size(), {});
  for (size_t i = 0; i < scenarios_.size(); ++i) {
    std::stable_sort(found[i].begin(), found[i].end(),
                     [&](const auto& a, const auto& b) { return cost(a) < cost(b); });
    for (const auto& pairs : found[i]) {
      Guard& guard = guards_[i].emplace_back();
      for (auto [sub, lit] : pairs) {
        auto part = std::find_if(guard.begin(), guard.end(),
                                 [&](const GuardPart& p) { return p.subject == sub; });
        if (part == guard.end()) part = guard.insert(guard.end(), GuardPart{sub, {}});
        part->literals.push_back(subjects_[sub]->first + lit);
      }
    }
  }
  guarded_count_ = size_t(
      std::count_if(guards_.begin(), guards_.end(), [](const auto& g) { return !g.empty(); }));
}

void ScenarioSet::start_event(Scratch& scratch) const {
  if (++scratch.generation == 0 || scratch.subject_read.size() != subjects_.size() ||
      scratch.found.size() != literal_count_) {
    // A first event, another set, or 2^32 events on: no stamp may match the generation.
    scratch.subject_read.assign(subjects_.size(), 0);
    scratch.subject_hit.assign(subjects_.size(), 0);
    scratch.found.assign(literal_count_, 0);
    scratch.generation = 1;
  }
}

bool ScenarioSet::test_guards(uint32_t scenario, std::span<const expr::Value> vars,
                              expr::RunContext& run, Scratch& scratch) const {
  if (scratch.subject_read.size() != subjects_.size()) start_event(scratch);  // a first event
  const uint32_t now = scratch.generation;
  for (const Guard& guard : guards_[scenario]) {
    const bool holds = std::any_of(guard.begin(), guard.end(), [&](const GuardPart& part) {
      if (scratch.subject_read[part.subject] != now)
        match_subject(part.subject, vars, run, scratch);
      // A subject with none of its literals (the common case) rules out all of them at once.
      return scratch.subject_hit[part.subject] == now &&
             std::any_of(part.literals.begin(), part.literals.end(),
                         [&](uint32_t id) { return scratch.found[id] == now; });
    });
    if (!holds) return false;
  }
  return true;
}

void ScenarioSet::match_subject(uint32_t sub, std::span<const expr::Value> vars,
                                expr::RunContext& run, Scratch& scratch) const {
  const LiteralSubject& subject = *subjects_[sub];
  const uint32_t now = scratch.generation;
  scratch.subject_read[sub] = now;
  auto all_found = [&] {
    std::fill_n(scratch.found.begin() + subject.first, subject.literals.size(), now);
    scratch.subject_hit[sub] = now;
  };
  const RE2::Set* set = subject.scan ? nullptr : subject.automaton();
  if (!subject.scan && set == nullptr) return all_found();
  const bool unfolded = subject.unfolded.valid();
  auto value = (unfolded ? subject.unfolded : subject.value).run(vars, run);
  // An error fails the filter's test as well: no literal is found. A value other than a
  // string (`Split(...) contains x` tests an array) is beyond the automaton.
  if (!value) return;
  if (!value->is_string() || (unfolded && !expr::is_ascii(value->as_string()))) {
    return all_found();
  }
  if (subject.scan) {
    const std::string_view text = value->as_string();
    for (size_t i = 0; i < subject.literals.size(); ++i) {
      const std::string& literal = subject.literals[i];
      if (unfolded ? contains_ignoring_case(text, literal)
                   : text.find(literal) != std::string_view::npos) {
        scratch.found[subject.first + i] = now;
        scratch.subject_hit[sub] = now;
      }
    }
    return;
  }
  // Most texts hold none of the literals: a first pass that stops at the first match and
  // tracks no set of them says so for less; only a text with one is searched for them all.
  if (!set->Match(value->as_string(), nullptr)) return;
  scratch.hits.clear();
  if (!set->Match(value->as_string(), &scratch.hits)) return;
  for (int hit : scratch.hits)
    scratch.found[subject.first + uint32_t(hit)] = now;
  scratch.subject_hit[sub] = now;
}

}  // namespace phalanx::scenario
