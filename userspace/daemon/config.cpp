// SPDX-License-Identifier: Apache-2.0
#include "daemon/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/duration.h"
#include "core/yaml.h"

namespace phalanx::daemon {
namespace {

// "host:port", "[v6]:port".
Result<void> parse_listen(const std::string& text, lapi::ServerOptions& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    return Error("expected address:port, got '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) return Error("invalid port in '" + text + "'");
  out.address = host.empty() ? "0.0.0.0" : host;
  out.port = static_cast<uint16_t>(port);
  return ok();
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  template <class T>
  void take(Result<T> r, T& out) {
    if (r) {
      out = std::move(*r);
    } else {
      errors_.push_back(r.error().message());
    }
  }
  void fail(const YAML::Node& node, std::string_view key, std::string_view why) {
    errors_.push_back(fmt::format("{}: {}: {}", yaml::where(file_, node), key, why));
  }

  std::vector<net::Cidr> cidrs(const YAML::Node& parent, std::string_view key) {
    std::vector<std::string> items;
    take(yaml::get_string_list(parent, key, file_), items);
    std::vector<net::Cidr> out;
    for (const auto& item : items) {
      auto c = net::Cidr::parse(item);
      if (c) {
        out.push_back(*c);
      } else {
        fail(parent[std::string(key)], key, "'" + item + "' is not an address or range");
      }
    }
    return out;
  }

  std::optional<Duration> duration(const YAML::Node& parent, std::string_view key) {
    std::string text;
    take(yaml::get_string(parent, key, file_), text);
    if (text.empty()) return std::nullopt;
    auto d = parse_go_duration(text, true);
    if (!d || d->count() <= 0) {
      fail(parent[std::string(key)], key, "'" + text + "' is not a positive duration");
      return std::nullopt;
    }
    return *d;
  }

  const std::string& file() const { return file_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

std::chrono::seconds secs(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

void read_tls(Reader& r, const YAML::Node& tls, Config& c) {
  lapi::TlsOptions t;
  r.take(yaml::get_string(tls, "cert_file", r.file()), t.cert_file);
  r.take(yaml::get_string(tls, "key_file", r.file()), t.key_file);
  r.take(yaml::get_string(tls, "ca_file", r.file()), t.ca_file);
  std::string verification;
  r.take(yaml::get_string(tls, "client_verification", r.file()), verification);
  if (auto v = lapi::parse_client_verification(verification)) {
    t.verification = *v;
  } else {
    r.fail(tls, "client_verification", v.error().message());
  }
  if (tls["bouncers_allowed_ou"])
    r.take(yaml::get_string_list(tls, "bouncers_allowed_ou", r.file()), c.lapi.bouncers_allowed_ou);
  if (tls["agents_allowed_ou"])
    r.take(yaml::get_string_list(tls, "agents_allowed_ou", r.file()), c.lapi.agents_allowed_ou);
  if (t.cert_file.empty() || t.key_file.empty()) {
    r.fail(tls, "tls", "cert_file and key_file are both needed");
    return;
  }
  c.server.tls = std::move(t);
}

void read_flush(Reader& r, const YAML::Node& flush, Config& c) {
  if (auto d = r.duration(flush, "max_age")) c.lapi.flush.alert_max_age = secs(*d);
  if (auto d = r.duration(flush, "decision_max_age")) c.lapi.flush.decision_max_age = secs(*d);
  if (auto d = r.duration(flush, "interval")) c.flush_interval = secs(*d);
  if (flush["max_items"]) {
    long long n = 0;
    r.take(yaml::get_int(flush, "max_items", r.file()), n);
    if (n > 0) c.lapi.flush.alert_max_items = n;
  }
}

void read_lapi(Reader& r, const YAML::Node& api, Config& c) {
  const std::string& name = r.file();
  std::string listen;
  r.take(yaml::get_string(api, "listen", name), listen);
  if (!listen.empty()) {
    if (auto parsed = parse_listen(listen, c.server); !parsed)
      r.fail(api["listen"], "listen", parsed.error().message());
  }
  long long threads = c.server.threads;
  r.take(yaml::get_int(api, "threads", name, threads), threads);
  if (threads < 1 || threads > 256) {
    r.fail(api["threads"], "threads", "must be between 1 and 256");
  } else {
    c.server.threads = static_cast<int>(threads);
  }
  c.lapi.trusted_ips = r.cidrs(api, "trusted_ips");
  std::string secret;
  r.take(yaml::get_string(api, "jwt_secret", name), secret);
  if (!secret.empty()) c.lapi.jwt_secret = secret;
  if (!c.lapi.jwt_secret.empty() && c.lapi.jwt_secret.size() < 64)
    r.fail(api["jwt_secret"], "jwt_secret", "must be at least 64 bytes");
  if (api["tls"]) read_tls(r, api["tls"], c);
  if (const YAML::Node reg = api["auto_registration"]) {
    r.take(yaml::get_string(reg, "token", name), c.lapi.registration_token);
    c.lapi.registration_ranges = r.cidrs(reg, "allowed_ranges");
  }
}

}  // namespace

std::string default_profiles_path() {
#ifdef PHALANX_SOURCE_DIR
  const std::string in_tree = std::string(PHALANX_SOURCE_DIR) + "/scenarios/profiles/profiles.yaml";
  if (std::filesystem::exists(in_tree)) return in_tree;
#endif
  return "/etc/phalanx/profiles.yaml";
}

Result<Config> parse_config(std::string_view text, const std::string& name) {
  Config c;
  // CrowdSec's variable is honoured too, so an existing deployment keeps its secret.
  if (const char* secret = std::getenv("PHALANX_JWT_SECRET")) {
    c.lapi.jwt_secret = secret;
  } else if (const char* cs = std::getenv("CS_LAPI_SECRET")) {
    c.lapi.jwt_secret = cs;
  }
  PHALANX_TRY(auto docs, yaml::load_string(yaml::expand_env(text), name));
  if (docs.empty() || !docs.front().root || docs.front().root.IsNull()) return c;
  const YAML::Node& root = docs.front().root;
  if (!root.IsMap()) return Error(name + ": expected a mapping at the top level");
  Reader r(name);
  r.take(yaml::get_string(root, "db", name, c.db_url), c.db_url);
  r.take(yaml::get_string(root, "profiles", name), c.profiles_path);
  r.take(yaml::get_string_list(root, "allow_list", name), c.allow_list);
  r.take(yaml::get_string(root, "log_level", name, c.log_level), c.log_level);
  if (root["flush"]) read_flush(r, root["flush"], c);
  if (const YAML::Node api = root["lapi"]) read_lapi(r, api, c);
  if (!r.errors().empty()) {
    std::string msg = "config";
    for (const auto& e : r.errors())
      msg += "\n  " + e;
    return Error(msg);
  }
  return c;
}

Result<Config> load_config(const std::string& path) {
  if (path.empty()) return parse_config("", "(defaults)");
  std::ifstream in(path);
  if (!in) return Error::from_errno("reading config " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace phalanx::daemon
