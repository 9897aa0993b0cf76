// SPDX-License-Identifier: Apache-2.0
// Go-compatible formatting of values: fmt's %v for floats, strconv.Quote, and a Sprintf subset.
// CrowdSec prints values through Go's fmt (statics use "%f" for floats, Sprintf is a helper), so
// the same numbers must render to the same bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "expr/value.h"

namespace phalanx::expr {

// fmt.Sprint(float64), i.e. strconv 'g' with the shortest precision: exponent form when the
// decimal exponent is < -4 or >= 6 (Go uses precision 6 for the shortest form) ("1e+06", "123456",
// "1.5", "1e-05"), "+Inf", "-Inf", "NaN".
std::string format_go_float(double value);
// strconv.FormatFloat(v, 'f', prec, 64) (prec -1: shortest), e.g. "%f" is prec 6.
std::string format_go_float_fixed(double value, int precision);
// strconv.Quote: double-quoted with Go escapes; non-printable and invalid UTF-8 escaped.
std::string go_quote(std::string_view text);
// json.Marshal of a value: Go's encoding rules (sorted map keys, HTML-safe escapes of < > &,
// floats in 'f' form unless < 1e-6 or >= 1e21, no spaces). Errors: a non-finite float
// ("json: unsupported value: NaN").
Result<std::string> go_json_marshal(const Value& value);
// time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 -0700" style (zone as offset,
// "UTC" for offset 0).
std::string format_go_time(const ZonedTime& time);
// RFC 3339 with nanoseconds, trailing zeros trimmed (time.RFC3339Nano), keeping the offset.
std::string format_rfc3339_nano(const ZonedTime& time);
// RFC 3339 to the second (time.RFC3339).
std::string format_rfc3339(const ZonedTime& time);

// fmt.Sprintf with the verbs %v %+v %s %d %f %F %e %g %q %x %X %t %T %%, flags "+- 0#",
// width and precision (also '*'). Mismatches render as Go does ("%!d(string=x)",
// "%!(EXTRA ...)", "%!s(MISSING)").
std::string go_sprintf(std::string_view format, std::span<const Value> args);

}  // namespace phalanx::expr
