// SPDX-License-Identifier: Apache-2.0
// The only file that includes Beast/Asio (they are compile-heavy). One io_context per thread,
// each run by that thread alone: the acceptor hands connections round-robin to them, and a
// connection stays on its io_context for life, so its handlers never run concurrently and need
// neither locks nor a strand, and the threads share no queue to contend on. A Session reads the
// header first (to pick the body limit of the route), then the body, hands a Request to the Handler
// and writes the Reply: at once, as chunks (a streamed body) or, for a long poll, after a wake-up
// or its deadline. A Unix socket (listen_socket) is a second acceptor beside the TCP one; its
// connections run the same Session over a local::stream_protocol stream.
#include "lapi/server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <optional>
#include <thread>
#include <vector>

#include "core/log.h"
#include "lapi/gzip.h"
#include "lapi/unix_socket.h"

namespace phalanx::lapi {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;
using SteadyTime = std::chrono::steady_clock::time_point;
// A connection lives on one io_context: its socket, stream and timer use that io_context's own
// executor type rather than the type-erased any_io_executor, whose copies and calls showed in
// profiles of GET /v1/decisions.
using Executor = asio::io_context::executor_type;
using TcpStream = beast::basic_stream<tcp, Executor>;
using UnixSocket = asio::basic_stream_socket<local, Executor>;
using UnixStream = beast::basic_stream<local, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("lapi");
  return log;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; '+' is a space in query strings only (Go's url.ParseQuery).
std::string url_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void split_target(std::string_view target, Request& req) {
  const size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      req.query.emplace_back(
          url_decode(pair.substr(0, eq), true),
          eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

std::optional<PeerCert> peer_cert(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  PeerCert out;
  out.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  X509_NAME* subject = X509_get_subject_name(cert);
  const auto text_of = [&](int index) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                       static_cast<size_t>(ASN1_STRING_length(data)));
  };
  const int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0) out.common_name = text_of(cn);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, i))
    out.organizational_units.push_back(text_of(i));
  X509_free(cert);
  return out;
}

}  // namespace

Result<ClientVerification> parse_client_verification(std::string_view name) {
  if (name == "NoClientCert") return ClientVerification::kNoClientCert;
  if (name == "RequestClientCert") return ClientVerification::kRequestClientCert;
  if (name == "RequireAnyClientCert") return ClientVerification::kRequireAnyClientCert;
  if (name == "VerifyClientCertIfGiven" || name.empty())
    return ClientVerification::kVerifyClientCertIfGiven;
  if (name == "RequireAndVerifyClientCert") return ClientVerification::kRequireAndVerifyClientCert;
  return Error("unknown client_verification '" + std::string(name) + "'");
}

struct Server::Impl {
  Impl(const ServerOptions& o, Handler& h) : options(o), handler(h) {
    const int n = o.threads > 0
                      ? o.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) {
      // Concurrency hint 1: one thread runs it, so Asio can leave out its internal locking.
      iocs.push_back(std::make_unique<asio::io_context>(1));
      // Without pending work run() would return at once on an io_context with no connection.
      guards.emplace_back(asio::make_work_guard(*iocs.back()));
    }
  }

  // Both acceptors live on the first io_context.
  template <class Acceptor>
  void accept(Acceptor& acceptor, asio::steady_timer& retry);
  template <class Acceptor, class S>
  void on_accept(Acceptor& acceptor, asio::steady_timer& retry, beast::error_code ec, S socket);
  Result<void> listen_tcp();
  Result<void> listen_unix();
  asio::io_context& next_context() { return *iocs[next_ioc++ % iocs.size()]; }

  ServerOptions options;
  Handler& handler;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  size_t next_ioc = 0;  // the acceptor's thread only
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  std::optional<local::acceptor> unix_acceptor;
  std::optional<asio::steady_timer> unix_accept_retry;
  SocketFile socket_file;
  std::vector<std::thread> threads;
  std::atomic<size_t> connections{0};
  uint16_t port = 0;
  bool stopped = false;
};

namespace {

// Largest over-limit body read and discarded before answering 413; past it the connection is
// closed after the answer.
constexpr uint64_t kDrainLimit = 64 * 1024 * 1024;

// Stream: TcpStream, beast::ssl_stream<TcpStream> or UnixStream.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  using Lowest =
      std::remove_reference_t<decltype(beast::get_lowest_layer(std::declval<Stream&>()))>;
  using LowestSocket = typename Lowest::socket_type;
  static constexpr bool kTls = !std::is_same_v<Stream, Lowest>;
  static constexpr bool kUnix = std::is_same_v<Lowest, UnixStream>;

 public:
  Session(LowestSocket&& socket, Server::Impl& server)
      : server_(server),
        stream_(make_stream(std::move(socket), server)),
        timer_(stream_.get_executor()) {
    ++server_.connections;
    if constexpr (kUnix) {
      remote_ip_ = std::string(kUnixPeer);
    } else {
      remote_ip_ = remote_address();
    }
  }

  ~Session() {
    if (waiting_ && pending_.unsubscribe) pending_.unsubscribe(sub_id_);
    --server_.connections;
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
  }

 private:
  std::string remote_address() {
    beast::error_code ec;
    const auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec) return {};
    const auto addr = ep.address();
    return addr.is_v6() && addr.to_v6().is_v4_mapped()
               ? asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string()
               : addr.to_string();
  }

  static Stream make_stream(LowestSocket&& socket, Server::Impl& server) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *server.tls);
    } else {
      (void)server;
      return Stream(std::move(socket));
    }
  }

  void start() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // the socket closes with the session
                                self->peer_ = peer_cert(self->stream_.native_handle());
                                self->read_header();
                              });
    } else {
      read_header();
    }
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // Beast checks Content-Length against the body limit while reading the header; the limit
    // of the route is set once the path is known (on_header).
    parser_->body_limit(kDrainLimit);
    beast::get_lowest_layer(stream_).expires_after(server_.options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return close();
    const auto target = parser_->get().target();
    const auto path = std::string_view(target.data(), target.size())
                          .substr(0, std::string_view(target.data(), target.size()).find('?'));
    limit_ = server_.handler.body_limit(path);
    const auto length = parser_->content_length();
    too_large_ = length && *length > limit_;
    // A body over the limit is still read (up to kDrainLimit) so that the client, which is
    // busy sending it, reads the 413 instead of a connection reset.
    if (too_large_ && *length > kDrainLimit) return reject_too_large();
    parser_->body_limit(too_large_ ? *length : limit_);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void reject_too_large() {
    keep_alive_ = false;
    version_ = parser_->get().version();
    head_ = false;
    Response r;
    r.status = 413;
    r.body = R"({"message":"http: request body too large"})";
    send(std::move(r));
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject_too_large();
    if (ec) return close();
    if (too_large_) {
      Response r;
      r.status = 413;
      r.body = R"({"message":"http: request body too large"})";
      keep_alive_ = parser_->get().keep_alive();
      version_ = parser_->get().version();
      head_ = false;
      parser_.reset();
      return send(std::move(r));
    }
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;

    Request req;
    req.received = std::chrono::steady_clock::now();
    req.method = std::string(msg.method_string());
    split_target(std::string_view(msg.target().data(), msg.target().size()), req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.remote_ip = remote_ip_;
    req.unix_socket = kUnix;
    req.peer = peer_;
    const auto encoding = msg[http::field::content_encoding];
    if (beast::iequals(encoding, "gzip") || beast::iequals(encoding, "deflate")) {
      auto body = gunzip(msg.body(), limit_);
      if (!body) {
        Response r;
        r.status = body.error().code() == E2BIG ? 413 : 400;
        r.body = message_json(body.error().message());
        if (r.status == 413) keep_alive_ = false;
        return send(std::move(r));
      }
      req.body = std::move(*body);
    } else {
      req.body = std::move(msg.body());
    }
    parser_.reset();

    Reply reply;
    try {
      reply = server_.handler.handle(req);
    } catch (const std::exception& e) {
      logger()->error("{} {}: {}", req.method, req.path, e.what());
      reply = Reply{};
      reply.response.status = 500;
      reply.response.body = R"({"message":"internal error"})";
    }
    if (reply.poll) {
      pending_ = std::move(reply);
      beast::get_lowest_layer(stream_).expires_never();
      return arm_wait();
    }
    send(std::move(reply.response));
  }

  static std::string message_json(const std::string& text) {
    std::string out = R"({"message":")";
    for (char c : text) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
    }
    out += "\"}";
    return out;
  }

  // --- long poll
  void arm_wait() {
    waiting_ = true;
    const uint64_t gen = ++wait_gen_;
    std::weak_ptr<Session> weak = this->shared_from_this();
    sub_id_ = pending_.subscribe([weak, gen] {
      if (auto self = weak.lock())
        asio::post(self->stream_.get_executor(), [self, gen] { self->on_wake(gen); });
    });
    SteadyTime when = pending_.deadline;
    if (pending_.recheck_at) when = std::min(when, pending_.recheck_at());
    timer_.expires_at(when);
    timer_.async_wait([self = this->shared_from_this(), gen](beast::error_code ec) {
      if (!ec) self->on_wake(gen);
    });
  }

  void on_wake(uint64_t gen) {
    if (!waiting_ || gen != wait_gen_) return;
    waiting_ = false;
    pending_.unsubscribe(sub_id_);
    timer_.cancel();
    const bool final = std::chrono::steady_clock::now() >= pending_.deadline;
    auto res = pending_.poll(final);
    if (!res) return arm_wait();
    pending_ = Reply{};
    send(std::move(*res));
  }

  // --- writing
  template <class Message>
  void fill(Message& m, Response& r) {
    m.version(version_);
    m.result(static_cast<unsigned>(r.status));
    m.keep_alive(keep_alive_);
    if (!r.content_type.empty() && (!r.body.empty() || r.stream))
      m.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers)
      m.set(k, v);
  }

  void send(Response r) {
    on_complete_ = std::move(r.on_complete);
    if (r.stream && !head_) return send_streamed(std::move(r));
    res_.emplace();
    fill(*res_, r);
    if (!head_) res_->body() = std::move(r.body);
    res_->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_write(stream_, *res_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->after_response(!ec);
                      });
  }

  void send_streamed(Response r) {
    stream_res_.emplace();
    fill(*stream_res_, r);
    stream_res_->chunked(true);
    generator_ = std::move(r.stream);
    serializer_.emplace(*stream_res_);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->after_response(false);
                               self->next_chunk();
                             });
  }

  void next_chunk() {
    chunk_.clear();
    bool more = true;
    while (chunk_.empty() && more)
      more = generator_(chunk_);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    if (chunk_.empty()) {
      asio::async_write(stream_, http::make_chunk_last(),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->after_response(!ec);
                        });
      return;
    }
    asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)),
                      [self = this->shared_from_this(), more](beast::error_code ec, size_t) {
                        if (ec) return self->after_response(false);
                        if (more) return self->next_chunk();
                        self->chunk_.clear();
                        asio::async_write(
                            self->stream_, http::make_chunk_last(),
                            [self](beast::error_code ec2, size_t) { self->after_response(!ec2); });
                      });
  }

  void after_response(bool written) {
    if (on_complete_) {
      auto done = std::move(on_complete_);
      on_complete_ = nullptr;
      done(written);
    }
    generator_ = nullptr;
    serializer_.reset();
    stream_res_.reset();
    res_.reset();
    std::string().swap(chunk_);
    if (!written || !keep_alive_) return close();
    read_header();
  }

  void close() {
    beast::error_code ec;
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ec2;
        beast::get_lowest_layer(self->stream_).socket().close(ec2);
      });
    } else {
      stream_.socket().shutdown(asio::socket_base::shutdown_send, ec);
      stream_.socket().close(ec);
    }
  }

  Server::Impl& server_;
  Stream stream_;
  Timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_ip_;
  std::optional<PeerCert> peer_;
  size_t limit_ = 0;
  bool too_large_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;

  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::empty_body>> stream_res_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::function<bool(std::string&)> generator_;
  std::function<void(bool)> on_complete_;
  std::string chunk_;

  Reply pending_;
  bool waiting_ = false;
  uint64_t wait_gen_ = 0;
  uint64_t sub_id_ = 0;
};

}  // namespace

template <class Acceptor>
void Server::Impl::accept(Acceptor& acc, asio::steady_timer& retry) {
  using S = asio::basic_stream_socket<typename Acceptor::protocol_type, Executor>;
  acc.async_accept(next_context(), [this, &acc, &retry](beast::error_code ec, S socket) {
    on_accept(acc, retry, ec, std::move(socket));
  });
}

template <class Acceptor, class S>
void Server::Impl::on_accept(Acceptor& acc, asio::steady_timer& retry, beast::error_code ec,
                             S socket) {
  if (ec == asio::error::operation_aborted || !acc.is_open()) return;
  if (ec) {
    // Out of file descriptors (EMFILE) and the like: pause instead of spinning.
    logger()->warn("lapi: accept: {}", ec.message());
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this, &acc, &retry](beast::error_code e) {
      if (!e) accept(acc, retry);
    });
    return;
  }
  if constexpr (std::is_same_v<S, UnixSocket>) {
    std::make_shared<Session<UnixStream>>(std::move(socket), *this)->run();
  } else {
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    if (tls) {
      std::make_shared<Session<beast::ssl_stream<TcpStream>>>(std::move(socket), *this)->run();
    } else {
      std::make_shared<Session<TcpStream>>(std::move(socket), *this)->run();
    }
  }
  accept(acc, retry);
}

Result<void> Server::Impl::listen_tcp() {
  const std::string where = options.address + ":" + std::to_string(options.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) return Error("lapi: listening on " + where + ": invalid address");
  const tcp::endpoint endpoint(address, options.port);
  acceptor.emplace(*iocs.front());
  auto& acc = *acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error("lapi: listening on " + where + ": " + ec.message(), ec.value());
  port = acc.local_endpoint().port();
  accept_retry.emplace(acc.get_executor());
  accept(acc, *accept_retry);
  return ok();
}

Result<void> Server::Impl::listen_unix() {
  const std::string& path = options.socket_path;
  const std::string where = "lapi: listening on unix:" + path + ": ";
  if (auto cleared = clear_socket_path(path); !cleared)
    return Error(where + cleared.error().message(), cleared.error().code());
  unix_acceptor.emplace(*iocs.front());
  auto& acc = *unix_acceptor;
  beast::error_code ec;
  const local::endpoint endpoint(path);
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (ec) return Error(where + ec.message(), ec.value());
  // The mode is set before listen(): until then a connection is refused, so nobody gets in
  // through the umask's mode.
  if (auto adopted = socket_file.adopt(path, options.socket_mode); !adopted) {
    socket_file.remove();
    return Error(where + adopted.error().message(), adopted.error().code());
  }
  acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    socket_file.remove();
    return Error(where + ec.message(), ec.value());
  }
  unix_accept_retry.emplace(acc.get_executor());
  accept(acc, *unix_accept_retry);
  return ok();
}

namespace {

Result<void> setup_tls(ssl::context& ctx, const TlsOptions& t) {
  beast::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.use_certificate_chain_file(t.cert_file, ec);
  if (ec) return Error("lapi: tls: certificate " + t.cert_file + ": " + ec.message());
  ctx.use_private_key_file(t.key_file, ssl::context::pem, ec);
  if (ec) return Error("lapi: tls: key " + t.key_file + ": " + ec.message());
  if (!t.ca_file.empty()) {
    ctx.load_verify_file(t.ca_file, ec);
    if (ec) return Error("lapi: tls: ca " + t.ca_file + ": " + ec.message());
  }
  const auto accept_any = [](bool, ssl::verify_context&) { return true; };
  switch (t.verification) {
    case ClientVerification::kNoClientCert:
      ctx.set_verify_mode(ssl::verify_none);
      break;
    case ClientVerification::kRequestClientCert:
      ctx.set_verify_mode(ssl::verify_peer);
      ctx.set_verify_callback(accept_any);
      break;
    case ClientVerification::kRequireAnyClientCert:
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ctx.set_verify_callback(accept_any);
      break;
    case ClientVerification::kVerifyClientCertIfGiven:
      ctx.set_verify_mode(ssl::verify_peer);
      break;
    case ClientVerification::kRequireAndVerifyClientCert:
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, Handler& handler) {
  auto impl = std::make_unique<Impl>(options, handler);
  if (options.tls) {
    impl->tls.emplace(ssl::context::tls_server);
    PHALANX_CHECK(setup_tls(*impl->tls, *options.tls));
  }
  if (!options.tcp && options.socket_path.empty())
    return Error("lapi: neither a TCP address nor a Unix socket to listen on");
  if (options.tcp) PHALANX_CHECK(impl->listen_tcp());
  if (!options.socket_path.empty()) PHALANX_CHECK(impl->listen_unix());
  for (auto& ioc : impl->iocs)
    impl->threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

uint16_t Server::port() const {
  return impl_->port;
}

size_t Server::connections() const {
  return impl_->connections.load();
}

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(*impl_->iocs.front(), [impl = impl_.get()] {
    beast::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
    if (impl->unix_acceptor) impl->unix_acceptor->close(ec);
  });
  impl_->guards.clear();
  for (auto& ioc : impl_->iocs)
    ioc->stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  impl_->socket_file.remove();
}

}  // namespace phalanx::lapi
