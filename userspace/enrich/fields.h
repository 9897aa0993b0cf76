// SPDX-License-Identifier: Apache-2.0
// What an enricher returns: output key → value, merged by the parser into Event.Enriched.
#pragma once

#include <map>
#include <string>

namespace phalanx::enrich {

using Fields = std::map<std::string, std::string>;

}  // namespace phalanx::enrich
