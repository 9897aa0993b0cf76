// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/daemon.h"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/metrics.h"
#include "bouncer-xdp/usage.h"
#include "bouncer-xdp/xdp_backend.h"
#include "bouncer/daemon_loop.h"
#include "bouncer/stream_client.h"
#include "core/log.h"

namespace phalanx::xdp {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("xdp");
  return log;
}

int fail(const Error& err) {
  logger()->error("{}", err.message());
  return 1;
}

// Sends one usage-metrics window; a LAPI without the endpoint (404) is reported once.
class UsageReporter {
 public:
  UsageReporter(bouncer::StreamClient& client, XdpBackend& backend, BlocklistMaps& maps)
      : client_(client),
        backend_(backend),
        maps_(maps),
        previous_(std::vector<phx_counter>(PHX_COUNTER_COUNT)) {
    struct utsname u {};
    if (uname(&u) == 0) os_version_ = u.release;
    startup_ = last_ = unix_now();
  }

  void push() {
    auto counters = maps_.counters();
    auto active = backend_.active_by_origin();
    if (!counters || !active) {
      logger()->warn("usage metrics: {}",
                     (!counters ? counters.error() : active.error()).message());
      return;
    }
    const int64_t now = unix_now();
    UsageWindow w{PHALANX_VERSION, os_version_, startup_, now, now - last_};
    auto status = client_.post_usage_metrics(usage_metrics_body(w, *counters, previous_, *active));
    if (!status) {
      logger()->warn("{}", status.error().message());
      return;  // the same window is sent again, longer, next time
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
  static int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  bouncer::StreamClient& client_;
  XdpBackend& backend_;
  BlocklistMaps& maps_;
  Counters previous_;
  std::string os_version_;
  int64_t startup_ = 0;
  int64_t last_ = 0;
  bool warned_404_ = false;
};

// Once no program of an earlier build is attached, the pins only it used go.
void remove_retired_pins(const std::string& pin_dir) {
  auto removed = XdpObject::remove_retired_pins(pin_dir);
  if (!removed) {
    logger()->warn("{}", removed.error().message());
  } else if (!removed->empty()) {
    logger()->info("removed the pins an earlier build used: {}", fmt::join(*removed, ", "));
  }
}

}  // namespace

std::vector<net::Cidr> safety_allow_list(const XdpBouncerConfig& config) {
  std::vector<net::Cidr> out = {*net::Cidr::parse("127.0.0.0/8"), *net::Cidr::parse("::1/128")};
  if (config.allow_own_addresses) {
    for (const auto& a : net::host_addresses())
      out.push_back(a);
  }
  out.insert(out.end(), config.allow.begin(), config.allow.end());
  return out;
}

Result<void> install_allow_list(BlocklistMaps& maps, const XdpBouncerConfig& config) {
  for (const auto& cidr : safety_allow_list(config))
    PHALANX_CHECK(maps.allow(cidr, make_entry(PHX_ORIGIN_LOCAL, PHX_EXPIRY_NEVER)));
  return ok();
}

int run_daemon(const XdpBouncerConfig& config) {
  const sigset_t stop_signals = bouncer::block_stop_signals();
  if (auto r = ensure_bpffs(config.maps.pin_dir); !r) return fail(r.error());
  auto object = XdpObject::open_and_load(config.maps);
  if (!object) return fail(object.error());
  auto maps = BlocklistMaps::open(map_fds(*object));
  if (!maps) return fail(maps.error());
  if (object->created_prefilter()) {
    // New bitmaps beside pinned bans (a first start, or an upgrade that changed the bitmap's
    // layout): they get the bans' bits before this build's program reads them.
    auto fill = maps->rebuild_prefilter();
    if (!fill) return fail(fill.error().context("building the prefilter from the pinned bans"));
  }
  if (auto r = install_allow_list(*maps, config); !r)
    return fail(r.error().context("installing the allow list"));
  for (const auto& ifname : config.interfaces) {
    auto a = attach(*object, ifname, config.mode);
    if (!a) return fail(a.error());
    std::string how = "attached";
    if (a->reused) {
      how = "already attached, kept";
    } else if (a->replaced_id != 0) {
      how = fmt::format("replaced prog id {} of another build", a->replaced_id);
    }
    logger()->info("{}: {} in {} mode (prog id {}{})", ifname, how, a->mode, a->prog_id,
                   a->dispatcher ? ", libxdp dispatcher" : "");
  }
  remove_retired_pins(config.maps.pin_dir);

  XdpBackend backend(*maps);
  bouncer::StreamConfig stream = config.stream;
  stream.user_agent = std::string("phalanx-xdp/") + PHALANX_VERSION;
  auto client = bouncer::StreamClient::create(stream);
  if (!client) return fail(client.error());
  std::thread stream_thread([&] { (*client)->run(backend); });

  std::unique_ptr<httplib::Server> metrics;
  std::thread metrics_thread;
  if (config.prometheus) {
    metrics = std::make_unique<httplib::Server>();
    metrics->Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      auto counters = maps->counters();
      if (!counters) {
        res.status = 500;
        res.set_content(counters.error().message(), "text/plain");
        return;
      }
      res.set_content(
          render_metrics(*counters, backend.stats(), backend.active(), (*client)->stats()),
          "text/plain; version=0.0.4");
    });
    if (!metrics->bind_to_port(config.prometheus_addr, config.prometheus_port)) {
      logger()->error("prometheus: cannot listen on {}:{}", config.prometheus_addr,
                      config.prometheus_port);
    } else {
      metrics_thread = std::thread([&] { metrics->listen_after_bind(); });
    }
  }
  logger()->info("following {} (pins in {})", config.stream.api_url, config.maps.pin_dir);

  UsageReporter usage(**client, backend, *maps);
  const auto start = bouncer::SteadyClock::now();
  bouncer::Periodic sweep(config.sweep_interval, start);
  bouncer::Periodic usage_push(config.usage_metrics_interval, start);
  while (true) {
    const int sig = bouncer::wait_for_stop(stop_signals, std::min(sweep.next(), usage_push.next()));
    if (sig == SIGINT || sig == SIGTERM) {
      logger()->info("signal {}: stopping; the program stays attached and the maps pinned", sig);
      break;
    }
    const auto now = bouncer::SteadyClock::now();
    if (usage_push.due(now)) usage.push();
    if (!sweep.due(now)) continue;
    if (auto n = backend.sweep_expired(); !n) {
      logger()->warn("expiry sweep: {}", n.error().message());
    } else if (*n > 0) {
      logger()->debug("expiry sweep: {} entries removed", *n);
    }
  }
  (*client)->stop();
  stream_thread.join();
  if (metrics_thread.joinable()) {
    metrics->stop();
    metrics_thread.join();
  }
  return 0;
}

int run_detach(const XdpBouncerConfig& config) {
  int rc = 0;
  for (const auto& ifname : config.interfaces) {
    auto d = detach(ifname);
    if (!d) {
      logger()->error("{}", d.error().message());
      rc = 1;
    } else {
      logger()->info("{}: {}", ifname, *d ? "detached" : "not attached");
    }
  }
  std::error_code ec;
  if (!std::filesystem::exists(config.maps.pin_dir, ec)) return rc;
  remove_retired_pins(config.maps.pin_dir);
  auto object = XdpObject::open_and_load(config.maps);
  if (!object) return fail(object.error().context("opening the pinned maps to unpin them"));
  if (auto r = object->unpin_maps(); !r) return fail(r.error());
  std::filesystem::remove(config.maps.pin_dir, ec);  // only when empty
  logger()->info("unpinned the maps in {}", config.maps.pin_dir);
  return rc;
}

}  // namespace phalanx::xdp
