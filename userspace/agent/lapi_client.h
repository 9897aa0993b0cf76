// SPDX-License-Identifier: Apache-2.0
// The agent's client for a remote Local API (Phalanx's or CrowdSec's): phalanxd running as an
// agent only detects locally and pushes its alerts here, as a machine (watcher).
//
// Protocol (spec/crowdsec-compat.md §1.5):
// - POST /v1/watchers/login {machine_id, password, scenarios} (with a client certificate: only
//   {scenarios}); the token is kept with its expiry and renewed by logging in again when less
//   than a minute is left. A refused login is retried with exponential back-off from 20 s (up
//   to 320 s); a LAPI that does not answer at all is tried again at every push.
// - POST /v1/alerts: everything submitted is pushed once per push interval as one JSON array
//   (at most max_batch alerts per request, so a backlog takes several requests).
//   401/403: the token is dropped and the request retried after a new login, twice at most.
//   429/503/504: retried up to 5 times, waiting (2·n+5) s before retry n; then, as after any
//   other failure, at every push interval.
//   400/413/422 (content refused): the batch is sent again one alert at a time; an alert the
//   LAPI refuses on its own is set aside in <spool_dir>/rejected.jsonl (logged when there is no
//   spool) instead of blocking every alert behind it.
//   Bodies above 5 KiB are gzip-compressed, as Go clients do, until a LAPI answers 400/415 to
//   one (CrowdSec 1.4); then they go plain.
// - GET /v1/heartbeat every heartbeat interval.
// - POST /v1/usage-metrics (usage.h) at start and every usage_metrics_interval, when the owner
//   describes itself (options.usage); one that cannot be sent is tried again at the next
//   heartbeat. A LAPI without the endpoint (404, CrowdSec before 1.6) is warned about once.
//
// Nothing is lost: a push that fails is put back in order, and while the LAPI cannot be reached
// every queued alert goes to the spool directory (see spool.h), which is sent first, in order,
// when it is back — also by the next run of the agent. An alert leaves the spool only after a
// 2xx for the request that carried it. stop() makes one last attempt, bounded by stop_timeout,
// then spools the rest. Without a spool directory, undelivered alerts wait in memory (bounded by
// max_memory_queue) and die with the process.
//
// All times the protocol gives in seconds are multiplied by backoff_base / 1 s, so tests can
// run the whole retry schedule in milliseconds.
//
// Thread-safety: submit() and stats() may be called from any thread; start() and stop() from
// the owner. The HTTP work happens on the client's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/credentials.h"
#include "agent/spool.h"
#include "agent/usage.h"
#include "core/duration.h"
#include "core/result.h"
#include "core/time.h"

namespace httplib {
class Client;
}

namespace phalanx::agent {

struct LapiClientOptions {
  std::string url;  // http:// or https://, optionally with a path prefix
  std::string machine_id;
  std::string password;
  // Client certificate (PEM) for mTLS: then the LAPI names the machine and no password is sent.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;  // CA of the LAPI's certificate; empty: the system's
  bool insecure_skip_verify = false;
  std::string user_agent;  // empty: default_user_agent()
  // Sent at login; the LAPI stores them as the machine's scenarios.
  std::vector<std::string> scenarios;
  // Where undelivered alerts wait; empty: memory only.
  std::string spool_dir;
  uint64_t max_spool_bytes = 256ull << 20;
  size_t max_memory_queue = 100000;  // without a spool: oldest alerts dropped past this
  size_t max_batch = 500;            // alerts per POST /v1/alerts
  Duration push_interval = std::chrono::seconds(1);
  Duration heartbeat_interval = std::chrono::seconds(60);
  // Usage metrics: what the agent runs, asked for at each send; empty: none are sent.
  std::function<LogProcessorUsage()> usage;
  Duration usage_metrics_interval = std::chrono::minutes(30);
  // One protocol second (retry waits are (2·n+5)·backoff_base, login back-off 20·backoff_base·2^n).
  Duration backoff_base = std::chrono::seconds(1);
  // Renew the token when less than this is left.
  Duration token_refresh_margin = std::chrono::minutes(1);
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(30);
  // stop(): how long the last push may take before the rest is spooled.
  Duration stop_timeout = std::chrono::seconds(5);
};

// "phalanx/<version>", the shape the LAPI requires at login (exactly one '/').
std::string default_user_agent();

// Fills url, machine_id, password and the TLS files from a credentials file's contents.
void use_credentials(LapiClientOptions& options, const Credentials& credentials);

// Counters for metrics; a snapshot.
struct LapiClientStats {
  uint64_t submitted = 0;      // alerts given to submit()
  uint64_t alerts_pushed = 0;  // alerts acknowledged by the LAPI (2xx)
  uint64_t push_requests = 0;  // POST /v1/alerts sent
  uint64_t push_failures = 0;  // POST /v1/alerts attempts that failed (transport or status)
  uint64_t logins = 0;         // successful logins
  uint64_t login_failures = 0;
  uint64_t heartbeats = 0;
  uint64_t heartbeat_failures = 0;
  uint64_t usage_posts = 0;     // POST /v1/usage-metrics answered 2xx
  uint64_t usage_failures = 0;  // not sent, or answered otherwise (404 included)
  uint64_t queued = 0;          // alerts waiting in memory now
  uint64_t spooled = 0;         // alerts waiting on disk now
  uint64_t spool_bytes = 0;
  uint64_t dropped = 0;   // alerts given up: spool or memory bound, submit after stop
  uint64_t rejected = 0;  // alerts the LAPI refused for good (400/413/422 on their own)
  std::optional<TimePoint> last_push;  // last 2xx for POST /v1/alerts
  bool logged_in = false;              // holding a token from a successful login
};

// POST /v1/watchers {machine_id, password, registration_token?} with options.url, machine_id,
// password and TLS settings. Returns true when the LAPI validated the machine at once (202,
// a matching registration token), false when it waits for `machines validate` (201). Errors:
// "registering at URL: ..." for transport failures and other statuses (403 "user already
// exist" included).
Result<bool> register_machine(const LapiClientOptions& options,
                              const std::string& registration_token = {});

class LapiClient {
 public:
  // Validates the options (URL scheme, credentials, certificate files for https). Errors:
  // "lapi client: ...".
  static Result<std::unique_ptr<LapiClient>> create(LapiClientOptions options);
  ~LapiClient();  // stop()s
  LapiClient(const LapiClient&) = delete;
  LapiClient& operator=(const LapiClient&) = delete;

  // Opens the spool (whatever a previous run left there goes out first) and starts the thread.
  // Errors: the spool's. Call once.
  Result<void> start();

  // Queues serialised alert objects (lapi::alert_to_json(...).dump(), one JSON object each, no
  // newline). They go out with the next push. After stop() they are dropped (and counted).
  void submit(std::vector<std::string> alerts);

  // Wakes the thread to push now instead of at the next interval (tests, shutdown paths).
  void flush();

  // Stops the thread: a last push bounded by stop_timeout, then the rest is spooled (also when
  // start() was never called). Idempotent.
  void stop();

  LapiClientStats stats() const;

 private:
  explicit LapiClient(LapiClientOptions options);

  struct Outcome;
  void run();
  bool wait_until(std::chrono::steady_clock::time_point t);
  void push_cycle(bool final_push, std::chrono::steady_clock::time_point deadline);
  Outcome send_batch(const std::vector<std::string>& alerts, bool final_push);
  Outcome send_one_by_one(const std::vector<std::string>& alerts, bool final_push,
                          size_t& rejected);
  void quarantine(const std::string& alert, const std::string& why);
  Result<void> ensure_token(bool final_push);
  Result<void> login();
  // A request as the logged-in machine (a login first when needed); on 401/403 the token is
  // dropped and the request sent again after a new login, twice at most. Returns the last
  // status; errors: no token, transport failure.
  Result<int> send_authorized(const std::string& method, const std::string& path,
                              const std::string& body, std::string* answer);
  void heartbeat();
  // False when nothing could be sent (no token, transport): worth trying again soon.
  bool send_usage_metrics();
  void spool_memory();
  void trim_memory_locked();  // mu_ held
  void note_failure(const Outcome& outcome);

  LapiClientOptions options_;
  std::string base_path_;
  std::unique_ptr<httplib::Client> http_;  // used by the thread only
  std::unique_ptr<Spool> spool_;           // the thread only (and stop() after the join)

  // Token state: the thread only.
  std::string token_;
  TimePoint token_expiry_{};
  int login_failures_ = 0;
  std::chrono::steady_clock::time_point login_retry_at_{};
  int throttle_retries_ = 0;
  std::chrono::steady_clock::time_point push_retry_at_{};
  bool failing_ = false;
  bool gzip_ok_ = true;  // cleared when the LAPI refuses a gzip-compressed body
  bool usage_404_warned_ = false;
  int64_t last_usage_unix_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool flush_ = false;
  LapiClientStats stats_;
  std::thread thread_;
};

}  // namespace phalanx::agent
