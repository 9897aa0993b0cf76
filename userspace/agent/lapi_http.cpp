// SPDX-License-Identifier: Apache-2.0
#include "agent/lapi_http.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "agent/lapi_client.h"

#ifndef PHALANX_VERSION
#define PHALANX_VERSION "dev"
#endif

namespace phalanx::agent {

using nlohmann::json;

std::string transport_error(httplib::Error err) {
  return fmt::format("{} ({})", httplib::to_string(err), std::strerror(code_of(err)));
}

bool is_2xx(int status) {
  return status >= 200 && status <= 299;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

std::optional<TimePoint> parse_rfc3339(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
    return std::nullopt;
  size_t i = static_cast<size_t>(used);
  std::chrono::nanoseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100000000;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      frac += std::chrono::nanoseconds((s[i] - '0') * scale);
      scale /= 10;
    }
  }
  std::chrono::seconds offset{0};
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (s[i] == '-') offset = -offset;
  } else if (i >= s.size() || s[i] != 'Z') {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  const auto t = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                 std::chrono::seconds(sec) - offset;
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(t) + frac;
}

Result<Endpoint> parse_url(const std::string& url) {
  if (http::is_socket_url(url)) return Endpoint{"unix", url, ""};
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return Error("url '" + url + "' has no scheme (http:// or https://) and is not a socket path");
  Endpoint e;
  e.scheme = url.substr(0, scheme_end);
  if (e.scheme != "http" && e.scheme != "https")
    return Error("url '" + url + "': scheme must be http or https");
  const auto path_start = url.find('/', scheme_end + 3);
  e.host_port = url.substr(0, path_start);
  if (e.host_port.size() == scheme_end + 3) return Error("url '" + url + "' has no host");
  e.base_path = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!e.base_path.empty() && e.base_path.back() == '/')
    e.base_path.pop_back();
  return e;
}

std::chrono::microseconds us(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::max(d, Duration(0)));
}

std::unique_ptr<httplib::Client> make_http(const LapiClientOptions& o, const Endpoint& e) {
  auto http = http::make_client(e.scheme, e.host_port,
                                {o.cert_file, o.key_file, o.ca_file, o.insecure_skip_verify});
  http->set_connection_timeout(us(o.connect_timeout));
  http->set_read_timeout(us(o.request_timeout));
  http->set_write_timeout(us(o.request_timeout));
  return http;
}

Result<void> check_file(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(what + " " + path);
  return ok();
}

std::string default_user_agent() {
  return std::string("phalanx/") + PHALANX_VERSION;
}

void use_credentials(LapiClientOptions& options, const Credentials& credentials) {
  options.url = credentials.url;
  options.machine_id = credentials.login;
  options.password = credentials.password;
  options.ca_file = credentials.ca_cert_path;
  options.cert_file = credentials.cert_path;
  options.key_file = credentials.key_path;
}

Result<bool> register_machine(const LapiClientOptions& options,
                              const std::string& registration_token) {
  const std::string what = "registering at " + options.url;
  auto endpoint = parse_url(options.url);
  if (!endpoint) return endpoint.error().context(what);
  json body = {{"machine_id", options.machine_id}, {"password", options.password}};
  if (!registration_token.empty()) body["registration_token"] = registration_token;
  // Registration is by password: no client certificate on this request.
  LapiClientOptions plain = options;
  plain.cert_file.clear();
  plain.key_file.clear();
  auto http = make_http(plain, *endpoint);
  const std::string ua = options.user_agent.empty() ? default_user_agent() : options.user_agent;
  auto res = http->Post(endpoint->base_path + "/v1/watchers", {{"User-Agent", ua}}, body.dump(),
                        "application/json");
  if (!res) return Error(what + ": " + transport_error(res.error()), code_of(res.error()));
  if (res->status == 201) return false;
  if (res->status == 202) return true;
  return Error(fmt::format("{}: status {}: {}", what, res->status, error_text(res->body)));
}

}  // namespace phalanx::agent
