// SPDX-License-Identifier: Apache-2.0
// TLS and mutual TLS: bouncers and agents authenticated by client certificates (OU rules,
// "<CN>@<ip>" identities), API keys over TLS, unverified certificates refused.
#include <cstdlib>

#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

// A CA, a server certificate for 127.0.0.1, client certificates with OU bouncer-ou, agent-ou
// and other, and a self-signed one the CA never saw; made with openssl(1).
class Certs {
 public:
  explicit Certs(const std::string& dir) : dir_(dir + "/tls") {
    std::filesystem::create_directories(dir_);
    const auto client = [](const std::string& name, const std::string& subj) {
      return "openssl req -newkey rsa:2048 -nodes -keyout " + name + ".key -out " + name +
             ".csr -subj " + subj + " && openssl x509 -req -in " + name +
             ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " + name + ".pem -days 1 && ";
    };
    const std::string script =
        "cd " + dir_ +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
        "-subj /CN=phalanx-test-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1 && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 1 -extfile san.ext && " +
        client("bouncer", "/OU=bouncer-ou/CN=fw") + client("agent", "/OU=agent-ou/CN=agent-a") +
        client("other", "/OU=other/CN=x") +
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 1 "
        "-subj /OU=bouncer-ou/CN=rogue >/dev/null 2>&1";
    ok_ = std::system((script + " >/dev/null 2>&1").c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  bool ok_ = false;
};

class TlsTest : public LapiTest {
 protected:
  void SetUp() override {
    LapiTest::SetUp();
    certs_ = std::make_unique<Certs>(dir_);
    if (!certs_->ok()) GTEST_SKIP() << "openssl(1) could not make test certificates";
  }

  void start_tls(ClientVerification v) {
    TlsOptions t;
    t.cert_file = certs_->path("server.pem");
    t.key_file = certs_->path("server.key");
    t.ca_file = certs_->path("ca.pem");
    t.verification = v;
    start(LapiOptions{}, t);
  }

  std::unique_ptr<httplib::SSLClient> tls_client(const std::string& cert = "") {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port())
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port(),
                                                                 certs_->path(cert + ".pem"),
                                                                 certs_->path(cert + ".key"));
    c->set_ca_cert_path(certs_->path("ca.pem"));
    c->enable_server_certificate_verification(true);
    return c;
  }

  std::unique_ptr<Certs> certs_;
};

TEST_F(TlsTest, BouncerByCertificate) {
  start_tls(ClientVerification::kVerifyClientCertIfGiven);
  auto res = tls_client("bouncer")->Get("/v1/decisions", {{"User-Agent", "fw/1.0"}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "null");
  auto b = store_->get_bouncer("fw@127.0.0.1");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->auth_type, "tls");

  // A certificate whose OU is not allowed, even with a valid API key: only the certificate
  // counts.
  const std::string key = add_bouncer("keyed");
  res = tls_client("other")->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // Without a certificate the API key works over TLS.
  res = tls_client()->Get("/v1/decisions", api_key(key));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // An agent certificate is not a bouncer.
  res = tls_client("agent")->Get("/v1/decisions", {{"User-Agent", "fw/1.0"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(TlsTest, UnverifiedCertificatesAreRefused) {
  start_tls(ClientVerification::kVerifyClientCertIfGiven);
  auto res = tls_client("rogue")->Get("/v1/decisions", {{"User-Agent", "fw/1.0"}});
  EXPECT_TRUE(!res || res->status == 403);
  auto b = store_->get_bouncer("rogue@127.0.0.1");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->has_value());
}

TEST_F(TlsTest, AgentLogsInWithItsCertificate) {
  start_tls(ClientVerification::kVerifyClientCertIfGiven);
  auto c = tls_client("agent");
  auto res = c->Post("/v1/watchers/login", {{"User-Agent", "crowdsec/v1.6.0"}},
                     R"({"scenarios":["crowdsecurity/ssh-bf"]})", "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  auto m = store_->get_machine("agent-a@127.0.0.1");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->auth_type, "tls");
  EXPECT_TRUE((*m)->is_validated);
  EXPECT_EQ((*m)->scenarios, "crowdsecurity/ssh-bf");
  const std::string token = json::parse(res->body)["token"];
  res = c->Get("/v1/heartbeat", bearer(token));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // A bouncer certificate cannot log in as an agent.
  res = tls_client("bouncer")->Post("/v1/watchers/login", {{"User-Agent", "crowdsec/v1.6.0"}}, "{}",
                                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(TlsTest, RequireAndVerifyRefusesClientsWithoutCertificates) {
  start_tls(ClientVerification::kRequireAndVerifyClientCert);
  auto res = tls_client()->Get("/health");
  EXPECT_FALSE(res && res->status == 200);
  res = tls_client("bouncer")->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace phalanx::lapi::test
