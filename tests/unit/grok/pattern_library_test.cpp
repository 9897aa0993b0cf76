// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern_library.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace phalanx::grok {
namespace {

using Sems = std::vector<std::pair<std::string, int>>;

Sems sems_of(const Expansion& e) {
  Sems out;
  for (const Semantic& s : e.semantics)
    out.emplace_back(s.name, s.group);
  return out;
}

PatternLibrary library_of(std::vector<std::pair<std::string, std::string>> defs) {
  PatternLibrary lib = PatternLibrary::empty();
  for (const auto& [name, regex] : defs)
    EXPECT_TRUE(*lib.add(name, regex));
  return lib;
}

TEST(PatternLibraryTest, BuiltinsAreLoaded) {
  PatternLibrary lib;
  EXPECT_EQ(lib.size(), 88u);
  EXPECT_TRUE(lib.contains("COMBINEDAPACHELOG"));
  EXPECT_FALSE(lib.contains("HOST"));
  EXPECT_EQ(*lib.find("INT"), "[+-]?(?:[0-9]+)");
  EXPECT_EQ(PatternLibrary::empty().size(), 0u);
}

TEST(PatternLibraryTest, AddKeepsFirstDefinitionAndWarns) {
  PatternLibrary lib = PatternLibrary::empty();
  EXPECT_TRUE(*lib.add("A", "a", "one.yaml"));
  auto again = lib.add("A", "b", "two.yaml");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(*lib.find("A"), "a");
  ASSERT_EQ(lib.diagnostics().items().size(), 1u);
  const Diagnostic& d = lib.diagnostics().items()[0];
  EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(d.file, "two.yaml");
  EXPECT_EQ(d.item, "A");
  EXPECT_NE(d.message.find("already exists (one.yaml)"), std::string::npos) << d.message;

  auto empty_name = lib.add("", "x");
  ASSERT_FALSE(empty_name);
  EXPECT_EQ(empty_name.error().message(), "adding grok pattern: empty name");
  auto empty_regex = lib.add("B", "");
  ASSERT_FALSE(empty_regex);
  EXPECT_EQ(empty_regex.error().message(), "adding grok pattern 'B': empty expression");
  EXPECT_FALSE(lib.contains("B"));
}

TEST(PatternLibraryTest, LoadTextLineFormat) {
  PatternLibrary lib = PatternLibrary::empty();
  lib.load_text(
      "# a comment\n"
      "\n"
      "SPACED     a  b \n"
      "TABBED\t\tc\r\n"
      "  INDENTED x\n"
      "NOVALUE\n"
      "BAD-NAME x\n"
      "ONESPACE \n"
      "TWOSPACES  \n"
      "LAST z",
      "mem");
  EXPECT_EQ(*lib.find("SPACED"), "a  b ");  // trailing spaces belong to the regex
  EXPECT_EQ(*lib.find("TABBED"), "c");      // CRLF line ending
  EXPECT_FALSE(lib.contains("INDENTED"));
  EXPECT_FALSE(lib.contains("NOVALUE"));
  EXPECT_FALSE(lib.contains("BAD"));
  EXPECT_FALSE(lib.contains("ONESPACE"));
  EXPECT_EQ(*lib.find("TWOSPACES"), " ");
  EXPECT_EQ(*lib.find("LAST"), "z");
  EXPECT_EQ(lib.size(), 4u);
}

TEST(PatternLibraryTest, LoadTextDuplicateNamesFileAndLine) {
  PatternLibrary lib;
  lib.load_text("MINE a\nINT 1\nMINE b\n", "pats");
  EXPECT_EQ(*lib.find("MINE"), "a");
  EXPECT_EQ(*lib.find("INT"), "[+-]?(?:[0-9]+)");
  ASSERT_EQ(lib.diagnostics().items().size(), 2u);
  EXPECT_EQ(lib.diagnostics().items()[0].file, "pats:2");
  EXPECT_NE(lib.diagnostics().items()[0].message.find("(built-in)"), std::string::npos);
  EXPECT_EQ(lib.diagnostics().items()[1].file, "pats:3");
  EXPECT_NE(lib.diagnostics().items()[1].message.find("(pats:1)"), std::string::npos);
}

TEST(PatternLibraryTest, LoadDirectorySortedSkipsDottedNamesAndDirs) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("grok_lib_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "b") << "SAME from_b\nONLY_B b\n";
  std::ofstream(dir / "a") << "SAME from_a\n";
  std::ofstream(dir / "README.md") << "DOC ignored\n";
  std::ofstream(dir / "sub" / "c") << "SUB ignored\n";
  PatternLibrary lib = PatternLibrary::empty();
  auto loaded = lib.load_directory(dir.string());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(*lib.find("SAME"), "from_a");
  EXPECT_TRUE(lib.contains("ONLY_B"));
  EXPECT_FALSE(lib.contains("DOC"));
  EXPECT_FALSE(lib.contains("SUB"));
  EXPECT_EQ(lib.diagnostics().items().size(), 1u);
  fs::remove_all(dir);

  auto missing = lib.load_directory(dir.string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("reading grok pattern directory"), std::string::npos);
  auto missing_file = lib.load_file((dir / "nope").string());
  ASSERT_FALSE(missing_file);
  EXPECT_NE(missing_file.error().message().find("reading grok pattern file"), std::string::npos);
}

struct ExpandCase {
  const char* what;
  std::vector<std::pair<std::string, std::string>> library;
  std::string pattern;
  std::string regex;
  Sems semantics;
};

TEST(PatternLibraryTest, Expand) {
  const std::pair<std::string, std::string> kInt{"INT", "[0-9]+"};
  const std::pair<std::string, std::string> kWord{"WORD", "\\w+"};
  const ExpandCase cases[] = {
      {"no reference", {}, "a(b)c", "a(b)c", {}},
      {"plain reference is non-capturing", {kInt}, "%{INT}", "(?:[0-9]+)", {}},
      {"semantic reference captures", {kInt}, "x%{INT:n}y", "x([0-9]+)y", {{"n", 1}}},
      {"malformed references stay literal",
       {kInt},
       "%{INT:bytes:int} %{IP:src-ip} %{INT:n}",
       "%{INT:bytes:int} %{IP:src-ip} ([0-9]+)",
       {{"n", 1}}},
      {"literal groups shift numbering",
       {kInt},
       R"((a)(?:b)(?P<p>c)\([(]%{INT:x})",
       R"((a)(?:b)(?P<p>c)\([(]([0-9]+))",
       {{"x", 3}}},
      {"inner semantics are exposed",
       {kInt, {"PORT", "port %{INT:port}"}},
       "%{PORT:p}",
       "(port ([0-9]+))",
       {{"p", 1}, {"port", 2}}},
      {"inner semantics through a plain reference",
       {kInt, {"PORT", "port %{INT:port}"}},
       "%{PORT}",
       "(?:port ([0-9]+))",
       {{"port", 1}}},
      {"direct reference hides inner one, even when the inner one comes later",
       {kInt, kWord, {"PAIR", "%{INT:x}-%{WORD:y}"}},
       "%{INT:x} %{PAIR}",
       "([0-9]+) (?:([0-9]+)-(\\w+))",
       {{"x", 1}, {"y", 3}}},
      {"direct reference hides inner one that comes first",
       {kInt, kWord, {"PAIR", "%{INT:x}-%{WORD:y}"}},
       "%{PAIR} %{INT:x}",
       "(?:([0-9]+)-(\\w+)) ([0-9]+)",
       {{"y", 2}, {"x", 3}}},
      {"repeated direct name takes the last occurrence",
       {kInt, kWord},
       "(?:%{INT:n}|%{WORD:n})",
       "(?:([0-9]+)|(\\w+))",
       {{"n", 2}}},
      {"repeated inner name takes the last occurrence",
       {kInt, {"NUM", "%{INT:n}"}},
       "%{NUM} %{NUM}",
       "(?:([0-9]+)) (?:([0-9]+))",
       {{"n", 2}}},
      {"deep nesting",
       {kInt, {"B", "<%{INT:i}>"}, {"C", "\\[%{B:b}\\]"}},
       "%{C:c}%{C}",
       "(\\[(<([0-9]+)>)\\])(?:\\[(<([0-9]+)>)\\])",
       {{"c", 1}, {"b", 4}, {"i", 5}}},
  };
  for (const auto& c : cases) {
    PatternLibrary lib = library_of(c.library);
    auto e = lib.expand(c.pattern);
    ASSERT_TRUE(e) << c.what << ": " << e.error().message();
    EXPECT_EQ(e->regex, c.regex) << c.what;
    EXPECT_EQ(sems_of(*e), c.semantics) << c.what;
  }
}

TEST(PatternLibraryTest, ExpandNamed) {
  PatternLibrary lib = library_of({{"INT", "[0-9]+"}, {"P", "p=%{INT:p}"}});
  auto e = lib.expand_named("P");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->regex, "p=([0-9]+)");
  EXPECT_EQ(sems_of(*e), (Sems{{"p", 1}}));
  auto missing = lib.expand_named("NOPE");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "unknown grok pattern 'NOPE'");
}

TEST(PatternLibraryTest, ExpandErrors) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> library;
    std::string pattern;
    std::string error;
  };
  const Case cases[] = {
      {{}, "", "expanding grok pattern: empty pattern"},
      {{}, "a %{NOPE:x}", "unknown grok pattern 'NOPE'"},
      {{{"OUTER", "%{MID}"}, {"MID", "%{NOPE}"}},
       "%{OUTER}",
       "unknown grok pattern 'NOPE' (via OUTER -> MID)"},
      {{{"SELF", "x%{SELF}"}}, "%{SELF}", "recursive grok pattern: SELF -> SELF"},
      {{{"A", "%{B}"}, {"B", "%{C:c}"}, {"C", "%{A}"}},
       "x %{A:a}",
       "recursive grok pattern: A -> B -> C -> A"},
      {{{"INT", "[0-9]+"}}, "[%{INT:n}]", "semantic 'n' does not open a capture group"},
  };
  for (const auto& c : cases) {
    PatternLibrary lib = library_of(c.library);
    auto e = lib.expand(c.pattern);
    ASSERT_FALSE(e) << c.pattern;
    EXPECT_NE(e.error().message().find(c.error), std::string::npos)
        << c.pattern << " gave: " << e.error().message();
  }
}

TEST(PatternLibraryTest, LazyExpansionAllowsForwardReferences) {
  PatternLibrary lib = PatternLibrary::empty();
  ASSERT_TRUE(*lib.add("FIRST", "%{LATER:l}"));
  ASSERT_TRUE(*lib.add("BROKEN", "%{MISSING}"));
  ASSERT_TRUE(*lib.add("LATER", "z"));
  auto e = lib.expand("%{FIRST}");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->regex, "(?:(z))");
  // A broken definition only breaks the patterns that use it.
  EXPECT_FALSE(lib.expand("%{BROKEN}"));
}

}  // namespace
}  // namespace phalanx::grok
