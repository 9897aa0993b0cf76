// SPDX-License-Identifier: Apache-2.0
// Shared by the LAPI clients (the bouncers' stream client, the agent's alert client, the CLI):
// how an HTTP client is made. Header-only, like http_errors.h.
//
// SIGPIPE: Debian's cpp-httplib is a compiled library, built to send() with flags 0 rather than
// MSG_NOSIGNAL, and OpenSSL writes with plain write(). A request written to a connection that the
// peer closed, or that our own stop() shut down under a running request, raises SIGPIPE, whose
// default action kills the process. Every client made here first sets SIGPIPE to ignored (unless
// the program installed a handler of its own), so such a write fails with EPIPE and the request
// reports an error instead.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>

namespace phalanx::http {

// Leaves a program's own SIGPIPE handler alone; replaces only the default action. Cheap, and
// clients are made rarely: checked every time.
inline void ignore_sigpipe() {
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}

// "/run/phalanx/lapi.sock" rather than "http://...": as CrowdSec's clients do, a URL starting
// with '/' is the path of the LAPI's `listen_socket`.
inline bool is_socket_url(std::string_view url) {
  return !url.empty() && url.front() == '/';
}

// The TLS side of a client: a client certificate (both or neither), the CA that signs the
// server's, and whether the server's is verified at all.
struct ClientTls {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool insecure_skip_verify = false;
};

// A keep-alive client for `scheme` "http", "https" or "unix" (then `host_port` is the socket's
// path and requests carry `Host: unix`). Timeouts are the caller's.
inline std::unique_ptr<httplib::Client> make_client(std::string_view scheme,
                                                    const std::string& host_port,
                                                    const ClientTls& tls) {
  ignore_sigpipe();
  std::unique_ptr<httplib::Client> client;
  if (scheme == "unix") {
    client = std::make_unique<httplib::Client>(host_port, 80);
    client->set_address_family(AF_UNIX);
    // Without it cpp-httplib would send the socket's path as the Host.
    client->set_default_headers({{"Host", "unix"}});
  } else if (!tls.cert_file.empty()) {
    client = std::make_unique<httplib::Client>(host_port, tls.cert_file, tls.key_file);
  } else {
    client = std::make_unique<httplib::Client>(host_port);
  }
  if (scheme == "https") {
    if (!tls.ca_file.empty()) client->set_ca_cert_path(tls.ca_file);
    client->enable_server_certificate_verification(!tls.insecure_skip_verify);
  }
  client->set_keep_alive(true);
  return client;
}

}  // namespace phalanx::http
