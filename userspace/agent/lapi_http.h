// SPDX-License-Identifier: Apache-2.0
// Internal to phalanx_agent_client: the HTTP plumbing the client and register_machine() share
// (cpp-httplib set-up from the options, error texts, gzip, the token expiry's RFC 3339). Not
// part of the library's interface; it pulls in httplib.h.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bouncer/http_client.h"
#include "bouncer/http_errors.h"
#include "core/duration.h"
#include "core/result.h"
#include "core/time.h"

namespace phalanx::agent {

struct LapiClientOptions;

// An http(s) URL split for httplib, or the path of a Unix socket (a URL starting with '/').
struct Endpoint {
  std::string scheme;     // "http", "https"; "unix" for a socket
  std::string host_port;  // "scheme://host:port", as httplib::Client takes it; the socket's path
  std::string base_path;  // without a trailing '/'
};

// Errors: no scheme (and not a socket path), a scheme other than http/https, no host.
Result<Endpoint> parse_url(const std::string& url);

// A keep-alive client with the options' timeouts, client certificate and CA.
std::unique_ptr<httplib::Client> make_http(const LapiClientOptions& o, const Endpoint& e);

// errno-style code for an httplib transport error (ECONNREFUSED, ETIMEDOUT, EPROTO, ...), and
// the LAPI's {"message": ...} (else the start of the raw body): shared with the bouncers.
using http::code_of;
using http::error_text;
// "Connection (Connection refused)": httplib's name for the failure plus the errno's text.
std::string transport_error(httplib::Error err);
bool is_2xx(int status);
// How many times a request refused with 401/403 is sent again after a new login.
inline constexpr int kAuthRetries = 2;

// gzip (RFC 1952) of `data`; empty on failure.
std::string gzip(const std::string& data);

// RFC 3339 as Go prints it ("2006-01-02T15:04:05Z", optional fraction, "Z" or "±hh:mm").
std::optional<TimePoint> parse_rfc3339(const std::string& s);

std::chrono::microseconds us(Duration d);

// Errors: "WHAT PATH: strerror" when the file cannot be stat()ed.
Result<void> check_file(const std::string& what, const std::string& path);

}  // namespace phalanx::agent
