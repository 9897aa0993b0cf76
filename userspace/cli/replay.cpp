// SPDX-License-Identifier: Apache-2.0
#include "cli/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/output.h"

namespace phalanx::cli {
namespace {

struct Counters {
  size_t read = 0, parsed = 0, unparsed = 0, whitelisted = 0, errors = 0;
  std::map<std::string, size_t> by_log_type;
  std::map<std::string, size_t> by_source;
};

nlohmann::json event_json(const parser::Event& evt) {
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& [k, v] : evt.meta)
    meta[k] = json_string(v);
  return {{"time", evt.marshaled_time}, {"meta", std::move(meta)}};
}

void print_summary(const Counters& c, double seconds, const std::string& what) {
  std::cout << fmt::format("replayed {}\n\n", what);
  std::cout << fmt::format("{:<28}{:>10}\n", "log_type", "events");
  for (const auto& [type, n] : c.by_log_type) {
    std::cout << fmt::format("{:<28}{:>10}\n", type.empty() ? "(none)" : type, n);
  }
  std::vector<std::pair<size_t, std::string>> top;
  for (const auto& [ip, n] : c.by_source)
    top.emplace_back(n, ip);
  std::sort(top.rbegin(), top.rend());
  if (!top.empty()) std::cout << fmt::format("\n{:<40}{:>10}\n", "top sources", "events");
  for (size_t i = 0; i < std::min<size_t>(top.size(), 10); ++i) {
    std::cout << fmt::format("{:<40}{:>10}\n", top[i].second, top[i].first);
  }
  std::cout << fmt::format(
      "\nlines read {}, parsed {}, unparsed {}, whitelisted {}, errors {} — {:.0f} lines/s\n",
      c.read, c.parsed, c.unparsed, c.whitelisted, c.errors,
      seconds > 0 ? double(c.read) / seconds : 0.0);
}

}  // namespace

int run_replay(const ReplayOptions& opts) {
  auto content = load_content(opts.content);
  if (!content) return fail("replay: " + content.error().message());
  report_diagnostics(content->diagnostics, opts.content.show_warnings);
  std::ifstream in(opts.file, std::ios::binary);
  if (!in) return fail("replay: cannot read " + opts.file);

  LineParser parser(*content);
  Counters c;
  const ZonedTime now{SystemClock::instance().now(), 0};
  const auto start = std::chrono::steady_clock::now();
  for (std::string raw; std::getline(in, raw);) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (raw.empty()) continue;
    ++c.read;
    parser::Event evt = parser::make_line_event(raw, opts.type, opts.file, now);
    auto ok = parser.parse(evt);
    if (!ok) {
      ++c.errors;
    } else if (!*ok) {
      ++c.unparsed;
    } else if (evt.whitelisted) {
      ++c.whitelisted;
    } else {
      ++c.parsed;
      ++c.by_log_type[std::string(evt.meta.get("log_type"))];
      if (auto ip = evt.meta.get("source_ip"); !ip.empty()) ++c.by_source[std::string(ip)];
      if (opts.json) std::cout << event_json(evt).dump() << "\n";
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (opts.json) {
    std::cerr << fmt::format("lines read {}, parsed {}, unparsed {}, whitelisted {}, errors {}\n",
                             c.read, c.parsed, c.unparsed, c.whitelisted, c.errors);
  } else {
    print_summary(c, seconds, opts.file);
  }
  return kExitOk;
}

}  // namespace phalanx::cli
