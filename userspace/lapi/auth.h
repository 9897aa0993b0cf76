// SPDX-License-Identifier: Apache-2.0
// Credentials of the Local API: bouncer API keys (stored as hex SHA-512, spec §1.2), machine
// passwords (stored as a salted PBKDF2 hash) and the machines' HS256 JWTs. The `phalanx` CLI
// uses the same functions to add bouncers and machines straight into the Store.
//
// All functions are pure apart from reading OpenSSL's random generator, and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "core/time.h"

namespace phalanx::lapi {

// A new bouncer API key: 32 random bytes, base64 with the '=' padding stripped (the shape
// `cscli bouncers add` prints).
std::string generate_api_key();

// What the Store keeps for an API key: lowercase hex SHA-512 of the key text.
std::string hash_api_key(std::string_view key);

// `n` random alphanumerics (machine passwords, machine-id suffixes).
std::string random_alnum(size_t n);

// Hashes a machine password: "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>", with a fresh
// 16-byte salt. `iterations` is stored with the hash, so it can change without breaking old
// rows.
inline constexpr int kPasswordIterations = 100000;
std::string hash_password(std::string_view password, int iterations = kPasswordIterations);

// True when `password` matches a hash made by hash_password (constant-time comparison). A
// malformed stored hash never matches.
bool verify_password(std::string_view password, std::string_view stored);

// Claims of a machine token (gin-jwt's: id, exp, orig_iat).
struct JwtClaims {
  std::string machine_id;
  TimePoint expires{};
  TimePoint issued{};  // orig_iat: when the login (or last refresh) happened
};

// Signs and checks HS256 tokens with one secret.
class JwtSigner {
 public:
  // Errors: the secret is shorter than 64 bytes.
  static Result<JwtSigner> make(std::string secret);
  // 64 random bytes: tokens then die with the process, as with CrowdSec's default.
  static JwtSigner random();

  std::string sign(const JwtClaims& claims) const;
  // Checks the signature and the header's alg; the expiry is checked only when
  // `check_expiry`. Errors: "token is malformed", "signature is invalid", "token is expired".
  Result<JwtClaims> verify(std::string_view token, TimePoint now, bool check_expiry = true) const;

 private:
  explicit JwtSigner(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

// Failed-login limiter, per source address: a token bucket of `burst` failures refilled at one
// per `refill`. While a source is out of tokens its logins are refused before the password is
// checked (the LAPI answers 429). Thread-safe.
class LoginLimiter {
 public:
  explicit LoginLimiter(int burst = 10, std::chrono::seconds refill = std::chrono::seconds(6))
      : burst_(burst), refill_(refill) {}
  // True when `source` may try a login now.
  bool allowed(const std::string& source, TimePoint now);
  // Counts one failure of `source`.
  void failed(const std::string& source, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint at{};
  };
  void refill(Bucket& b, TimePoint now) const;

  int burst_;
  std::chrono::seconds refill_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace phalanx::lapi
