// SPDX-License-Identifier: Apache-2.0
// Pieces shared by the nginx actors: one access-log line and the actor factories.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "world.h"

namespace phalanx::loggen::nginx {

inline constexpr Millis kSecond = 1000;
inline constexpr Millis kMinute = 60 * kSecond;
inline constexpr Millis kHour = 60 * kMinute;
inline constexpr std::string_view kSite = "https://www.example.org";

// The fields of one combined-format access line that vary.
struct Request {
  std::string_view method = "GET";
  std::string_view path = {};
  std::string_view version = "HTTP/1.1";
  uint64_t status = 200;
  uint64_t bytes = 0;
  std::string_view referer_site = {};  // prepended to referer_path when not empty
  std::string_view referer_path = "-";
  std::string_view agent = "-";
};

// Writes `<addr> - - [<time>] "<method> <path> <version>" <status> <bytes> "<referer>" "<agent>"`.
inline void access_line(Turn& t, std::string_view addr, const Request& r) {
  t.out.put(addr).put(" - - [").put_http_time(t.now).put("] \"").put(r.method).put(' ');
  t.out.put(r.path).put(' ').put(r.version).put("\" ").put_uint(r.status).put(' ');
  t.out.put_uint(r.bytes).put(" \"").put(r.referer_site).put(r.referer_path).put("\" \"");
  t.out.put(r.agent).put('"');
}

// The default nginx error page sizes.
inline uint64_t error_page_bytes(uint64_t status) {
  switch (status) {
    case 400:
      return 157;
    case 401:
      return 179;
    case 403:
      return 153;
    case 404:
      return 153;
    case 405:
      return 157;
    default:
      return 0;
  }
}

std::unique_ptr<Actor> make_visitor(std::string addr, Rng& rng);
std::unique_ptr<Actor> make_crawler(std::string addr, Rng& rng);
std::unique_ptr<Actor> make_health_check(std::string addr);
// Attacker `index` gets behaviour index % 5: 404 probing, sensitive-file probes, path
// traversal, scanner user agents, login brute force.
std::unique_ptr<Actor> make_attacker(std::string addr, uint64_t index, Rng& rng);

}  // namespace phalanx::loggen::nginx
