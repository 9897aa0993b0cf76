// SPDX-License-Identifier: Apache-2.0
// Store throughput on one database URL (bench/run_storage.sh gives each run a fresh one):
//   insert_single   alerts/s, one alert with one decision per insert_alerts() call
//   insert_batch50  alerts/s, 50 alerts (one decision each) per call
//   insert_single_4threads  alerts/s, single-alert calls from 4 threads at once (as several
//                   agents pushing together; concurrent calls share a commit)
//   load_<N>        seconds for load_decisions() over N active decisions
// Each result is one line "name value unit" on stdout.
//   storage_bench URL [single_alerts=5000] [batch_alerts=20000] [load_sizes=100000,1000000]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace {

using namespace phalanx;
using namespace phalanx::storage;
using Clock = std::chrono::steady_clock;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'700'000'000));

std::string ip_of(int64_t i) {
  return fmt::format("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

Decision decision_for(const std::string& ip) {
  Decision d;
  d.uuid = "0b5f4c6e-6d8a-4c55-9b0e-" + ip;
  d.created_at = kNow;
  d.until = kNow + std::chrono::hours(4);
  d.scenario = "crowdsecurity/ssh-bf";
  d.type = "ban";
  d.scope = "Ip";
  d.value = ip;
  d.origin = "crowdsec";
  return d;
}

// An alert as an agent pushes it for an ssh brute force: a few events and meta, one decision.
Alert alert_for(int64_t i) {
  std::string ip = ip_of(i);
  Alert a;
  a.uuid = fmt::format("3f1e2d4c-{:012}", i);
  a.machine_id = "bench-machine";
  a.created_at = kNow;
  a.start_at = kNow - std::chrono::seconds(20);
  a.stop_at = kNow;
  a.scenario = "crowdsecurity/ssh-bf";
  a.scenario_hash = "4441dcff07020f6690d998b7101e642359ba405c2abb83565bbbdcee36de280f";
  a.scenario_version = "0.2";
  a.message = "Ip " + ip + " performed 'crowdsecurity/ssh-bf' (6 events over 20s)";
  a.leakspeed = "10s";
  a.kind = "crowdsec";
  a.capacity = 5;
  a.events_count = 6;
  a.remediation = true;
  a.source.scope = "Ip";
  a.source.value = ip;
  a.source.ip = ip;
  a.source.cn = "FR";
  a.source.as_number = "64500";
  a.meta = {{"target_user", "[\"root\"]"}, {"service", "[\"ssh\"]"}};
  for (int e = 0; e < 6; ++e) {
    a.events.push_back({"2023-11-14T22:13:1" + std::to_string(e) + "Z",
                        {{"log_type", "ssh_failed-auth"}, {"source_ip", ip}, {"user", "root"}}});
  }
  a.decisions.push_back(decision_for(ip));
  return a;
}

[[noreturn]] void die(const Error& e) {
  std::fprintf(stderr, "storage_bench: %s\n", e.message().c_str());
  std::exit(1);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void bench_inserts(Store& store, int64_t total, int64_t batch, int64_t& next, const char* name) {
  auto start = Clock::now();
  for (int64_t done = 0; done < total; done += batch) {
    std::vector<Alert> alerts;
    for (int64_t i = 0; i < batch; ++i)
      alerts.push_back(alert_for(next++));
    auto r = store.insert_alerts(alerts);
    if (!r) die(r.error());
  }
  std::printf("%s %.0f alerts/s\n", name, static_cast<double>(total) / seconds_since(start));
  std::fflush(stdout);
}

void bench_threads(Store& store, int64_t total, int threads, int64_t& next, const char* name) {
  std::atomic<int64_t> counter{next};
  int64_t end = next + total;
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i = counter++; i < end; i = counter++) {
        std::vector<Alert> alerts{alert_for(i)};
        auto r = store.insert_alerts(alerts);
        if (!r) die(r.error());
      }
    });
  }
  for (auto& th : pool)
    th.join();
  next = end;
  std::printf("%s %.0f alerts/s\n", name, static_cast<double>(total) / seconds_since(start));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: storage_bench URL [single] [batch] [load_sizes]\n");
    return 2;
  }
  int64_t single = argc > 2 ? std::atoll(argv[2]) : 5000;
  int64_t batched = argc > 3 ? std::atoll(argv[3]) : 20000;
  std::vector<int64_t> loads;
  std::stringstream sizes(argc > 4 ? argv[4] : "100000,1000000");
  for (std::string s; std::getline(sizes, s, ',');)
    loads.push_back(std::atoll(s.c_str()));

  auto opened = open_store(argv[1]);
  if (!opened) die(opened.error());
  Store& store = **opened;
  int64_t next = 0;
  bench_inserts(store, single, 1, next, "insert_single");
  bench_inserts(store, batched, 50, next, "insert_batch50");
  bench_threads(store, single, 4, next, "insert_single_4threads");

  // Fill with decisions (not timed) up to each size, then time the LAPI's startup load.
  int64_t have = next;
  for (int64_t target : loads) {
    while (have < target) {
      std::vector<Decision> chunk;
      for (int64_t i = 0; i < 5000 && have < target; ++i)
        chunk.push_back(decision_for(ip_of(have++)));
      if (auto r = store.insert_decisions(chunk); !r) die(r.error());
    }
    auto start = Clock::now();
    auto rows = store.load_decisions(kNow);
    if (!rows) die(rows.error());
    double s = seconds_since(start);
    if (static_cast<int64_t>(rows->size()) != target) {
      die(Error(fmt::format("load returned {} rows, expected {}", rows->size(), target)));
    }
    std::printf("load_%lld %.3f s\n", static_cast<long long>(target), s);
    std::fflush(stdout);
  }
  return 0;
}
