// SPDX-License-Identifier: Apache-2.0
#include "core/yaml.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/diagnostics.h"

namespace phalanx::yaml {
namespace {

TEST(YamlTest, MultiDocumentAndLines) {
  auto docs = load_string("name: a\nvalue: 1\n---\nname: b\nlist: [x, y]\n", "t.yaml");
  ASSERT_TRUE(docs) << docs.error().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(*get_string((*docs)[0].root, "name", "t.yaml"), "a");
  EXPECT_EQ(*get_int((*docs)[0].root, "value", "t.yaml"), 1);
  EXPECT_EQ(line_of((*docs)[1].root["name"]), 4);
  auto list = get_string_list((*docs)[1].root, "list", "t.yaml");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"x", "y"}));
}

TEST(YamlTest, SyntaxErrorNamesFileAndLine) {
  auto docs = load_string("a: 1\nb: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(docs);
  EXPECT_NE(docs.error().message().find("bad.yaml:"), std::string::npos) << docs.error().message();
}

TEST(YamlTest, TypeErrorsNameKey) {
  auto docs = load_string("name:\n  nested: 1\nflag: maybe\n", "t.yaml");
  ASSERT_TRUE(docs);
  auto s = get_string((*docs)[0].root, "name", "t.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "t.yaml:2: key 'name': expected a string");
  auto b = get_bool((*docs)[0].root, "flag", "t.yaml");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message(), "t.yaml:3: key 'flag': expected a boolean");
  EXPECT_EQ(*get_string((*docs)[0].root, "missing", "t.yaml", "dflt"), "dflt");
}

TEST(YamlTest, MissingFile) {
  auto docs = load_file("/nonexistent/phalanx.yaml");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code(), ENOENT);
}

TEST(YamlTest, ExpandEnv) {
  setenv("PHALANX_TEST_KEY", "s3cret", 1);
  unsetenv("PHALANX_TEST_UNSET");
  std::vector<std::string> missing;
  EXPECT_EQ(expand_env("key: ${PHALANX_TEST_KEY} x${PHALANX_TEST_UNSET}y $${literal}", &missing),
            "key: s3cret xy ${literal}");
  EXPECT_EQ(missing, (std::vector<std::string>{"PHALANX_TEST_UNSET"}));
}

TEST(DiagnosticsTest, Formats) {
  Diagnostics d;
  d.error("a.yaml", 3, "node-x", "unknown function Foo at column 4");
  d.warning("a.yaml", 0, "", "deprecated key");
  EXPECT_TRUE(d.has_errors());
  EXPECT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.items()[0].to_string(), "a.yaml:3: 'node-x': unknown function Foo at column 4");
  EXPECT_EQ(d.items()[1].to_string(), "a.yaml: deprecated key");
}

}  // namespace
}  // namespace phalanx::yaml
