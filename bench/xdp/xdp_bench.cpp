// SPDX-License-Identifier: Apache-2.0
// xdp_bench: per-packet cost of the XDP blocklist with BPF_PROG_TEST_RUN (no interface, no
// traffic). Loads N IPv4 + M IPv6 exact bans and R ranges, then prints the median ns/packet of
// several kernel-timed runs for: the parse-only floor, the miss and hit paths with one source
// (cache-hot) and with random sources (cache-cold, against a floor that pays the same
// randomisation), the same with the prefilter bypassed, and the map load times. Each figure is
// given as the kernel times it and as the caller's clock does (a fraction of a ns finer).
// Needs root (or CAP_BPF + CAP_NET_ADMIN).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/core.h>
#include <linux/bpf.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_data.h"
#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/daemon.h"
#include "bouncer-xdp/prog_run.h"
#include "bouncer-xdp/xdp_object.h"
#include "xdp_bench_rand.skel.h"
#include "xdp_parse_only.skel.h"

namespace phalanx::xdp::bench {
namespace {

struct Options {
  DataSize size;
  uint32_t repeat = 10'000'000;
  uint32_t runs = 5;
  bool cold = true;  // also the cache-cold rows and everything with the prefilter bypassed
};

// ns per packet: as the kernel times it (whole ns) and as our clock times the call (finer, but
// it also counts the call's setup and any preemption).
struct Ns {
  uint32_t kernel = 0;
  double wall = 0;
};

// Medians of opts.runs runs of opts.repeat iterations each.
Ns median_ns(int prog_fd, const std::vector<uint8_t>& f, const Options& opts) {
  std::vector<uint32_t> kernel;
  std::vector<double> wall;
  for (uint32_t i = 0; i < opts.runs; ++i) {
    const ProgRun r = must(run_program(prog_fd, f, opts.repeat));
    kernel.push_back(r.ns_per_run);
    wall.push_back(r.wall_ns_per_run);
  }
  std::sort(kernel.begin(), kernel.end());
  std::sort(wall.begin(), wall.end());
  return {kernel[kernel.size() / 2], wall[wall.size() / 2]};
}

void row(const std::string& name, Ns ns, Ns floor) {
  fmt::print("  {:<50} {:>6} ns  {:>5.2f}x floor   (wall {:6.1f} ns  {:>5.2f}x)\n", name, ns.kernel,
             static_cast<double>(ns.kernel) / floor.kernel, ns.wall, ns.wall / floor.wall);
}

LoadOptions sized(const DataSize& s) {
  LoadOptions o;
  o.pin_dir.clear();
  o.max_ban_v4 = std::max(o.max_ban_v4, s.v4 + s.delta + 1024);
  o.max_ban_v6 = std::max(o.max_ban_v6, s.v6 + 1024);
  o.max_range_v4 = std::max(o.max_range_v4, s.ranges4 + 1024);
  o.max_range_v6 = std::max(o.max_range_v6, s.ranges6 + 1024);
  return o;
}

void load_maps(BlocklistMaps& maps, const Dataset& d) {
  BatchStats v4;
  const double t4 = seconds_of([&] { v4 = must(maps.ban_batch(d.v4)); });
  const double t6 = seconds_of([&] { must(maps.ban_batch(d.v6)); });
  const double tr = seconds_of([&] { must(maps.ban_batch(d.ranges)); });
  const double td = seconds_of([&] { must(maps.ban_batch(d.delta)); });
  fmt::print("load (prefilter bits + bpf_map_update_batch):\n");
  fmt::print("  {:>8} IPv4 exact   {:8.3f} s  ({} syscalls, batched: {})\n", d.v4.size(), t4,
             v4.syscalls, v4.batched ? "yes" : "no");
  fmt::print("  {:>8} IPv6 exact   {:8.3f} s\n", d.v6.size(), t6);
  fmt::print("  {:>8} ranges       {:8.3f} s\n", d.ranges.size(), tr);
  fmt::print("  {:>8} IPv4 delta   {:8.3f} ms (into the loaded map)\n", d.delta.size(), td * 1e3);
}

struct RandSkel {
  std::unique_ptr<xdp_bench_rand, void (*)(xdp_bench_rand*)> skel{nullptr, xdp_bench_rand__destroy};
  int jmp_fd = -1;
};

// Loads the randomising drivers with the banned IPv4 keys to draw random hits from.
RandSkel load_rand(const std::vector<uint32_t>& keys) {
  RandSkel r;
  r.skel.reset(xdp_bench_rand__open());
  if (!r.skel) die("opening xdp_bench_rand");
  const auto n = static_cast<uint32_t>(std::max<size_t>(keys.size(), 1));
  r.skel->rodata->phx_bench_nkeys = n;
  bpf_map__set_max_entries(r.skel->maps.phx_bench_keys, n);
  if (int err = xdp_bench_rand__load(r.skel.get()); err) die("loading xdp_bench_rand");
  std::vector<uint32_t> idx(keys.size());
  for (uint32_t i = 0; i < idx.size(); ++i)
    idx[i] = i;
  must(update_elems(bpf_map__fd(r.skel->maps.phx_bench_keys), idx.data(), 4, keys.data(), 4,
                    keys.size()));
  r.jmp_fd = bpf_map__fd(r.skel->maps.phx_bench_jmp);
  return r;
}

// Median ns of `driver` with `target` in its tail-call slot.
Ns via(const RandSkel& r, bpf_program* driver, int target, const std::vector<uint8_t>& f,
       const Options& opts) {
  const uint32_t slot = 0;
  if (bpf_map_update_elem(r.jmp_fd, &slot, &target, BPF_ANY) != 0) die("filling phx_bench_jmp");
  return median_ns(bpf_program__fd(driver), f, opts);
}

struct Progs {
  int blocklist = -1;
  int parse = -1;
};

void hot_rows(const Progs& p, const Dataset& d, const Options& o, const char* tag) {
  const auto f4 = frame(kMiss4), f6 = frame(kMiss6);
  const Ns floor4 = median_ns(p.parse, f4, o), floor6 = median_ns(p.parse, f6, o);
  fmt::print("cache-hot (one source, same frame every run){}:\n", tag);
  row("floor: parse only, IPv4", floor4, floor4);
  row("miss IPv4", median_ns(p.blocklist, f4, o), floor4);
  row("hit IPv4 exact", median_ns(p.blocklist, frame(d.hit4), o), floor4);
  row("hit IPv4 range", median_ns(p.blocklist, frame(d.range_hit4), o), floor4);
  row("floor: parse only, IPv6", floor6, floor6);
  row("miss IPv6", median_ns(p.blocklist, f6, o), floor6);
  row("hit IPv6 exact", median_ns(p.blocklist, frame(d.hit6), o), floor6);
  row("hit IPv6 range", median_ns(p.blocklist, frame(d.range_hit6), o), floor6);
}

// What random IPv4 sources met: skipped by the prefilter, looked up in vain, or dropped.
void print_miss_breakdown(BlocklistMaps& maps) {
  const Counters c = must(maps.counters());
  const double all = static_cast<double>(c.total().packets);
  const auto share = [&](uint32_t v) { return 100.0 * c.verdict_total(v).packets / all; };
  fmt::print(
      "    random IPv4 sources: {:.2f}% skipped by the prefilter, {:.2f}% looked up and "
      "missed, {:.2f}% dropped (inside a banned range)\n",
      share(PHX_VERDICT_PASS_PREFILTER), share(PHX_VERDICT_PASS_MISS), share(PHX_VERDICT_DROP));
}

void cold_rows(const Progs& p, const RandSkel& r, BlocklistMaps& maps, const Options& o,
               const char* tag) {
  const auto f4 = frame(kMiss4), f6 = frame(kMiss6);
  const auto& progs = r.skel->progs;
  fmt::print("cache-cold (random source every run; floor = same randomisation + parse){}:\n", tag);
  const Ns floor_miss = via(r, progs.xdp_rand_miss, p.parse, f4, o);
  row("floor: random IPv4 + parse only", floor_miss, floor_miss);
  must(reset_counters(maps.fds().counters));
  row("miss IPv4, random sources", via(r, progs.xdp_rand_miss, p.blocklist, f4, o), floor_miss);
  print_miss_breakdown(maps);
  const Ns floor_hit = via(r, progs.xdp_rand_hit, p.parse, f4, o);
  row("floor: random banned IPv4 + parse only", floor_hit, floor_hit);
  row("hit IPv4 exact, random banned sources", via(r, progs.xdp_rand_hit, p.blocklist, f4, o),
      floor_hit);
  const Ns floor6 = via(r, progs.xdp_rand_miss6, p.parse, f6, o);
  row("floor: random IPv6 + parse only", floor6, floor6);
  row("miss IPv6, random sources", via(r, progs.xdp_rand_miss6, p.blocklist, f6, o), floor6);
}

void print_prefilter(BlocklistMaps& maps, const Dataset& d) {
  const PrefilterFill f = maps.prefilter().fill();
  fmt::print("prefilter bits set: IPv4 {:.2f}% of {} MiB, IPv6 {:.2f}% of {} MiB\n", 100 * f.v4,
             PHX_PF_V4_WORDS * 8 >> 20, 100 * f.v6, PHX_PF_V6_WORDS * 8 >> 20);
  fmt::print("  (a /16-prefix bitmap would have {:.1f}% of its bits set by the exact bans alone)\n",
             100 * d.v4_slash16_coverage);
}

int run(const Options& o) {
  fmt::print("xdp blocklist, BPF_PROG_TEST_RUN, repeat {} per run, median of {} runs\n", o.repeat,
             o.runs);
  const Dataset d = make_dataset(o.size);
  XdpObject blocklist = must(XdpObject::open_and_load(sized(o.size)));
  BlocklistMaps maps = must(BlocklistMaps::open(map_fds(blocklist)));
  load_maps(maps, d);
  // The allow list phalanx-xdp always installs (the host's own addresses aside).
  XdpBouncerConfig daemon;
  daemon.allow_own_addresses = false;
  must(install_allow_list(maps, daemon));
  fmt::print("allow list:");
  for (const auto& cidr : safety_allow_list(daemon))
    fmt::print(" {}", cidr.to_string());
  fmt::print("\n");
  print_prefilter(maps, d);
  std::unique_ptr<xdp_parse_only, void (*)(xdp_parse_only*)> parse(xdp_parse_only__open_and_load(),
                                                                   xdp_parse_only__destroy);
  if (!parse) die("loading xdp_parse_only");
  const Progs p{blocklist.prog_fd(), bpf_program__fd(parse->progs.xdp_parse_only)};
  const RandSkel rand = load_rand(d.v4_keys);

  hot_rows(p, d, o, "");
  if (!o.cold) return 0;
  cold_rows(p, rand, maps, o, "");
  maps.prefilter().saturate();
  hot_rows(p, d, o, ", prefilter bypassed");
  cold_rows(p, rand, maps, o, ", prefilter bypassed");
  const double rebuild = seconds_of([&] { must(maps.rebuild_prefilter()); });
  fmt::print("prefilter rebuild from the maps: {:.3f} s\n", rebuild);
  return 0;
}

}  // namespace
}  // namespace phalanx::xdp::bench

int main(int argc, char** argv) {
  phalanx::xdp::bench::Options o;
  CLI::App app{"XDP blocklist per-packet cost (BPF_PROG_TEST_RUN)"};
  app.add_option("--repeat", o.repeat, "iterations per PROG_TEST_RUN call")
      ->check(CLI::PositiveNumber);
  app.add_option("--runs", o.runs, "runs per case (the median is printed)")
      ->check(CLI::PositiveNumber);
  app.add_flag("!--hot-only", o.cold, "only the cache-hot rows with the prefilter in place");
  app.add_option("--v4", o.size.v4, "IPv4 exact bans");
  app.add_option("--v6", o.size.v6, "IPv6 exact bans");
  app.add_option("--ranges4", o.size.ranges4, "IPv4 range bans");
  app.add_option("--ranges6", o.size.ranges6, "IPv6 range bans");
  app.add_option("--seed", o.size.seed, "data seed");
  CLI11_PARSE(app, argc, argv);
  return phalanx::xdp::bench::run(o);
}
