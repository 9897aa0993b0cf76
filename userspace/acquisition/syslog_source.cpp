// SPDX-License-Identifier: Apache-2.0
#include "acquisition/syslog_source.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "acquisition/activity.h"
#include "acquisition/sources.h"
#include "acquisition/syslog_message.h"
#include "core/log.h"

namespace phalanx::acquisition {
namespace {

constexpr size_t kMaxMessageLen = 1 << 20;
constexpr size_t kUdpBatch = 32;              // datagrams per recvmmsg at most
constexpr size_t kUdpBatchBytes = 256 << 10;  // and this much buffer at most
constexpr size_t kUdpMaxDatagram = 65536;
constexpr std::chrono::milliseconds kAcceptPause{100};  // after running out of descriptors
constexpr size_t kOctetHeaderMax = 11;                  // "LEN SP": up to 10 digits and the space

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The sender's address as text; IPv4-mapped IPv6 addresses read as IPv4.
std::string peer_address(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, sizeof buf);
    } else {
      inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    }
  }
  return buf;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

Result<Fd> bind_socket(const std::string& addr, int port, int type) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(addr.empty() ? nullptr : addr.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return Error(fmt::format("resolving {}: {}", addr, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
  Fd fd(socket(res->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("creating a socket");
  int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0)
    return Error::from_errno(fmt::format("binding {}:{}", addr, port));
  if (type == SOCK_STREAM && listen(fd.get(), SOMAXCONN) != 0)
    return Error::from_errno(fmt::format("listening on {}:{}", addr, port));
  return fd;
}

// One TCP client and the part of its stream not framed yet.
struct Connection {
  Fd fd;
  std::string peer;
  std::string buf;
  size_t skip = 0;         // bytes still to discard: the cut part of an octet-counted frame
  bool skip_line = false;  // discarding up to the next newline: the cut part of a line
  std::chrono::steady_clock::time_point active_at;  // last data received
};

using SteadyTime = std::chrono::steady_clock::time_point;

}  // namespace

struct SyslogSource::Server {
  const SourceConfig& config;
  const SyslogLimits& limits;
  SourceStats& stats;
  Sink& sink;
  std::shared_ptr<const std::map<std::string, std::string>> labels;
  Fd epoll;
  Fd wake;  // eventfd written by stop()
  Fd udp;
  Fd tcp;
  std::unordered_map<int, Connection> clients;
  std::atomic<bool> stopping{false};
  bool sink_closed = false;
  uint32_t kernel_drops = 0;   // last SO_RXQ_OVFL value seen
  std::vector<char> udp_data;  // udp_batch buffers of udp_len bytes
  size_t udp_len = 0;
  size_t udp_batch = 0;
  bool refusing = false;       // at the connection limit (logged once per episode)
  bool accept_paused = false;  // out of file descriptors: the listener rests a moment
  SteadyTime accept_resume_at{};
  SteadyTime swept_at = std::chrono::steady_clock::now();

  Server(const SourceConfig& c, const SyslogLimits& l, SourceStats& s, Sink& k)
      : config(c),
        limits(l),
        stats(s),
        sink(k),
        labels(std::make_shared<const std::map<std::string, std::string>>(c.labels)) {
    start_activity(stats);
  }

  bool running() const { return !sink_closed && !stopping.load(std::memory_order_relaxed); }
  Result<void> watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      return Error::from_errno("syslog: adding a socket to epoll");
    return ok();
  }

  void run();
  int poll_timeout_ms() const;
  void housekeeping();
  void deliver(std::string_view message, const std::string& peer);
  void on_udp();
  void on_accept();
  void on_client(int fd);
  void frame(Connection& c, bool eof);
};

void SyslogSource::Server::deliver(std::string_view message, const std::string& peer) {
  if (!running()) return;
  if (message.size() > config.max_message_len) message = message.substr(0, config.max_message_len);
  auto now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  auto text = syslog_to_line(message, config.disable_rfc_parser, now);
  if (!text) {
    stats.errors.fetch_add(1, std::memory_order_relaxed);
    log::get("acquis")->debug("syslog {}: {}", peer, text.error().message());
    return;
  }
  Line line;
  line.raw = std::move(*text);
  line.src = peer;
  line.module = "syslog";
  line.labels = labels;
  line.read_at = now;
  if (config.allow_drop) {
    if (!sink.try_push(line)) {
      stats.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  } else if (!sink.push(std::move(line))) {
    sink_closed = true;
    return;
  }
  count_line(config, stats, message.size(), now);
}

void SyslogSource::Server::on_udp() {
  const size_t len = udp_len;
  std::array<mmsghdr, kUdpBatch> msgs{};
  std::array<iovec, kUdpBatch> iov{};
  std::array<sockaddr_storage, kUdpBatch> from{};
  // Aligned room for one SO_RXQ_OVFL control message per datagram.
  std::array<std::array<uint64_t, (CMSG_SPACE(sizeof(uint32_t)) + 7) / 8>, kUdpBatch> control{};
  for (size_t i = 0; i < udp_batch; ++i) {
    iov[i] = {udp_data.data() + i * len, len};
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = control[i].data();
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  int n = recvmmsg(udp.get(), msgs.data(), udp_batch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) stats.errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  for (int i = 0; i < n; ++i) {
    msghdr& h = msgs[i].msg_hdr;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&h); cm != nullptr; cm = CMSG_NXTHDR(&h, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(cm), sizeof drops);
        // The counter is cumulative for the socket (and wraps at 2^32).
        stats.dropped.fetch_add(drops - kernel_drops, std::memory_order_relaxed);
        kernel_drops = drops;
      }
    }
    std::string_view data(udp_data.data() + i * len, std::min<size_t>(msgs[i].msg_len, len));
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r' || data.back() == '\0'))
      data.remove_suffix(1);
    if (data.empty()) continue;
    deliver(data, peer_address(from[i]));
  }
}

void SyslogSource::Server::on_accept() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t slen = sizeof ss;
    Fd fd(
        accept4(tcp.get(), reinterpret_cast<sockaddr*>(&ss), &slen, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays readable: rest the listener instead of spinning.
        stats.errors.fetch_add(1, std::memory_order_relaxed);
        log::get("acquis")->warn("syslog {}: accepting: {}", config.name, std::strerror(errno));
        epoll_ctl(epoll.get(), EPOLL_CTL_DEL, tcp.get(), nullptr);
        accept_paused = true;
        accept_resume_at = std::chrono::steady_clock::now() + kAcceptPause;
      }
      return;  // EAGAIN: nothing more to accept
    }
    if (clients.size() >= limits.max_connections) {
      stats.errors.fetch_add(1, std::memory_order_relaxed);
      if (!refusing)
        log::get("acquis")->warn("syslog {}: {} connections, refusing more (first: {})",
                                 config.name, clients.size(), peer_address(ss));
      refusing = true;
      continue;  // closed by ~Fd
    }
    refusing = false;
    int raw = fd.get();
    if (!watch(raw)) continue;
    Connection& c = clients[raw];
    c.fd = std::move(fd);
    c.peer = peer_address(ss);
    c.active_at = std::chrono::steady_clock::now();
  }
}

// Cuts complete frames out of the client's buffer and delivers them. Each frame is either
// octet-counted ("LEN SP MSG", LEN starting with a non-zero digit) or ends at a newline. At
// EOF a last unterminated line is delivered too.
void SyslogSource::Server::frame(Connection& c, bool eof) {
  const size_t max = config.max_message_len;
  std::string_view b = c.buf;
  while (!b.empty() && running()) {
    if (c.skip > 0) {
      size_t n = std::min(c.skip, b.size());
      c.skip -= n;
      b.remove_prefix(n);
      continue;
    }
    if (c.skip_line) {
      size_t nl = b.find('\n');
      if (nl == std::string_view::npos) {
        b = {};
        break;
      }
      c.skip_line = false;
      b.remove_prefix(nl + 1);
      continue;
    }
    if (b.front() >= '1' && b.front() <= '9') {
      size_t digits = 0;
      while (digits < b.size() && digits < kOctetHeaderMax && b[digits] >= '0' && b[digits] <= '9')
        ++digits;
      if (digits == b.size() && !eof) break;  // header incomplete
      if (digits < b.size() && b[digits] == ' ' && digits < kOctetHeaderMax) {
        size_t frame_len = std::stoull(std::string(b.substr(0, digits)));
        size_t take = std::min(frame_len, max);
        if (b.size() - digits - 1 < take) {
          if (eof) stats.errors.fetch_add(1, std::memory_order_relaxed);  // truncated frame
          if (!eof) break;
          b = {};
          break;
        }
        deliver(b.substr(digits + 1, take), c.peer);
        b.remove_prefix(digits + 1 + take);
        c.skip = frame_len - take;
        continue;
      }
      // Not an octet count after all ("2024-...", "123abc"): a line.
    }
    size_t nl = b.find('\n');
    if (nl == std::string_view::npos && b.size() >= max) {
      // A line longer than the limit: its head is delivered, the rest skipped.
      deliver(b.substr(0, max), c.peer);
      b.remove_prefix(max);
      c.skip_line = true;
      continue;
    }
    if (nl == std::string_view::npos && !eof) break;
    std::string_view msg = b.substr(0, nl);
    b.remove_prefix(std::min(b.size(), nl == std::string_view::npos ? b.size() : nl + 1));
    if (msg.size() > max) {
      msg = msg.substr(0, max);
    } else {
      while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\0'))
        msg.remove_suffix(1);
    }
    if (!msg.empty()) deliver(msg, c.peer);
  }
  c.buf.erase(0, c.buf.size() - b.size());
}

void SyslogSource::Server::on_client(int fd) {
  auto it = clients.find(fd);
  if (it == clients.end()) return;
  Connection& c = it->second;
  // The buffer stays within max_message_len plus an octet-count header.
  const size_t cap = config.max_message_len + kOctetHeaderMax + 1;
  size_t have = c.buf.size();
  c.buf.resize(cap);
  ssize_t n = recv(fd, c.buf.data() + have, cap - have, 0);
  c.buf.resize(have + (n > 0 ? static_cast<size_t>(n) : 0));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  c.active_at = std::chrono::steady_clock::now();
  bool eof = n <= 0;
  if (n < 0) stats.errors.fetch_add(1, std::memory_order_relaxed);
  frame(c, eof);
  if (eof) {
    epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    clients.erase(it);
  }
}

// How long epoll may sleep: forever unless a timer is pending (idle warning, client
// timeouts, a paused listener).
int SyslogSource::Server::poll_timeout_ms() const {
  using std::chrono::milliseconds;
  milliseconds timeout = milliseconds::max();
  if (config.idle_warning.count() > 0) timeout = milliseconds(1000);
  if (!clients.empty())
    timeout = std::min(
        timeout, std::clamp(limits.client_idle_timeout / 4, milliseconds(10), milliseconds(1000)));
  if (accept_paused) timeout = std::min(timeout, kAcceptPause);
  return timeout == milliseconds::max() ? -1 : static_cast<int>(timeout.count());
}

void SyslogSource::Server::housekeeping() {
  check_idle(config, stats);
  auto now = std::chrono::steady_clock::now();
  if (accept_paused && now >= accept_resume_at && watch(tcp.get())) accept_paused = false;
  if (now - swept_at < limits.client_idle_timeout / 4) return;
  swept_at = now;
  for (auto it = clients.begin(); it != clients.end();) {
    if (now - it->second.active_at < limits.client_idle_timeout) {
      ++it;
      continue;
    }
    // Silent for too long: its slot goes to someone else (closed by ~Fd).
    epoll_ctl(epoll.get(), EPOLL_CTL_DEL, it->first, nullptr);
    it = clients.erase(it);
  }
}

void SyslogSource::Server::run() {
  std::array<epoll_event, 64> events{};
  while (running()) {
    int n =
        epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), poll_timeout_ms());
    housekeeping();
    if (n < 0) {
      if (errno == EINTR) continue;
      log::get("acquis")->error("syslog: epoll_wait: {}", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n && running(); ++i) {
      int fd = events[i].data.fd;
      if (fd == wake.get()) return;
      if (udp && fd == udp.get()) {
        on_udp();
      } else if (tcp && fd == tcp.get()) {
        on_accept();
      } else {
        on_client(fd);
      }
    }
  }
}

SyslogSource::SyslogSource(const SourceConfig& config, SyslogLimits limits)
    : config_(config), limits_(limits) {}

SyslogSource::~SyslogSource() {
  stop();
}

Result<std::unique_ptr<SyslogSource>> SyslogSource::create(const SourceConfig& config,
                                                           SyslogLimits limits) {
  std::string where = fmt::format("syslog source {}", config.name);
  std::unique_ptr<SyslogSource> s(new SyslogSource(config, limits));
  const std::string& p = config.protocol;
  s->udp_ = p.empty() || p == "udp" || p == "udp+tcp" || p == "tcp+udp";
  s->tcp_ = p == "tcp" || p == "udp+tcp" || p == "tcp+udp";
  if (!s->udp_ && !s->tcp_)
    return Error(fmt::format("{}: protocol '{}' is not udp, tcp or udp+tcp", where, p));
  if (config.listen_port < 0 || config.listen_port > 65535)
    return Error(fmt::format("{}: listen_port {} is out of range", where, config.listen_port));
  if (config.max_message_len == 0 || config.max_message_len > kMaxMessageLen)
    return Error(fmt::format("{}: max_message_len must be within 1..{}", where, kMaxMessageLen));
  if (limits.max_connections == 0) return Error(where + ": max_connections is 0");
  if (limits.client_idle_timeout.count() <= 0) return Error(where + ": client_idle_timeout <= 0");
  return s;
}

Result<void> SyslogSource::start(Sink& sink) {
  if (server_) return Error("syslog: already started");
  auto server = std::make_unique<Server>(config_, limits_, stats_, sink);
  server->epoll = Fd(epoll_create1(EPOLL_CLOEXEC));
  server->wake = Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->epoll || !server->wake) return Error::from_errno("syslog: creating epoll/eventfd");
  PHALANX_CHECK(server->watch(server->wake.get()));
  std::string where = fmt::format("syslog source {}", config_.name);
  if (udp_) {
    auto fd = bind_socket(config_.listen_addr, config_.listen_port, SOCK_DGRAM);
    if (!fd) return fd.error().context(where + ": udp");
    server->udp = std::move(*fd);
    int one = 1;
    if (setsockopt(server->udp.get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0)
      return Error::from_errno(where + ": enabling SO_RXQ_OVFL");
    // SO_RCVBUFFORCE passes net.core.rmem_max when we may (CAP_NET_ADMIN); otherwise the
    // kernel clamps SO_RCVBUF to it.
    int size = limits_.udp_rcvbuf;
    if (setsockopt(server->udp.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
      setsockopt(server->udp.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    server->udp_len = std::min(config_.max_message_len, kUdpMaxDatagram);
    server->udp_batch = std::clamp<size_t>(kUdpBatchBytes / server->udp_len, 1, kUdpBatch);
    server->udp_data.resize(server->udp_batch * server->udp_len);
    PHALANX_CHECK(server->watch(server->udp.get()));
    udp_port_ = bound_port(server->udp.get());
  }
  if (tcp_) {
    // With port 0 and both protocols, TCP tries the port UDP got, so one number serves both.
    Result<Fd> fd = Error("");
    if (udp_ && config_.listen_port == 0)
      fd = bind_socket(config_.listen_addr, udp_port_, SOCK_STREAM);
    if (!fd) fd = bind_socket(config_.listen_addr, config_.listen_port, SOCK_STREAM);
    if (!fd) return fd.error().context(where + ": tcp");
    server->tcp = std::move(*fd);
    PHALANX_CHECK(server->watch(server->tcp.get()));
    tcp_port_ = bound_port(server->tcp.get());
  }
  server_ = std::move(server);
  thread_ = std::thread([s = server_.get()] { s->run(); });
  log::get("acquis")->info("{}", describe());
  return ok();
}

void SyslogSource::stop() {
  if (!server_) return;
  if (thread_.joinable()) {
    server_->stopping.store(true);
    uint64_t one = 1;
    ssize_t w = write(server_->wake.get(), &one, sizeof one);
    (void)w;  // the eventfd cannot be full: it counts up to 2^64-2
    thread_.join();
  }
  server_.reset();  // closes the sockets: the port is free again
}

std::string SyslogSource::describe() const {
  std::string out = "syslog: listening on";
  const std::string& addr = config_.listen_addr;
  std::string host = addr.find(':') != std::string::npos ? "[" + addr + "]" : addr;
  auto port = [&](uint16_t bound) { return bound != 0 ? int{bound} : config_.listen_port; };
  if (udp_) out += fmt::format(" {}:{}/udp", host, port(udp_port_));
  if (udp_ && tcp_) out += " and";
  if (tcp_) out += fmt::format(" {}:{}/tcp", host, port(tcp_port_));
  return out;
}

Result<std::unique_ptr<Source>> make_syslog_source(const SourceConfig& config,
                                                   const SourceOptions& /*options*/) {
  PHALANX_TRY(auto source, SyslogSource::create(config));
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace phalanx::acquisition
