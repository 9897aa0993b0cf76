// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <nlohmann/json.hpp>

#include "bouncer/http_client.h"
#include "bouncer/http_errors.h"
#include "bouncer/stream_parser.h"
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

// scheme "unix": host_port is the socket's path.
std::unique_ptr<httplib::Client> make_http(const StreamConfig& c, const std::string& scheme,
                                           const std::string& host_port) {
  auto http = http::make_client(scheme, host_port,
                                {c.cert_path, c.key_path, c.ca_cert_path, c.insecure_skip_verify});
  const auto us = [](Duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d);
  };
  http->set_connection_timeout(us(c.connect_timeout));
  // A push request is held up to push_wait by the LAPI: read for longer than that.
  http->set_read_timeout(
      us(std::max(c.push_wait, Duration(std::chrono::seconds(0))) + std::chrono::seconds(30)));
  return http;
}

}  // namespace

StreamClient::StreamClient(StreamConfig config) : config_(std::move(config)) {}
StreamClient::~StreamClient() = default;

Result<std::unique_ptr<StreamClient>> StreamClient::create(StreamConfig config) {
  const std::string url = config.api_url;
  if (http::is_socket_url(url)) {
    if (!config.cert_path.empty())
      return Error("decision stream: client certificates need an https:// api_url, not a socket");
    std::unique_ptr<StreamClient> client(new StreamClient(std::move(config)));
    client->http_ = make_http(client->config_, "unix", url);
    client->metrics_http_ = make_http(client->config_, "unix", url);
    return client;
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return Error("decision stream: api_url '" + url +
                 "' has no scheme (http:// or https://) and is not a socket path");
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

Result<StreamInfo> StreamClient::stream(bool startup, const BatchSink& sink) {
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

  // The body is parsed as it arrives and handed to `sink` in batches: a startup snapshot of a
  // million decisions (~150-200 MB of JSON) is never held whole, neither as text nor as
  // decisions. An error status's body is kept (its first 4 KiB) for the message.
  StreamInfo info;
  int status = 0;
  std::string error_body;
  std::optional<Error> failure;
  StreamParser parser(
      [&](StreamList list, std::vector<Decision>& batch) -> Result<void> {
        const size_t before = batch.size();
        std::erase_if(batch, [&](const Decision& d) {
          return !supported(config_.supported_decisions_types, d.type);
        });
        info.skipped_types += before - batch.size();
        (list == StreamList::kNew ? info.added : info.deleted) += batch.size();
        if (batch.empty()) return ok();
        return sink(list, batch);
      },
      [&](std::string why) {
        ++info.rejected;
        logger()->error("decision stream: skipping a decision: {}", why);
      });
  const std::string path = base_path_ + "/v1/decisions/stream";
  auto res = http_->Get(
      path, params, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        if (r.has_header(kCursorHeader)) info.cursor = r.get_header_value(kCursorHeader);
        return true;
      },
      [&](const char* data, size_t len) {
        if (status < 200 || status > 299) {
          if (error_body.size() < 4096)
            error_body.append(data, std::min(len, 4096 - error_body.size()));
          return true;
        }
        auto r = parser.feed(std::string_view(data, len));
        if (!r) {
          failure = r.error();
          return false;  // cancels the request
        }
        return true;
      });
  if (failure) return *failure;
  if (!res) {
    return Error(fmt::format("decision stream: GET {}: {}", path, httplib::to_string(res.error())),
                 code_of(res.error()));
  }
  if (res->status < 200 || res->status > 299) {
    return Error(fmt::format("decision stream: GET {}: status {}: {}", path, res->status,
                             error_text(error_body.empty() ? res->body : error_body)));
  }
  PHALANX_CHECK(parser.finish());
  // A cursor only makes sense from the LAPI that issued it: forget it when the answer has none.
  cursor_ = info.cursor;
  return info;
}

Result<StreamUpdate> StreamClient::fetch(bool startup) {
  StreamUpdate update;
  update.startup = startup;
  PHALANX_TRY(StreamInfo info,
              stream(startup, [&](StreamList list, std::vector<Decision>& batch) -> Result<void> {
                auto& to = list == StreamList::kNew ? update.batch.added : update.batch.deleted;
                to.insert(to.end(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
                return ok();
              }));
  update.skipped_types = info.skipped_types;
  update.rejected = info.rejected;
  update.cursor = info.cursor;
  return update;
}

Result<StreamInfo> StreamClient::resync_into(Backend& backend) {
  if (auto r = backend.begin_resync(); !r) return r.error().context("applying decisions");
  // The snapshot's "deleted" list (CrowdSec sends rows that expired) changes nothing: whatever
  // the snapshot does not hold is lifted at commit.
  auto info = stream(true, [&](StreamList list, std::vector<Decision>& batch) -> Result<void> {
    if (list != StreamList::kNew) return ok();
    if (auto r = backend.resync_batch(batch); !r) return r.error().context("applying decisions");
    return ok();
  });
  if (!info) {
    backend.abort_resync();
    return info.error();
  }
  if (auto r = backend.commit_resync(); !r) return r.error().context("applying decisions");
  return info;
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

Result<StreamInfo> StreamClient::apply_delta(Backend& backend) {
  // Deltas are small: collected whole, then applied as one batch (a body that fails to parse
  // changes nothing).
  DecisionBatch batch;
  PHALANX_TRY(StreamInfo info,
              stream(false, [&](StreamList list, std::vector<Decision>& part) -> Result<void> {
                auto& to = list == StreamList::kNew ? batch.added : batch.deleted;
                to.insert(to.end(), std::make_move_iterator(part.begin()),
                          std::make_move_iterator(part.end()));
                return ok();
              }));
  if (auto r = backend.apply(batch); !r) return r.error().context("applying decisions");
  return info;
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
    Result<StreamInfo> outcome = need_resync ? resync_into(backend) : apply_delta(backend);
    if (!outcome) {
      const Error& err = outcome.error();
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
      stats_.added += outcome->added;
      stats_.deleted += outcome->deleted;
      stats_.skipped += outcome->skipped_types;
      stats_.rejected += outcome->rejected;
      stats_.push = outcome->cursor.has_value();
    }
    logger()->debug("decision stream: {} new, {} deleted{}", outcome->added, outcome->deleted,
                    need_resync ? " (resync)" : "");
    if (need_resync) last_resync = std::chrono::steady_clock::now();
    need_resync = false;
    // With the push extension the LAPI already waited for us; otherwise poll.
    if (!(outcome->cursor && config_.push_wait.count() > 0) && !sleep_for(config_.update_frequency))
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
