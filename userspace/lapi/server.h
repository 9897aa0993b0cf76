// SPDX-License-Identifier: Apache-2.0
// The LAPI's HTTP/1.1 server: Boost.Beast over Asio, on TCP (optionally TLS (OpenSSL) with client
// certificates) and/or a Unix stream socket. A few threads (one io_context each) serve every
// connection asynchronously, so tens of thousands of idle keep-alive connections and held long
// polls cost memory, not threads. Routes live behind Handler (http.h); this header keeps Boost out
// of every other file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "lapi/http.h"

namespace phalanx::lapi {

// client_verification values of CrowdSec's api.server.tls.
enum class ClientVerification {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,  // the default
  kRequireAndVerifyClientCert,
};

// Errors: an unknown name.
Result<ClientVerification> parse_client_verification(std::string_view name);

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  std::string ca_file;    // CA for client certificates; empty: none accepted as verified
  ClientVerification verification = ClientVerification::kVerifyClientCertIfGiven;
};

struct ServerOptions {
  // The TCP listener; tcp = false: the Unix socket alone.
  bool tcp = true;
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port())
  // Non-empty: (also) listen on this Unix stream socket, plain HTTP whatever `tls` says. A
  // stale socket file is replaced, a live server on it refused; the file gets `socket_mode` and
  // is removed by stop(). Its clients have Request::unix_socket set.
  std::string socket_path;
  unsigned socket_mode = 0660;
  int threads = 0;  // 0: one per core
  std::optional<TlsOptions> tls;
  // A keep-alive connection with no request for this long is closed. Held long polls are not
  // idle.
  std::chrono::seconds idle_timeout{300};
};

class Server {
 public:
  // Binds, listens and starts the threads. `handler` must outlive the server. Errors: "lapi:
  // listening on ADDR:PORT: cause", "lapi: listening on unix:PATH: cause" (a live server
  // there, a missing directory, ...), "lapi: tls: ..." for unreadable certificate files.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options, Handler& handler);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;  // 0 without the TCP listener
  // Open connections right now.
  size_t connections() const;
  // Closes the listeners and every connection, joins the threads and removes the socket file.
  // Idempotent.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::lapi
