// SPDX-License-Identifier: Apache-2.0
// phalanx-nft load figures (bench/run_nft.sh): decisions into the kernel's sets through
// NftBackend, in a network namespace of its own (the host's ruleset is never touched).
//   load     first resync of V4 addresses + RANGES ranges into a new table (chunked)
//   restart  the same snapshot again from a second backend over the existing table (one
//            transaction: flush + add, so nothing banned before and after is ever absent)
//   delta    DELTA adds + DELTA deletes against the full set, one transaction
//   repair   someone deletes the table; time until the monitor has seen it and every element
//            is back (checked on a sample of addresses, since a full dump takes the kernel 20-60 s)
// --stream feeds the decisions in batches of 50,000 through apply() instead of one resync, so
// the process never holds the whole snapshot: its peak RSS is the bouncer's own (mirror and
// netlink buffers), not the LAPI answer's.
#include <sched.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <unordered_set>

#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/monitor.h"
#include "bouncer-nft/nft_backend.h"

using namespace phalanx;
using namespace phalanx::nft;

namespace {

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "nft bench: %s\n", m.c_str());
  std::exit(1);
}
template <class T>
T must(Result<T> r) {
  if (!r) die(r.error().message());
  return std::move(*r);
}
void must(Result<void> r) {
  if (!r) die(r.error().message());
}
template <class F>
double ms_of(F&& fn) {
  const auto t = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

bouncer::Decision make(uint32_t addr, int prefix, std::mt19937_64& rng) {
  bouncer::Decision d;
  d.origin = "CAPI";
  d.type = "ban";
  d.scope = prefix == 32 ? "Ip" : "Range";
  // 1h..4h, so elements do not share one timeout.
  d.duration = std::chrono::seconds(3600 + static_cast<int64_t>(rng() % (3 * 3600)));
  d.target = net::Cidr(net::IpAddress::from_v4(addr), prefix);
  return d;
}

struct Data {
  std::vector<uint32_t> hosts;
  std::vector<std::pair<uint32_t, int>> ranges;
};

// Unicast 1.0.0.0-223.255.255.255, unique; ranges /16-/24 anywhere (some overlap).
Data make_data(size_t v4, size_t ranges, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Data d;
  std::unordered_set<uint32_t> seen;
  seen.reserve(v4 * 2);
  d.hosts.reserve(v4);
  while (d.hosts.size() < v4) {
    const uint32_t a = 0x01000000u + static_cast<uint32_t>(rng() % (0xE0000000u - 0x01000000u));
    if (seen.insert(a).second) d.hosts.push_back(a);
  }
  for (size_t i = 0; i < ranges; ++i) {
    const int len = 16 + static_cast<int>(rng() % 9);
    const uint32_t a = 0x01000000u + static_cast<uint32_t>(rng() % (0xE0000000u - 0x01000000u));
    d.ranges.emplace_back(a & (len == 32 ? ~0u : ~((1u << (32 - len)) - 1)), len);
  }
  return d;
}

std::vector<bouncer::Decision> decisions(const Data& data, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<bouncer::Decision> out;
  out.reserve(data.hosts.size() + data.ranges.size());
  for (const uint32_t a : data.hosts)
    out.push_back(make(a, 32, rng));
  for (const auto& [a, len] : data.ranges)
    out.push_back(make(a, len, rng));
  return out;
}

std::unique_ptr<NftBackend> backend(size_t chunk) {
  BackendOptions o;
  o.allow = {*net::Cidr::parse("127.0.0.0/8")};
  o.chunk = chunk;
  auto b = must(NftBackend::open(o));
  must(b->setup());
  return b;
}

// Every sampled address (from the first half, which deltas never delete) must be in ban4 (one
// GETSETELEM each, no dump).
void check_sample(const Data& data, size_t n) {
  auto s = must(Socket::open());
  for (size_t i = 0; i < n && i < data.hosts.size(); ++i) {
    const size_t k = (i * 7919) % (data.hosts.size() / 2);
    auto e = must(get_host(s, Layout{}, kBan4, net::IpAddress::from_v4(data.hosts[k])));
    if (!e) die("address " + net::IpAddress::from_v4(data.hosts[k]).to_string() + " missing");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nft_bench: phalanx-nft load, restart, delta and repair figures"};
  size_t v4 = 1'000'000, ranges = 10'000, delta = 1'000, chunk = 25'000;
  int runs = 3;
  bool stream = false;
  bool verify = false;
  uint64_t seed = 1;
  app.add_option("--v4", v4);
  app.add_option("--ranges", ranges);
  app.add_option("--delta", delta);
  app.add_option("--chunk", chunk);
  app.add_option("--runs", runs);
  app.add_option("--seed", seed);
  app.add_flag("--stream", stream, "feed 50k-decision deltas instead of one resync");
  app.add_flag("--verify", verify,
               "after the last repair, dump the sets and compare every element with the mirror "
               "(the kernel takes 20-60 s for a million)");
  CLI11_PARSE(app, argc, argv);

  if (unshare(CLONE_NEWNET) != 0) die("unshare(CLONE_NEWNET): needs root");
  const Data data = make_data(v4, ranges, seed);
  const double rss_data = peak_rss_mb();
  std::printf("data: %zu addresses, %zu ranges (seed %lu); rss after generating %.0f MB\n", v4,
              ranges, static_cast<unsigned long>(seed), rss_data);

  if (stream) {
    auto b = backend(chunk);
    std::mt19937_64 rng(seed);
    const double ms = ms_of([&] {
      const size_t batch = 50'000;
      for (size_t i = 0; i < data.hosts.size() + data.ranges.size(); i += batch) {
        bouncer::DecisionBatch db;
        for (size_t j = i; j < std::min(i + batch, data.hosts.size() + data.ranges.size()); ++j)
          db.added.push_back(j < data.hosts.size()
                                 ? make(data.hosts[j], 32, rng)
                                 : make(data.ranges[j - data.hosts.size()].first,
                                        data.ranges[j - data.hosts.size()].second, rng));
        must(b->apply(db));
      }
    });
    check_sample(data, 1000);
    const auto st = b->stats();
    std::printf("stream load: %.0f ms (%.2f M elements/s), %lu transactions, peak rss %.0f MB\n",
                ms, static_cast<double>(v4 + ranges) / ms / 1000.0,
                static_cast<unsigned long>(st.transactions), peak_rss_mb());
    return 0;
  }

  const auto all = decisions(data, seed);
  const double rss_decisions = peak_rss_mb();
  std::vector<double> load, load_kernel, restart, deltas, repair;
  for (int run = 0; run < runs; ++run) {
    if (run > 0 && unshare(CLONE_NEWNET) != 0) die("unshare");
    {
      // As in the daemon: a monitor follows notifications (paused during bulk writes) and a
      // thread repairs what it reports.
      auto b = backend(chunk);
      auto monitor = must(Monitor::open(b->layout(), b->portid()));
      b->on_bulk([m = monitor.get()](bool starting) { starting ? m->pause() : m->resume(); });
      std::thread repairer([&] {
        while (auto damage = monitor->wait())
          if (damage->any()) must(b->repair(*damage));
      });
      load.push_back(ms_of([&] { must(b->resync(all)); }));
      load_kernel.push_back(b->stats().commit_ms_total);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      monitor->stop();
      repairer.join();
      if (b->stats().repairs != 0) die("the load triggered a full reload");
    }
    auto b = backend(chunk);
    restart.push_back(ms_of([&] { must(b->resync(all)); }));
    // Deltas: DELTA new addresses in, DELTA present ones out.
    std::mt19937_64 rng(seed + 100 + run);
    for (int i = 0; i < 11; ++i) {
      bouncer::DecisionBatch db;
      for (size_t j = 0; j < delta; ++j) {
        db.added.push_back(
            make(0xE0000000u - 1 - static_cast<uint32_t>(rng() % 0x100000), 32, rng));
        // Deletes come from the tail, so the sample checked after the repair stays banned.
        bouncer::Decision gone = make(data.hosts[data.hosts.size() - 1 - (i * delta + j)], 32, rng);
        gone.duration = std::chrono::seconds(-1);
        db.deleted.push_back(gone);
      }
      deltas.push_back(ms_of([&] { must(b->apply(db)); }));
    }
    // Repair: another socket deletes the table.
    auto monitor = must(Monitor::open(b->layout(), b->portid()));
    auto other = must(Socket::open());
    Batch del;
    add_delete_table(del, Layout{});
    del.close();
    const auto t0 = std::chrono::steady_clock::now();
    auto refused = must(other.commit(del));
    if (!refused.empty()) die("deleting the table: " + refused[0].reason);
    auto damage = monitor->wait();
    if (!damage || !damage->ruleset) die("the monitor did not report the deleted table");
    must(b->repair(*damage));
    repair.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    check_sample(data, 1000);
    if (verify && run + 1 == runs) {
      MirrorSnapshot want;
      b->with_mirror([&](const Mirror& m) { want = snapshot(m, monotonic_ms()); });
      auto s = must(Socket::open());
      auto rep = must(audit(s, Layout{}, want));
      std::printf(
          "verify after repair: kernel %lu addresses + %lu segments, mirror %lu + %lu, "
          "missing %lu, extra %lu (dump took %.1f s)\n",
          static_cast<unsigned long>(rep.kernel_hosts),
          static_cast<unsigned long>(rep.kernel_segments),
          static_cast<unsigned long>(rep.mirror_hosts),
          static_cast<unsigned long>(rep.mirror_segments), static_cast<unsigned long>(rep.missing),
          static_cast<unsigned long>(rep.extra), rep.seconds);
    }
  }
  std::printf("load (resync into a new table, chunk %zu): median %.0f ms (%.2f M elements/s)\n",
              chunk, median(load), static_cast<double>(v4 + ranges) / median(load) / 1000.0);
  std::printf("  of which in the kernel (send to last acknowledgement): median %.0f ms\n",
              median(load_kernel));
  std::printf("restart (resync over the full table, one transaction): median %.0f ms\n",
              median(restart));
  std::printf("delta (%zu adds + %zu deletes on the full set): median %.1f ms over %zu\n", delta,
              delta, median(deltas), deltas.size());
  std::printf("repair after the table was deleted: median %.0f ms (sampled 1000 addresses back)\n",
              median(repair));
  std::printf("peak rss %.0f MB (of which %.0f MB the generated data, %.0f MB the decisions)\n",
              peak_rss_mb(), rss_data, rss_decisions - rss_data);
  return 0;
}
