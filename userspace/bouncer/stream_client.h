// SPDX-License-Identifier: Apache-2.0
// The decision-stream client shared by Phalanx's bouncers: follows GET /v1/decisions/stream of a
// CrowdSec-compatible LAPI (phalanxd or CrowdSec's own) and feeds a Backend.
//
// Protocol (CrowdSec's, see spec/crowdsec-compat.md §1.4): the first request carries
// startup=true and returns every active decision; later ones return what changed since the
// previous successful one. Headers X-Api-Key and User-Agent "<name>/<version>"; optional filters
// scopes, origins, scenarios_containing, scenarios_not_containing (comma-joined). Decision types
// outside supported_decisions_types are dropped here.
//
// Push extension (Phalanx): delta requests also carry wait=<Go duration> and, once the LAPI has
// handed one out, cursor=<opaque>. A LAPI that supports it answers with the header
// X-Phalanx-Cursor, holds a delta request until a change or `wait` elapses, and serves changes
// since the cursor; the client then asks again at once. A LAPI without it (CrowdSec) ignores
// both parameters and sends no header; the client then waits update_frequency between polls.
//
// Failures: while the LAPI is unreachable or answers an error, the backend is left alone (it
// keeps enforcing the last state) and the client retries with exponential backoff from
// retry_initial to retry_max. The first success after a failure is a startup=true resync,
// because a delta lost with a failed response would otherwise be lost for good. Every
// resync_interval a resync happens anyway (see StreamConfig::resync_interval).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bouncer/backend.h"
#include "bouncer/stream_config.h"
#include "bouncer/stream_parser.h"
#include "core/result.h"

namespace httplib {
class Client;
}

namespace phalanx::bouncer {

// Response header carrying the push cursor.
inline constexpr const char* kCursorHeader = "X-Phalanx-Cursor";

// One answer of the stream, filtered.
struct StreamUpdate {
  bool startup = false;
  DecisionBatch batch;
  size_t skipped_types = 0;           // decisions of an unsupported type, dropped
  size_t rejected = 0;                // decisions that did not parse (logged), dropped
  std::optional<std::string> cursor;  // X-Phalanx-Cursor, when the LAPI speaks the extension
};

// What one answer brought, besides the decisions themselves (after the type filter).
struct StreamInfo {
  size_t added = 0;                   // "new" decisions handed over
  size_t deleted = 0;                 // "deleted" decisions handed over
  size_t skipped_types = 0;           // decisions of an unsupported type, dropped
  size_t rejected = 0;                // decisions that did not parse (logged), dropped
  std::optional<std::string> cursor;  // X-Phalanx-Cursor, when the LAPI speaks the extension
};

// Counters since start; read from any thread.
struct StreamStats {
  uint64_t requests = 0;
  uint64_t failures = 0;
  uint64_t resyncs = 0;
  uint64_t added = 0;
  uint64_t deleted = 0;
  uint64_t skipped = 0;
  uint64_t rejected = 0;  // decisions that did not parse (bad address, bad duration)
  bool push = false;      // the last answer carried a cursor
};

class StreamClient {
 public:
  // Validates the URL and sets up the HTTP(S) client (a Unix socket's when api_url is a path).
  // Errors: "decision stream: ..." for a bad api_url or missing certificate files.
  static Result<std::unique_ptr<StreamClient>> create(StreamConfig config);
  ~StreamClient();
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // One request: startup=true when `startup`, else a delta (with the push parameters), the
  // whole answer collected. Errors: "decision stream: ..." for transport failures (code
  // ECONNREFUSED etc. when known), non-2xx statuses (with the LAPI's message), and "parsing
  // decision stream: ..." for unparsable bodies.
  Result<StreamUpdate> fetch(bool startup);

  // One startup=true request streamed into a resync session of `backend` as the body arrives
  // (see Backend): committed when the whole body parsed, aborted otherwise. Errors: fetch()'s,
  // and the backend's with the context "applying decisions".
  Result<StreamInfo> resync_into(Backend& backend);

  // POST /v1/usage-metrics with a JSON body (same auth and User-Agent as the stream). Returns
  // the HTTP status: 201 accepted; 404 from a LAPI that predates usage metrics (CrowdSec
  // < 1.6), which callers treat as a warning. Errors: transport failures only.
  Result<int> post_usage_metrics(const std::string& json_body);

  // Follows the stream into `backend` until stop(): resync on the first answer and after each
  // failure, apply deltas otherwise. Logs failures (once per streak at warn) and never throws.
  void run(Backend& backend);

  // Makes run() return soon: wakes its sleep and aborts an in-flight request. Thread-safe.
  void stop();

  StreamStats stats() const;

 private:
  explicit StreamClient(StreamConfig config);
  // Sends one request and parses its body as it arrives, handing the supported decisions to
  // `sink` in batches (the sink's error cancels the request and is returned).
  using BatchSink = std::function<Result<void>(StreamList, std::vector<Decision>&)>;
  Result<StreamInfo> stream(bool startup, const BatchSink& sink);
  // One delta request, applied whole.
  Result<StreamInfo> apply_delta(Backend& backend);
  // Sleeps up to d; returns false when stop() was called.
  bool sleep_for(Duration d);

  StreamConfig config_;
  std::string base_path_;
  std::unique_ptr<httplib::Client> http_;          // the stream (one request at a time)
  std::unique_ptr<httplib::Client> metrics_http_;  // usage metrics, beside a held long poll
  std::optional<std::string> cursor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  StreamStats stats_;
};

}  // namespace phalanx::bouncer
