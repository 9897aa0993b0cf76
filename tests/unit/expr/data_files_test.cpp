// SPDX-License-Identifier: Apache-2.0
// DataFiles loading, the data-file helpers, and the any(File(...), {...}) indexes: every indexed
// shape must give the same answer as the plain loop, and the index must be faster.
#include "expr/data_files.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "expr_test_util.h"

namespace phalanx::expr::testing {
namespace {

namespace fs = std::filesystem;

class DataFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("phalanx_expr_data_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
  }
  fs::path dir_;
};

TEST_F(DataFilesTest, LoadsStringFilesLikeCrowdSec) {
  write("paths.txt", "# comment\n/admin\r\n\n/wp-login.php\n  spaced\n");
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.load({"https://example/paths.txt", "paths.txt", "string"}));
  auto file = files.strings("paths.txt");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->lines(), (std::vector<std::string>{"/admin", "/wp-login.php", "  spaced"}));
  EXPECT_EQ(files.regexps("paths.txt"), nullptr);
  // Loading again is a no-op; an entry without type is ignored.
  EXPECT_TRUE(files.load({"", "paths.txt", "string"}));
  EXPECT_TRUE(files.load({"", "whatever.txt", ""}));
}

TEST_F(DataFilesTest, ErrorsNameTheFile) {
  DataFiles files(dir_.string());
  auto missing = files.load({"", "nope.txt", "string"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("nope.txt"), std::string::npos)
      << missing.error().message();
  auto bad_type = files.load({"", "x.txt", "csv"});
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message().find("unknown data type 'csv' for x.txt"),
            std::string::npos);
  write("bad.regex", "ok.*\n(unclosed\n");
  auto bad_re = files.load({"", "bad.regex", "regexp"});
  ASSERT_FALSE(bad_re);
  EXPECT_NE(bad_re.error().message().find("line 2 of bad.regex"), std::string::npos)
      << bad_re.error().message();
  write("bad.json", "{\"pattern\": \"/x\", \"type\": \"equals\"}\n");
  auto bad_map = files.load({"", "bad.json", "map"});
  ASSERT_FALSE(bad_map);
  EXPECT_NE(bad_map.error().message().find("'tag'"), std::string::npos);
}

TEST_F(DataFilesTest, RegexpAndMapHelpers) {
  write("ua.regex", "(?i)sqlmap\n^curl/\nnikto\n");
  write("tech.json",
        "## comment\n"
        R"({"tag": "exact", "pattern": "/admin", "type": "equals"})"
        "\n"
        R"({"tag": "wp", "pattern": "/wp-", "type": "contains"})"
        "\n"
        R"({"tag": "wp-admin", "pattern": "/wp-admin", "type": "contains"})"
        "\n"
        R"({"tag": "php", "pattern": ".php", "type": "contains"})"
        "\n"
        R"({"tag": "git", "pattern": "\\.git/(config|HEAD)$", "type": "regex"})"
        "\n");
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.load({"", "ua.regex", "regexp"}));
  ASSERT_TRUE(files.load({"", "tech.json", "map"}));
  const DataFiles* both[] = {nullptr, &files};
  for (const DataFiles* compile_files : both) {
    RunContext ctx{.data_files = &files};
    EventFixture fx;
    auto check = [&](const std::string& src, const Value& want) {
      auto v = fx.eval(src, ctx, compile_files);
      ASSERT_TRUE(v.has_value()) << src << ": " << v.error().message();
      EXPECT_TRUE(same(*v, want)) << src << " got " << show(*v);
    };
    check("RegexpInFile('Mozilla SQLMap/1.0', 'ua.regex')", Value::boolean(true));
    check("RegexpInFile('curl/8.0', 'ua.regex')", Value::boolean(true));
    check("RegexpInFile('wget curl/8.0', 'ua.regex')", Value::boolean(false));
    check("RegexpInFile('x', 'not-loaded.regex')", Value::boolean(false));
    check("LookupFile('/admin', 'tech.json')", Value::view("exact"));
    check("LookupFile('/x/wp-admin/index.php', 'tech.json')", Value::view("wp"));
    check("LookupFile('/index.php', 'tech.json')", Value::view("php"));
    check("LookupFile('/a.php/wp-x', 'tech.json')", Value::view("php"));
    check("LookupFile('/repo/.git/HEAD', 'tech.json')", Value::view("git"));
    check("LookupFile('/nothing', 'tech.json')", Value::view(""));
    check("len(FileMap('tech.json'))", Value::integer(5));
    check("FileMap('tech.json')[0].tag", Value::view("exact"));
    check("File('not-loaded.txt')", *parse_json("[]"));
  }
}

// Lines for the index tests, and the events probed against them.
const std::vector<std::string> kLines = {
    "/etc/passwd",   "../",          "wp-config",       "SELECT", "10.0.0.0/8",
    "2001:db8::/32", "192.168.1.10", "bot.example.com", "",       "union select"};
const std::vector<std::string> kProbes = {"/etc/passwd",
                                          "/index.php?f=../../etc/passwd",
                                          "/wp-config.php.bak",
                                          "nothing here",
                                          "10.1.2.3",
                                          "2001:db8::5",
                                          "192.168.1.10",
                                          "crawl.bot.example.com",
                                          "",
                                          "x UNION SELECT y",
                                          "SELECT",
                                          "11.0.0.1"};

const std::vector<std::string> kPredicates = {
    "any(File('lines.txt'), {evt.Meta.http_path == #})",
    "any(File('lines.txt'), {# == evt.Meta.http_path})",
    "any(File('lines.txt'), {evt.Meta.http_path contains #})",
    "any(File('lines.txt'), {len(#) > 0 && evt.Meta.http_path contains #})",
    "any(File('lines.txt'), {Upper(evt.Meta.http_path) contains Upper(#)})",
    "any(File('lines.txt'), {Lower(evt.Meta.http_path) contains Lower(#) && len(#) > 3})",
    "any(File('lines.txt'), {evt.Meta.http_path startsWith #})",
    "any(File('lines.txt'), {len(#) > 0 && evt.Meta.http_path endsWith #})",
    "any(File('lines.txt'), {IpInRange(evt.Meta.http_path, #)})",
    "any(File('lines.txt'), { len(#) > 0 && IpInRange(evt.Meta.http_path ,#)})",
    "evt.Meta.http_path in File('lines.txt')",
    "any(['a', 'b'], {evt.Meta.http_path == #})",
};

TEST_F(DataFilesTest, IndexedAnyMatchesTheLoop) {
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.add_strings("lines.txt", kLines));
  RunContext ctx{.data_files = &files};
  for (const std::string& pred : kPredicates) {
    EventFixture fx;
    auto fast = fx.compile_evt(pred, &files, true);
    auto slow = fx.compile_evt(pred, &files, false);
    ASSERT_TRUE(fast.has_value()) << pred << ": " << fast.error().message();
    ASSERT_TRUE(slow.has_value()) << pred;
    for (const std::string& probe : kProbes) {
      fx.evt.meta["http_path"] = probe;
      Value vars[] = {Value::object(&fx.evt)};
      auto a = fast->run(vars, ctx);
      auto b = slow->run(vars, ctx);
      ASSERT_EQ(a.has_value(), b.has_value()) << pred << " on '" << probe << "'";
      if (a) {
        EXPECT_TRUE(same(*a, *b)) << pred << " on '" << probe << "': " << show(*a);
      }
    }
  }
}

TEST_F(DataFilesTest, IndexedAnyKeepsRuntimeErrors) {
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.add_strings("lines.txt", kLines));
  RunContext ctx{.data_files = &files};
  EventFixture fx;
  for (bool optimize : {true, false}) {
    auto v =
        fx.eval("any(File('lines.txt'), {evt.Unmarshaled.num contains #})", ctx, &files, optimize);
    EXPECT_FALSE(v.has_value()) << "optimize=" << optimize;
    auto empty =
        fx.eval("any(File('none.txt'), {evt.Unmarshaled.num contains #})", ctx, &files, optimize);
    ASSERT_TRUE(empty.has_value());
    EXPECT_FALSE(empty->truthy());
  }
}

TEST_F(DataFilesTest, PerLineSubexpressionsAreComputedOnce) {
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.add_strings("cves.json", {R"({"cve":"CVE-1","uri":"/global-protect/"})",
                                              R"({"cve":"CVE-2","uri":"/cgi-bin/nas"})"}));
  RunContext ctx{.data_files = &files};
  const std::string filter =
      "evt.Meta.http_status in ['404', '403'] and any(File('cves.json'), {"
      " evt.Meta.http_path contains JsonExtract(#, 'uri') ? evt.SetMeta('cve', JsonExtract(#, "
      "'cve')) : false })";
  for (bool optimize : {true, false}) {
    for (const auto& [path, cve] : std::vector<std::pair<std::string, std::string>>{
             {"/x/cgi-bin/nas_sharing.cgi", "CVE-2"}, {"/index.html", ""}}) {
      EventFixture fx;
      fx.evt.meta["http_path"] = path;
      auto v = fx.eval(filter, ctx, &files, optimize);
      ASSERT_TRUE(v.has_value()) << v.error().message();
      EXPECT_EQ(v->truthy(), !cve.empty()) << path;
      EXPECT_EQ(fx.evt.meta["cve"], cve) << path << " optimize=" << optimize;
    }
  }
  // A per-line expression that fails for some line keeps failing at run time.
  EventFixture fx;
  auto bad = fx.eval("any(['1', 'x'], {int(#) > 5 || evt.Meta.service == 'ssh'})", ctx);
  ASSERT_TRUE(bad.has_value());  // '1' short-circuits nothing; 'x' is never reached
  EXPECT_TRUE(bad->truthy());
  auto failing = fx.eval("any(['x', '1'], {int(#) > 5 || evt.Meta.service == 'ssh'})", ctx);
  EXPECT_FALSE(failing.has_value());
}

double time_runs(const Program& p, TestEvent& evt, RunContext& ctx, int runs) {
  Value vars[] = {Value::object(&evt)};
  auto start = std::chrono::steady_clock::now();
  int hits = 0;
  for (int i = 0; i < runs; ++i)
    hits += p.run(vars, ctx)->truthy();
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(hits, 0);
  return took.count() / runs;
}

// Not a benchmark gate (machines are shared), but a measurement printed with every run: the
// idioms of the hub's http scenarios over a 2 000-line file, with and without the index.
TEST_F(DataFilesTest, IndexedAnyIsMeasuredFaster) {
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i)
    lines.push_back("/probe-path-" + std::to_string(i) + ".php");
  std::vector<std::string> cidrs;
  for (int i = 0; i < 2000; ++i)
    cidrs.push_back("10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".0/24");
  DataFiles files(dir_.string());
  ASSERT_TRUE(files.add_strings("big.txt", lines));
  ASSERT_TRUE(files.add_strings("cidrs.txt", cidrs));
  RunContext ctx{.data_files = &files};
  EventFixture fx;
  fx.evt.meta["http_path"] = "/index.php?q=something-that-matches-nothing";
  fx.evt.meta["source_ip"] = "192.0.2.1";
  for (const std::string& pred :
       {std::string("any(File('big.txt'), {evt.Meta.http_path == #})"),
        std::string("any(File('big.txt'), {Upper(evt.Meta.http_path) contains Upper(#)})"),
        std::string("any(File('big.txt'), {len(#) > 0 && evt.Meta.http_path endsWith #})"),
        std::string("any(File('cidrs.txt'), {IpInRange(evt.Meta.source_ip, #)})")}) {
    auto fast = fx.compile_evt(pred, &files, true);
    auto slow = fx.compile_evt(pred, &files, false);
    ASSERT_TRUE(fast && slow);
    double us_fast = time_runs(*fast, fx.evt, ctx, 2000);
    double us_slow = time_runs(*slow, fx.evt, ctx, 20);
    std::cout << "[measure] " << pred << ": loop " << us_slow << " us/event, indexed " << us_fast
              << " us/event (x" << (us_fast > 0 ? us_slow / us_fast : 0) << ")\n";
    EXPECT_LT(us_fast, us_slow);
  }
}

}  // namespace
}  // namespace phalanx::expr::testing
