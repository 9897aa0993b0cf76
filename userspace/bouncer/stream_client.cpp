// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "bouncer/http_errors.h"
#include "core/log.h"

namespace phalanx::bouncer {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("bouncer");
  return log;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

using http::code_of;
using http::error_text;

bool supported(const std::vector<std::string>& types, const std::string& type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

std::unique_ptr<httplib::Client> make_http(const StreamConfig& c, const std::string& scheme,
                                           const std::string& host_port) {
  auto http = c.cert_path.empty()
                  ? std::make_unique<httplib::Client>(host_port)
                  : std::make_unique<httplib::Client>(host_port, c.cert_path, c.key_path);
  if (scheme == "https") {
    if (!c.ca_cert_path.empty()) http->set_ca_cert_path(c.ca_cert_path);
    http->enable_server_certificate_verification(!c.insecure_skip_verify);
  }
  const auto us = [](Duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d);
  };
  http->set_connection_timeout(us(c.connect_timeout));
  // A push request is held up to push_wait by the LAPI: read for longer than that.
  http->set_read_timeout(
      us(std::max(c.push_wait, Duration(std::chrono::seconds(0))) + std::chrono::seconds(30)));
  http->set_keep_alive(true);
  return http;
}

}  // namespace

StreamClient::StreamClient(StreamConfig config) : config_(std::move(config)) {}
StreamClient::~StreamClient() = default;

Result<std::unique_ptr<StreamClient>> StreamClient::create(StreamConfig config) {
  const std::string url = config.api_url;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return Error("decision stream: api_url '" + url + "' has no scheme (http:// or https://)");
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    return Error("decision stream: api_url '" + url + "': scheme must be http or https");
  const auto path_start = url.find('/', scheme_end + 3);
  const std::string host_port = url.substr(0, path_start);
  std::string base = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  if (!config.cert_path.empty() && scheme != "https")
    return Error("decision stream: client certificates need an https:// api_url");

  std::unique_ptr<StreamClient> client(new StreamClient(std::move(config)));
  client->base_path_ = base;
  client->http_ = make_http(client->config_, scheme, host_port);
  client->metrics_http_ = make_http(client->config_, scheme, host_port);
  if (!client->http_->is_valid() || !client->metrics_http_->is_valid())
    return Error("decision stream: cannot set up a client for " + url);
  return client;
}

Result<StreamUpdate> StreamClient::fetch(bool startup) {
  httplib::Params params;
  if (startup) params.emplace("startup", "true");
  if (!config_.scopes.empty()) params.emplace("scopes", join(config_.scopes));
  if (!config_.origins.empty()) params.emplace("origins", join(config_.origins));
  if (!config_.scenarios_containing.empty())
    params.emplace("scenarios_containing", join(config_.scenarios_containing));
  if (!config_.scenarios_not_containing.empty())
    params.emplace("scenarios_not_containing", join(config_.scenarios_not_containing));
  if (!startup && config_.push_wait.count() > 0) {
    params.emplace("wait", format_go_duration(config_.push_wait));
    if (cursor_) params.emplace("cursor", *cursor_);
  }
  httplib::Headers headers{{"User-Agent", config_.user_agent}};
  if (!config_.api_key.empty()) headers.emplace("X-Api-Key", config_.api_key);
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
  }

  const std::string path = base_path_ + "/v1/decisions/stream";
  auto res = http_->Get(path, params, headers, httplib::Progress());
  if (!res) {
    return Error(fmt::format("decision stream: GET {}: {}", path, httplib::to_string(res.error())),
                 code_of(res.error()));
  }
  if (res->status < 200 || res->status > 299) {
    return Error(fmt::format("decision stream: GET {}: status {}: {}", path, res->status,
                             error_text(res->body)));
  }
  PHALANX_TRY(StreamResponse parsed, parse_stream_response(res->body));
  for (const auto& why : parsed.rejected)
    logger()->error("decision stream: skipping a decision: {}", why);

  StreamUpdate update;
  update.startup = startup;
  const auto keep = [&](std::vector<Decision>& from, std::vector<Decision>& to) {
    for (auto& d : from) {
      if (supported(config_.supported_decisions_types, d.type)) {
        to.push_back(std::move(d));
      } else {
        ++update.skipped_types;
      }
    }
  };
  keep(parsed.added, update.batch.added);
  keep(parsed.deleted, update.batch.deleted);
  update.rejected = parsed.rejected.size();
  if (res->has_header(kCursorHeader)) update.cursor = res->get_header_value(kCursorHeader);
  // A cursor only makes sense from the LAPI that issued it: forget it when the answer has none.
  cursor_ = update.cursor;
  return update;
}

Result<int> StreamClient::post_usage_metrics(const std::string& json_body) {
  httplib::Headers headers{{"User-Agent", config_.user_agent}};
  if (!config_.api_key.empty()) headers.emplace("X-Api-Key", config_.api_key);
  const std::string path = base_path_ + "/v1/usage-metrics";
  // The stream thread may hold http_ in a long poll: this has a client of its own.
  auto res = metrics_http_->Post(path, headers, json_body, "application/json");
  if (!res) {
    return Error(fmt::format("usage metrics: POST {}: {}", path, httplib::to_string(res.error())),
                 code_of(res.error()));
  }
  return res->status;
}

bool StreamClient::sleep_for(Duration d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void StreamClient::run(Backend& backend) {
  bool need_resync = true;
  bool failing = false;
  Duration backoff = config_.retry_initial;
  auto last_resync = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (config_.resync_interval.count() > 0 &&
        std::chrono::steady_clock::now() - last_resync >= config_.resync_interval) {
      need_resync = true;
    }
    auto update = fetch(need_resync);
    Result<void> applied = ok();
    if (update) {
      applied = need_resync ? backend.resync(update->batch.added) : backend.apply(update->batch);
      if (!applied) applied = applied.error().context("applying decisions");
    }
    if (!update || !applied) {
      const Error& err = update ? applied.error() : update.error();
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        ++stats_.failures;
      }
      if (!failing) {
        logger()->warn("{}; keeping the current state, retrying with backoff", err.message());
      } else {
        logger()->debug("{}; retry in {}", err.message(), format_go_duration(backoff));
      }
      failing = true;
      need_resync = true;
      cursor_.reset();
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, config_.retry_max);
      continue;
    }
    if (failing) logger()->info("decision stream: LAPI reachable again, state resynced");
    failing = false;
    backoff = config_.retry_initial;
    {
      std::lock_guard lock(mu_);
      if (need_resync) ++stats_.resyncs;
      stats_.added += update->batch.added.size();
      stats_.deleted += update->batch.deleted.size();
      stats_.skipped += update->skipped_types;
      stats_.rejected += update->rejected;
      stats_.push = update->cursor.has_value();
    }
    logger()->debug("decision stream: {} new, {} deleted{}", update->batch.added.size(),
                    update->batch.deleted.size(), need_resync ? " (resync)" : "");
    if (need_resync) last_resync = std::chrono::steady_clock::now();
    need_resync = false;
    // With the push extension the LAPI already waited for us; otherwise poll.
    if (!(update->cursor && config_.push_wait.count() > 0) && !sleep_for(config_.update_frequency))
      return;
  }
}

void StreamClient::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  http_->stop();
  metrics_http_->stop();
}

StreamStats StreamClient::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace phalanx::bouncer
