// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/config.h"

#include <strings.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "core/yaml.h"

namespace phalanx::nft {
namespace {

Result<Duration> read_duration(const YAML::Node& root, const char* key, const std::string& file,
                               const char* fallback, bool allow_zero) {
  PHALANX_TRY(std::string text, yaml::get_string(root, key, file, fallback));
  auto d = parse_go_duration(text);
  if (!d || d->count() < 0 || (!allow_zero && d->count() == 0))
    return Error(yaml::where(file, root[key]) + ": key '" + key + "': invalid duration '" + text +
                 "'");
  return *d;
}

Result<void> read_layout(const YAML::Node& root, const std::string& name, Layout& l) {
  const YAML::Node n = root["nftables"];
  if (n && !n.IsMap()) return Error(yaml::where(name, n) + ": nftables: expected a mapping");
  const YAML::Node m = n ? n : YAML::Node(YAML::NodeType::Map);
  PHALANX_TRY(std::string family, yaml::get_string(m, "family", name, "inet"));
  auto f = parse_family(family);
  if (!f) return f.error().context(yaml::where(name, m["family"]) + ": nftables.family");
  l.family = *f;
  PHALANX_TRY(l.table, yaml::get_string(m, "table", name, l.table));
  PHALANX_TRY(l.set_only, yaml::get_bool(m, "set_only", name, false));
  const bool netdev = family == "netdev";
  PHALANX_TRY(l.hook, yaml::get_string(m, "hook", name, netdev ? "ingress" : "prerouting"));
  PHALANX_TRY(l.chain, yaml::get_string(m, "chain", name, l.hook));
  PHALANX_TRY(std::string prio, yaml::get_string(m, "priority", name, "raw"));
  auto p = parse_priority(prio);
  if (!p) return p.error().context(yaml::where(name, m["priority"]) + ": nftables.priority");
  l.priority = *p;
  PHALANX_TRY(l.devices, yaml::get_string_list(m, "devices", name));
  PHALANX_TRY(l.set_prefix, yaml::get_string(m, "set_prefix", name, l.set_prefix));
  PHALANX_TRY(bool no4, yaml::get_bool(root, "disable_ipv4", name, false));
  PHALANX_TRY(bool no6, yaml::get_bool(root, "disable_ipv6", name, false));
  l.ipv4 = !no4;
  l.ipv6 = !no6;
  PHALANX_TRY(std::string deny, yaml::get_string(root, "deny_action", name, "drop"));
  if (strcasecmp(deny.c_str(), "drop") == 0) {
    l.reject = false;
  } else if (strcasecmp(deny.c_str(), "reject") == 0) {
    l.reject = true;
  } else {
    return Error(yaml::where(name, root["deny_action"]) + ": deny_action must be drop or reject");
  }
  auto v = validate(l);
  if (!v) return v.error().context(name);
  return ok();
}

}  // namespace

Result<int> parse_priority(const std::string& text) {
  if (text == "raw") return -300;
  if (text == "mangle") return -150;
  if (text == "filter") return 0;
  if (text == "security") return 50;
  int v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data() + (!text.empty() && text[0] == '+'), end, v);
  if (ec != std::errc() || p != end || text.empty())
    return Error("invalid priority '" + text + "' (raw, mangle, filter, security or a number)");
  return v;
}

Result<NftBouncerConfig> parse_config(std::string_view text, const std::string& name) {
  std::vector<std::string> missing;
  const std::string expanded = yaml::expand_env(text, &missing);
  PHALANX_TRY(auto docs, yaml::load_string(expanded, name));
  if (docs.empty() || !docs[0].root.IsMap()) return Error(name + ": expected a YAML mapping");
  const YAML::Node& root = docs[0].root;
  NftBouncerConfig c;
  PHALANX_TRY(c.stream, bouncer::load_stream_config(root, name));
  PHALANX_CHECK(read_layout(root, name, c.layout));
  PHALANX_TRY(c.flush_on_stop, yaml::get_bool(root, "flush_on_stop", name, false));
  PHALANX_TRY(auto allow, yaml::get_string_list(root, "allow", name));
  for (const auto& a : allow) {
    auto cidr = net::Cidr::parse(a);
    if (!cidr) return cidr.error().context(yaml::where(name, root["allow"]) + ": allow");
    c.allow.push_back(*cidr);
  }
  PHALANX_TRY(c.allow_own_addresses,
              yaml::get_bool(root, "allow_own_addresses", name, c.allow_own_addresses));
  PHALANX_TRY(long long chunk, yaml::get_int(root, "chunk_size", name, 25000));
  if (chunk < 100 || chunk > 1000000)
    return Error(yaml::where(name, root["chunk_size"]) + ": chunk_size must be 100..1000000");
  c.chunk_size = static_cast<size_t>(chunk);
  PHALANX_TRY(c.expire_interval, read_duration(root, "expire_interval", name, "10s", false));
  PHALANX_TRY(c.usage_metrics_interval,
              read_duration(root, "usage_metrics_interval", name, "15m", true));
  PHALANX_TRY(c.log_level, yaml::get_string(root, "log_level", name, c.log_level));
  if (const YAML::Node p = root["prometheus"]; p && p.IsMap()) {
    PHALANX_TRY(c.prometheus, yaml::get_bool(p, "enabled", name, false));
    PHALANX_TRY(c.prometheus_addr, yaml::get_string(p, "listen_addr", name, c.prometheus_addr));
    PHALANX_TRY(long long port, yaml::get_int(p, "listen_port", name, c.prometheus_port));
    if (port <= 0 || port > 65535) return Error(yaml::where(name, p) + ": listen_port");
    c.prometheus_port = static_cast<int>(port);
  }
  for (const auto& var : missing) {
    if (c.stream.api_key.empty() && c.stream.cert_path.empty())
      return Error(name + ": environment variable " + var + " is not set");
  }
  return c;
}

Result<NftBouncerConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::from_errno("reading " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace phalanx::nft
