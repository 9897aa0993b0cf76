// SPDX-License-Identifier: Apache-2.0
// Parse throughput on one core: lines/s through the s00 → s01 → s02 parser chain, for
// Phalanx's own parsers and for the hub's sshd and nginx chains, on logs from phalanx-loggen.
//
// Inputs come from the environment (bench/run_parse.sh sets them):
//   PHALANX_BENCH_SSH_LOG, PHALANX_BENCH_NGINX_LOG  generated logs
//   PHALANX_HUB_DIR                                  hub content (hub benchmarks skip without it)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/content.h"

namespace {

using phalanx::cli::Content;
using phalanx::cli::ContentOptions;
using phalanx::cli::LineParser;

std::vector<std::string> read_lines(const char* env) {
  std::vector<std::string> out;
  const char* path = std::getenv(env);
  if (path == nullptr) return out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(std::move(l));
  }
  return out;
}

std::string hub_dir() {
  const char* env = std::getenv("PHALANX_HUB_DIR");
  return env != nullptr ? env : PHALANX_SOURCE_DIR "/../shared/hub";
}

void run(benchmark::State& state, const ContentOptions& opts, const char* log_env,
         const char* type) {
  const auto lines = read_lines(log_env);
  if (lines.empty()) {
    state.SkipWithError((std::string(log_env) + " is not set or empty").c_str());
    return;
  }
  if (!opts.hub_dir.empty() && !std::filesystem::exists(opts.hub_dir + "/.index.json")) {
    state.SkipWithError("hub content not found");
    return;
  }
  auto content = phalanx::cli::load_content(opts);
  if (!content) {
    state.SkipWithError(content.error().message().c_str());
    return;
  }
  LineParser parser(*content);
  const phalanx::ZonedTime now{phalanx::SystemClock::instance().now(), 0};
  size_t i = 0, parsed = 0;
  for (auto _ : state) {
    auto evt = phalanx::parser::make_line_event(lines[i], type, "/var/log/bench.log", now);
    auto ok = parser.parse(evt);
    parsed += ok && *ok;
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["parsed_ratio"] = double(parsed) / double(state.iterations());
}

void BM_Parse_Phalanx_Ssh(benchmark::State& state) {
  run(state, {.config_dir = PHALANX_SOURCE_DIR "/scenarios"}, "PHALANX_BENCH_SSH_LOG", "syslog");
}
void BM_Parse_Phalanx_Nginx(benchmark::State& state) {
  run(state, {.config_dir = PHALANX_SOURCE_DIR "/scenarios"}, "PHALANX_BENCH_NGINX_LOG", "nginx");
}
void BM_Parse_Hub_Ssh(benchmark::State& state) {
  run(state, {.hub_dir = hub_dir(), .collections = {"crowdsecurity/sshd", "crowdsecurity/linux"}},
      "PHALANX_BENCH_SSH_LOG", "syslog");
}
void BM_Parse_Hub_Nginx(benchmark::State& state) {
  run(state, {.hub_dir = hub_dir(), .collections = {"crowdsecurity/linux", "crowdsecurity/nginx"}},
      "PHALANX_BENCH_NGINX_LOG", "nginx");
}

BENCHMARK(BM_Parse_Phalanx_Ssh);
BENCHMARK(BM_Parse_Phalanx_Nginx);
BENCHMARK(BM_Parse_Hub_Ssh);
BENCHMARK(BM_Parse_Hub_Nginx);

}  // namespace

BENCHMARK_MAIN();
