// SPDX-License-Identifier: Apache-2.0
// xdp_load_bench: how fast the XDP bouncer's backend (XdpBackend) puts LAPI decisions into the
// maps. Decisions are built as the stream client hands them over (bouncer::Decision with an
// origin and a Go duration), so the times include the conversion, the batch syscalls, a
// resync's new generation of maps and its swap into force, and the prefilter rewrite:
//   resync of N decisions into empty maps (a first start), resync of the same N over a full
//   state with 1% replaced (a restart), a delta of D new bans, a delta of D lifts, and the
//   expiry sweep over a full state. Median of --runs. Needs root (or CAP_BPF).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench_data.h"
#include "bouncer-xdp/xdp_backend.h"
#include "core/log.h"

namespace phalanx::xdp::bench {
namespace {

template <class F>
double ms_of(F&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bouncer::Decision decision_of(const BanRequest& b, const char* origin) {
  bouncer::Decision d;
  d.target = b.target;
  const bool host = b.target.prefix_len() == (b.target.is_v4() ? 32 : 128);
  d.scope = host ? "Ip" : "Range";
  d.value = host ? b.target.network().to_string() : b.target.to_string();
  d.origin = origin;
  d.type = "ban";
  d.duration = std::chrono::hours(4);
  return d;
}

std::vector<bouncer::Decision> decisions_of(const std::vector<BanRequest>& bans,
                                            const char* origin) {
  std::vector<bouncer::Decision> out;
  out.reserve(bans.size());
  for (const auto& b : bans)
    out.push_back(decision_of(b, origin));
  return out;
}

}  // namespace
}  // namespace phalanx::xdp::bench

int main(int argc, char** argv) {
  using namespace phalanx::xdp;
  using namespace phalanx::xdp::bench;
  namespace bouncer = phalanx::bouncer;
  CLI::App app{"xdp_load_bench: decisions into the XDP maps through XdpBackend"};
  DataSize size;
  size.v6 = 0;
  size.ranges4 = 0;
  size.ranges6 = 0;
  uint32_t runs = 3;
  app.add_option("--v4", size.v4, "IPv4 exact decisions");
  app.add_option("--v6", size.v6, "IPv6 exact decisions");
  app.add_option("--ranges4", size.ranges4, "IPv4 range decisions");
  app.add_option("--delta", size.delta, "decisions in one delta");
  app.add_option("--runs", runs, "repetitions (median reported)");
  app.add_option("--seed", size.seed, "data seed");
  CLI11_PARSE(app, argc, argv);
  phalanx::log::set_level("warn");

  const Dataset data = make_dataset(size);
  std::vector<bouncer::Decision> all = decisions_of(data.v4, "CAPI");
  for (const auto* part : {&data.v6, &data.ranges}) {
    auto more = decisions_of(*part, "CAPI");
    all.insert(all.end(), more.begin(), more.end());
  }
  const std::vector<bouncer::Decision> delta = decisions_of(data.delta, "crowdsec");
  // A restart's snapshot: 1% of the state replaced by the delta's addresses.
  std::vector<bouncer::Decision> changed = all;
  for (size_t i = 0; i < changed.size() / 100 && i < delta.size(); ++i)
    changed[i * 100] = delta[i];

  // Random ranges may repeat: the maps hold each target once.
  std::vector<phalanx::net::Cidr> targets;
  for (const auto& d : all)
    targets.push_back(*d.target);
  std::sort(targets.begin(), targets.end());
  const size_t distinct =
      static_cast<size_t>(std::unique(targets.begin(), targets.end()) - targets.begin());

  LoadOptions opts;
  opts.pin_dir.clear();
  opts.max_ban_v4 = std::max<uint32_t>(1U << 21, size.v4 * 2);
  opts.max_ban_v6 = std::max<uint32_t>(1U << 16, size.v6 * 2);

  // The stream body those decisions arrive in, as a CrowdSec LAPI writes it.
  std::string body = "{\"deleted\":null,\"new\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    body += fmt::format(
        "{}{{\"duration\":\"3h59m58.123456s\",\"id\":{},\"origin\":\"CAPI\",\"scenario\":"
        "\"crowdsecurity/ssh-bf\",\"scope\":\"{}\",\"type\":\"ban\",\"value\":\"{}\"}}",
        i == 0 ? "" : ",", i + 1, all[i].scope, all[i].value);
  }
  body += "]}";
  std::vector<double> parse;
  for (uint32_t r = 0; r < runs; ++r) {
    parse.push_back(ms_of([&] {
      auto parsed = must(bouncer::parse_stream_response(body));
      if (parsed.added.size() != all.size()) die("parse lost decisions");
    }));
  }

  std::vector<double> first, restart, add, lift, sweep;
  for (uint32_t r = 0; r < runs; ++r) {
    XdpObject object = must(XdpObject::open_and_load(opts));
    BlocklistMaps maps = must(BlocklistMaps::open(map_fds(object)));
    XdpBackend backend(maps);
    first.push_back(ms_of([&] { must(backend.resync(all)); }));
    restart.push_back(ms_of([&] { must(backend.resync(changed)); }));
    must(backend.resync(all));
    bouncer::DecisionBatch adds;
    adds.added = delta;
    add.push_back(ms_of([&] { must(backend.apply(adds)); }));
    bouncer::DecisionBatch lifts;
    lifts.deleted = delta;
    lift.push_back(ms_of([&] { must(backend.apply(lifts)); }));
    sweep.push_back(ms_of([&] { (void)must(backend.sweep_expired()); }));
    if (backend.active() != distinct) die("unexpected entry count after the runs");
  }
  fmt::print("decisions: {} IPv4 + {} IPv6 exact, {} ranges; delta {}; median of {}\n", size.v4,
             size.v6, data.ranges.size(), delta.size(), runs);
  fmt::print("parse the stream body ({:.0f} MB)            {:9.1f} ms\n",
             static_cast<double>(body.size()) / 1e6, median(parse));
  fmt::print("resync into empty maps (first start)      {:9.1f} ms\n", median(first));
  fmt::print("resync over full state, 1% changed        {:9.1f} ms\n", median(restart));
  fmt::print("delta: {} new bans                      {:9.2f} ms\n", delta.size(), median(add));
  fmt::print("delta: {} lifted bans                   {:9.2f} ms\n", delta.size(), median(lift));
  fmt::print("expiry sweep over the full state          {:9.1f} ms\n", median(sweep));
  return 0;
}
