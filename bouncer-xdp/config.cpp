// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/config.h"

#include <fstream>
#include <sstream>

#include "core/yaml.h"

namespace phalanx::xdp {
namespace {

Result<void> read_size(const YAML::Node& root, const char* key, const std::string& file,
                       uint32_t& out) {
  PHALANX_TRY(long long v, yaml::get_int(root, key, file, out));
  if (v <= 0 || v > (1LL << 28))
    return Error(yaml::where(file, root[key]) + ": key '" + key + "': out of range");
  out = static_cast<uint32_t>(v);
  return ok();
}

}  // namespace

Result<XdpBouncerConfig> parse_config(std::string_view text, const std::string& name) {
  std::vector<std::string> missing;
  const std::string expanded = yaml::expand_env(text, &missing);
  PHALANX_TRY(auto docs, yaml::load_string(expanded, name));
  if (docs.empty() || !docs[0].root.IsMap()) return Error(name + ": expected a YAML mapping");
  const YAML::Node& root = docs[0].root;
  XdpBouncerConfig c;
  PHALANX_TRY(c.stream, bouncer::load_stream_config(root, name));
  PHALANX_TRY(c.interfaces, yaml::get_string_list(root, "interfaces", name));
  PHALANX_TRY(std::string mode, yaml::get_string(root, "xdp_mode", name, "auto"));
  auto parsed_mode = parse_xdp_mode(mode);
  if (!parsed_mode) return parsed_mode.error().context(yaml::where(name, root["xdp_mode"]));
  c.mode = *parsed_mode;
  PHALANX_TRY(c.maps.pin_dir, yaml::get_string(root, "pin_dir", name, c.maps.pin_dir));
  PHALANX_CHECK(read_size(root, "max_ban_v4", name, c.maps.max_ban_v4));
  PHALANX_CHECK(read_size(root, "max_ban_v6", name, c.maps.max_ban_v6));
  PHALANX_CHECK(read_size(root, "max_range_v4", name, c.maps.max_range_v4));
  PHALANX_CHECK(read_size(root, "max_range_v6", name, c.maps.max_range_v6));
  PHALANX_CHECK(read_size(root, "max_allow_v4", name, c.maps.max_allow_v4));
  PHALANX_CHECK(read_size(root, "max_allow_v6", name, c.maps.max_allow_v6));
  PHALANX_TRY(std::string sweep, yaml::get_string(root, "sweep_interval", name, "10s"));
  auto sweep_d = parse_go_duration(sweep);
  if (!sweep_d || sweep_d->count() <= 0)
    return Error(yaml::where(name, root["sweep_interval"]) + ": invalid sweep_interval");
  c.sweep_interval = *sweep_d;
  PHALANX_TRY(std::string usage, yaml::get_string(root, "usage_metrics_interval", name, "15m"));
  auto usage_d = parse_go_duration(usage);
  if (!usage_d || usage_d->count() < 0)
    return Error(yaml::where(name, root["usage_metrics_interval"]) +
                 ": invalid usage_metrics_interval");
  c.usage_metrics_interval = *usage_d;
  PHALANX_TRY(auto allow, yaml::get_string_list(root, "allow", name));
  for (const auto& a : allow) {
    auto cidr = net::Cidr::parse(a);
    if (!cidr) return cidr.error().context(yaml::where(name, root["allow"]) + ": allow");
    c.allow.push_back(*cidr);
  }
  PHALANX_TRY(c.allow_own_addresses,
              yaml::get_bool(root, "allow_own_addresses", name, c.allow_own_addresses));
  PHALANX_TRY(c.log_level, yaml::get_string(root, "log_level", name, c.log_level));
  if (const YAML::Node p = root["prometheus"]; p && p.IsMap()) {
    PHALANX_TRY(c.prometheus, yaml::get_bool(p, "enabled", name, false));
    PHALANX_TRY(c.prometheus_addr, yaml::get_string(p, "listen_addr", name, c.prometheus_addr));
    PHALANX_TRY(long long port, yaml::get_int(p, "listen_port", name, c.prometheus_port));
    if (port <= 0 || port > 65535) return Error(yaml::where(name, p) + ": listen_port");
    c.prometheus_port = static_cast<int>(port);
  }
  if (c.interfaces.empty()) return Error(name + ": interfaces: give at least one interface");
  if (c.maps.pin_dir.empty()) return Error(name + ": pin_dir must not be empty");
  for (const auto& var : missing) {
    if (c.stream.api_key.empty() && c.stream.cert_path.empty())
      return Error(name + ": environment variable " + var + " is not set");
  }
  return c;
}

Result<XdpBouncerConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::from_errno("reading " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace phalanx::xdp
