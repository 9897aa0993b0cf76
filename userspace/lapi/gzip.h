// SPDX-License-Identifier: Apache-2.0
// Request bodies sent with Content-Encoding: gzip (Go LAPI clients compress anything over 5 KiB).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace phalanx::lapi {

// Inflates a gzip (or zlib) stream. Errors: "gzip: ..." for a corrupt or truncated stream, and
// "http: request body too large" (code E2BIG) once the output would exceed `limit` bytes; the
// output is never allowed past the limit, so a small bomb costs at most `limit` of memory.
Result<std::string> gunzip(std::string_view data, size_t limit);

}  // namespace phalanx::lapi
