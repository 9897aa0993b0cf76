// SPDX-License-Identifier: Apache-2.0
// acquis.yaml and acquis.d/*.yaml: one acquisition item per YAML document (spec §4.9).
#include <re2/re2.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "acquisition/source.h"
#include "core/duration.h"
#include "core/yaml.h"

namespace phalanx::acquisition {
namespace {

// Keys every source accepts, then the keys of each source type we implement.
const std::set<std::string, std::less<>> kCommonKeys = {
    "source",    "mode",      "labels",        "name",         "log_level", "use_time_machine",
    "unique_id", "transform", "poll_interval", "idle_warning", "allow_drop"};
const std::set<std::string, std::less<>> kFileKeys = {"filename",
                                                      "filenames",
                                                      "exclude_regexps",
                                                      "force_inotify",
                                                      "poll_without_inotify",
                                                      "max_buffer_size",
                                                      "discovery_poll_enable",
                                                      "discovery_poll_interval"};
const std::set<std::string, std::less<>> kJournalKeys = {"journalctl_filter", "journal_directory"};
const std::set<std::string, std::less<>> kSyslogKeys = {"listen_addr", "listen_port", "protocol",
                                                        "max_message_len", "disable_rfc_parser"};

// Source types of compatible acquis files that Phalanx does not implement: skipped with a warning.
const std::set<std::string, std::less<>> kForeignSources = {
    "docker",       "cloudwatch", "kinesis", "kafka",       "loki",   "s3",
    "victorialogs", "k8s-audit",  "http",    "wineventlog", "appsec", "kubernetesaudit"};

// Parses one document into a SourceConfig; every problem goes to `diag`.
class ItemReader {
 public:
  ItemReader(const std::string& file, const YAML::Node& root, Diagnostics& diag)
      : file_(file), root_(root), diag_(diag) {}

  std::optional<SourceConfig> read();

 private:
  void error(const YAML::Node& at, std::string message) {
    const int line = yaml::line_of(at) > 0 ? yaml::line_of(at) : yaml::line_of(root_);
    diag_.error(file_, line, item_, std::move(message));
    ok_ = false;
  }
  void warning(const YAML::Node& at, std::string message) {
    const int line = yaml::line_of(at) > 0 ? yaml::line_of(at) : yaml::line_of(root_);
    diag_.warning(file_, line, item_, std::move(message));
  }
  // The yaml helpers already prefix "file:line: "; the diagnostic carries them separately.
  std::string strip_where(const std::string& message) const {
    const std::string prefix = file_ + ":";
    if (message.rfind(prefix, 0) != 0) return message;
    const size_t sep = message.find(": ", prefix.size());
    return sep == std::string::npos ? message : message.substr(sep + 2);
  }
  template <class T>
  void take(Result<T> r, std::string_view key, T& out) {
    if (r) {
      out = std::move(*r);
    } else {
      error(root_[std::string(key)], strip_where(r.error().message()));
    }
  }
  std::string str(std::string_view key, std::string fallback = {}) {
    std::string out = fallback;
    take(yaml::get_string(root_, key, file_, std::move(fallback)), key, out);
    return out;
  }
  bool boolean(std::string_view key, bool fallback) {
    bool out = fallback;
    take(yaml::get_bool(root_, key, file_, fallback), key, out);
    return out;
  }
  long long integer(std::string_view key, long long fallback, long long min, long long max) {
    long long out = fallback;
    take(yaml::get_int(root_, key, file_, fallback), key, out);
    if (out < min || out > max) {
      error(root_[std::string(key)], fmt_range(key, min, max));
      return fallback;
    }
    return out;
  }
  static std::string fmt_range(std::string_view key, long long min, long long max) {
    return "key '" + std::string(key) + "': must be between " + std::to_string(min) + " and " +
           std::to_string(max);
  }
  std::vector<std::string> list(std::string_view key) {
    std::vector<std::string> out;
    take(yaml::get_string_list(root_, key, file_), key, out);
    return out;
  }
  // A Go duration ("10m", "250ms"); 0 is allowed only when `allow_zero`.
  template <class D>
  D duration(std::string_view key, D fallback, bool allow_zero) {
    const std::string text = str(key);
    if (text.empty()) return fallback;
    auto d = parse_go_duration(text, true);
    if (!d || d->count() < 0 || (!allow_zero && d->count() == 0)) {
      error(root_[std::string(key)], "key '" + std::string(key) + "': '" + text +
                                         "' is not a valid duration (e.g. 500ms, 30s, 10m)");
      return fallback;
    }
    // Round sub-unit values up so that "500ms" as seconds is not silently 0.
    return std::chrono::ceil<D>(*d);
  }

  void detect_source(SourceConfig& c);
  void read_labels(SourceConfig& c);
  void read_file_keys(SourceConfig& c);
  void read_syslog_keys(SourceConfig& c);
  void check_keys(const SourceConfig& c);
  void check_mode(SourceConfig& c);
  static std::string derive_name(const SourceConfig& c);

  const std::string& file_;
  const YAML::Node& root_;
  Diagnostics& diag_;
  std::string item_;
  bool ok_ = true;
};

void ItemReader::detect_source(SourceConfig& c) {
  c.source = str("source");
  if (!c.source.empty()) return;
  if (root_["filename"] || root_["filenames"]) {
    c.source = "file";
  } else if (root_["journalctl_filter"]) {
    c.source = "journalctl";
  } else {
    error(root_,
          "'source' is required (file, journalctl, syslog) when neither filename(s) nor "
          "journalctl_filter is given");
  }
}

void ItemReader::read_labels(SourceConfig& c) {
  const YAML::Node labels = root_["labels"];
  if (!labels || labels.IsNull()) {
    error(root_, "'labels' are required (at least labels.type, which selects the parsers)");
    return;
  }
  if (!labels.IsMap()) {
    error(labels, "'labels' must be a mapping (e.g. type: syslog)");
    return;
  }
  for (const auto& kv : labels) {
    if (!kv.second.IsScalar()) {
      error(kv.second, "label '" + kv.first.Scalar() + "' must be a string");
      continue;
    }
    c.labels[kv.first.Scalar()] = kv.second.Scalar();
  }
  if (c.labels.empty()) error(labels, "'labels' must not be empty");
}

void ItemReader::read_file_keys(SourceConfig& c) {
  const size_t errors_before = diag_.error_count();
  if (const std::string one = str("filename"); !one.empty()) c.filenames.push_back(one);
  for (auto& f : list("filenames"))
    c.filenames.push_back(std::move(f));
  // Not repeated when the keys are there but malformed (already reported).
  if (c.filenames.empty() && diag_.error_count() == errors_before)
    error(root_, "a file source needs 'filename' or 'filenames'");
  c.exclude_regexps = list("exclude_regexps");
  for (const auto& re : c.exclude_regexps) {
    RE2 compiled(re, RE2::Quiet);
    if (!compiled.ok()) {
      error(root_["exclude_regexps"],
            "exclude_regexps: '" + re + "' does not compile: " + compiled.error());
    }
  }
  c.force_inotify = boolean("force_inotify", c.force_inotify);
  c.poll_without_inotify = boolean("poll_without_inotify", c.poll_without_inotify);
  c.max_buffer_size = static_cast<size_t>(
      integer("max_buffer_size", static_cast<long long>(c.max_buffer_size), 1, 1LL << 30));
  boolean("discovery_poll_enable", true);  // discovery always runs; the key is accepted
  c.discovery_interval = duration("discovery_poll_interval", c.discovery_interval, false);
}

void ItemReader::read_syslog_keys(SourceConfig& c) {
  c.listen_addr = str("listen_addr", c.listen_addr);
  c.listen_port = static_cast<int>(integer("listen_port", c.listen_port, 1, 65535));
  c.protocol = str("protocol", c.protocol);
  if (c.protocol != "udp" && c.protocol != "tcp" && c.protocol != "udp+tcp")
    error(root_["protocol"], "protocol '" + c.protocol + "' is not udp, tcp or udp+tcp");
  c.max_message_len = static_cast<size_t>(
      integer("max_message_len", static_cast<long long>(c.max_message_len), 1, 1 << 20));
  c.disable_rfc_parser = boolean("disable_rfc_parser", c.disable_rfc_parser);
}

void ItemReader::check_keys(const SourceConfig& c) {
  const auto* own = c.source == "file"         ? &kFileKeys
                    : c.source == "journalctl" ? &kJournalKeys
                                               : &kSyslogKeys;
  for (const auto& kv : root_) {
    const std::string key = kv.first.Scalar();
    if (kCommonKeys.contains(key) || own->contains(key)) continue;
    warning(kv.first, "unknown key '" + key + "' for a " + c.source + " source, ignored");
  }
}

void ItemReader::check_mode(SourceConfig& c) {
  const bool explicit_mode = static_cast<bool>(root_["mode"]);
  c.mode = str("mode", c.source == "syslog" ? "server" : "tail");
  if (c.source == "syslog") {
    // A syslog server has one way of running; "tail" (the usual default for every item) means
    // the same.
    if (c.mode != "server" && c.mode != "tail")
      error(root_["mode"], "mode '" + c.mode + "' is not valid for syslog (server)");
    c.mode = "server";
  } else if (c.mode != "tail" && c.mode != "cat") {
    error(explicit_mode ? root_["mode"] : root_, "mode '" + c.mode + "' is not tail or cat");
  }
}

std::string ItemReader::derive_name(const SourceConfig& c) {
  std::string what;
  if (c.source == "file") {
    for (const auto& f : c.filenames)
      what += (what.empty() ? "" : ",") + f;
  } else if (c.source == "journalctl") {
    for (const auto& f : c.journalctl_filter)
      what += (what.empty() ? "" : " ") + f;
  } else {
    what = c.listen_addr + ":" + std::to_string(c.listen_port) + "/" + c.protocol;
  }
  return c.source + ":" + what;
}

std::optional<SourceConfig> ItemReader::read() {
  SourceConfig c;
  c.file = file_;
  c.line = yaml::line_of(root_);
  item_ = str("name");
  detect_source(c);
  if (!ok_) return std::nullopt;
  if (kForeignSources.contains(c.source) ||
      (c.source != "file" && c.source != "journalctl" && c.source != "syslog")) {
    warning(root_["source"],
            "source '" + c.source + "' is not supported (file, journalctl, syslog), item skipped");
    return std::nullopt;
  }
  read_labels(c);
  check_mode(c);
  check_keys(c);
  c.poll_interval = duration("poll_interval", c.poll_interval, false);
  c.idle_warning = duration("idle_warning", c.idle_warning, true);
  c.allow_drop = boolean("allow_drop", c.allow_drop);
  str("log_level");
  boolean("use_time_machine", false);
  str("unique_id");
  if (root_["transform"]) warning(root_["transform"], "transform is not supported yet, ignored");
  if (c.source == "file") {
    read_file_keys(c);
  } else if (c.source == "journalctl") {
    c.journalctl_filter = list("journalctl_filter");
    if (c.journalctl_filter.empty())
      error(root_, "a journalctl source needs a non-empty 'journalctl_filter'");
    c.journal_directory = str("journal_directory");
  } else {
    read_syslog_keys(c);
  }
  c.name = item_.empty() ? derive_name(c) : item_;
  if (!ok_) return std::nullopt;
  return c;
}

std::string read_text(const std::string& path, Diagnostics& diag, bool& found) {
  std::ifstream in(path, std::ios::binary);
  found = static_cast<bool>(in);
  if (!found) {
    if (errno != ENOENT) diag.error(path, 0, "", Error::from_errno("reading").message());
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<SourceConfig> parse_acquis(std::string_view text, const std::string& name,
                                       Diagnostics& diag) {
  std::vector<SourceConfig> out;
  auto docs = yaml::load_string(yaml::expand_env(text), name);
  if (!docs) {
    diag.error(name, 0, "", docs.error().message());
    return out;
  }
  for (const auto& doc : *docs) {
    if (!doc.root || doc.root.IsNull()) continue;  // an empty document ("---" at the end)
    if (!doc.root.IsMap()) {
      diag.error(name, yaml::line_of(doc.root), "", "an acquisition item must be a mapping");
      continue;
    }
    if (auto item = ItemReader(name, doc.root, diag).read()) out.push_back(std::move(*item));
  }
  return out;
}

std::vector<SourceConfig> load_acquis(const std::string& file, const std::string& dir,
                                      Diagnostics& diag) {
  std::vector<std::string> paths;
  if (!file.empty()) paths.push_back(file);
  std::error_code ec;
  if (!dir.empty() && std::filesystem::is_directory(dir, ec)) {
    std::vector<std::string> extra;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const auto ext = entry.path().extension();
      if ((ext == ".yaml" || ext == ".yml") && !entry.is_directory(ec))
        extra.push_back(entry.path().string());
    }
    std::sort(extra.begin(), extra.end());
    paths.insert(paths.end(), extra.begin(), extra.end());
  }
  std::vector<SourceConfig> out;
  std::set<std::string> names;
  for (const auto& path : paths) {
    bool found = false;
    const std::string text = read_text(path, diag, found);
    if (!found) continue;
    for (auto& item : parse_acquis(text, path, diag)) {
      // Names label metrics and positions; a clash is worth knowing about, not fatal.
      if (!names.insert(item.name).second)
        diag.warning(item.file, item.line, item.name, "acquisition name used more than once");
      out.push_back(std::move(item));
    }
  }
  return out;
}

}  // namespace phalanx::acquisition
