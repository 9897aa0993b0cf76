// SPDX-License-Identifier: Apache-2.0
// phalanx-loggen: writes a deterministic, realistic log to stdout for benchmarks.
//
//   phalanx-loggen --kind ssh|nginx --lines N --seed S [--attackers K]
//                  [--start 2026-11-23T00:00:00Z]
//
// The same arguments always give the same bytes (see README.md).
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "nginx_kind.h"
#include "ssh_kind.h"
#include "world.h"
#include "writer.h"

namespace phalanx::loggen {
namespace {

constexpr std::string_view kUsage =
    "usage: phalanx-loggen --kind ssh|nginx --lines N --seed S [--attackers K]\n"
    "                      [--start YYYY-MM-DDTHH:MM:SSZ]\n"
    "Writes N log lines to stdout: sshd lines in syslog format (ssh) or a combined access\n"
    "log (nginx), benign traffic mixed with K attackers (default 10). The same arguments\n"
    "always produce the same bytes. Default start: 2026-11-23T00:00:00Z.\n";

struct Options {
  std::string kind;
  uint64_t lines = 0;
  uint64_t seed = 0;
  uint64_t attackers = 10;
  Millis start = 0;
  bool have_lines = false, have_seed = false;
};

bool parse_uint(std::string_view text, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// Applies one "--name value" pair. Returns an error message, or nothing on success.
std::optional<std::string> apply(Options& o, std::string_view name, std::string_view value) {
  const std::string bad =
      "invalid value for " + std::string(name) + ": '" + std::string(value) + "'";
  if (name == "--kind") {
    if (value != "ssh" && value != "nginx") return bad + " (ssh or nginx)";
    o.kind = value;
  } else if (name == "--lines") {
    if (!parse_uint(value, o.lines)) return bad;
    o.have_lines = true;
  } else if (name == "--seed") {
    if (!parse_uint(value, o.seed)) return bad;
    o.have_seed = true;
  } else if (name == "--attackers") {
    if (!parse_uint(value, o.attackers) || o.attackers > 100000) return bad;
  } else if (name == "--start") {
    if (!parse_utc_timestamp(value, o.start) || o.start < 0) return bad + " (YYYY-MM-DDTHH:MM:SSZ)";
  } else {
    return "unknown option " + std::string(name);
  }
  return std::nullopt;
}

// Parses argv into `o`. Returns an error message, or nothing on success.
std::optional<std::string> parse_args(int argc, char** argv, Options& o) {
  if (!parse_utc_timestamp("2026-11-23T00:00:00Z", o.start)) return "bad default start";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "missing value for " + std::string(arg);
    }
    if (auto err = apply(o, arg, value)) return err;
  }
  if (o.kind.empty() || !o.have_lines || !o.have_seed)
    return "--kind, --lines and --seed are required";
  return std::nullopt;
}

int run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    }
  }
  Options o;
  if (auto err = parse_args(argc, argv, o)) {
    std::fprintf(stderr, "phalanx-loggen: %s\n%.*s", err->c_str(), static_cast<int>(kUsage.size()),
                 kUsage.data());
    return 2;
  }
  Scheduler world(o.start, o.seed);
  if (o.kind == "ssh") {
    populate_ssh(world, o.attackers);
  } else {
    populate_nginx(world, o.attackers);
  }
  LineWriter out(stdout);
  world.run(o.lines, out);
  if (!out.flush()) {
    std::fprintf(stderr, "phalanx-loggen: writing to stdout failed\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace phalanx::loggen

int main(int argc, char** argv) {
  return phalanx::loggen::run(argc, argv);
}
