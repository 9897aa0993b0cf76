// SPDX-License-Identifier: Apache-2.0
#include "daemon/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/duration.h"
#include "core/yaml.h"
#include "lapi/unix_socket.h"

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

// listen_socket (CrowdSec's name too) and its mode; `listen: ""` then turns TCP off.
void read_socket(Reader& r, const YAML::Node& api, Config& c) {
  r.take(yaml::get_string(api, "listen_socket", r.file()), c.server.socket_path);
  std::string mode;
  r.take(yaml::get_string(api, "listen_socket_mode", r.file()), mode);
  if (!mode.empty()) {
    if (auto m = lapi::parse_socket_mode(mode)) {
      c.server.socket_mode = *m;
    } else {
      r.fail(api["listen_socket_mode"], "listen_socket_mode", m.error().message());
    }
  }
  const YAML::Node listen = api["listen"];
  const bool no_tcp = listen && (listen.IsNull() || (listen.IsScalar() && listen.Scalar().empty()));
  if (no_tcp) {
    if (c.server.socket_path.empty()) {
      r.fail(listen, "listen", "empty, and no listen_socket: nothing to listen on");
    } else {
      c.server.tcp = false;
    }
  }
  if (c.server.socket_path.empty()) return;
  const std::string& path = c.server.socket_path;
  if (path.front() != '/') {
    r.fail(api["listen_socket"], "listen_socket", "'" + path + "' is not an absolute path");
  } else if (path.size() >= lapi::kMaxSocketPath) {
    r.fail(api["listen_socket"], "listen_socket",
           fmt::format("'{}' is {} bytes long, a socket path at most {}", path, path.size(),
                       lapi::kMaxSocketPath - 1));
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
  read_socket(r, api, c);
  long long threads = c.server.threads;
  r.take(yaml::get_int(api, "threads", name, threads), threads);
  if (threads < 0 || threads > 256) {
    r.fail(api["threads"], "threads", "must be between 0 (one per core) and 256");
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

Result<lapi::ServerOptions> listen_options(const std::string& text) {
  lapi::ServerOptions o;
  o.threads = 1;  // the agent's /metrics: one scrape at a time, not a thread per core
  if (auto r = parse_listen(text, o); !r) return r.error();
  return o;
}

void read_remote(Reader& r, const YAML::Node& n, RemoteLapi& out) {
  const std::string& name = r.file();
  r.take(yaml::get_string(n, "credentials", name), out.credentials_file);
  r.take(yaml::get_string(n, "url", name), out.url);
  r.take(yaml::get_string(n, "login", name), out.login);
  r.take(yaml::get_string(n, "password", name), out.password);
  r.take(yaml::get_string(n, "ca_file", name), out.ca_file);
  r.take(yaml::get_string(n, "cert_file", name), out.cert_file);
  r.take(yaml::get_string(n, "key_file", name), out.key_file);
  r.take(yaml::get_bool(n, "insecure_skip_verify", name, false), out.insecure_skip_verify);
  if (!out.url.empty() && out.url.rfind("http://", 0) != 0 && out.url.rfind("https://", 0) != 0 &&
      out.url.front() != '/')
    r.fail(n["url"], "url", "must start with http:// or https://, or be a socket path (/...)");
  if (!out.configured()) r.fail(n, "lapi", "needs credentials or url");
  if (out.cert_file.empty() != out.key_file.empty())
    r.fail(n, "lapi", "cert_file and key_file go together");
}

long long count(Reader& r, const YAML::Node& n, std::string_view key, long long def, long long min,
                long long max) {
  long long v = def;
  r.take(yaml::get_int(n, key, r.file(), def), v);
  if (v < min || v > max) {
    r.fail(n[std::string(key)], key, fmt::format("must be between {} and {}", min, max));
    return def;
  }
  return v;
}

void read_agent(Reader& r, const YAML::Node& n, Config& c) {
  const std::string& name = r.file();
  AgentSection& a = c.agent;
  r.take(yaml::get_bool(n, "enabled", name, true), a.enabled);
  r.take(yaml::get_string(n, "acquis", name, a.agent.acquis_file), a.agent.acquis_file);
  r.take(yaml::get_string(n, "acquis_dir", name, a.agent.acquis_dir), a.agent.acquis_dir);
  r.take(yaml::get_string(n, "content", name), a.agent.content.config_dir);
  r.take(yaml::get_string(n, "hub", name), a.agent.content.hub_dir);
  r.take(yaml::get_string_list(n, "collections", name), a.agent.content.collections);
  if (!a.agent.content.config_dir.empty() && !a.agent.content.hub_dir.empty())
    r.fail(n, "content", "content and hub exclude each other");
  a.agent.pipeline.workers = static_cast<size_t>(count(r, n, "workers", 0, 0, 256));
  a.agent.pipeline.shards = static_cast<size_t>(count(r, n, "shards", 1, 0, 256));
  a.agent.pipeline.queue_capacity = static_cast<size_t>(count(r, n, "queue", 16384, 1, 1 << 24));
  a.agent.pipeline.max_buckets =
      static_cast<size_t>(count(r, n, "max_buckets", 1000000, 0, 1LL << 32));
  r.take(yaml::get_string(n, "machine_id", name), a.machine_id);
  if (const YAML::Node remote = n["lapi"]) read_remote(r, remote, a.remote);
  std::string metrics;
  r.take(yaml::get_string(n, "metrics_listen", name), metrics);
  if (!metrics.empty()) {
    if (auto o = listen_options(metrics)) {
      a.metrics = *o;
    } else {
      r.fail(n["metrics_listen"], "metrics_listen", o.error().message());
    }
  }
}

}  // namespace

std::string default_profiles_path() {
#ifdef PHALANX_SOURCE_DIR
  const std::string in_tree = std::string(PHALANX_SOURCE_DIR) + "/scenarios/profiles/profiles.yaml";
  if (std::filesystem::exists(in_tree)) return in_tree;
#endif
  return std::string(PHALANX_SYSCONF_DIR) + "/profiles.yaml";
}

std::string default_config_path() {
  return std::string(PHALANX_SYSCONF_DIR) + "/config.yaml";
}

Result<Config> parse_config(std::string_view text, const std::string& name) {
  Config c;
  c.agent.agent.acquis_file = std::string(PHALANX_SYSCONF_DIR) + "/acquis.yaml";
  c.agent.agent.acquis_dir = std::string(PHALANX_SYSCONF_DIR) + "/acquis.d";
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
  r.take(yaml::get_string(root, "data_dir", name, c.data_dir), c.data_dir);
  c.agent.agent.state_dir = c.data_dir;
  if (root["flush"]) read_flush(r, root["flush"], c);
  if (const YAML::Node api = root["lapi"]) {
    r.take(yaml::get_bool(api, "enabled", name, true), c.lapi_enabled);
    read_lapi(r, api, c);
  }
  if (const YAML::Node agent = root["agent"]) read_agent(r, agent, c);
  if (!c.lapi_enabled && c.agent.enabled && !c.agent.remote.configured())
    r.fail(root, "agent", "without the local API (lapi.enabled: false) the agent needs agent.lapi");
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
