// SPDX-License-Identifier: Apache-2.0
// Internal: Go standard-library string functions (strings, net/url, encoding/base64) with the
// same results byte for byte, for the helpers that mirror them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "expr/value.h"

namespace phalanx::expr::detail {

// strings.Trim / TrimLeft / TrimRight with a cutset of runes.
std::string_view go_trim(std::string_view s, std::string_view cutset, bool left, bool right);
// strings.SplitN / SplitAfterN (n < 0: all; n == 0: none).
std::vector<std::string_view> go_split(std::string_view s, std::string_view sep, bool after,
                                       int64_t n);
// strings.Fields.
std::vector<std::string_view> go_fields(std::string_view s);
// strings.Replace (n < 0: all).
std::string go_replace(std::string_view s, std::string_view from, std::string_view to, int64_t n);
// An array of owned strings.
Value strings_to_array(const std::vector<std::string_view>& parts);

// url.QueryEscape / PathEscape; url.QueryUnescape / PathUnescape (errors on a bad escape).
std::string url_escape(std::string_view s, bool query);
Result<std::string> url_unescape(std::string_view s, bool query);

// base64.StdEncoding.
std::string base64_encode(std::string_view s);
Result<std::string> base64_decode(std::string_view s);

}  // namespace phalanx::expr::detail
