// SPDX-License-Identifier: Apache-2.0
// Named component loggers (acquis, parser, bucket, lapi, store, xdp, nft, …) on one stderr sink.
// Nothing on a per-line or per-packet path logs above debug.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace phalanx::log {

// Returns the logger for a component, creating it on first use with the global level.
// Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view component);

// Sets the level of every existing and future logger ("trace", "debug", "info", "warn",
// "error", "off"). Unknown names leave the level unchanged and return false.
bool set_level(std::string_view level);

}  // namespace phalanx::log
