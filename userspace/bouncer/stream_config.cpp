// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_config.h"

#include "core/yaml.h"

namespace phalanx::bouncer {
namespace {

Result<Duration> get_duration(const YAML::Node& node, std::string_view key, const std::string& file,
                              Duration fallback) {
  PHALANX_TRY(std::string text, yaml::get_string(node, key, file));
  if (text.empty()) return fallback;
  auto d = parse_go_duration(text, /*allow_days=*/true);
  if (!d || d->count() < 0) {
    return Error(yaml::where(file, node[std::string(key)]) + ": key '" + std::string(key) +
                 "': invalid duration '" + text + "'");
  }
  return *d;
}

Result<void> get_list(const YAML::Node& node, std::string_view key, const std::string& file,
                      std::vector<std::string>& out) {
  if (!node[std::string(key)]) return ok();
  PHALANX_TRY(out, yaml::get_string_list(node, key, file));
  return ok();
}

}  // namespace

Result<StreamConfig> load_stream_config(const YAML::Node& node, const std::string& file) {
  StreamConfig c;
  PHALANX_TRY(c.api_url, yaml::get_string(node, "api_url", file, c.api_url));
  PHALANX_TRY(c.api_key, yaml::get_string(node, "api_key", file));
  PHALANX_TRY(c.cert_path, yaml::get_string(node, "cert_path", file));
  PHALANX_TRY(c.key_path, yaml::get_string(node, "key_path", file));
  PHALANX_TRY(c.ca_cert_path, yaml::get_string(node, "ca_cert_path", file));
  PHALANX_TRY(c.insecure_skip_verify, yaml::get_bool(node, "insecure_skip_verify", file));
  PHALANX_TRY(c.update_frequency, get_duration(node, "update_frequency", file, c.update_frequency));
  PHALANX_TRY(c.push_wait, get_duration(node, "push_wait", file, c.push_wait));
  PHALANX_TRY(c.resync_interval, get_duration(node, "resync_interval", file, c.resync_interval));
  PHALANX_TRY(c.retry_initial, get_duration(node, "retry_initial", file, c.retry_initial));
  PHALANX_TRY(c.retry_max, get_duration(node, "retry_max", file, c.retry_max));
  PHALANX_CHECK(get_list(node, "scopes", file, c.scopes));
  PHALANX_CHECK(get_list(node, "origins", file, c.origins));
  PHALANX_CHECK(get_list(node, "scenarios_containing", file, c.scenarios_containing));
  PHALANX_CHECK(get_list(node, "scenarios_not_containing", file, c.scenarios_not_containing));
  PHALANX_CHECK(get_list(node, "supported_decisions_types", file, c.supported_decisions_types));
  if (c.api_url.empty()) return Error(file + ": api_url is required");
  const bool cert = !c.cert_path.empty() || !c.key_path.empty();
  if (cert && (c.cert_path.empty() || c.key_path.empty()))
    return Error(file + ": cert_path and key_path go together");
  if (cert && !c.api_key.empty())
    return Error(file + ": use api_key or cert_path/key_path, not both");
  if (!cert && c.api_key.empty()) return Error(file + ": api_key is required");
  if (c.update_frequency.count() == 0) return Error(file + ": update_frequency must be > 0");
  if (c.retry_initial.count() == 0 || c.retry_max < c.retry_initial)
    return Error(file + ": need 0 < retry_initial <= retry_max");
  return c;
}

}  // namespace phalanx::bouncer
