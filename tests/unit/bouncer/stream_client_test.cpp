// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "fake_lapi.h"

namespace phalanx::bouncer {
namespace {

using namespace std::chrono_literals;
using test::FakeLapi;
using test::RecordingBackend;
using test::Reply;

constexpr const char* kStartup = R"({"new":[
  {"duration":"4h","id":1,"origin":"crowdsec","scenario":"ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.1"},
  {"duration":"4h","id":2,"origin":"crowdsec","scenario":"ssh-bf","scope":"Ip","type":"captcha","value":"192.0.2.2"},
  {"duration":"1h","id":3,"origin":"cscli","scenario":"manual","scope":"Range","type":"ban","value":"198.51.100.0/24"}
  ],"deleted":null})";
constexpr const char* kDelta = R"({"new":[
  {"duration":"59m","id":4,"origin":"cscli","scenario":"manual","scope":"Ip","type":"ban","value":"2001:db8::4"}],
  "deleted":[{"duration":"-1s","id":1,"origin":"crowdsec","scenario":"ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.1"}]})";

StreamConfig config_for(int port, const char* scheme = "http") {
  StreamConfig c;
  c.api_url = std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + "/";
  c.api_key = "k3y";
  c.user_agent = "phalanx-xdp/0.1.0";
  c.update_frequency = 20ms;
  c.push_wait = 0s;
  c.retry_initial = 20ms;
  c.retry_max = 80ms;
  return c;
}

// Runs the client on a thread for the scope of the object.
struct Running {
  Running(StreamClient& client, Backend& backend) : client_(client) {
    thread_ = std::thread([&] { client_.run(backend); });
  }
  ~Running() {
    client_.stop();
    thread_.join();
  }
  StreamClient& client_;
  std::thread thread_;
};

std::unique_ptr<StreamClient> make_client(StreamConfig c) {
  auto client = StreamClient::create(std::move(c));
  EXPECT_TRUE(client.has_value()) << client.error().message();
  return client ? std::move(*client) : nullptr;
}

TEST(StreamClient, StartupThenDeltasWithHeadersAndFilters) {
  FakeLapi lapi;
  lapi.push(Reply{200, kStartup, ""});
  lapi.push(Reply{200, kDelta, ""});
  auto c = config_for(lapi.port());
  c.scopes = {"ip", "range"};
  c.origins = {"crowdsec", "cscli"};
  c.scenarios_containing = {"ssh", "http"};
  c.scenarios_not_containing = {"test"};
  auto client = make_client(c);
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(2));
  }
  const auto calls = backend.calls();
  ASSERT_TRUE(calls[0].resync);
  // The captcha decision is not a supported type: dropped.
  EXPECT_EQ(calls[0].added, (std::vector<std::string>{"192.0.2.1", "198.51.100.0/24"}));
  EXPECT_FALSE(calls[1].resync);
  EXPECT_EQ(calls[1].added, (std::vector<std::string>{"2001:db8::4"}));
  EXPECT_EQ(calls[1].deleted, (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_GE(client->stats().skipped, 1u);

  const auto seen = lapi.seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[0].param("startup"), "true");
  EXPECT_FALSE(seen[1].has("startup"));
  for (const auto& s : seen) {
    EXPECT_EQ(s.api_key, "k3y");
    EXPECT_EQ(s.user_agent, "phalanx-xdp/0.1.0");
    EXPECT_EQ(s.param("scopes"), "ip,range");
    EXPECT_EQ(s.param("origins"), "crowdsec,cscli");
    EXPECT_EQ(s.param("scenarios_containing"), "ssh,http");
    EXPECT_EQ(s.param("scenarios_not_containing"), "test");
    EXPECT_FALSE(s.has("wait"));  // push_wait 0: extension off
  }
}

TEST(StreamClient, PushCursorIsFollowedWithoutSleeping) {
  FakeLapi lapi;
  lapi.push(Reply{200, kStartup, "c1"});
  lapi.push(Reply{200, kDelta, "c2"});
  lapi.push(Reply{200, R"({"new":null,"deleted":null})", "c3"});
  // Then nothing new: further requests are held a while and answered with the same cursor, as
  // phalanxd does, so the client's last answer stays a push answer until the test has looked.
  lapi.hold_when_empty("c3", std::chrono::milliseconds(200));
  auto c = config_for(lapi.port());
  c.update_frequency = 1h;  // would stall the test if the client polled
  c.push_wait = 5s;
  auto client = make_client(c);
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(3));
  }
  const auto seen = lapi.seen();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_FALSE(seen[0].has("wait"));  // startup: a snapshot, never held
  EXPECT_FALSE(seen[0].has("cursor"));
  EXPECT_EQ(seen[1].param("wait"), "5s");
  EXPECT_EQ(seen[1].param("cursor"), "c1");
  EXPECT_EQ(seen[2].param("cursor"), "c2");
  EXPECT_TRUE(client->stats().push);
}

TEST(StreamClient, WithoutCursorHeaderItPolls) {
  FakeLapi lapi;  // a CrowdSec LAPI: ignores wait/cursor, sends no header
  auto c = config_for(lapi.port());
  c.update_frequency = 150ms;
  c.push_wait = 5s;
  auto client = make_client(c);
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(3));
  }
  const auto seen = lapi.seen();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[1].param("wait"), "5s");
  EXPECT_FALSE(seen[1].has("cursor"));
  EXPECT_GE(seen[2].at - seen[1].at, 140ms);
  EXPECT_FALSE(client->stats().push);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(StreamClient, RetriesWhileLapiDownAndLeavesBackendAlone) {
  const int port = free_port();
  auto client = make_client(config_for(port));
  RecordingBackend backend;
  Running run(*client, backend);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(backend.calls().empty());  // nothing applied, nothing cleared
  const auto failures = client->stats().failures;
  EXPECT_GE(failures, 3u);
  // Backoff doubles up to retry_max (80 ms): at most ~300/20 attempts, in practice far fewer.
  EXPECT_LE(failures, 8u);
  FakeLapi lapi(port);
  ASSERT_EQ(lapi.port(), port);
  lapi.push(Reply{200, kStartup, ""});
  ASSERT_TRUE(backend.wait_for(1));
  EXPECT_TRUE(backend.calls()[0].resync);
  EXPECT_EQ(lapi.seen()[0].param("startup"), "true");
}

TEST(StreamClient, ResyncsAfterAFailedDelta) {
  FakeLapi lapi;
  lapi.push(Reply{200, kStartup, ""});
  lapi.push(Reply{500, R"({"message":"boom"})", ""});
  lapi.push(Reply{200, kStartup, ""});
  auto client = make_client(config_for(lapi.port()));
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(2));
  }
  const auto calls = backend.calls();
  EXPECT_TRUE(calls[0].resync);
  EXPECT_TRUE(calls[1].resync);  // not a delta: the failed answer may have carried one
  const auto seen = lapi.seen();
  EXPECT_EQ(seen[2].param("startup"), "true");
}

TEST(StreamClient, PeriodicResync) {
  FakeLapi lapi;
  auto c = config_for(lapi.port());
  c.resync_interval = 100ms;
  auto client = make_client(c);
  RecordingBackend backend;
  {
    Running run(*client, backend);
    std::this_thread::sleep_for(450ms);
  }
  size_t resyncs = 0;
  for (const auto& call : backend.calls())
    resyncs += call.resync ? 1 : 0;
  EXPECT_GE(resyncs, 3u);                      // at start, then about every 100 ms
  EXPECT_LT(resyncs, backend.calls().size());  // deltas in between
  size_t startups = 0;
  for (const auto& s : lapi.seen())
    startups += s.param("startup") == "true" ? 1 : 0;
  // Every resync asked for startup=true. The stop may land between the last request and its
  // answer reaching the backend, so the LAPI can have seen one startup more.
  EXPECT_GE(startups, resyncs);
  EXPECT_LE(startups, resyncs + 1);
}

// A startup body of n Ip decisions (10.0.x.y), CrowdSec-shaped.
std::string big_startup(size_t n) {
  std::string body = R"({"deleted":null,"new":[)";
  for (size_t i = 0; i < n; ++i) {
    body += (i ? "," : "") + std::string(R"({"duration":"4h","id":)") + std::to_string(i + 1) +
            R"(,"origin":"CAPI","scenario":"s","scope":"Ip","type":"ban","value":"10.0.)" +
            std::to_string(i / 256) + "." + std::to_string(i % 256) + "\"}";
  }
  return body + "]}";
}

TEST(StreamClient, StartupIsStreamedIntoTheBackendInBatches) {
  FakeLapi lapi;
  lapi.push(Reply{200, big_startup(10000), ""});
  auto client = make_client(config_for(lapi.port()));
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(1));
  }
  const auto calls = backend.calls();
  ASSERT_TRUE(calls[0].resync);
  ASSERT_EQ(calls[0].added.size(), 10000u);
  EXPECT_EQ(calls[0].added[0], "10.0.0.0");
  EXPECT_EQ(calls[0].added[9999], "10.0.39.15");
  EXPECT_GE(backend.batches(), 3);  // 4096 decisions a batch
  EXPECT_EQ(backend.aborted(), 0);
  EXPECT_EQ(client->stats().added, 10000u);
}

TEST(StreamClient, ABrokenDownloadAbortsTheResyncAndKeepsTheState) {
  FakeLapi lapi;
  const std::string body = big_startup(10000);
  // Past the first batches, the connection drops; then the body is bad JSON halfway; then a
  // good answer.
  lapi.push(Reply{200, body, "", body.size() * 3 / 4});
  std::string bad = body;
  bad.insert(bad.find(",{", bad.size() / 2) + 1, "]");
  lapi.push(Reply{200, bad, ""});
  lapi.push(Reply{200, kStartup, ""});
  auto client = make_client(config_for(lapi.port()));
  RecordingBackend backend;
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(1));
  }
  EXPECT_EQ(backend.aborted(), 2);
  EXPECT_GE(backend.sessions(), 3);
  EXPECT_GE(backend.batches(), 3);  // batches were handed over before each failure
  const auto calls = backend.calls();
  ASSERT_TRUE(calls[0].resync);  // only the good snapshot was committed
  EXPECT_EQ(calls[0].added, (std::vector<std::string>{"192.0.2.1", "198.51.100.0/24"}));
  EXPECT_GE(client->stats().failures, 2u);
  const auto seen = lapi.seen();
  ASSERT_GE(seen.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(seen[i].param("startup"), "true");
}

TEST(StreamClient, ABackendFailureAbortsTheResyncAndRetries) {
  FakeLapi lapi;
  lapi.push(Reply{200, big_startup(10000), ""});
  lapi.push(Reply{200, kStartup, ""});
  auto client = make_client(config_for(lapi.port()));
  RecordingBackend backend;
  backend.fail_next_batches(1);
  {
    Running run(*client, backend);
    ASSERT_TRUE(backend.wait_for(1));
  }
  EXPECT_EQ(backend.aborted(), 1);
  EXPECT_EQ(backend.calls()[0].added.size(), 2u);
  EXPECT_EQ(lapi.seen()[1].param("startup"), "true");
}

TEST(StreamClient, FetchReportsStatusAndMessage) {
  FakeLapi lapi;
  lapi.push(Reply{403, R"({"message":"access forbidden"})", ""});
  lapi.push(Reply{200, "{\"new\": 3}", ""});
  auto client = make_client(config_for(lapi.port()));
  auto r = client->fetch(true);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("status 403: access forbidden"), std::string::npos)
      << r.error().message();
  r = client->fetch(false);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("new: expected an array"), std::string::npos);
}

TEST(StreamClient, PostsUsageMetrics) {
  FakeLapi lapi;
  auto client = make_client(config_for(lapi.port()));
  auto status = client->post_usage_metrics(R"({"remediation_components":[]})");
  ASSERT_TRUE(status.has_value()) << status.error().message();
  EXPECT_EQ(*status, 201);
  ASSERT_EQ(lapi.posts().size(), 1u);
  EXPECT_EQ(lapi.posts()[0].api_key, "k3y");
  EXPECT_EQ(lapi.posts()[0].user_agent, "phalanx-xdp/0.1.0");
  EXPECT_EQ(lapi.post_bodies()[0], R"({"remediation_components":[]})");
}

TEST(StreamClient, RefusesBadUrls) {
  for (const char* url : {"127.0.0.1:8080", "ftp://127.0.0.1/"}) {
    StreamConfig c = config_for(1);
    c.api_url = url;
    EXPECT_FALSE(StreamClient::create(c).has_value()) << url;
  }
  StreamConfig c = config_for(1);
  c.cert_path = "/x.pem";
  c.key_path = "/x.key";
  EXPECT_FALSE(StreamClient::create(c).has_value());  // certificates need https
  c.api_url = "/run/phalanx/lapi.sock";
  auto with_cert = StreamClient::create(c);
  ASSERT_FALSE(with_cert.has_value());  // a socket is plain HTTP
  EXPECT_NE(with_cert.error().message().find("not a socket"), std::string::npos);
}

TEST(StreamClient, SocketPathReportsAnUnreachableSocket) {
  StreamConfig c = config_for(1);
  c.api_url = "/nonexistent-phalanx-dir/lapi.sock";  // the LAPI's listen_socket
  auto client = StreamClient::create(c);
  ASSERT_TRUE(client.has_value()) << client.error().message();
  auto update = (*client)->fetch(true);
  ASSERT_FALSE(update.has_value());
  EXPECT_EQ(update.error().code(), ECONNREFUSED);  // "down", retried like a refused TCP port
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl(1).
class TlsFiles {
 public:
  TlsFiles() {
    char tmpl[] = "/tmp/phx-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const std::string d = dir_;
    const std::string script =
        "cd " + d +
        " && exec >log 2>&1 && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
        "-subj /CN=phalanx-test-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 1 -extfile san.ext && "
        "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
        "-subj /OU=bouncer/CN=phalanx-xdp && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out client.pem -days 1";
    ok_ = std::system(script.c_str()) == 0;
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string path(const char* name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST(StreamClient, MutualTls) {
  TlsFiles tls;
  if (!tls.ok()) GTEST_SKIP() << "openssl(1) could not make test certificates";
  auto server = std::make_unique<httplib::SSLServer>(
      tls.path("server.pem").c_str(), tls.path("server.key").c_str(), tls.path("ca.pem").c_str());
  ASSERT_TRUE(server->is_valid());
  FakeLapi lapi(0, std::move(server));
  lapi.push(Reply{200, kStartup, ""});

  auto c = config_for(lapi.port(), "https");
  c.api_key.clear();
  c.cert_path = tls.path("client.pem");
  c.key_path = tls.path("client.key");
  c.ca_cert_path = tls.path("ca.pem");
  auto client = make_client(c);
  auto r = client->fetch(true);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->batch.added.size(), 2u);

  // Without a client certificate the server refuses the handshake.
  auto anon = config_for(lapi.port(), "https");
  anon.ca_cert_path = tls.path("ca.pem");
  auto refused = make_client(anon)->fetch(true);
  EXPECT_FALSE(refused.has_value());
  // And a server the CA did not sign is not trusted.
  auto untrusting = c;
  untrusting.ca_cert_path = tls.path("client.pem");
  auto unverified = make_client(untrusting)->fetch(true);
  ASSERT_FALSE(unverified.has_value());
  EXPECT_EQ(unverified.error().code(), EPROTO) << unverified.error().message();
}

}  // namespace
}  // namespace phalanx::bouncer
