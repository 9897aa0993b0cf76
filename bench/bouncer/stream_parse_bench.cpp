// SPDX-License-Identifier: Apache-2.0
// stream_parse_bench: how fast the decision-stream body turns into Decisions, and what it costs
// in memory. A CrowdSec-shaped startup body of N Ip decisions is generated in memory, then
// parsed either streamed (StreamParser fed --chunk bytes at a time, batches dropped as they come,
// as phalanx-xdp/phalanx-nft do) or whole (parse_stream_response: every Decision held at once).
// Prints the median time of --runs and the peak RSS of the process (which includes the body).
#include <fmt/core.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bouncer/decision.h"
#include "bouncer/stream_parser.h"

using namespace phalanx;

namespace {

std::string make_body(size_t n) {
  std::string body = R"({"deleted":null,"new":[)";
  body.reserve(n * 220 + 64);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t a = 0x0b000000u + static_cast<uint32_t>(i);
    body += fmt::format(
        R"({}{{"duration":"{}h59m{}s","id":{},"origin":"CAPI","scenario":"crowdsecurity/ssh-bf",)"
        R"("scope":"Ip","type":"ban","uuid":"{:08x}-1f2e-4d3c-8b7a-{:012x}","value":"{}.{}.{}.{}"}})",
        i ? "," : "", 1 + i % 23, i % 60, i + 1, a, i, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
        a & 255);
  }
  body += "]}";
  return body;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stream_parse_bench: the decision-stream body parser"};
  size_t n = 1'000'000, chunk = 16384;
  int runs = 3;
  std::string mode = "stream";
  app.add_option("--decisions", n);
  app.add_option("--chunk", chunk);
  app.add_option("--runs", runs);
  app.add_option("--mode", mode)->check(CLI::IsMember({"stream", "whole"}));
  CLI11_PARSE(app, argc, argv);

  const std::string body = make_body(n);
  const double rss_body = peak_rss_mb();
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    size_t got = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == "stream") {
      bouncer::StreamParser parser(
          [&](bouncer::StreamList, std::vector<bouncer::Decision>& b) -> Result<void> {
            got += b.size();
            return ok();
          },
          nullptr);
      for (size_t at = 0; at < body.size(); at += chunk) {
        if (auto ok = parser.feed(std::string_view(body).substr(at, chunk)); !ok) {
          fmt::print(stderr, "{}\n", ok.error().message());
          return 1;
        }
      }
      if (auto ok = parser.finish(); !ok) return 1;
    } else {
      auto parsed = bouncer::parse_stream_response(body);
      if (!parsed) return 1;
      got = parsed->added.size();
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (got != n) {
      fmt::print(stderr, "parsed {} of {} decisions\n", got, n);
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  fmt::print(
      "{} parse of {} decisions ({:.0f} MB): median {:.0f} ms ({:.2f} M decisions/s); "
      "peak rss {:.0f} MB, of which the body {:.0f} MB\n",
      mode, n, static_cast<double>(body.size()) / 1e6, ms[ms.size() / 2],
      static_cast<double>(n) / ms[ms.size() / 2] / 1e3, peak_rss_mb(), rss_body);
  return 0;
}
