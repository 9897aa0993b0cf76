// SPDX-License-Identifier: Apache-2.0
// Go-format durations, as they appear in hub content and on the LAPI wire.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace phalanx {

using Duration = std::chrono::nanoseconds;

// Parses a Go duration: a sequence of decimal numbers with optional fraction and a unit
// (ns, us, µs, ms, s, m, h), optionally signed: "4h", "1h30m", "90s", "1.5h", "-1m". "0" alone
// is allowed. With allow_days, "d" (24h) is accepted too, as CrowdSec profiles and the LAPI do.
Result<Duration> parse_go_duration(std::string_view text, bool allow_days = false);

// Formats exactly like Go's time.Duration.String(): "4h0m0s", "59m59s", "1.5s", "-1h2m3s",
// "0s", "1ms", "2µs".
std::string format_go_duration(Duration d);

}  // namespace phalanx
