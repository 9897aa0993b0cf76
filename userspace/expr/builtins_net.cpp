// SPDX-License-Identifier: Apache-2.0
// CrowdSec helpers over IP addresses and coordinates (Go net.ParseIP / ParseCIDR semantics).
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "core/net.h"
#include "expr/builtins.h"
#include "expr/net_util.h"
#include "expr/ops.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

// The last few texts parsed by fn_ip_in_range, per thread: a whitelist or a filter tests one
// event's address against several literal ranges, event after event, so both the address and
// the ranges repeat. A fixed round-robin table: a lookup is a few short string compares, against
// a parse of each text per call.
template <typename T, size_t N>
class ParseCache {
 public:
  template <typename Parse>
  const std::optional<T>& get(std::string_view text, Parse parse) {
    for (size_t i = 0; i < used_; ++i) {
      if (entries_[i].text == text) return entries_[i].value;
    }
    Entry& e = entries_[next_];
    next_ = (next_ + 1) % N;
    used_ = std::max(used_, next_ == 0 ? N : next_);
    e.text.assign(text);
    auto parsed = parse(text);
    e.value = parsed ? std::optional<T>(*parsed) : std::nullopt;
    return e.value;
  }

 private:
  struct Entry {
    std::string text;
    std::optional<T> value;
  };
  std::array<Entry, N> entries_;
  size_t next_ = 0;
  size_t used_ = 0;
};

Result<Value> fn_ip_in_range(Args a, RunContext&) {
  PHALANX_TRY(std::string_view ip, want_string(a[0], "IpInRange"));
  PHALANX_TRY(std::string_view range, want_string(a[1], "IpInRange"));
  thread_local ParseCache<net::IpAddress, 2> addresses;
  thread_local ParseCache<net::Cidr, 8> ranges;
  const auto& addr = addresses.get(ip, [](std::string_view t) { return net::IpAddress::parse(t); });
  const auto& cidr = ranges.get(range, [](std::string_view t) { return parse_go_cidr(t); });
  // CrowdSec answers false (not an error) for an invalid address or range.
  if (!addr || !cidr) return Value::boolean(false);
  return Value::boolean(cidr_contains(*cidr, *addr));
}

Result<Value> fn_ip_to_range(Args a, RunContext&) {
  PHALANX_TRY(std::string_view ip, want_string(a[0], "IpToRange"));
  PHALANX_TRY(std::string_view mask_text, want_string(a[1], "IpToRange"));
  if (mask_text.starts_with('/')) mask_text.remove_prefix(1);
  auto mask = parse_go_int(mask_text);
  auto addr = net::IpAddress::parse(ip);
  if (!mask || !addr) return Value::view("");
  int bits = addr->is_v4() ? 32 : 128;
  if (*mask < 0 || *mask > bits) return Value::view("");
  return Value::string(net::Cidr(*addr, static_cast<int>(*mask)).to_string());
}

Result<Value> fn_is_ip(Args a, RunContext&) {
  PHALANX_TRY(std::string_view ip, want_string(a[0], "IsIP"));
  return Value::boolean(net::IpAddress::parse(ip).has_value());
}

Result<Value> fn_is_ipv4(Args a, RunContext&) {
  PHALANX_TRY(std::string_view ip, want_string(a[0], "IsIPV4"));
  auto addr = net::IpAddress::parse(ip);
  return Value::boolean(addr && addr->is_v4());
}

Result<Value> fn_is_ipv6(Args a, RunContext&) {
  PHALANX_TRY(std::string_view ip, want_string(a[0], "IsIPV6"));
  auto addr = net::IpAddress::parse(ip);
  return Value::boolean(addr && addr->is_v6());
}

Result<Value> fn_distance(Args a, RunContext&) {
  static constexpr const char* kNames[] = {"lat1", "long1", "lat2", "long2"};
  double c[4];
  for (size_t i = 0; i < 4; ++i) {
    PHALANX_TRY(std::string_view s, want_string(a[i], "Distance"));
    auto v = parse_go_float(s);
    if (!v) return Error(std::string(kNames[i]) + " is not a float: " + v.error().message());
    c[i] = *v;
  }
  // CrowdSec answers 0 when either point is (0,0), an unknown location, to avoid false alerts.
  if ((c[0] == 0 && c[1] == 0) || (c[2] == 0 && c[3] == 0)) return Value::floating(0);
  constexpr double kEarthRadiusKm = 6371;
  constexpr double kRad = M_PI / 180;
  double lat1 = c[0] * kRad, lon1 = c[1] * kRad, lat2 = c[2] * kRad, lon2 = c[3] * kRad;
  double h = std::pow(std::sin((lat2 - lat1) / 2), 2) +
             std::cos(lat1) * std::cos(lat2) * std::pow(std::sin((lon2 - lon1) / 2), 2);
  return Value::floating(2 * std::atan2(std::sqrt(h), std::sqrt(1 - h)) * kEarthRadiusKm);
}

constexpr FunctionSpec kNetHelpers[] = {
    {"IpInRange", 2, 2, fn_ip_in_range, true},
    {"IpToRange", 2, 2, fn_ip_to_range, true},
    {"IsIP", 1, 1, fn_is_ip, true},
    {"IsIPV4", 1, 1, fn_is_ipv4, true},
    {"IsIPV6", 1, 1, fn_is_ipv6, true},
    {"Distance", 4, 4, fn_distance, true},
};

}  // namespace

std::span<const FunctionSpec> net_helpers() {
  return kNetHelpers;
}

}  // namespace phalanx::expr::detail
