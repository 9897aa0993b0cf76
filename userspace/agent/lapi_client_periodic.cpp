// SPDX-License-Identifier: Apache-2.0
// LapiClient's periodic requests besides the push: heartbeat and usage metrics, both sent as
// the logged-in machine.
#include <fmt/format.h>
#include <httplib.h>

#include "agent/lapi_client.h"
#include "agent/lapi_http.h"
#include "core/log.h"

namespace phalanx::agent {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("agent");
  return log;
}

}  // namespace

Result<int> LapiClient::send_authorized(const std::string& method, const std::string& path,
                                        const std::string& body, std::string* answer) {
  for (int attempt = 0;; ++attempt) {
    PHALANX_CHECK(ensure_token(false));
    const httplib::Headers headers{{"User-Agent", options_.user_agent},
                                   {"Authorization", "Bearer " + token_}};
    auto res = method == "GET" ? http_->Get(path, headers)
                               : http_->Post(path, headers, body, "application/json");
    if (!res) return Error(fmt::format("{} {}: {}", method, path, transport_error(res.error())));
    if ((res->status == 401 || res->status == 403) && attempt < kAuthRetries) {
      token_.clear();
      std::lock_guard lock(mu_);
      stats_.logged_in = false;
      continue;
    }
    if (answer != nullptr) *answer = std::move(res->body);
    return res->status;
  }
}

void LapiClient::heartbeat() {
  const std::string path = base_path_ + "/v1/heartbeat";
  std::string answer;
  auto status = send_authorized("GET", path, {}, &answer);
  std::lock_guard lock(mu_);
  if (status && is_2xx(*status)) {
    ++stats_.heartbeats;
    return;
  }
  ++stats_.heartbeat_failures;
  logger()->debug("agent: heartbeat: {}",
                  status ? fmt::format("GET {}: status {}: {}", path, *status, error_text(answer))
                         : status.error().message());
}

bool LapiClient::send_usage_metrics() {
  const std::string path = base_path_ + "/v1/usage-metrics";
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const LogProcessorUsage usage = options_.usage();
  const int64_t since = last_usage_unix_ != 0 ? last_usage_unix_ : usage.startup_unix;
  std::string answer;
  auto status = send_authorized("POST", path, usage_metrics_body(usage, now, now - since), &answer);
  std::lock_guard lock(mu_);
  if (status && is_2xx(*status)) {
    ++stats_.usage_posts;
    last_usage_unix_ = now;
    return true;
  }
  ++stats_.usage_failures;
  if (!status) {
    logger()->debug("agent: usage metrics: {}", status.error().message());
    return false;
  }
  if (*status == 404) {
    if (!usage_404_warned_)
      logger()->warn("agent: usage metrics: the LAPI has no /v1/usage-metrics (older than 1.6?)");
    usage_404_warned_ = true;
  } else {
    logger()->warn("agent: usage metrics: POST {}: status {}: {}", path, *status,
                   error_text(answer));
  }
  return true;
}

}  // namespace phalanx::agent
