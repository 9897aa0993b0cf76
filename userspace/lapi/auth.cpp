// SPDX-License-Identifier: Apache-2.0
#include "lapi/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

namespace phalanx::lapi {
namespace {

std::vector<unsigned char> random_bytes(size_t n) {
  std::vector<unsigned char> out(n);
  // RAND_bytes only fails when the generator cannot be seeded; nothing safe can follow.
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();
  return out;
}

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// Standard base64 without padding, then the URL alphabet when `url`.
std::string base64_raw(const unsigned char* data, size_t n, bool url) {
  std::string out = base64(data, n);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  if (url) {
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
  }
  return out;
}

std::string base64_raw(std::string_view s, bool url) {
  return base64_raw(reinterpret_cast<const unsigned char*>(s.data()), s.size(), url);
}

// Decodes standard or URL base64 with or without padding; nullopt when malformed.
std::optional<std::string> unbase64(std::string_view in) {
  std::string s(in);
  std::replace(s.begin(), s.end(), '-', '+');
  std::replace(s.begin(), s.end(), '_', '/');
  while (s.size() % 4 != 0)
    s.push_back('=');
  std::string out(s.size() / 4 * 3, '\0');
  const int len =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (len < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  for (size_t i = s.size(); i > 0 && s[i - 1] == '='; --i)
    ++pad;
  out.resize(static_cast<size_t>(len) - pad);
  return out;
}

std::string hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view msg) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

std::optional<std::string> pbkdf2(std::string_view password, std::string_view salt,
                                  int iterations) {
  std::array<unsigned char, 32> out{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), out.size(),
                        out.data()) != 1)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix(int64_t s) {
  return TimePoint(std::chrono::seconds(s));
}

}  // namespace

std::string generate_api_key() {
  const auto bytes = random_bytes(32);
  return base64_raw(bytes.data(), bytes.size(), false);
}

std::string hash_api_key(std::string_view key) {
  // Fetched once: EVP_sha512() makes OpenSSL 3 look the implementation up on every call, which
  // showed on GET /v1/decisions (one hash per request).
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md.data(), &len, sha512 != nullptr ? sha512 : EVP_sha512(),
             nullptr);
  return hex(md.data(), len);
}

std::string random_alnum(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (unsigned char b : random_bytes(n)) {
      // 62 * 4 = 248: reject the top bytes so every symbol is equally likely.
      if (b < 248 && out.size() < n) out.push_back(kAlphabet[b % 62]);
    }
  }
  return out;
}

std::string hash_password(std::string_view password, int iterations) {
  const auto salt_bytes = random_bytes(16);
  const std::string salt(salt_bytes.begin(), salt_bytes.end());
  const auto derived = pbkdf2(password, salt, iterations);
  if (!derived) std::abort();  // only on allocation failure inside OpenSSL
  return fmt::format("pbkdf2-sha256${}${}${}", iterations, base64_raw(salt, false),
                     base64_raw(*derived, false));
}

bool verify_password(std::string_view password, std::string_view stored) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dollar = stored.find('$', start);
    parts.push_back(stored.substr(start, dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  const int iterations = std::atoi(std::string(parts[1]).c_str());
  if (iterations <= 0 || iterations > 10000000) return false;
  const auto salt = unbase64(parts[2]);
  const auto expected = unbase64(parts[3]);
  if (!salt || !expected) return false;
  const auto derived = pbkdf2(password, *salt, iterations);
  return derived && equal_ct(*derived, *expected);
}

Result<JwtSigner> JwtSigner::make(std::string secret) {
  if (secret.size() < 64)
    return Error(fmt::format("jwt secret: {} bytes, at least 64 are needed", secret.size()));
  return JwtSigner(std::move(secret));
}

JwtSigner JwtSigner::random() {
  const auto bytes = random_bytes(64);
  return JwtSigner(std::string(bytes.begin(), bytes.end()));
}

std::string JwtSigner::sign(const JwtClaims& claims) const {
  static const std::string header = base64_raw(R"({"alg":"HS256","typ":"JWT"})", true);
  const nlohmann::json payload = {{"exp", unix_seconds(claims.expires)},
                                  {"id", claims.machine_id},
                                  {"orig_iat", unix_seconds(claims.issued)}};
  std::string out = header + "." + base64_raw(payload.dump(), true);
  const std::string mac = hmac_sha256(secret_, out);
  out += '.';
  out += base64_raw(mac, true);
  return out;
}

Result<JwtClaims> JwtSigner::verify(std::string_view token, TimePoint now,
                                    bool check_expiry) const {
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return Error("token is malformed");
  const auto header = unbase64(token.substr(0, dot1));
  const auto payload = unbase64(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto mac = unbase64(token.substr(dot2 + 1));
  if (!header || !payload || !mac) return Error("token is malformed");
  const auto h = nlohmann::json::parse(*header, nullptr, false);
  if (!h.is_object() || h.value("alg", "") != "HS256") return Error("token is malformed");
  if (!equal_ct(*mac, hmac_sha256(secret_, token.substr(0, dot2))))
    return Error("signature is invalid");
  const auto p = nlohmann::json::parse(*payload, nullptr, false);
  if (!p.is_object() || !p.contains("id") || !p["id"].is_string() || !p.contains("exp") ||
      !p["exp"].is_number_integer())
    return Error("token is malformed");
  JwtClaims claims;
  claims.machine_id = p["id"].get<std::string>();
  claims.expires = from_unix(p["exp"].get<int64_t>());
  if (p.contains("orig_iat") && p["orig_iat"].is_number_integer())
    claims.issued = from_unix(p["orig_iat"].get<int64_t>());
  if (check_expiry && claims.expires <= now) return Error("token is expired");
  return claims;
}

void LoginLimiter::refill(Bucket& b, TimePoint now) const {
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min<double>(burst_, b.tokens + elapsed / static_cast<double>(refill_.count()));
  b.at = now;
}

bool LoginLimiter::allowed(const std::string& source, TimePoint now) {
  std::lock_guard lock(mu_);
  const auto it = buckets_.find(source);
  if (it == buckets_.end()) return true;
  refill(it->second, now);
  return it->second.tokens >= 1;
}

void LoginLimiter::failed(const std::string& source, TimePoint now) {
  std::lock_guard lock(mu_);
  // Forget sources that are full again, so a scan of many addresses cannot grow the map
  // without bound.
  if (buckets_.size() > 100000) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second, now);
      it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(source);
  if (fresh) {
    it->second.tokens = burst_;
    it->second.at = now;
  }
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1);
}

}  // namespace phalanx::lapi
