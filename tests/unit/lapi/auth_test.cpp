// SPDX-License-Identifier: Apache-2.0
#include "lapi/auth.h"

#include <gtest/gtest.h>

#include <set>

#include "lapi/gzip.h"

namespace phalanx::lapi {
namespace {

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

TEST(ApiKey, ShapeAndHash) {
  const std::string key = generate_api_key();
  EXPECT_EQ(key.size(), 43u);  // 32 bytes in base64, padding stripped
  EXPECT_EQ(key.find('='), std::string::npos);
  EXPECT_NE(generate_api_key(), key);
  // SHA-512 of "abc" (FIPS 180-2 test vector).
  EXPECT_EQ(hash_api_key("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Password, HashAndVerify) {
  const std::string h = hash_password("s3cret", 1000);
  EXPECT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u);
  EXPECT_TRUE(verify_password("s3cret", h));
  EXPECT_FALSE(verify_password("s3cret ", h));
  EXPECT_NE(hash_password("s3cret", 1000), h);  // salted
  EXPECT_FALSE(verify_password("s3cret", "garbage"));
  EXPECT_FALSE(verify_password("s3cret", "pbkdf2-sha256$0$AAAA$AAAA"));
}

TEST(RandomText, Alnum) {
  const std::string s = random_alnum(64);
  EXPECT_EQ(s.size(), 64u);
  for (char c : s)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

TEST(Jwt, SignVerifyExpire) {
  auto signer = JwtSigner::make(std::string(64, 's'));
  ASSERT_TRUE(signer);
  JwtClaims c{"machine-1", kT0 + std::chrono::hours(1), kT0};
  const std::string token = signer->sign(c);
  auto back = signer->verify(token, kT0 + std::chrono::minutes(59));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->machine_id, "machine-1");
  EXPECT_EQ(back->expires, c.expires);
  EXPECT_EQ(back->issued, kT0);
  auto late = signer->verify(token, kT0 + std::chrono::hours(1));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().message(), "token is expired");
  EXPECT_TRUE(signer->verify(token, kT0 + std::chrono::hours(2), false));

  auto other = JwtSigner::make(std::string(64, 't'));
  EXPECT_EQ(other->verify(token, kT0).error().message(), "signature is invalid");
  std::string tampered = token;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(signer->verify(tampered, kT0));
  EXPECT_EQ(signer->verify("a.b", kT0).error().message(), "token is malformed");
  EXPECT_FALSE(JwtSigner::make("short"));
}

TEST(LoginLimiter, BurstThenRefill) {
  LoginLimiter limiter(3, std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allowed("1.2.3.4", kT0));
    limiter.failed("1.2.3.4", kT0);
  }
  EXPECT_FALSE(limiter.allowed("1.2.3.4", kT0));
  EXPECT_TRUE(limiter.allowed("5.6.7.8", kT0));
  EXPECT_FALSE(limiter.allowed("1.2.3.4", kT0 + std::chrono::seconds(9)));
  EXPECT_TRUE(limiter.allowed("1.2.3.4", kT0 + std::chrono::seconds(10)));
}

TEST(Gunzip, LimitsAndErrors) {
  EXPECT_FALSE(gunzip("nope", 1000));
  auto empty = gunzip("", 1000);
  EXPECT_FALSE(empty);
}

}  // namespace
}  // namespace phalanx::lapi
