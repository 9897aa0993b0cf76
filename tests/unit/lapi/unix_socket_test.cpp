// SPDX-License-Identifier: Apache-2.0
// The LAPI on a Unix socket (lapi.listen_socket): the same server and routes as on TCP, the
// socket file's mode, a stale socket replaced, a live one refused, removal on stop, deletions
// trusted, and the bouncers' StreamClient reaching it through an api_url that is a path.
#include "lapi/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "bouncer/stream_client.h"
#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

class UnixSocketTest : public LapiTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-lapi-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_path_ = dir_ + "/lapi.sock";
    start(LapiOptions{});
  }

  ServerOptions socket_options() const {
    ServerOptions so;
    so.tcp = false;
    so.socket_path = socket_path_;
    so.threads = 1;
    return so;
  }

  // A socket file with nobody listening: bound, then closed, as a killed process leaves it.
  void leave_stale_socket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    ASSERT_TRUE(S_ISSOCK(st.st_mode));
  }
};

TEST_F(UnixSocketTest, HealthStreamAndMetricsOverTheSocket) {
  auto res = unix_client()->Get("/health");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);

  const std::string token = machine_token();
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.41")}))->status, 201);
  const std::string key = add_bouncer("fw");
  res = unix_client()->Get("/v1/decisions/stream?startup=true", api_key(key));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  ASSERT_EQ(body["new"].size(), 1u);
  EXPECT_EQ(body["new"][0]["value"], "192.0.2.41");
  // The name@ip rule sees the socket as the address "unix".
  auto fw = store_->get_bouncer("fw");
  ASSERT_TRUE(fw && *fw);
  EXPECT_EQ((*fw)->ip_address, "unix");
  res = client()->Get("/v1/decisions", api_key(key));
  ASSERT_EQ(res->status, 200);
  auto other = store_->get_bouncer("fw@127.0.0.1");
  ASSERT_TRUE(other && *other);

  res = unix_client()->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find(R"(route="/v1/decisions/stream",method="GET",code="200")"),
            std::string::npos)
      << res->body;
}

TEST_F(UnixSocketTest, DeleteAlertsOverTheSocketIsTrusted) {
  const std::string token = machine_token();
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.42")}))->status, 201);
  auto res = client("127.0.0.2")->Delete("/v1/alerts", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = unix_client()->Delete("/v1/alerts", bearer(token));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body), json({{"nbDeleted", "1"}}));
}

// A registration token needs the client's address in an allowed range; a socket client has
// none, so its machine is created unvalidated (201), as CrowdSec does, while the same request
// over TCP from an allowed address is validated at once (202).
TEST_F(UnixSocketTest, ARegistrationTokenOverTheSocketLeavesTheMachineToValidate) {
  LapiOptions o;
  o.registration_token = "t0k3n";
  o.registration_ranges = {*net::Cidr::parse("127.0.0.0/8")};
  start(o);
  auto res = unix_client()->Post(
      "/v1/watchers", R"({"machine_id":"sock","password":"pw","registration_token":"t0k3n"})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  auto m = store_->get_machine("sock");
  ASSERT_TRUE(m && *m);
  EXPECT_FALSE((*m)->is_validated);
  res = client()->Post("/v1/watchers",
                       R"({"machine_id":"tcp","password":"pw","registration_token":"t0k3n"})",
                       "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  m = store_->get_machine("tcp");
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE((*m)->is_validated);
}

TEST_F(UnixSocketTest, SocketFileModeAndRemovalOnStop) {
  struct stat st {};
  ASSERT_EQ(::lstat(socket_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  server_->stop();
  EXPECT_FALSE(std::filesystem::exists(socket_path_));

  socket_mode_ = 0600;
  start(LapiOptions{});
  ASSERT_EQ(::lstat(socket_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UnixSocketTest, SocketAloneWithoutTcp) {
  server_.reset();
  tcp_ = false;
  start(LapiOptions{});
  EXPECT_EQ(server_->port(), 0);
  auto res = unix_client()->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(UnixSocketTest, StaleSocketIsReplaced) {
  server_.reset();
  ASSERT_FALSE(std::filesystem::exists(socket_path_));
  leave_stale_socket(socket_path_);
  EXPECT_EQ(*probe_socket_path(socket_path_), SocketPathState::kStale);
  start(LapiOptions{});
  auto res = unix_client()->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(UnixSocketTest, LiveSocketIsRefusedAndKeepsServing) {
  EXPECT_EQ(*probe_socket_path(socket_path_), SocketPathState::kLive);
  auto second = Server::start(socket_options(), *lapi_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("another server is listening on " + socket_path_),
            std::string::npos)
      << second.error().message();
  // The refused server took nothing from the first one.
  auto res = unix_client()->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(UnixSocketTest, OtherFilesAreNeverReplaced) {
  server_.reset();
  std::ofstream(socket_path_) << "not a socket\n";
  auto refused = Server::start(socket_options(), *lapi_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("exists and is not a socket"), std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_path_));

  ServerOptions missing = socket_options();
  missing.socket_path = dir_ + "/no/such/dir/lapi.sock";
  auto no_dir = Server::start(missing, *lapi_);
  ASSERT_FALSE(no_dir);
  EXPECT_NE(no_dir.error().message().find("lapi: listening on unix:" + missing.socket_path),
            std::string::npos)
      << no_dir.error().message();
}

TEST_F(UnixSocketTest, StreamClientPullsOverTheSocket) {
  const std::string token = machine_token();
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.43")}))->status, 201);
  bouncer::StreamConfig config;
  config.api_url = socket_path_;
  config.api_key = add_bouncer("fw");
  config.user_agent = "phalanx-test-bouncer/0.1";
  config.push_wait = std::chrono::seconds(0);
  auto client = bouncer::StreamClient::create(config);
  ASSERT_TRUE(client) << client.error().message();
  auto update = (*client)->fetch(true);
  ASSERT_TRUE(update) << update.error().message();
  ASSERT_EQ(update->batch.added.size(), 1u);
  EXPECT_EQ(update->batch.added[0].value, "192.0.2.43");
  // A delta over the same kept-alive connection.
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.44")}))->status, 201);
  update = (*client)->fetch(false);
  ASSERT_TRUE(update) << update.error().message();
  ASSERT_EQ(update->batch.added.size(), 1u);
  EXPECT_EQ(update->batch.added[0].value, "192.0.2.44");
  auto fw = store_->get_bouncer("fw");
  ASSERT_TRUE(fw && *fw);
  EXPECT_EQ((*fw)->type, "phalanx-test-bouncer");
}

}  // namespace
}  // namespace phalanx::lapi::test
