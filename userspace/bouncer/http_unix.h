// SPDX-License-Identifier: Apache-2.0
// Shared by the LAPI clients (the bouncers' stream client, the agent's alert client): a LAPI on
// a Unix socket. As CrowdSec's clients do, a URL starting with '/' is the socket's path (the
// LAPI's `listen_socket`) and requests carry `Host: unix`. Header-only, like http_errors.h.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>

namespace phalanx::http {

// "/run/phalanx/lapi.sock" rather than "http://...".
inline bool is_socket_url(std::string_view url) {
  return !url.empty() && url.front() == '/';
}

// A plain-HTTP client connecting to the Unix socket at `path`.
inline std::unique_ptr<httplib::Client> unix_socket_client(const std::string& path) {
  auto client = std::make_unique<httplib::Client>(path, 80);
  client->set_address_family(AF_UNIX);
  // Without it cpp-httplib would send the socket's path as the Host.
  client->set_default_headers({{"Host", "unix"}});
  return client;
}

}  // namespace phalanx::http
