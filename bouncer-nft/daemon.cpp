// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/daemon.h"

#include <httplib.h>
#include <signal.h>
#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/metrics.h"
#include "bouncer-nft/monitor.h"
#include "bouncer-nft/nft_backend.h"
#include "bouncer-nft/usage.h"
#include "bouncer/daemon_loop.h"
#include "bouncer/stream_client.h"
#include "core/log.h"

namespace phalanx::nft {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("nft");
  return log;
}

int fail(const Error& err) {
  logger()->error("{}", err.message());
  return 1;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string damage_text(const Damage& d) {
  if (d.lost) return "notifications unseen (bulk write or overrun): checking our objects";
  if (d.ruleset) return "table, chain, rules, counters or sets";
  return fmt::format("{} addresses, {} ranges", d.v4.size() + d.v6.size(),
                     (d.ranges[0] ? 1 : 0) + (d.ranges[1] ? 1 : 0));
}

// Follows notifications and repairs at once.
void repair_loop(Monitor& monitor, NftBackend& backend) {
  while (auto damage = monitor.wait()) {
    if (!damage->any()) continue;
    const int64_t t0 = monotonic_ms();
    if (damage->lost && !damage->ruleset) {
      logger()->debug("nft: {}", damage_text(*damage));
    } else {
      logger()->warn("nft: someone else deleted our {}; repairing", damage_text(*damage));
    }
    if (auto r = backend.repair(*damage); !r) {
      logger()->error("nft: repair: {}", r.error().message());
    } else {
      logger()->log(damage->lost && !damage->ruleset ? spdlog::level::debug : spdlog::level::info,
                    "nft: repaired in {} ms", monotonic_ms() - t0);
    }
  }
}

class UsageReporter {
 public:
  UsageReporter(bouncer::StreamClient& client, NftBackend& backend)
      : client_(client), backend_(backend) {
    struct utsname u {};
    if (uname(&u) == 0) os_version_ = u.release;
    startup_ = last_ = unix_now();
  }

  void push(Socket& socket) {
    auto counters = read_counters(socket, backend_.layout());
    if (!counters) {
      logger()->warn("usage metrics: {}", counters.error().message());
      return;
    }
    std::map<std::pair<std::string, std::string>, uint64_t> active;
    backend_.with_mirror([&](const Mirror& m) { active = m.counts(); });
    const int64_t now = unix_now();
    UsageWindow w{PHALANX_VERSION, os_version_, startup_, now, now - last_};
    auto status = client_.post_usage_metrics(usage_metrics_body(w, *counters, previous_, active));
    if (!status) {
      logger()->warn("{}", status.error().message());
      return;
    }
    if (*status == 404 && !warned_404_) {
      logger()->warn("usage metrics: the LAPI has no /v1/usage-metrics (older than 1.6?)");
      warned_404_ = true;
    } else if (*status != 201 && *status != 200 && *status != 404) {
      logger()->warn("usage metrics: LAPI answered status {}", *status);
    }
    previous_ = *counters;
    last_ = now;
  }

 private:
  bouncer::StreamClient& client_;
  NftBackend& backend_;
  std::vector<CounterValue> previous_;
  std::string os_version_;
  int64_t startup_ = 0;
  int64_t last_ = 0;
  bool warned_404_ = false;
};

}  // namespace

std::vector<net::Cidr> safety_allow_list(const NftBouncerConfig& config) {
  std::vector<net::Cidr> out = {*net::Cidr::parse("127.0.0.0/8"), *net::Cidr::parse("::1/128")};
  if (config.allow_own_addresses) {
    for (const auto& a : net::host_addresses())
      out.push_back(a);
  }
  out.insert(out.end(), config.allow.begin(), config.allow.end());
  return out;
}

int run_daemon(const NftBouncerConfig& config) {
  const sigset_t stop_signals = bouncer::block_stop_signals();
  BackendOptions options{config.layout, safety_allow_list(config), config.chunk_size};
  auto backend = NftBackend::open(options);
  if (!backend) return fail(backend.error());
  if (auto r = (*backend)->setup(); !r) return fail(r.error());
  auto monitor = Monitor::open(config.layout, (*backend)->portid());
  if (!monitor) return fail(monitor.error());
  (*backend)->on_bulk([m = monitor->get()](bool starting) {
    if (starting) {
      m->pause();
    } else {
      m->resume();
    }
  });
  std::thread repair_thread([&] { repair_loop(**monitor, **backend); });

  bouncer::StreamConfig stream = config.stream;
  stream.user_agent = std::string("phalanx-nft/") + PHALANX_VERSION;
  auto client = bouncer::StreamClient::create(stream);
  if (!client) {
    (*monitor)->stop();
    repair_thread.join();
    return fail(client.error());
  }
  std::thread stream_thread([&] { (*client)->run(**backend); });

  auto reader = Socket::open();  // counters for metrics and usage, audits
  if (!reader) logger()->warn("{}", reader.error().message());
  std::mutex reader_mu;
  Drift drift;
  std::unique_ptr<httplib::Server> http;
  std::thread http_thread;
  if (config.prometheus && reader) {
    http = std::make_unique<httplib::Server>();
    http->Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(reader_mu);
      auto counters = read_counters(*reader, config.layout);
      std::map<std::pair<std::string, std::string>, uint64_t> active;
      (*backend)->with_mirror([&](const Mirror& m) { active = m.counts(); });
      res.set_content(render_metrics(counters ? *counters : std::vector<CounterValue>{},
                                     (*backend)->stats(), active, (*client)->stats(), drift),
                      "text/plain; version=0.0.4");
    });
    // The full kernel-vs-mirror comparison, on demand (phalanx nft audit): slow for big sets.
    http->Get("/audit", [&](const httplib::Request&, httplib::Response& res) {
      MirrorSnapshot want;
      (*backend)->with_mirror([&](const Mirror& m) { want = snapshot(m, monotonic_ms()); });
      std::lock_guard lock(reader_mu);
      auto rep = audit(*reader, config.layout, want);
      if (!rep) {
        res.status = 500;
        res.set_content(nlohmann::json{{"error", rep.error().message()}}.dump(),
                        "application/json");
        return;
      }
      drift = Drift{true, rep->missing, rep->extra};
      if (rep->missing + rep->extra > 0)
        logger()->warn("nft: audit: {} missing, {} extra", rep->missing, rep->extra);
      res.set_content(nlohmann::json{{"kernel_hosts", rep->kernel_hosts},
                                     {"kernel_segments", rep->kernel_segments},
                                     {"mirror_hosts", rep->mirror_hosts},
                                     {"mirror_segments", rep->mirror_segments},
                                     {"missing", rep->missing},
                                     {"extra", rep->extra},
                                     {"examples", rep->examples},
                                     {"seconds", rep->seconds}}
                          .dump(),
                      "application/json");
    });
    if (!http->bind_to_port(config.prometheus_addr, config.prometheus_port)) {
      logger()->error("prometheus: cannot listen on {}:{}", config.prometheus_addr,
                      config.prometheus_port);
    } else {
      http_thread = std::thread([&] { http->listen_after_bind(); });
    }
  }
  logger()->info("following {} into {}", config.stream.api_url, config.layout.table_text());

  UsageReporter usage(**client, **backend);
  const auto start = bouncer::SteadyClock::now();
  bouncer::Periodic expiry(config.expire_interval, start);
  // Without a netlink reader there are no counters to report.
  bouncer::Periodic usage_push(reader ? config.usage_metrics_interval : Duration::zero(), start);
  while (true) {
    const int sig =
        bouncer::wait_for_stop(stop_signals, std::min(expiry.next(), usage_push.next()));
    if (sig == SIGINT || sig == SIGTERM) {
      logger()->info("signal {}: stopping", sig);
      break;
    }
    const auto now = bouncer::SteadyClock::now();
    if (expiry.due(now)) (*backend)->expire();
    if (usage_push.due(now)) {
      std::lock_guard lock(reader_mu);
      usage.push(*reader);
    }
  }
  (*client)->stop();
  stream_thread.join();
  (*monitor)->stop();
  repair_thread.join();
  if (http_thread.joinable()) {
    http->stop();
    http_thread.join();
  }
  if (config.flush_on_stop) {
    if (auto r = (*backend)->teardown(); !r) return fail(r.error().context("flush on stop"));
    logger()->info("flush_on_stop: removed {}",
                   config.layout.set_only ? "our set contents" : config.layout.table_text());
  } else {
    logger()->info("{} stays; its elements expire on their own", config.layout.table_text());
  }
  return 0;
}

}  // namespace phalanx::nft
