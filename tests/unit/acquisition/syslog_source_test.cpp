// SPDX-License-Identifier: Apache-2.0
// The syslog server end to end, over 127.0.0.1 on ephemeral ports.
#include "acquisition/syslog_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "test_sink.h"

namespace phalanx::acquisition {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::TestSink;

SourceConfig syslog_config(const std::string& protocol) {
  SourceConfig c;
  c.source = "syslog";
  c.mode = "server";
  c.name = "syslog-test";
  c.labels = {{"type", "syslog"}};
  c.listen_addr = "127.0.0.1";
  c.listen_port = 0;
  c.protocol = protocol;
  return c;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

class Udp {
 public:
  explicit Udp(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)), to_(loopback(port)) {}
  ~Udp() { close(fd_); }
  void send(const std::string& msg) {
    ASSERT_EQ(sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_),
              static_cast<ssize_t>(msg.size()));
  }

 private:
  int fd_;
  sockaddr_in to_;
};

class Tcp {
 public:
  explicit Tcp(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in to = loopback(port);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~Tcp() { close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // True when the server closed the connection (within the timeout).
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::unique_ptr<SyslogSource> start_source(const SourceConfig& config, Sink& sink,
                                           SyslogLimits limits = {}) {
  auto src = SyslogSource::create(config, limits);
  EXPECT_TRUE(src) << src.error().message();
  if (!src) return nullptr;
  auto started = (*src)->start(sink);
  EXPECT_TRUE(started) << started.error().message();
  if (!started) return nullptr;
  return std::move(*src);
}

TEST(SyslogSourceTest, UdpMessagesAreReserialised) {
  TestSink sink;
  auto src = start_source(syslog_config("udp"), sink);
  ASSERT_TRUE(src);
  ASSERT_NE(src->udp_port(), 0);
  EXPECT_EQ(src->tcp_port(), 0);
  Udp udp(src->udp_port());
  udp.send("<38>Feb  5 17:32:18 web sshd[1234]: Failed password for root from 1.2.3.4\n");
  udp.send("not a syslog message");
  udp.send("<34>1 2003-10-11T22:14:15.003Z host app 42 - - rfc5424 body");
  ASSERT_TRUE(sink.wait_for(2));
  ASSERT_TRUE(eventually([&] { return src->stats().errors.load() == 1; }));
  auto lines = sink.take();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].raw, "Feb 5 17:32:18 web sshd[1234]: Failed password for root from 1.2.3.4");
  EXPECT_EQ(lines[1].raw, "Oct 11 22:14:15 host app[42]: rfc5424 body");
  EXPECT_EQ(lines[0].src, "127.0.0.1");
  EXPECT_EQ(lines[0].module, "syslog");
  ASSERT_TRUE(lines[0].labels);
  EXPECT_EQ(lines[0].labels->at("type"), "syslog");
  EXPECT_FALSE(lines[0].time_machine);
  // The count follows the push that the sink already shows.
  EXPECT_TRUE(eventually([&] { return src->stats().lines.load() == 2; }));
  EXPECT_NE(src->describe().find("/udp"), std::string::npos);
  src->stop();
  src->stop();  // idempotent
}

TEST(SyslogSourceTest, TcpNewlineAndOctetCountedFrames) {
  TestSink sink;
  auto src = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(src);
  ASSERT_NE(src->tcp_port(), 0);
  EXPECT_EQ(src->udp_port(), 0);
  Tcp tcp(src->tcp_port());
  ASSERT_TRUE(tcp.connected());
  std::string octet = "<13>Oct 11 22:14:15 h b: two\nlines";  // a newline inside the frame
  tcp.send("<13>Oct 11 22:14:15 h a: one\r\n");
  tcp.send(std::to_string(octet.size()) + " " + octet);
  tcp.send("<13>Oct 11 22:14:15 h c: th");  // split across writes
  tcp.send("ree\n\n");
  std::string fourth = "<13>Oct 11 22:14:15 h d: 4";
  tcp.send(std::to_string(fourth.size()) + " " + fourth);  // no separator before the next
  tcp.send("<13>Oct 11 22:14:15 h e: last, no newline");
  tcp.shutdown_write();
  ASSERT_TRUE(sink.wait_for(5)) << sink.size();
  auto raws = sink.raws();
  ASSERT_EQ(raws.size(), 5u);
  EXPECT_EQ(raws[0], "Oct 11 22:14:15 h a: one");
  EXPECT_EQ(raws[1], "Oct 11 22:14:15 h b: two\nlines");
  EXPECT_EQ(raws[2], "Oct 11 22:14:15 h c: three");
  EXPECT_EQ(raws[3], "Oct 11 22:14:15 h d: 4");
  EXPECT_EQ(raws[4], "Oct 11 22:14:15 h e: last, no newline");
  EXPECT_EQ(src->stats().errors.load(), 0u);
}

TEST(SyslogSourceTest, LongMessagesAreCut) {
  TestSink sink;
  SourceConfig config = syslog_config("udp+tcp");
  config.max_message_len = 64;
  config.disable_rfc_parser = true;
  auto src = start_source(config, sink);
  ASSERT_TRUE(src);
  // Usually one number serves both, unless the UDP port was taken on TCP.
  ASSERT_NE(src->udp_port(), 0);
  ASSERT_NE(src->tcp_port(), 0);
  std::string body(200, 'a');
  std::string cut(60, 'a');  // 64 bytes minus "<13>"
  Udp udp(src->udp_port());
  udp.send("<13>" + body);
  ASSERT_TRUE(sink.wait_for(1));
  Tcp tcp(src->tcp_port());
  ASSERT_TRUE(tcp.connected());
  tcp.send("<13>" + body + "\n<13>after a long line\n");
  tcp.send("204 <13>" + body + "9 <13>short");
  ASSERT_TRUE(sink.wait_for(5)) << sink.size();
  auto raws = sink.raws();
  ASSERT_EQ(raws.size(), 5u);
  EXPECT_EQ(raws[0], cut);
  EXPECT_EQ(raws[1], cut);
  EXPECT_EQ(raws[2], "after a long line");
  EXPECT_EQ(raws[3], cut);
  EXPECT_EQ(raws[4], "short");
}

TEST(SyslogSourceTest, ManyTcpClients) {
  TestSink sink;
  auto src = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(src);
  constexpr int kClients = 40, kEach = 25;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Tcp tcp(src->tcp_port());
      ASSERT_TRUE(tcp.connected());
      std::string batch;
      for (int i = 0; i < kEach; ++i)
        batch += "<13>Oct 11 22:14:15 h c" + std::to_string(c) + ": " + std::to_string(i) + "\n";
      tcp.send(batch);
    });
  }
  for (auto& t : clients)
    t.join();
  ASSERT_TRUE(sink.wait_for(kClients * kEach)) << sink.size();
  // Each client's messages arrive in order.
  std::map<std::string, int> next;
  for (const auto& raw : sink.raws()) {
    auto app = raw.substr(18, raw.find(':', 18) - 18);
    int n = std::stoi(raw.substr(raw.rfind(' ') + 1));
    EXPECT_EQ(n, next[app]) << raw;
    next[app] = n + 1;
  }
  EXPECT_EQ(next.size(), static_cast<size_t>(kClients));
}

TEST(SyslogSourceTest, ConnectionsBeyondTheLimitAreClosed) {
  TestSink sink;
  SyslogLimits limits;
  limits.max_connections = 2;
  auto src = start_source(syslog_config("tcp"), sink, limits);
  ASSERT_TRUE(src);
  Tcp a(src->tcp_port()), b(src->tcp_port());
  a.send("<13>Oct 11 22:14:15 h a: 1\n");
  b.send("<13>Oct 11 22:14:15 h b: 1\n");
  ASSERT_TRUE(sink.wait_for(2));  // both accepted
  Tcp c(src->tcp_port());
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(src->stats().errors.load(), 1u);
  a.send("<13>Oct 11 22:14:15 h a: 2\n");
  ASSERT_TRUE(sink.wait_for(3));
}

TEST(SyslogSourceTest, SilentClientsAreDisconnected) {
  TestSink sink;
  SyslogLimits limits;
  limits.client_idle_timeout = 200ms;
  auto src = start_source(syslog_config("tcp"), sink, limits);
  ASSERT_TRUE(src);
  Tcp tcp(src->tcp_port());
  tcp.send("<13>Oct 11 22:14:15 h a: then silence\n");
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_TRUE(tcp.closed_by_peer(3s));
  Tcp next(src->tcp_port());  // the listener still serves newcomers
  next.send("<13>Oct 11 22:14:15 h b: hello\n");
  ASSERT_TRUE(sink.wait_for(2));
}

TEST(SyslogSourceTest, TcpBackpressureLosesNothing) {
  TestSink sink(5);
  auto src = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(src);
  constexpr int kCount = 300;
  std::thread sender([&] {
    Tcp tcp(src->tcp_port());
    for (int i = 0; i < kCount; ++i)
      tcp.send("<13>Oct 11 22:14:15 h a: " + std::to_string(i) + "\n");
  });
  ASSERT_TRUE(sink.wait_blocked());
  EXPECT_EQ(src->stats().lines.load(), 5u);
  std::vector<Line> got;
  ASSERT_TRUE(eventually([&] {
    for (auto& l : sink.take())
      got.push_back(std::move(l));
    return got.size() >= static_cast<size_t>(kCount);
  }));
  sender.join();
  ASSERT_EQ(got.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i)
    EXPECT_EQ(got[i].raw, "Oct 11 22:14:15 h a: " + std::to_string(i));
}

TEST(SyslogSourceTest, UdpOverflowIsCountedAsDropped) {
  TestSink sink(1);
  SyslogLimits limits;
  limits.udp_rcvbuf = 4096;  // a few datagrams only
  auto src = start_source(syslog_config("udp"), sink, limits);
  ASSERT_TRUE(src);
  Udp udp(src->udp_port());
  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i)
    udp.send("<13>Oct 11 22:14:15 h a: " + std::to_string(i));
  ASSERT_TRUE(sink.wait_blocked());
  sink.set_capacity(SIZE_MAX);
  // Drain the backlog until the sink stays quiet, then send a marker: the kernel reports its
  // drop count with the next datagram it queues. A marker sent too early may itself be
  // dropped (and counted), so markers are sent until one arrives.
  size_t lines = 0;
  int markers = 0;
  bool marker_seen = false;
  auto collect = [&] {
    for (const auto& l : sink.take()) {
      ++lines;
      marker_seen = marker_seen || l.raw.find("marker") != std::string::npos;
    }
  };
  while (sink.wait_for(1, 100ms))
    collect();
  for (int attempt = 0; attempt < 5 && !marker_seen; ++attempt) {
    udp.send("<13>Oct 11 22:14:15 h marker: x");
    ++markers;
    while (sink.wait_for(1, 200ms))
      collect();
  }
  ASSERT_TRUE(marker_seen);
  uint64_t dropped = src->stats().dropped.load();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(lines + dropped, static_cast<uint64_t>(kCount + markers))
      << "lines " << lines << " dropped " << dropped;
  EXPECT_EQ(src->stats().lines.load(), lines);
}

TEST(SyslogSourceTest, AllowDropCountsRefusedLines) {
  TestSink sink(2);
  SourceConfig config = syslog_config("tcp");
  config.allow_drop = true;
  auto src = start_source(config, sink);
  ASSERT_TRUE(src);
  Tcp tcp(src->tcp_port());
  for (int i = 0; i < 10; ++i)
    tcp.send("<13>Oct 11 22:14:15 h a: " + std::to_string(i) + "\n");
  ASSERT_TRUE(
      eventually([&] { return src->stats().lines.load() + src->stats().dropped.load() == 10; }));
  EXPECT_EQ(src->stats().lines.load(), 2u);
  EXPECT_EQ(src->stats().dropped.load(), 8u);
  EXPECT_EQ(sink.raws(),
            (std::vector<std::string>{"Oct 11 22:14:15 h a: 0", "Oct 11 22:14:15 h a: 1"}));
}

TEST(SyslogSourceTest, StopWhileBlockedInPush) {
  TestSink sink(1);
  auto src = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(src);
  Tcp tcp(src->tcp_port());
  tcp.send("<13>Oct 11 22:14:15 h a: 1\n<13>Oct 11 22:14:15 h a: 2\n<13>Oct 11 22:14:15 h a: 3\n");
  ASSERT_TRUE(sink.wait_blocked());
  auto stopped = std::async(std::launch::async, [&] { src->stop(); });
  // The push in progress holds stop() until the sink answers; closing the sink releases it.
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
  sink.close();
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(src->stats().lines.load(), 1u);
}

TEST(SyslogSourceTest, StopIsPromptWhenIdle) {
  TestSink sink;
  auto src = start_source(syslog_config("udp+tcp"), sink);
  ASSERT_TRUE(src);
  Tcp idle(src->tcp_port());  // an open connection does not hold stop()
  auto t0 = std::chrono::steady_clock::now();
  src->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(SyslogSourceTest, Ipv6Loopback) {
  TestSink sink;
  SourceConfig config = syslog_config("tcp");
  config.listen_addr = "::1";
  auto src = SyslogSource::create(config);
  ASSERT_TRUE(src);
  auto started = (*src)->start(sink);
  if (!started && started.error().code() == EADDRNOTAVAIL) GTEST_SKIP() << "no IPv6 loopback";
  ASSERT_TRUE(started) << started.error().message();
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons((*src)->tcp_port());
  to.sin6_addr = in6addr_loopback;
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  std::string msg = "<13>Oct 11 22:14:15 h a: v6\n";
  ASSERT_EQ(send(fd, msg.data(), msg.size(), MSG_NOSIGNAL), static_cast<ssize_t>(msg.size()));
  ASSERT_TRUE(sink.wait_for(1));
  close(fd);
  auto lines = sink.take();
  EXPECT_EQ(lines[0].src, "::1");
  EXPECT_EQ(lines[0].raw, "Oct 11 22:14:15 h a: v6");
  EXPECT_NE((*src)->describe().find("[::1]:"), std::string::npos) << (*src)->describe();
}

TEST(SyslogSourceTest, IdleWarningRaisesAndClears) {
  TestSink sink;
  SourceConfig config = syslog_config("udp");
  config.idle_warning = std::chrono::seconds(1);
  auto src = start_source(config, sink);
  ASSERT_TRUE(src);
  EXPECT_FALSE(src->stats().idle.load());
  ASSERT_TRUE(eventually([&] { return src->stats().idle.load(); }, 3s));
  Udp udp(src->udp_port());
  udp.send("<13>Oct 11 22:14:15 h a: back");
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_TRUE(eventually([&] { return !src->stats().idle.load(); }));
}

TEST(SyslogSourceTest, StopFreesThePort) {
  TestSink sink;
  auto src = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(src);
  uint16_t port = src->tcp_port();
  src->stop();
  SourceConfig config = syslog_config("tcp");
  config.listen_port = port;
  auto again = start_source(config, sink);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tcp_port(), port);
}

TEST(SyslogSourceTest, ConfigErrors) {
  SourceConfig c = syslog_config("sctp");
  EXPECT_FALSE(SyslogSource::create(c));
  c = syslog_config("udp");
  c.listen_port = 70000;
  EXPECT_FALSE(SyslogSource::create(c));
  c = syslog_config("udp");
  c.max_message_len = 0;
  EXPECT_FALSE(SyslogSource::create(c));
  // A port already in use fails at start, with the address in the message.
  TestSink sink;
  auto first = start_source(syslog_config("tcp"), sink);
  ASSERT_TRUE(first);
  c = syslog_config("tcp");
  c.listen_port = first->tcp_port();
  auto second = SyslogSource::create(c);
  ASSERT_TRUE(second);
  auto started = (*second)->start(sink);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("127.0.0.1"), std::string::npos)
      << started.error().message();
}

}  // namespace
}  // namespace phalanx::acquisition
