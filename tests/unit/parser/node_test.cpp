// SPDX-License-Identifier: Apache-2.0
// The node algorithm (spec §4.3): filter, grok (targets, captures, semantics, statics) and
// the state rules for child nodes.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "expr/program.h"
#include "parser/event_object.h"
#include "parser_fixture.h"

namespace phalanx::parser::testing {
namespace {

using NodeTest = ParserFixture;

// Checks that `source` really fails at run time on `evt`, so a filter test built on it tests
// the error path and not merely a false result.
void expect_runtime_error(const std::string& source, Event evt) {
  expr::CompileOptions options;
  options.variables = {"evt"};
  auto program = expr::compile(source, options);
  ASSERT_TRUE(program) << source << ": " << program.error().message();
  EventObject obj(&evt);
  const expr::Value vars[] = {expr::Value::object(&obj)};
  auto out = program->run(vars);
  EXPECT_FALSE(out) << source << " was expected to fail at run time";
}

struct FilterCase {
  const char* what;
  std::string filter_line;  // "" for no filter
  bool enters;
  bool runtime_error = false;
};

TEST_F(NodeTest, Filter) {
  const FilterCase cases[] = {
      {"no filter enters", "", true},
      {"true enters", "filter: \"evt.Line.Raw == 'hello'\"", true},
      {"labels are reachable", "filter: \"evt.Line.Labels.type == 'test'\"", true},
      {"false fails", "filter: \"evt.Line.Raw == 'bye'\"", false},
      {"runtime error fails", "filter: \"evt.Unmarshaled.nope.deeper == 'x'\"", false, true},
      {"runtime error in a conversion fails", "filter: \"int(evt.Line.Raw) > 0\"", false, true},
      {"non-bool string fails", "filter: \"evt.Line.Raw\"", false},
      {"non-bool int fails", "filter: \"len(evt.Line.Raw)\"", false},
      {"non-bool map fails", "filter: \"evt.Line.Labels\"", false},
      {"nil fails", "filter: \"evt.Unmarshaled.nope\"", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    if (c.runtime_error) {
      const std::string src = c.filter_line.substr(9, c.filter_line.size() - 10);
      expect_runtime_error(src, log_event("hello"));
    }
    const std::string yaml =
        "name: n\n" + c.filter_line + "\nstatics:\n  - meta: entered\n    value: \"yes\"\n";
    auto r = run_single(yaml, log_event("hello"));
    EXPECT_EQ(r.observed, 1u);
    EXPECT_EQ(r.success, c.enters);
    EXPECT_EQ(r.event.process, c.enters);
    EXPECT_EQ(r.event.meta.contains("entered"), c.enters);
  }
}

// The event model as filters see it (spec §4.1): Go field names, "" for a missing key of a
// string map, nil for a missing key of Unmarshaled, and the callable methods.
TEST_F(NodeTest, EventModelInExpressions) {
  const char* const exprs[] = {
      "evt.Line.Raw == 'hello'",
      "evt.Line.Src == '/var/log/test.log'",
      "evt.Line.Module == 'file'",
      "evt.Line.Labels.type == 'test'",
      "evt.Line.Labels.nope == ''",
      "evt.Type == 0",
      "evt.GetType() == 'log'",
      "evt.ExpectMode == 0",
      "evt.Stage == 's01-parse'",
      "evt.Whitelisted == false && evt.WhitelistReason == ''",
      "evt.StrTime == '' && evt.MarshaledTime == ''",
      "evt.Parsed.nope == ''",
      "evt.Meta.nope == ''",
      "evt.Enriched.nope == ''",
      "evt.Unmarshaled.nope == nil",
      "evt.Meta.source_ip == '192.0.2.1'",
      "evt.GetMeta('source_ip') == '192.0.2.1'",
      "evt.GetMeta('nope') == ''",
      "'source_ip' in evt.Meta && !('nope' in evt.Meta)",
      "len(evt.Meta) == 1",
      "evt.SetMeta('k', 'v') && evt.Meta.k == 'v'",
      "evt.SetParsed('k', 'v') && evt.Parsed.k == 'v'",
  };
  for (const char* e : exprs) {
    SCOPED_TRACE(e);
    Event evt = log_event("hello");
    evt.meta.set("source_ip", "192.0.2.1");
    std::string yaml = "name: n\nfilter: \"";
    yaml += e;
    yaml += "\"\n";
    auto r = run_single(yaml, std::move(evt));
    EXPECT_TRUE(r.success);
  }
}

TEST_F(NodeTest, FailedFilterRunsNothingBelow) {
  // Neither the grok, nor its statics, nor the children, nor the stash run.
  auto r = run_single(R"y(
name: n
filter: "evt.Line.Raw == 'other'"
grok:
  pattern: "%{WORD:word}"
  apply_on: Line.Raw
  statics:
    - meta: grok_static
      value: "yes"
stash:
  - name: cache
    key: evt.Line.Raw
    value: "'v'"
nodes:
  - statics:
      - meta: child
        value: "yes"
)y",
                      log_event("hello"));
  EXPECT_FALSE(r.success);
  EXPECT_FALSE(r.event.parsed.contains("word"));
  EXPECT_FALSE(r.event.meta.contains("grok_static"));
  EXPECT_FALSE(r.event.meta.contains("child"));
  EXPECT_FALSE(stash_->get("cache", "hello").has_value());
}

struct GrokCase {
  const char* what;
  std::string yaml;
  std::string raw;
  bool success;
  std::map<std::string, std::string> parsed;  // expected entries ("" included)
  std::vector<std::string> absent;            // Parsed keys that must not exist
  std::string message = {};                   // preset Parsed.message when not empty
};

TEST_F(NodeTest, Grok) {
  const GrokCase cases[] = {
      {"on Line.Raw, unanchored search",
       "name: n\ngrok:\n  pattern: 'user %{USERNAME:user} from %{IP:ip}'\n"
       "  apply_on: Line.Raw\n",
       "Failed password: user bob from 10.1.2.3 port 22",
       true,
       {{"user", "bob"}, {"ip", "10.1.2.3"}},
       {}},
      {"anchors are honoured",
       "name: n\ngrok:\n  pattern: '^%{INT:n}$'\n  apply_on: Line.Raw\n",
       "abc 42",
       false,
       {},
       {"n"}},
      {"on a Parsed key",
       "name: n\ngrok:\n  pattern: '%{INT:n}'\n  apply_on: message\n",
       "raw 1",
       true,
       {{"n", "7"}},
       {},
       "code 7 done"},
      {"on a Parsed key it overwrites, growing Parsed: the captures read the text as matched "
       "(the field is matched where it is stored, and set before 'rest' is added)",
       "name: n\ngrok:\n  pattern: '^%{WORD:rest} %{WORD:message} %{WORD:tail}$'\n"
       "  apply_on: message\n",
       "raw 1",
       true,
       {{"message", "first"}, {"rest", "second"}, {"tail", "third"}},
       {},
       "second first third"},
      {"a missing apply_on key fails the node even if the pattern matches ''",
       "name: n\ngrok:\n  pattern: '^%{DATA:x}$'\n  apply_on: message\n",
       "anything",
       false,
       {},
       {}},
      {"non-participating groups are merged as ''",
       "name: n\ngrok:\n  pattern: '^(?:%{INT:num}|%{WORD:word})$'\n  apply_on: Line.Raw\n",
       "hello",
       true,
       {{"num", ""}, {"word", "hello"}},
       {}},
      {"no semantic never matches",
       "name: n\ngrok:\n  pattern: '^%{WORD} %{INT}$'\n  apply_on: Line.Raw\n",
       "abc 12",
       false,
       {},
       {}},
      {"plain groups are not semantics",
       "name: n\ngrok:\n  pattern: '^(\\w+) (\\d+)$'\n  apply_on: Line.Raw\n",
       "abc 12",
       false,
       {},
       {}},
      {"a semantic inside a referenced sub-pattern counts",
       "name: n\npattern_syntax:\n  INNER_PAT: '%{WORD:inner}'\n"
       "grok:\n  pattern: '^%{INNER_PAT} %{INT}$'\n  apply_on: Line.Raw\n",
       "abc 12",
       true,
       {{"inner", "abc"}},
       {}},
      {"grok on an expression (int result)",
       "name: n\ngrok:\n  pattern: '^%{INT:len}$'\n  expression: len(evt.Line.Raw)\n",
       "hello",
       true,
       {{"len", "5"}},
       {}},
      {"grok on an expression (string result)",
       "name: n\ngrok:\n  pattern: '^%{WORD:up}$'\n  expression: upper(evt.Line.Raw)\n",
       "hello",
       true,
       {{"up", "HELLO"}},
       {}},
      {"grok by library name",
       "name: n\ngrok:\n  name: IPV4\n  apply_on: Line.Raw\n",
       "1.2.3.4",
       false,  // the library's IPV4 has no semantic, so it never matches
       {},
       {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Event evt = log_event(c.raw);
    if (!c.message.empty()) evt.parsed.set("message", c.message);
    auto r = run_single(c.yaml, std::move(evt));
    EXPECT_EQ(r.success, c.success);
    for (const auto& [k, v] : c.parsed) {
      const std::string* got = r.event.parsed.find(k);
      ASSERT_NE(got, nullptr) << "Parsed." << k << " missing";
      EXPECT_EQ(*got, v) << "Parsed." << k;
    }
    for (const auto& k : c.absent)
      EXPECT_FALSE(r.event.parsed.contains(k)) << k;
  }
}

TEST_F(NodeTest, GrokOnParsedKeyDoesNotSeeLaterWrites) {
  // Captures of a Parsed field are stored back into Parsed (here over the field itself).
  Event evt = log_event("");
  evt.parsed.set("message", "first second");
  auto r = run_single(R"y(
name: n
grok:
  pattern: '^%{WORD:message} %{WORD:rest}$'
  apply_on: message
)y",
                      std::move(evt));
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.event.parsed.get("message"), "first");
  EXPECT_EQ(r.event.parsed.get("rest"), "second");
}

TEST_F(NodeTest, GrokStaticsRunOnlyOnMatch) {
  const std::string yaml = R"y(
name: n
grok:
  pattern: '^GET %{URIPATH:path}'
  apply_on: Line.Raw
  statics:
    - meta: grok_static
      expression: evt.Parsed.path
    - meta: grok_literal
      value: "yes"
nodes:
  - statics:
      - meta: child
        value: "yes"
)y";
  auto hit = run_single(yaml, log_event("GET /index.html"));
  EXPECT_TRUE(hit.success);
  EXPECT_EQ(hit.event.meta.get("grok_static"), "/index.html");  // runs after the merge
  EXPECT_EQ(hit.event.meta.get("grok_literal"), "yes");

  // The child succeeds, so the node succeeds, but the grok statics must not run.
  auto miss = run_single(yaml, log_event("POST /index.html"));
  EXPECT_TRUE(miss.success);
  EXPECT_EQ(miss.event.meta.get("child"), "yes");
  EXPECT_FALSE(miss.event.meta.contains("grok_static"));
  EXPECT_FALSE(miss.event.meta.contains("grok_literal"));
}

// Child state rules (spec §4.3 step 5). Children are written as `- <kind>` lines expanded
// below: "ok" (a child that succeeds) or "ko" (a filter that is false); each child records
// that it ran in Meta.ran_<i>.
struct ChildCase {
  const char* what;
  std::string parent;  // parent keys besides name, nodes and statics
  std::vector<std::string> children;
  std::string raw;
  bool success;
  std::vector<bool> ran;  // which children ran and succeeded (their static applied)
};

std::string children_yaml(const std::vector<std::string>& kinds) {
  std::string out = "nodes:\n";
  for (size_t i = 0; i < kinds.size(); ++i) {
    out += "  - name: child" + std::to_string(i) + "\n";
    if (kinds[i] == "ko") out += "    filter: \"1 == 2\"\n";
    out += "    statics:\n      - meta: ran_" + std::to_string(i) + "\n        value: \"yes\"\n";
  }
  return out;
}

TEST_F(NodeTest, ChildStateRules) {
  const std::string grok_ok = "grok:\n  pattern: '%{WORD:w}'\n  apply_on: Line.Raw\n";
  const std::string grok_ko = "grok:\n  pattern: '^NOPE %{WORD:w}'\n  apply_on: Line.Raw\n";
  const ChildCase cases[] = {
      {"children run when the parent grok failed", grok_ko, {"ok"}, "x", true, {true}},
      {"failed grok and failing children fail", grok_ko, {"ko", "ko"}, "x", false, {false, false}},
      {"skeleton continue takes the LAST child's result (fail)",
       "",
       {"ok", "ko"},
       "x",
       false,
       {true, false}},
      {"skeleton continue takes the LAST child's result (success)",
       "",
       {"ko", "ok"},
       "x",
       true,
       {false, true}},
      {"skeleton continue runs every child", "", {"ok", "ok", "ok"}, "x", true, {true, true, true}},
      {"matched grok stays successful when children fail",
       grok_ok,
       {"ko", "ko"},
       "x",
       true,
       {false, false}},
      {"next_stage parent stops at the first successful child",
       "onsuccess: next_stage\n",
       {"ko", "ok", "ok"},
       "x",
       true,
       {false, true, false}},
      {"next_stage parent, later failing child cannot unset success",
       "onsuccess: next_stage\n",
       {"ok", "ko"},
       "x",
       true,
       {true, false}},
      {"failed grok: a failing child after a success fails the parent",
       grok_ko,
       {"ok", "ko"},
       "x",
       false,
       {true, false}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string yaml = "name: parent\n" + c.parent + children_yaml(c.children) +
                             "statics:\n  - meta: parent_static\n    value: \"yes\"\n";
    auto r = run_single(yaml, log_event(c.raw));
    EXPECT_EQ(r.success, c.success);
    EXPECT_EQ(r.event.meta.contains("parent_static"), c.success);
    for (size_t i = 0; i < c.ran.size(); ++i) {
      EXPECT_EQ(r.event.meta.contains("ran_" + std::to_string(i)), c.ran[i]) << "child " << i;
    }
  }
}

TEST_F(NodeTest, NestedChildrenAndGrandchildGrok) {
  // A typical hub shape: a skeleton parent whose children each try one grok.
  Event evt = log_event("");
  evt.parsed.set("message", "Invalid user admin from 192.0.2.7 port 4242");
  auto r = run_single(R"y(
name: ssh-like
onsuccess: next_stage
nodes:
  - grok:
      pattern: '^Failed password for %{USERNAME:user} from %{IP:source_ip}'
      apply_on: message
  - grok:
      pattern: '^Invalid user %{USERNAME:user} from %{IP:source_ip}'
      apply_on: message
    statics:
      - meta: kind
        value: invalid_user
statics:
  - meta: source_ip
    expression: evt.Parsed.source_ip
)y",
                      std::move(evt));
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.event.parsed.get("user"), "admin");
  EXPECT_EQ(r.event.meta.get("source_ip"), "192.0.2.7");
  EXPECT_EQ(r.event.meta.get("kind"), "invalid_user");
}

}  // namespace
}  // namespace phalanx::parser::testing
