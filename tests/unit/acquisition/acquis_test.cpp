// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "acquisition/source.h"

namespace phalanx::acquisition {
namespace {

// The first diagnostic whose message contains `needle`, or null.
const Diagnostic* find(const Diagnostics& diag, std::string_view needle) {
  for (const auto& d : diag.items())
    if (d.message.find(needle) != std::string::npos) return &d;
  return nullptr;
}

std::string dump(const Diagnostics& diag) {
  std::string out;
  for (const auto& d : diag.items())
    out += d.to_string() + "\n";
  return out;
}

TEST(AcquisTest, GoodItemsAndAutoDetection) {
  Diagnostics diag;
  auto items = parse_acquis(R"(filenames:
  - /var/log/auth.log
  - /var/log/syslog*
exclude_regexps: ['\.gz$']
labels:
  type: syslog
poll_interval: 250ms
idle_warning: 10m
allow_drop: true
max_buffer_size: 4096
discovery_poll_interval: 5s
---
filename: /var/log/nginx/access.log
mode: cat
labels: {type: nginx}
---
journalctl_filter:
  - _SYSTEMD_UNIT=ssh.service
labels:
  type: syslog
---
source: syslog
listen_addr: 0.0.0.0
listen_port: 5514
protocol: udp+tcp
max_message_len: 8192
disable_rfc_parser: true
name: remote
labels:
  type: syslog
---
)",
                            "acquis.yaml", diag);
  ASSERT_FALSE(diag.has_errors()) << dump(diag);
  EXPECT_TRUE(diag.empty()) << dump(diag);
  ASSERT_EQ(items.size(), 4u);

  const auto& f = items[0];
  EXPECT_EQ(f.source, "file");
  EXPECT_EQ(f.mode, "tail");
  EXPECT_EQ(f.line, 1);
  EXPECT_EQ(f.file, "acquis.yaml");
  EXPECT_EQ(f.filenames, (std::vector<std::string>{"/var/log/auth.log", "/var/log/syslog*"}));
  EXPECT_EQ(f.exclude_regexps, (std::vector<std::string>{"\\.gz$"}));
  EXPECT_EQ(f.labels.at("type"), "syslog");
  EXPECT_EQ(f.poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(f.idle_warning, std::chrono::minutes(10));
  EXPECT_TRUE(f.allow_drop);
  EXPECT_EQ(f.max_buffer_size, 4096u);
  EXPECT_EQ(f.discovery_interval, std::chrono::seconds(5));
  EXPECT_EQ(f.name, "file:/var/log/auth.log,/var/log/syslog*");

  EXPECT_EQ(items[1].mode, "cat");
  EXPECT_EQ(items[1].line, 13);
  EXPECT_EQ(items[1].name, "file:/var/log/nginx/access.log");

  EXPECT_EQ(items[2].source, "journalctl");
  EXPECT_EQ(items[2].journalctl_filter, (std::vector<std::string>{"_SYSTEMD_UNIT=ssh.service"}));
  EXPECT_EQ(items[2].name, "journalctl:_SYSTEMD_UNIT=ssh.service");

  const auto& s = items[3];
  EXPECT_EQ(s.source, "syslog");
  EXPECT_EQ(s.mode, "server");
  EXPECT_EQ(s.listen_addr, "0.0.0.0");
  EXPECT_EQ(s.listen_port, 5514);
  EXPECT_EQ(s.protocol, "udp+tcp");
  EXPECT_EQ(s.max_message_len, 8192u);
  EXPECT_TRUE(s.disable_rfc_parser);
  EXPECT_EQ(s.name, "remote");
}

struct ErrorCase {
  const char* yaml;
  const char* message;  // part of the expected error
  int line;
};

TEST(AcquisTest, EveryErrorNamesItsLine) {
  const ErrorCase cases[] = {
      {"filename: /a\n", "'labels' are required", 1},
      {"filename: /a\nlabels: syslog\n", "must be a mapping", 2},
      {"filename: /a\nlabels: {}\n", "must not be empty", 2},
      {"labels: {type: x}\nmode: tail\n", "'source' is required", 1},
      {"filename: /a\nlabels: {type: x}\nmode: follow\n", "not tail or cat", 3},
      {"filename: /a\nlabels: {type: x}\nexclude_regexps:\n  - '(unclosed'\n", "does not compile",
       4},
      {"filename: /a\nlabels: {type: x}\npoll_interval: soon\n", "not a valid duration", 3},
      {"filename: /a\nlabels: {type: x}\nidle_warning: 5 minutes\n", "not a valid duration", 3},
      {"filename: /a\nlabels: {type: x}\nmax_buffer_size: 0\n", "must be between", 3},
      {"filename: /a\nlabels: {type: x}\nforce_inotify: maybe\n", "a boolean", 3},
      {"filenames: [/a, [b]]\nlabels: {type: x}\n", "a list of strings", 1},
      {"filename: [/a]\nlabels: {type: x}\n", "expected a string", 1},
      {"source: file\nlabels: {type: x}\n", "needs 'filename' or 'filenames'", 1},
      {"source: file\nfilenames: []\nlabels: {type: x}\n", "needs 'filename' or", 1},
      {"source: journalctl\nlabels: {type: x}\n", "non-empty 'journalctl_filter'", 1},
      {"source: syslog\nlabels: {type: x}\nlisten_port: 70000\n", "must be between", 3},
      {"source: syslog\nlabels: {type: x}\nprotocol: sctp\n", "not udp, tcp or udp+tcp", 3},
      {"source: syslog\nlabels: {type: x}\nmode: cat\n", "not valid for syslog", 3},
      {"- filename: /a\n", "must be a mapping", 1},
      {"filename: /a\nlabels: {type: x\n", "acquis.yaml:", 0},
  };
  for (const auto& c : cases) {
    Diagnostics diag;
    auto items = parse_acquis(c.yaml, "acquis.yaml", diag);
    EXPECT_TRUE(items.empty()) << c.yaml;
    const Diagnostic* d = find(diag, c.message);
    ASSERT_NE(d, nullptr) << c.yaml << "\n" << dump(diag);
    EXPECT_EQ(d->severity, Diagnostic::Severity::kError) << c.yaml;
    EXPECT_EQ(d->file, "acquis.yaml");
    if (c.line > 0) {
      EXPECT_EQ(d->line, c.line) << c.yaml << "\n" << dump(diag);
    }
  }
}

TEST(AcquisTest, ErrorsInOneItemKeepTheOthers) {
  Diagnostics diag;
  auto items = parse_acquis(
      "filename: /a\nlabels: {type: a}\n---\nfilename: /b\n---\nfilename: /c\nlabels: {type: c}\n",
      "acquis.yaml", diag);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].filenames[0], "/a");
  EXPECT_EQ(items[1].filenames[0], "/c");
  EXPECT_EQ(diag.error_count(), 1u);
  EXPECT_EQ(diag.items()[0].line, 4);
}

TEST(AcquisTest, UnknownKeysAndSourcesWarn) {
  Diagnostics diag;
  auto items = parse_acquis(R"(filename: /a
labels: {type: a}
colour: blue
listen_port: 514
transform: evt.Line.Raw
use_time_machine: true
log_level: debug
unique_id: abc
discovery_poll_enable: true
---
source: docker
container_name: [nginx]
labels: {type: nginx}
---
source: cloudwatch
labels: {type: aws}
)",
                            "acquis.yaml", diag);
  EXPECT_FALSE(diag.has_errors()) << dump(diag);
  ASSERT_EQ(items.size(), 1u);
  const Diagnostic* colour = find(diag, "unknown key 'colour'");
  ASSERT_NE(colour, nullptr) << dump(diag);
  EXPECT_EQ(colour->line, 3);
  EXPECT_EQ(colour->severity, Diagnostic::Severity::kWarning);
  const Diagnostic* port = find(diag, "unknown key 'listen_port'");
  ASSERT_NE(port, nullptr) << dump(diag);
  EXPECT_EQ(port->line, 4);
  const Diagnostic* transform = find(diag, "transform is not supported yet");
  ASSERT_NE(transform, nullptr) << dump(diag);
  EXPECT_EQ(transform->line, 5);
  const Diagnostic* docker = find(diag, "source 'docker' is not supported");
  ASSERT_NE(docker, nullptr) << dump(diag);
  EXPECT_EQ(docker->line, 11);
  const Diagnostic* cw = find(diag, "source 'cloudwatch' is not supported");
  ASSERT_NE(cw, nullptr) << dump(diag);
  EXPECT_EQ(cw->line, 15);
  EXPECT_EQ(diag.items().size(), 5u) << dump(diag);
}

TEST(AcquisTest, EnvironmentIsExpanded) {
  ::setenv("PHALANX_TEST_LOG_DIR", "/srv/logs", 1);
  Diagnostics diag;
  auto items =
      parse_acquis("filename: ${PHALANX_TEST_LOG_DIR}/app.log\nlabels: {type: app}\n", "a", diag);
  ASSERT_EQ(items.size(), 1u) << dump(diag);
  EXPECT_EQ(items[0].filenames[0], "/srv/logs/app.log");
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/phalanx-acquis-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AcquisTest, LoadsFileThenDirectoryInOrder) {
  TempDir dir;
  const auto main = dir.file("acquis.yaml", "filename: /main\nlabels: {type: a}\n");
  dir.file("acquis.d/20-b.yaml", "filename: /b\nlabels: {type: b}\n---\nfilename: /b2\n");
  dir.file("acquis.d/10-a.yaml", "filename: /a\nlabels: {type: a}\n");
  dir.file("acquis.d/30-c.yml", "filename: /c\nlabels: {type: c}\n");
  dir.file("acquis.d/README", "not yaml: [");
  Diagnostics diag;
  auto items = load_acquis(main, dir.path() + "/acquis.d", diag);
  ASSERT_EQ(items.size(), 4u) << dump(diag);
  EXPECT_EQ(items[0].filenames[0], "/main");
  EXPECT_EQ(items[1].filenames[0], "/a");
  EXPECT_EQ(items[2].filenames[0], "/b");
  EXPECT_EQ(items[3].filenames[0], "/c");
  ASSERT_EQ(diag.error_count(), 1u) << dump(diag);
  EXPECT_EQ(diag.items()[0].file, dir.path() + "/acquis.d/20-b.yaml");
  EXPECT_EQ(diag.items()[0].line, 4);
}

TEST(AcquisTest, MissingFilesAreNotErrors) {
  Diagnostics diag;
  auto items = load_acquis("/nonexistent/acquis.yaml", "/nonexistent/acquis.d", diag);
  EXPECT_TRUE(items.empty());
  EXPECT_TRUE(diag.empty()) << dump(diag);
  items = load_acquis("", "", diag);
  EXPECT_TRUE(items.empty());
}

TEST(AcquisTest, DuplicateNamesWarn) {
  TempDir dir;
  const auto main = dir.file(
      "acquis.yaml", "filename: /a\nlabels: {type: a}\n---\nfilename: /a\nlabels: {type: b}\n");
  Diagnostics diag;
  auto items = load_acquis(main, "", diag);
  EXPECT_EQ(items.size(), 2u);
  const Diagnostic* d = find(diag, "used more than once");
  ASSERT_NE(d, nullptr) << dump(diag);
  EXPECT_EQ(d->line, 4);
  EXPECT_EQ(d->severity, Diagnostic::Severity::kWarning);
}

}  // namespace
}  // namespace phalanx::acquisition
