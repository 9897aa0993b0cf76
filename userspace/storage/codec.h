// SPDX-License-Identifier: Apache-2.0
// How rows are encoded in both backends: times as int64 nanoseconds since the Unix epoch, IP
// ranges as 16-byte big-endian start/end (IPv4 v4-mapped) plus the family's address size, and an
// alert's events, meta and labels as JSON text. Pure functions, shared by the backends and tests.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "parser/overflow.h"
#include "storage/db.h"

namespace phalanx::storage {

// Meta limits (spec §1.6): alert meta keys are cut to 255 bytes and values to 4095.
inline constexpr size_t kMetaKeyMax = 255;
inline constexpr size_t kMetaValueMax = 4095;
// An event's serialized meta must fit this many bytes; longer values are first cut to
// kEventValueCut bytes plus "<stripped>", and if that is not enough the event's meta is dropped.
inline constexpr size_t kEventMetaMax = 8191;
inline constexpr size_t kEventValueCut = 1000;

inline int64_t to_ns(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint from_ns(int64_t ns) {
  return TimePoint(std::chrono::nanoseconds(ns));
}

// An address range: inclusive bounds as 16 big-endian bytes, and 4 (IPv4) or 16 (IPv6). Fixed
// arrays, so that computing one per decision of a bulk insert allocates nothing.
struct IpSpan {
  std::array<uint8_t, 16> start{};
  std::array<uint8_t, 16> end{};
  int64_t size = 0;
};

inline Blob to_blob(const std::array<uint8_t, 16>& bytes) {
  return Blob(bytes.begin(), bytes.end());
}

// The range of a CIDR or bare address ("1.2.3.4", "10.0.0.0/8", "2001:db8::/32").
Result<IpSpan> ip_span(std::string_view text);
// The range a decision covers: scope Ip or Range (any case) with a parseable value; otherwise
// none (Country, AS, custom scopes).
std::optional<IpSpan> decision_span(std::string_view scope, std::string_view value);
// The range of an alert's source: its range, else its ip, else the value of an Ip/Range scope.
std::optional<IpSpan> source_span(const parser::Source& source);

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view s, size_t max);

std::string encode_meta(const std::vector<parser::MetaItem>& meta);  // applies the meta limits
std::string encode_events(const std::vector<parser::AlertEvent>& events);
std::string encode_labels(const std::vector<std::string>& labels);
// Decoders are lenient: a column that does not parse decodes as empty.
std::vector<parser::MetaItem> decode_meta(std::string_view json);
std::vector<parser::AlertEvent> decode_events(std::string_view json);
std::vector<std::string> decode_labels(std::string_view json);

}  // namespace phalanx::storage
