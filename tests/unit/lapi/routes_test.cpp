// SPDX-License-Identifier: Apache-2.0
// Every route over real HTTP against a real SQLite store: status codes, bodies, auth.
#include <atomic>
#include <thread>

#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

TEST_F(LapiTest, HealthAndUnknownRoutes) {
  auto c = client();
  auto res = c->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json({{"status", "up"}}));

  res = c->Get("/v1/nothing-here");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, "");

  res = c->Put("/v1/decisions", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->body, "");
}

// Connections are dealt out to one io_context per thread: clients on every one of them, in
// parallel and kept alive, all get their answers.
TEST_F(LapiTest, ConnectionsOnEveryThreadAreServed) {
  threads_ = 3;
  start(LapiOptions{});
  const std::string key = add_bouncer("b1");
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 7; ++i) {
    clients.emplace_back([&] {
      auto c = client();
      c->set_keep_alive(true);
      for (int j = 0; j < 30; ++j) {
        auto res = c->Get("/v1/decisions?ip=192.0.2.1", {{"X-Api-Key", key}});
        if (res && res->status == 200 && res->body == "null") ++ok;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 7 * 30);
}

TEST_F(LapiTest, BouncerAuthFailuresAre403) {
  auto c = client();
  auto res = c->Get("/v1/decisions");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(json::parse(res->body), json({{"message", "access forbidden"}}));
  res = c->Get("/v1/decisions/stream", api_key("not-a-key"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(LapiTest, EmptyDecisionListIsNull) {
  const std::string key = add_bouncer("fw");
  auto res = client()->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "null");
  res = client()->Head("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
}

TEST_F(LapiTest, ApiKeySharedAcrossAddressesCreatesNameAtIp) {
  const std::string key = add_bouncer("fw");
  auto res = client("127.0.0.1")->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto fw = store_->get_bouncer("fw");
  ASSERT_TRUE(fw && *fw);
  EXPECT_EQ((*fw)->ip_address, "127.0.0.1");  // adopted by the first address
  EXPECT_EQ((*fw)->type, "crowdsec-firewall-bouncer");
  EXPECT_EQ((*fw)->version, "v0.0.25");

  res = client("127.0.0.2")->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto other = store_->get_bouncer("fw@127.0.0.2");
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ((**other).ip_address, "127.0.0.2");
  EXPECT_EQ((**other).api_key_hash, hash_api_key(key));
  auto all = store_->list_bouncers();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(LapiTest, RevokedKeyIsRefused) {
  const std::string key = add_bouncer("fw");
  auto b = store_->get_bouncer("fw");
  ASSERT_TRUE(b && *b);
  (*b)->revoked = true;
  ASSERT_TRUE(store_->update_bouncer(**b));
  auto res = client()->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(LapiTest, RegisterValidateLogin) {
  auto c = client();
  const json reg = {{"machine_id", "m1"}, {"password", "pw-123456"}};
  auto res =
      c->Post("/v1/watchers", {{"User-Agent", "crowdsec/v1.6.0"}}, reg.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "");
  res =
      c->Post("/v1/watchers", {{"User-Agent", "crowdsec/v1.6.0"}}, reg.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(json::parse(res->body)["message"], "user already exist");

  res = login("m1", "pw-123456");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body), json({{"code", 401}, {"message", "machine m1 not validated"}}));

  auto m = store_->get_machine("m1");
  ASSERT_TRUE(m && *m);
  EXPECT_NE((*m)->password_hash, "pw-123456");
  EXPECT_TRUE(verify_password("pw-123456", (*m)->password_hash));
  (*m)->is_validated = true;
  ASSERT_TRUE(store_->update_machine(**m));
  res = login("m1", "pw-123456");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  EXPECT_EQ(body["code"], 200);
  EXPECT_TRUE(body["token"].is_string());
  EXPECT_TRUE(body["expire"].is_string());
  m = store_->get_machine("m1");
  EXPECT_EQ((*m)->scenarios, "a/b");
  EXPECT_EQ((*m)->version, "v1.6.0");
}

TEST_F(LapiTest, RegisterBadInput) {
  auto c = client();
  auto res = c->Post("/v1/watchers", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = c->Post("/v1/watchers", R"({"machine_id":"x"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  EXPECT_EQ(json::parse(res->body)["message"],
            "validation failure list:\npassword in body is required");
  res = c->Post("/v1/watchers", R"({"machine_id":"x","password":"y","registration_token":"t"})",
                "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(LapiTest, LoginFailures) {
  add_machine("m1", "right-password");
  auto res = login("m1", "wrong-password");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body),
            json({{"code", 401}, {"message", "incorrect Username or Password"}}));
  res = login("nobody", "x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["message"], "ent: machine not found");
  // The User-Agent must be exactly name/version.
  res = login("m1", "right-password", "crowdsec/v1.6.0/linux");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = login("m1", "right-password", "curl");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client()->Post("/v1/watchers/login", {{"User-Agent", "crowdsec/1"}},
                       R"({"machine_id":"m1"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["message"],
            "validation failure list:\npassword in body is required");
  res = login("m1", "right-password");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(LapiTest, FailedLoginsAreRateLimitedPerAddress) {
  add_machine("m1", "right-password");
  for (int i = 0; i < 10; ++i) {
    auto res = login("m1", "wrong");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
  }
  auto res = login("m1", "right-password");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  // Another address is not affected.
  const json body = {{"machine_id", "m1"}, {"password", "right-password"}};
  res = client("127.0.0.3")
            ->Post("/v1/watchers/login", {{"User-Agent", "crowdsec/1"}}, body.dump(),
                   "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // The bucket refills: one try per 6 s.
  clock_.advance(std::chrono::seconds(7));
  res = login("m1", "right-password");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(LapiTest, JwtExpiryAndRefresh) {
  const std::string token = machine_token();
  auto res = client()->Get("/v1/heartbeat", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");

  clock_.advance(std::chrono::minutes(50));
  res = client()->Get("/v1/refresh_token", bearer(token));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const std::string fresh = json::parse(res->body)["token"];
  EXPECT_NE(fresh, token);

  clock_.advance(std::chrono::minutes(20));  // 70 min after login
  res = client()->Get("/v1/heartbeat", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body), json({{"code", 401}, {"message", "token is expired"}}));
  res = client()->Get("/v1/heartbeat", bearer(fresh));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  res = client()->Get("/v1/heartbeat", bearer(fresh + "x"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client()->Get("/v1/heartbeat");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["code"], 401);
}

TEST_F(LapiTest, JwtSecretSurvivesRestartWhenConfigured) {
  LapiOptions o;
  o.jwt_secret = std::string(64, 'k');
  start(o);
  const std::string token = machine_token();
  start(o);
  auto res = client()->Get("/v1/heartbeat", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  start(LapiOptions{});  // random secret: the old token dies
  res = client()->Get("/v1/heartbeat", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(LapiTest, PostAlertsReturnsStringIdsAndDecisionsAreServed) {
  const std::string token = machine_token();
  const std::string key = add_bouncer("fw");
  auto res = post_alerts(token, json::array({alert("192.0.2.1"), alert("192.0.2.2", "1h")}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const json ids = json::parse(res->body);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids[0].is_string());
  EXPECT_TRUE(ids[1].is_string());

  res = client()->Get("/v1/decisions?ip=192.0.2.1", api_key(key));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json d = json::parse(res->body);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["value"], "192.0.2.1");
  EXPECT_EQ(d[0]["scope"], "Ip");
  EXPECT_EQ(d[0]["type"], "ban");
  EXPECT_EQ(d[0]["origin"], "cscli");
  EXPECT_EQ(d[0]["duration"], "4h0m0s");
  EXPECT_TRUE(d[0]["id"].is_number_integer());
  EXPECT_EQ(d[0]["uuid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(d[0].contains("until"));
  EXPECT_FALSE(d[0].contains("simulated"));

  // contains=true: a decision on a /24 covers an address inside it; contains=false lists the
  // decisions inside a range.
  res = post_alerts(token, json::array({alert("198.51.100.0/24", "2h", "Range")}));
  ASSERT_EQ(res->status, 201);
  res = client()->Get("/v1/decisions?ip=198.51.100.7", api_key(key));
  ASSERT_EQ(json::parse(res->body).size(), 1u);
  res = client()->Get("/v1/decisions?range=192.0.2.0/24&contains=false", api_key(key));
  EXPECT_EQ(json::parse(res->body).size(), 2u);
  res = client()->Get("/v1/decisions?range=192.0.2.0/24", api_key(key));
  EXPECT_EQ(res->body, "null");
  res = client()->Get("/v1/decisions?ip=2001:db8::1", api_key(key));
  EXPECT_EQ(res->body, "null");
  res = client()->Get("/v1/decisions?scopes=range", api_key(key));
  EXPECT_EQ(json::parse(res->body).size(), 1u);

  // GET /v1/alerts shows them with their decisions.
  res = client()->Get("/v1/alerts", bearer(token));
  ASSERT_EQ(res->status, 200);
  const json alerts = json::parse(res->body);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0]["machine_id"], "agent1");
  EXPECT_TRUE(alerts[0]["decisions"].is_array());
  res = client()->Get("/v1/alerts/" + ids[0].get<std::string>(), bearer(token));
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["source"]["value"], "192.0.2.1");
  res = client()->Get("/v1/alerts/99999", bearer(token));
  EXPECT_EQ(res->status, 404);
  res = client()->Get("/v1/alerts/abc", bearer(token));
  EXPECT_EQ(res->status, 400);
}

TEST_F(LapiTest, DeleteDecisions) {
  const std::string token = machine_token();
  const std::string key = add_bouncer("fw");
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.1"), alert("192.0.2.2")}))->status, 201);
  auto res = client()->Delete("/v1/decisions?ip=192.0.2.1", bearer(token));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json({{"nbDeleted", "1"}}));
  res = client()->Get("/v1/decisions", api_key(key));
  ASSERT_EQ(json::parse(res->body).size(), 1u);
  const int64_t id = json::parse(res->body)[0]["id"];

  res = client()->Delete("/v1/decisions?scope=Ip", bearer(token));
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(json::parse(res->body)["message"], "'scope' doesn't exist: invalid filter");
  res = client()->Delete("/v1/decisions/abc", bearer(token));
  EXPECT_EQ(res->status, 400);
  res = client()->Delete("/v1/decisions/424242", bearer(token));
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(json::parse(res->body)["message"],
            "decision with id '424242' doesn't exist: unable to delete");
  res = client()->Delete("/v1/decisions/" + std::to_string(id), bearer(token));
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json({{"nbDeleted", "1"}}));
  res = client()->Get("/v1/decisions", api_key(key));
  EXPECT_EQ(res->body, "null");
  // Deleting never removes rows: the store keeps them, expired.
  auto rows = store_->load_decisions(clock_.now() - std::chrono::hours(1));
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u);
}

TEST_F(LapiTest, DeleteAlertsNeedsTrustedAddress) {
  const std::string token = machine_token();
  ASSERT_EQ(post_alerts(token, json::array({alert("192.0.2.1")}))->status, 201);
  auto res = client("127.0.0.2")->Delete("/v1/alerts", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(json::parse(res->body)["message"], "access forbidden from this IP (127.0.0.2)");
  res = client()->Delete("/v1/alerts?bogus=1", bearer(token));
  EXPECT_EQ(res->status, 500);
  res = client()->Delete("/v1/alerts", bearer(token));
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json({{"nbDeleted", "1"}}));
  res = client()->Get("/v1/alerts", bearer(token));
  EXPECT_EQ(res->body, "null");
  const std::string key = add_bouncer("fw");
  res = client()->Get("/v1/decisions", api_key(key));
  EXPECT_EQ(res->body, "null");
}

TEST_F(LapiTest, AlertFiltersRejectUnknownKeys) {
  const std::string token = machine_token();
  auto res = client()->Get("/v1/alerts?nope=1", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(json::parse(res->body)["message"].get<std::string>().find("invalid filter"),
            std::string::npos);
  res = client()->Get("/v1/alerts?since=bogus", bearer(token));
  EXPECT_EQ(res->status, 500);
  res = client()->Get("/v1/alerts?since=1d&limit=0", bearer(token));
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "null");
}

TEST_F(LapiTest, HeartbeatAndDeleteSelf) {
  const std::string token = machine_token();
  auto res = client()->Get("/v1/heartbeat", bearer(token));
  ASSERT_EQ(res->status, 200);
  auto m = store_->get_machine("agent1");
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE((*m)->last_heartbeat.has_value());
  res = client()->Delete("/v1/watchers/self", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  m = store_->get_machine("agent1");
  EXPECT_FALSE(m->has_value());
  res = client()->Get("/v1/heartbeat", bearer(token));
  EXPECT_EQ(res->status, 401);
}

TEST_F(LapiTest, UsageMetrics) {
  const std::string key = add_bouncer("fw");
  const json item = {{"type", "crowdsec-firewall-bouncer"},
                     {"version", "v0.0.30"},
                     {"utc_startup_timestamp", 1700000000},
                     {"feature_flags", json::array()},
                     {"metrics", json::array()}};
  auto res = client()->Post("/v1/usage-metrics", api_key(key),
                            json({{"remediation_components", {item}}}).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "");
  res = client()->Post("/v1/usage-metrics", api_key(key),
                       json({{"remediation_components", {item, item}}}).dump(), "application/json");
  EXPECT_EQ(res->status, 400);
  res = client()->Post("/v1/usage-metrics", api_key(key), "{}", "application/json");
  EXPECT_EQ(res->status, 400);
  res =
      client()->Post("/v1/usage-metrics", api_key(key),
                     json({{"remediation_components", {item}}, {"log_processors", {item}}}).dump(),
                     "application/json");
  EXPECT_EQ(res->status, 400);
  res = client()->Post("/v1/usage-metrics", api_key(key),
                       json({{"remediation_components", {{{"type", "x"}}}}}).dump(),
                       "application/json");
  EXPECT_EQ(res->status, 422);
  res = client()->Post("/v1/usage-metrics", api_key("wrong"),
                       json({{"remediation_components", {item}}}).dump(), "application/json");
  EXPECT_EQ(res->status, 403);
  const std::string token = machine_token();
  res = client()->Post("/v1/usage-metrics", bearer(token),
                       json({{"log_processors", {item}}}).dump(), "application/json");
  EXPECT_EQ(res->status, 201);
}

TEST_F(LapiTest, MetricsEndpoint) {
  const std::string key = add_bouncer("fw");
  client()->Get("/v1/decisions", api_key(key));
  auto res = client()->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find(
                R"(phalanx_lapi_requests_total{route="/v1/decisions",method="GET",code="200"} 1)"),
            std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("phalanx_lapi_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(res->body.find("phalanx_lapi_stream_clients_waiting"), std::string::npos);
  EXPECT_NE(res->body.find("phalanx_lapi_alert_writer_calls_total 0\n"), std::string::npos);

  // Two calls through the alert writer: counted, and at least one transaction for them.
  const std::string token = machine_token();
  for (const char* ip : {"192.0.2.1", "192.0.2.2"}) {
    auto posted = client()->Post("/v1/alerts", bearer(token), json::array({alert(ip)}).dump(),
                                 "application/json");
    ASSERT_TRUE(posted);
    ASSERT_EQ(posted->status, 201) << posted->body;
  }
  res = client()->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("phalanx_lapi_alert_writer_calls_total 2\n"), std::string::npos)
      << res->body;
  EXPECT_EQ(res->body.find("phalanx_lapi_alert_writer_commits_total 0\n"), std::string::npos);
  EXPECT_NE(res->body.find("phalanx_lapi_alert_writer_commits_total "), std::string::npos);
  EXPECT_NE(res->body.find("phalanx_lapi_alert_writer_queued 0\n"), std::string::npos);
}

}  // namespace
}  // namespace phalanx::lapi::test
