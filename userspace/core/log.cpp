// SPDX-License-Identifier: Apache-2.0
#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <string>

namespace phalanx::log {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}

spdlog::sink_ptr shared_sink() {
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

spdlog::level::level_enum& global_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  std::lock_guard lock(registry_mutex());
  const std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(global_level());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
  spdlog::register_logger(logger);
  return logger;
}

bool set_level(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(registry_mutex());
  global_level() = parsed;
  spdlog::set_level(parsed);
  return true;
}

}  // namespace phalanx::log
