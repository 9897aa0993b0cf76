// SPDX-License-Identifier: Apache-2.0
// The HTTP request and response as the LAPI's routes see them, free of Boost: the server
// (server.cpp, the only file that includes Beast) fills a Request and writes a Reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phalanx::lapi {

// A verified (or merely presented) client certificate from a TLS handshake.
struct PeerCert {
  std::string common_name;
  std::vector<std::string> organizational_units;
  bool verified = false;  // chained to the configured CA
};

// Request::remote_ip of a client on the Unix socket (bouncer names "<name>@unix", logs).
inline constexpr std::string_view kUnixPeer = "unix";

struct Request {
  std::string method;                                        // "GET", "HEAD", ...
  std::string path;                                          // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;                                          // already gunzipped
  std::string remote_ip;     // "127.0.0.1", "::1"; kUnixPeer over the Unix socket
  bool unix_socket = false;  // came in on the Unix socket (local, trusted like loopback)
  std::optional<PeerCert> peer;
  std::chrono::steady_clock::time_point received{};

  // The first value of a header (lowercase name), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  // The first value of a query key, or nullptr.
  const std::string* param(std::string_view key) const {
    for (const auto& [k, v] : query)
      if (k == key) return &v;
    return nullptr;
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";  // empty: no header
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed body (chunked transfer encoding): when set, `body` is ignored and the server
  // calls it until it returns false; each call appends the next piece to `out`. The function
  // runs on the connection's strand, never concurrently with itself.
  std::function<bool(std::string& out)> stream;
  // Called once the whole response was written (true) or the connection failed (false).
  std::function<void(bool written)> on_complete;
};

// What a route answers: a response now, or (long poll) a promise of one.
struct Reply {
  Response response;
  // Long poll: when set, `response` is not used yet. The server calls poll(false) after each
  // wake-up (a change signalled through `subscribe`, or `recheck_at`) and poll(true) at
  // `deadline`; a returned response is sent. poll(true) must return one.
  std::function<std::optional<Response>(bool final)> poll;
  std::chrono::steady_clock::time_point deadline{};
  // Registers a one-shot wake-up (any thread may call it); returns an id for unsubscribe.
  std::function<uint64_t(std::function<void()>)> subscribe;
  std::function<void(uint64_t)> unsubscribe;
  // When to poll again even without a change (a decision expiring by itself); max() for never.
  std::function<std::chrono::steady_clock::time_point()> recheck_at;
};

// What the server calls for every request, on the connection's strand. It may block briefly
// (a Store call); it must not wait for other requests.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Reply handle(Request& request) = 0;
  // Body size allowed for a path (after gunzip): spec §1.1, 2 MiB unauthenticated, 50 MiB
  // otherwise.
  virtual size_t body_limit(std::string_view path) const = 0;
};

}  // namespace phalanx::lapi
