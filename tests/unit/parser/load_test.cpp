// SPDX-License-Identifier: Apache-2.0
// Loading parser files (spec §4.2, §4.4): discovery, node order, skipped documents, and strict
// decoding with one clear diagnostic per problem while everything else still loads.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "parser_fixture.h"

namespace phalanx::parser::testing {
namespace {

using LoadTest = ParserFixture;

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST_F(LoadTest, NodeOrderIsFileBasenameThenDocumentOrder) {
  write_parser("s00-raw/x.yaml", R"y(
name: raw
onsuccess: next_stage
)y");
  write_parser("s01-parse/b.yaml", R"y(
name: b1
---
name: b2
)y");
  write_parser("s01-parse/a.yaml", R"y(
name: a1
---
# no name, description or author: skipped, so its static never runs
filter: "true"
statics:
  - meta: skipped_doc_ran
    value: "yes"
---
description: only a description, so it is kept
statics:
  - meta: described
    value: "yes"
---
name: a2
)y");
  // Hub layout: the author directory does not count, the basename does ("0" < "a").
  write_parser("s01-parse/zz-author/0.yaml", "name: zero\n");
  // Not parser files: wrong extension, or outside any sNN- stage directory.
  write_parser("s01-parse/README.md", "name: readme\n");
  write_parser("top.yaml", "name: top\n");
  load_clean();

  EXPECT_EQ(pipeline_->stages(), Names({"s00-raw", "s01-parse"}));
  EXPECT_EQ(pipeline_->node_names("s00-raw"), Names({"raw"}));
  EXPECT_EQ(pipeline_->node_names("s01-parse"), Names({"zero", "a1", "", "a2", "b1", "b2"}));
  EXPECT_EQ(pipeline_->node_count(), 7u);
  EXPECT_TRUE(pipeline_->node_names("s02-enrich").empty());

  // The evaluation order is the same order.
  RecordingObserver observer;
  Event evt = log_event("hello");
  EXPECT_TRUE(parse_ok(evt, &observer));
  EXPECT_EQ(observer.names(), Names({"raw", "zero", "a1", "", "a2", "b1", "b2"}));
  EXPECT_FALSE(evt.meta.contains("skipped_doc_ran"));
  EXPECT_EQ(evt.meta.get("described"), "yes");
}

TEST_F(LoadTest, DiscoverParsersFindsStagesAtAnyDepth) {
  write_parser("s02-enrich/me/b.yml", "name: b\n");
  write_parser("s02-enrich/a.yaml", "name: a\n");
  write_parser("s00-raw/r.yaml", "name: r\n");
  auto items = discover_parsers((root_ / "parsers").string());
  ASSERT_TRUE(items) << items.error().message();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].stage, "s00-raw");
  EXPECT_EQ((*items)[1].stage, "s02-enrich");
  EXPECT_EQ((*items)[1].path, parser_path("s02-enrich/a.yaml"));
  EXPECT_EQ((*items)[2].stage, "s02-enrich");
  EXPECT_EQ((*items)[2].path, parser_path("s02-enrich/me/b.yml"));

  EXPECT_FALSE(discover_parsers((root_ / "does-not-exist").string()));
}

TEST_F(LoadTest, InlineItemsAreOrderedByBasenameToo) {
  PipelineOptions options;
  options.items = {
      {"s01-parse", "/x/hub/z/b.yaml", "name: second\n"},
      {"s01-parse", "/x/hub/a/c.yaml", "name: third\n"},
      {"s01-parse", "/x/other/a.yaml", "name: first\n"},
  };
  Diagnostics diags;
  auto pipeline = Pipeline::load(options, diags);
  ASSERT_NE(pipeline, nullptr);
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(pipeline->node_names("s01-parse"), Names({"first", "second", "third"}));
}

// One bad document among good ones: a diagnostic that names the file, the line, the node and
// the offending token, and every other node (same file or not) loads.
struct BadNodeCase {
  const char* what;
  std::string document;                   // the bad document, named "bad"
  std::vector<std::string> line_needles;  // the diagnostic's line is one of these lines
  std::vector<std::string> tokens;        // the message mentions each of these
  bool names_node = true;
};

TEST_F(LoadTest, BadNodeIsReportedAndTheRestLoads) {
  const BadNodeCase cases[] = {
      {"unknown top-level key", "name: bad\nonsucess: next_stage\n", {"onsucess"}, {"onsucess"}},
      {"unknown key in grok",
       "name: bad\ngrok:\n  pattern: \"%{WORD:w}\"\n  aply_on: message\n",
       {"aply_on"},
       {"aply_on"}},
      {"unknown key in a static",
       "name: bad\nstatics:\n  - metta: x\n    value: y\n",
       {"metta"},
       {"metta"}},
      {"unknown key in whitelist",
       "name: bad\nwhitelist:\n  reason: r\n  cidrs: [\"10.0.0.0/8\"]\n",
       {"cidrs"},
       {"cidrs"}},
      {"bad onsuccess value", "name: bad\nonsuccess: next-stage\n", {"onsuccess"}, {"next-stage"}},
      {"unknown function in a filter",
       "name: bad\nfilter: \"NoSuchFunc(evt.Line.Raw) == 'x'\"\n",
       {"name: bad", "filter:"},
       {"NoSuchFunc", "filter"}},
      {"syntax error in a static expression",
       "name: bad\nstatics:\n  - meta: x\n    expression: \"evt.Parsed.a +\"\n",
       {"name: bad", "statics:", "meta: x", "expression:"},
       {"evt.Parsed.a +"}},
      {"invalid grok regex",
       "name: bad\ngrok:\n  pattern: \"%{WORD:w}(unclosed\"\n  apply_on: Line.Raw\n",
       {"name: bad", "grok:", "pattern:"},
       {"grok", "missing )"}},
      {"grok referencing an unknown pattern",
       "name: bad\ngrok:\n  pattern: \"%{NO_SUCH_PATTERN:x}\"\n  apply_on: Line.Raw\n",
       {"name: bad", "grok:", "pattern:"},
       {"NO_SUCH_PATTERN"}},
      {"grok by unknown name",
       "name: bad\ngrok:\n  name: NO_SUCH_NAMED\n  apply_on: Line.Raw\n",
       {"name: bad", "grok:", "name: NO_SUCH_NAMED"},
       {"NO_SUCH_NAMED"}},
      {"data file that does not exist",
       "name: bad\ndata:\n  - source_url: https://example.invalid/x.txt\n"
       "    dest_file: missing_list.txt\n    type: string\n",
       {"name: bad", "data:", "source_url", "dest_file"},
       {"missing_list.txt"}},
      {"unknown enrichment method",
       "name: bad\nstatics:\n  - method: NoSuchMethod\n    value: x\n",
       {"name: bad", "statics:", "method:"},
       {"NoSuchMethod"}},
      {"whitelist ip that is not an ip",
       "name: bad\nwhitelist:\n  reason: r\n  ip: [\"not-an-ip\"]\n",
       {"name: bad", "whitelist:", "reason:", "ip:"},
       {"not-an-ip"}},
      {"error in a child node",
       "name: bad\nnodes:\n  - name: kid\n    filter: \"Nope(1)\"\n",
       {"name: bad", "name: kid", "filter:"},
       {"Nope"},
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    reset_parsers();
    write_parser("s01-parse/a-good.yaml", "name: good-a\n");
    const std::string text =
        "name: sibling-before\n---\n" + c.document + "---\nname: sibling-after\n";
    const std::string bad_path = write_parser("s01-parse/b-bad.yaml", text);
    write_parser("s01-parse/c-good.yaml", "name: good-c\n");
    ASSERT_TRUE(load());

    // Every error is about the bad document; one of them names the offending token.
    ASSERT_GE(diags_.error_count(), 1u) << all_diagnostics();
    const Diagnostic* d = nullptr;
    for (const auto& item : diags_.items()) {
      if (item.severity != Diagnostic::Severity::kError) continue;
      EXPECT_EQ(item.file, bad_path) << item.to_string();
      if (d == nullptr && item.message.find(c.tokens.front()) != std::string::npos) d = &item;
    }
    ASSERT_NE(d, nullptr) << all_diagnostics();
    EXPECT_EQ(d->file, bad_path) << d->to_string();
    std::vector<int> lines;
    for (const auto& needle : c.line_needles)
      lines.push_back(line_containing(text, needle));
    EXPECT_NE(std::find(lines.begin(), lines.end(), d->line), lines.end())
        << "line " << d->line << " in " << d->to_string();
    if (c.names_node) {
      EXPECT_EQ(d->item, "bad") << d->to_string();
    }
    for (const auto& token : c.tokens) {
      EXPECT_NE(d->message.find(token), std::string::npos) << d->to_string();
    }

    const auto names = pipeline_->node_names("s01-parse");
    EXPECT_EQ(names, Names({"good-a", "sibling-before", "sibling-after", "good-c"}));
    EXPECT_FALSE(contains(names, "bad"));
  }
}

TEST_F(LoadTest, MalformedYamlIsReportedWithFileAndLine) {
  write_parser("s01-parse/a-good.yaml", "name: good-a\n");
  // A mapping key indented under a scalar: a YAML syntax error on line 3.
  const std::string text = "name: broken\nfilter: \"1 == 1\"\n  bad: indentation\n";
  const std::string bad_path = write_parser("s01-parse/b-bad.yaml", text);
  write_parser("s01-parse/c-good.yaml", "name: good-c\n");
  ASSERT_TRUE(load());

  ASSERT_EQ(diags_.error_count(), 1u) << all_diagnostics();
  const Diagnostic& d = diags_.items().front();
  EXPECT_EQ(d.file, bad_path);
  // The position may be in the line field or in the message; the text must carry it.
  const int line = line_containing(text, "bad: indentation");
  ASSERT_EQ(line, 3);
  EXPECT_TRUE(d.line == line ||
              d.message.find("b-bad.yaml:" + std::to_string(line) + ":") != std::string::npos)
      << d.to_string();
  EXPECT_EQ(pipeline_->node_names("s01-parse"), Names({"good-a", "good-c"}));
}

TEST_F(LoadTest, NonMapDocumentIsAnError) {
  write_parser("s01-parse/a.yaml", "name: fine\n---\n- just\n- a list\n");
  ASSERT_TRUE(load());
  EXPECT_EQ(diags_.error_count(), 1u) << all_diagnostics();
  EXPECT_EQ(pipeline_->node_names("s01-parse"), Names({"fine"}));
}

TEST_F(LoadTest, DataFileThatExistsLoads) {
  write_data("bad_agents.txt", "# comment\nsqlmap\nnikto\n");
  write_parser("s01-parse/a.yaml", R"y(
name: uses-data
data:
  - source_url: https://example.invalid/bad_agents.txt
    dest_file: bad_agents.txt
    type: string
filter: "evt.Line.Raw in File('bad_agents.txt')"
statics:
  - meta: bad_agent
    value: "true"
)y");
  load_clean();
  Event hit = log_event("nikto");
  EXPECT_TRUE(parse_ok(hit));
  EXPECT_EQ(hit.meta.get("bad_agent"), "true");
  Event miss = log_event("curl");
  EXPECT_FALSE(parse_ok(miss));
  EXPECT_FALSE(miss.meta.contains("bad_agent"));
}

TEST_F(LoadTest, PatternSyntaxIsSharedAcrossFiles) {
  // Defined in one file, used by a node of a later file and of another stage.
  write_parser("s00-raw/a.yaml", R"y(
name: defines
pattern_syntax:
  MY_WORD: "%{WORD:word}"
grok:
  pattern: "^%{MY_WORD}"
  apply_on: Line.Raw
onsuccess: next_stage
)y");
  write_parser("s01-parse/b.yaml", R"y(
name: uses
grok:
  pattern: "%{MY_WORD} %{INT:n}$"
  apply_on: Line.Raw
)y");
  load_clean();
  Event evt = log_event("alpha 42");
  EXPECT_TRUE(parse_ok(evt));
  EXPECT_EQ(evt.parsed.get("word"), "alpha");
  EXPECT_EQ(evt.parsed.get("n"), "42");
}

}  // namespace
}  // namespace phalanx::parser::testing
