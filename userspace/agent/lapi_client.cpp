// SPDX-License-Identifier: Apache-2.0
#include "agent/lapi_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/lapi_http.h"
#include "core/clock.h"
#include "core/log.h"

namespace phalanx::agent {
namespace {

using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("agent");
  return log;
}

// Go clients gzip request bodies above this size; current LAPIs decompress them (1.4 does not).
constexpr size_t kCompressMinSize = 5 * 1024;
constexpr int kThrottleRetries = 5;
constexpr int kLoginBackoffSteps = 5;  // 20 s, 40 s, ... 320 s, then stays there

}  // namespace

// What became of one request.
struct LapiClient::Outcome {
  enum Kind { kOk, kLogin, kTransport, kAuth, kThrottled, kRejected, kFailed };
  Kind kind = kOk;
  int status = 0;
  std::string message;
  bool ok() const { return kind == kOk; }
};

LapiClient::LapiClient(LapiClientOptions options) : options_(std::move(options)) {}

LapiClient::~LapiClient() {
  stop();
}

Result<std::unique_ptr<LapiClient>> LapiClient::create(LapiClientOptions options) {
  const auto fail = [](const Error& e) { return e.context("lapi client"); };
  auto endpoint = parse_url(options.url);
  if (!endpoint) return fail(endpoint.error());
  const bool cert = !options.cert_file.empty() || !options.key_file.empty();
  if (cert) {
    if (options.cert_file.empty() || options.key_file.empty())
      return fail(Error("a client certificate needs both cert_file and key_file"));
    if (endpoint->scheme != "https") return fail(Error("client certificates need an https:// url"));
    if (auto r = check_file("cert_file", options.cert_file); !r) return fail(r.error());
    if (auto r = check_file("key_file", options.key_file); !r) return fail(r.error());
  } else if (options.machine_id.empty() || options.password.empty()) {
    return fail(Error("machine_id and password are required without a client certificate"));
  }
  if (!options.ca_file.empty()) {
    if (auto r = check_file("ca_file", options.ca_file); !r) return fail(r.error());
  }
  if (options.user_agent.empty()) options.user_agent = default_user_agent();
  if (std::count(options.user_agent.begin(), options.user_agent.end(), '/') != 1)
    return fail(Error("user agent '" + options.user_agent + "' must read name/version"));
  options.max_batch = std::max<size_t>(options.max_batch, 1);

  std::unique_ptr<LapiClient> client(new LapiClient(std::move(options)));
  client->base_path_ = endpoint->base_path;
  client->http_ = make_http(client->options_, *endpoint);
  if (!client->http_->is_valid())
    return fail(Error("cannot set up an HTTP client for " + client->options_.url));
  return client;
}

Result<void> LapiClient::start() {
  if (thread_.joinable()) return Error("lapi client: already started");
  if (!options_.spool_dir.empty()) {
    PHALANX_TRY(spool_, Spool::open(options_.spool_dir, options_.max_spool_bytes));
    if (!spool_->empty())
      logger()->info("agent: {} alert(s) left in the spool {} from a previous run go out first",
                     spool_->alerts(), spool_->dir());
    std::lock_guard lock(mu_);
    stats_.spooled = spool_->alerts();
    stats_.spool_bytes = spool_->bytes();
  }
  thread_ = std::thread([this] { run(); });
  return ok();
}

void LapiClient::submit(std::vector<std::string> alerts) {
  if (alerts.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      stats_.dropped += alerts.size();
      logger()->error("agent: {} alert(s) submitted after stop, dropped", alerts.size());
      return;
    }
    stats_.submitted += alerts.size();
    std::move(alerts.begin(), alerts.end(), std::back_inserter(queue_));
  }
}

void LapiClient::flush() {
  {
    std::lock_guard lock(mu_);
    flush_ = true;
  }
  cv_.notify_all();
}

void LapiClient::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  } else if (!options_.spool_dir.empty()) {
    // Never started: what was submitted still belongs in the spool.
    auto spool = Spool::open(options_.spool_dir, options_.max_spool_bytes);
    if (spool) {
      spool_ = std::move(*spool);
      spool_memory();
    } else {
      logger()->error("agent: {}", spool.error().message());
    }
  }
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (!queue_.empty()) {
    // Never started, or no spool to keep them in.
    logger()->error("agent: {} alert(s) could not be delivered nor spooled, dropped",
                    queue_.size());
    stats_.dropped += queue_.size();
    queue_.clear();
  }
}

LapiClientStats LapiClient::stats() const {
  std::lock_guard lock(mu_);
  LapiClientStats s = stats_;
  s.queued = queue_.size();
  return s;
}

bool LapiClient::wait_until(SteadyTime t) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, t, [this] { return stopping_ || flush_; });
  return !stopping_;
}

void LapiClient::run() {
  SteadyTime next_push = std::chrono::steady_clock::now();  // a spool left behind goes at once
  SteadyTime next_heartbeat = next_push + options_.heartbeat_interval;
  // Usage metrics go at start, right after the first push.
  SteadyTime next_usage = options_.usage && options_.usage_metrics_interval > Duration(0)
                              ? next_push
                              : SteadyTime::max();
  while (wait_until(std::min({next_push, next_heartbeat, next_usage}))) {
    const SteadyTime now = std::chrono::steady_clock::now();
    bool flush = false;
    {
      std::lock_guard lock(mu_);
      std::swap(flush, flush_);
    }
    if (flush || now >= next_push) {
      push_cycle(false, {});
      next_push = std::chrono::steady_clock::now() + options_.push_interval;
    }
    if (now >= next_heartbeat) {
      heartbeat();
      next_heartbeat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
    }
    if (now >= next_usage) {
      const bool sent = send_usage_metrics();
      next_usage = std::chrono::steady_clock::now() +
                   (sent ? options_.usage_metrics_interval
                         : std::min(options_.usage_metrics_interval, options_.heartbeat_interval));
    }
  }
  push_cycle(true, std::chrono::steady_clock::now() + options_.stop_timeout);
  spool_memory();
}

void LapiClient::push_cycle(bool final_push, SteadyTime deadline) {
  if (!final_push && std::chrono::steady_clock::now() < push_retry_at_) {
    if (failing_) spool_memory();
    return;
  }
  while (true) {
    if (final_push) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= Duration(0)) break;
      http_->set_connection_timeout(us(std::min<Duration>(options_.connect_timeout, left)));
      http_->set_read_timeout(us(std::min<Duration>(options_.request_timeout, left)));
    } else {
      std::lock_guard lock(mu_);
      if (stopping_) return;  // the final push follows
    }
    std::vector<std::string> batch;
    std::optional<uint64_t> spool_seq;
    if (spool_ && !spool_->empty()) {
      auto peeked = spool_->peek(options_.max_batch);
      if (!peeked) {
        logger()->error("agent: {}", peeked.error().message());
        break;
      }
      spool_seq = peeked->last_seq;
      batch = std::move(peeked->alerts);
    } else {
      std::lock_guard lock(mu_);
      const size_t n = std::min(options_.max_batch, queue_.size());
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    }
    if (batch.empty() && !spool_seq) break;

    Outcome outcome;
    size_t rejected = 0;
    if (!batch.empty()) outcome = send_batch(batch, final_push);
    if (outcome.kind == Outcome::kRejected && batch.size() == 1) {
      quarantine(batch[0], outcome.message);
      rejected = 1;
      outcome = {};
    } else if (outcome.kind == Outcome::kRejected) {
      outcome = send_one_by_one(batch, final_push, rejected);
    }
    if (outcome.ok()) {
      if (spool_seq) {
        if (auto popped = spool_->pop(*spool_seq); !popped)
          logger()->error("agent: {} (those alerts may be sent again)", popped.error().message());
      }
      std::lock_guard lock(mu_);
      stats_.alerts_pushed += batch.size() - rejected;
      stats_.rejected += rejected;
      if (batch.size() > rejected) stats_.last_push = SystemClock::instance().now();
      if (spool_) {
        stats_.spooled = spool_->alerts();
        stats_.spool_bytes = spool_->bytes();
      }
      if (failing_) logger()->info("agent: the LAPI takes alerts again");
      failing_ = false;
      throttle_retries_ = 0;
      continue;
    }
    if (!spool_seq) {
      std::lock_guard lock(mu_);
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    }
    note_failure(outcome);
    spool_memory();
    break;
  }
  if (final_push) {
    http_->set_connection_timeout(us(options_.connect_timeout));
    http_->set_read_timeout(us(options_.request_timeout));
  }
}

void LapiClient::note_failure(const Outcome& outcome) {
  const SteadyTime now = std::chrono::steady_clock::now();
  std::string retry;
  if (outcome.kind == Outcome::kThrottled && throttle_retries_ < kThrottleRetries) {
    ++throttle_retries_;
    const auto wait = options_.backoff_base * (2 * throttle_retries_ + 5);
    push_retry_at_ = now + wait;
    retry = fmt::format("retry {} in {}", throttle_retries_, format_go_duration(wait));
  } else if (outcome.kind == Outcome::kLogin && login_retry_at_ > now) {
    throttle_retries_ = 0;
    push_retry_at_ = login_retry_at_;
    retry = fmt::format(
        "next login in {}",
        format_go_duration(std::chrono::round<std::chrono::milliseconds>(login_retry_at_ - now)));
  } else {
    throttle_retries_ = 0;
    push_retry_at_ = {};
    retry = "retrying at the next push";
  }
  if (outcome.kind != Outcome::kLogin) {
    std::lock_guard lock(mu_);
    ++stats_.push_failures;  // login failures have their own counter
  }
  if (!failing_) {
    logger()->warn("agent: pushing alerts to {}: {}; alerts are kept{}, {}", options_.url,
                   outcome.message, spool_ ? " in the spool" : " in memory", retry);
  } else {
    logger()->debug("agent: pushing alerts: {}; {}", outcome.message, retry);
  }
  failing_ = true;
}

void LapiClient::trim_memory_locked() {
  if (queue_.size() <= options_.max_memory_queue) return;
  const size_t n = queue_.size() - options_.max_memory_queue;
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  stats_.dropped += n;
  logger()->warn(
      "agent: {} undelivered alert(s) in memory past max_memory_queue {}: dropped "
      "the {} oldest",
      options_.max_memory_queue + n, options_.max_memory_queue, n);
}

void LapiClient::spool_memory() {
  std::deque<std::string> pending;
  {
    std::lock_guard lock(mu_);
    if (!spool_) {
      trim_memory_locked();
      return;
    }
    pending.swap(queue_);
  }
  if (pending.empty()) return;
  const std::vector<std::string> alerts(std::make_move_iterator(pending.begin()),
                                        std::make_move_iterator(pending.end()));
  auto dropped = spool_->append(alerts, options_.max_batch);
  std::lock_guard lock(mu_);
  if (!dropped) {
    // Could not write: keep them in memory, ahead of anything newer.
    logger()->error("agent: {}; {} alert(s) stay in memory", dropped.error().message(),
                    alerts.size());
    queue_.insert(queue_.begin(), alerts.begin(), alerts.end());
    trim_memory_locked();
    return;
  }
  if (*dropped > 0) {
    stats_.dropped += *dropped;
    logger()->warn("agent: spool {} is full (max_spool_bytes {}): dropped the {} oldest alert(s)",
                   spool_->dir(), options_.max_spool_bytes, *dropped);
  }
  stats_.spooled = spool_->alerts();
  stats_.spool_bytes = spool_->bytes();
}

LapiClient::Outcome LapiClient::send_batch(const std::vector<std::string>& alerts,
                                           bool final_push) {
  std::string body = "[";
  for (const auto& a : alerts) {
    if (body.size() > 1) body += ',';
    body += a;
  }
  body += ']';
  std::string packed;
  if (gzip_ok_ && body.size() > kCompressMinSize) packed = gzip(body);
  const std::string path = base_path_ + "/v1/alerts";
  for (int attempt = 0;; ++attempt) {
    if (auto t = ensure_token(final_push); !t) return {Outcome::kLogin, 0, t.error().message()};
    httplib::Headers h{{"User-Agent", options_.user_agent}, {"Authorization", "Bearer " + token_}};
    if (!packed.empty()) h.emplace("Content-Encoding", "gzip");
    auto res = http_->Post(path, h, packed.empty() ? body : packed, "application/json");
    {
      std::lock_guard lock(mu_);
      ++stats_.push_requests;
    }
    if (!res)
      return {Outcome::kTransport, 0,
              fmt::format("POST {}: {}", path, transport_error(res.error()))};
    const int status = res->status;
    if (is_2xx(status)) return {};
    const std::string msg =
        fmt::format("POST {}: status {}: {}", path, status, error_text(res->body));
    if (!packed.empty() && (status == 400 || status == 415)) {
      // LAPIs before gzip support (CrowdSec 1.4) read the compressed bytes as JSON.
      logger()->info("agent: {} does not take gzip request bodies ({}); sending them plain",
                     options_.url, msg);
      gzip_ok_ = false;
      packed.clear();
      --attempt;
      continue;
    }
    if (status == 401 || status == 403) {
      // The LAPI restarted (new JWT secret) or the token expired early: log in again.
      token_.clear();
      {
        std::lock_guard lock(mu_);
        stats_.logged_in = false;
      }
      if (attempt < kAuthRetries) continue;
      return {Outcome::kAuth, status, msg};
    }
    if (status == 429 || status == 503 || status == 504) return {Outcome::kThrottled, status, msg};
    if (status == 400 || status == 413 || status == 422) return {Outcome::kRejected, status, msg};
    return {Outcome::kFailed, status, msg};
  }
}

LapiClient::Outcome LapiClient::send_one_by_one(const std::vector<std::string>& alerts,
                                                bool final_push, size_t& rejected) {
  // The LAPI refused the batch for its content: find the alerts it will never take, so that
  // they do not block every alert behind them, and keep them aside for the operator. If the
  // LAPI fails otherwise on the way, the whole batch is retried later (the alerts already
  // taken are then sent twice).
  rejected = 0;
  for (const auto& alert : alerts) {
    Outcome o = send_batch({alert}, final_push);
    if (o.ok()) continue;
    if (o.kind != Outcome::kRejected) return o;
    ++rejected;
    quarantine(alert, o.message);
  }
  return {};
}

void LapiClient::quarantine(const std::string& alert, const std::string& why) {
  if (spool_) {
    if (auto kept = spool_->reject(alert); kept) {
      logger()->error("agent: the LAPI refuses an alert for good ({}); kept in {}/{}", why,
                      spool_->dir(), Spool::kRejectedFile);
      return;
    }
  }
  logger()->error("agent: the LAPI refuses an alert for good ({}); dropped: {}", why, alert);
}

Result<void> LapiClient::ensure_token(bool final_push) {
  const TimePoint now = SystemClock::instance().now();
  if (!token_.empty() && now + options_.token_refresh_margin < token_expiry_) return ok();
  if (!final_push && login_failures_ > 0 && std::chrono::steady_clock::now() < login_retry_at_)
    return Error("login: waiting to retry after a failure");
  return login();
}

Result<void> LapiClient::login() {
  token_.clear();
  json body = {{"scenarios", options_.scenarios}};
  if (options_.cert_file.empty()) {
    body["machine_id"] = options_.machine_id;
    body["password"] = options_.password;
  }
  const std::string path = base_path_ + "/v1/watchers/login";
  auto res =
      http_->Post(path, {{"User-Agent", options_.user_agent}}, body.dump(), "application/json");
  std::optional<Error> failed;
  bool backoff = true;
  if (!res) {
    // Nobody listening: the next push tries again, there is nothing to spare the LAPI.
    failed = Error(fmt::format("login: POST {}: {}", path, transport_error(res.error())),
                   code_of(res.error()));
    backoff = false;
  } else if (res->status != 200) {
    failed = Error(
        fmt::format("login: POST {}: status {}: {}", path, res->status, error_text(res->body)));
  } else {
    const json j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("token") || !j["token"].is_string() ||
        j["token"].get<std::string>().empty()) {
      failed = Error(fmt::format("login: POST {}: no token in the answer", path));
    } else {
      token_ = j["token"].get<std::string>();
      const std::string expire = j.value("expire", "");
      auto expiry = parse_rfc3339(expire);
      if (!expiry)
        logger()->warn("agent: login: unreadable token expiry '{}', relying on 401s", expire);
      token_expiry_ = expiry.value_or(TimePoint::max());
    }
  }
  std::lock_guard lock(mu_);
  if (failed) {
    ++stats_.login_failures;
    stats_.logged_in = false;
    if (backoff) {
      const int step = std::min(login_failures_, kLoginBackoffSteps - 1);
      ++login_failures_;
      login_retry_at_ = std::chrono::steady_clock::now() + options_.backoff_base * 20 * (1 << step);
    } else {
      login_retry_at_ = {};
    }
    return *failed;
  }
  login_failures_ = 0;
  ++stats_.logins;
  stats_.logged_in = true;
  return ok();
}

}  // namespace phalanx::agent
