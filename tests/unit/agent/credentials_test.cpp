// SPDX-License-Identifier: Apache-2.0
// local_api_credentials.yaml and machine id / password generation.
#include "agent/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace phalanx::agent {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-creds-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

bool alphanumeric(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

TEST_F(CredentialsTest, RoundTripWithMode0600) {
  const std::string path = dir_ + "/local_api_credentials.yaml";
  std::ofstream(path) << "stale: true\n";
  ::chmod(path.c_str(), 0644);
  Credentials c;
  c.url = "http://127.0.0.1:8080/";
  c.login = "machine-1";
  c.password = "p@ss: word #with yaml chars";
  ASSERT_TRUE(save_credentials(path, c));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_credentials(path);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->url, c.url);
  EXPECT_EQ(loaded->login, c.login);
  EXPECT_EQ(loaded->password, c.password);
  EXPECT_TRUE(loaded->cert_path.empty());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(CredentialsTest, ReadsCrowdSecFilesAndRefusesIncompleteOnes) {
  const std::string path = dir_ + "/c.yaml";
  std::ofstream(path) << "url: https://lapi:8080\nca_cert_path: /etc/ca.pem\n"
                         "cert_path: /etc/agent.pem\nkey_path: /etc/agent-key.pem\n";
  auto tls = load_credentials(path);
  ASSERT_TRUE(tls) << tls.error().message();
  EXPECT_EQ(tls->cert_path, "/etc/agent.pem");
  EXPECT_EQ(tls->ca_cert_path, "/etc/ca.pem");

  std::ofstream(path) << "url: http://x\nlogin: a\n";
  auto missing = load_credentials(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("login and password"), std::string::npos);
  std::ofstream(path) << "login: a\npassword: b\n";
  EXPECT_FALSE(load_credentials(path));
  EXPECT_FALSE(load_credentials(dir_ + "/absent.yaml"));
}

TEST_F(CredentialsTest, MachineIdAndPassword) {
  const std::string file = dir_ + "/machine-id";
  std::ofstream(file) << "0123456789abcdef-0123456789abcdef99\n";
  auto id = generate_machine_id(file);
  ASSERT_TRUE(id);
  ASSERT_EQ(id->size(), 48u);
  EXPECT_EQ(id->substr(0, 32), "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(alphanumeric(*id));

  auto random_id = generate_machine_id(dir_ + "/none");
  ASSERT_TRUE(random_id);
  EXPECT_EQ(random_id->size(), 48u);
  EXPECT_TRUE(alphanumeric(*random_id));

  auto p1 = generate_password();
  auto p2 = generate_password();
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(p1->size(), 64u);
  EXPECT_TRUE(alphanumeric(*p1));
  EXPECT_NE(*p1, *p2);
}

}  // namespace
}  // namespace phalanx::agent
