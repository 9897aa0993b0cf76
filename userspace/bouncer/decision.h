// SPDX-License-Identifier: Apache-2.0
// Decisions as the LAPI decision stream carries them (GET /v1/decisions/stream), and the parser
// of a stream response body: {"new": [...] | null, "deleted": [...] | null}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::bouncer {

// One decision from the stream. `duration` is what was left when the LAPI answered (Go
// duration text, negative for expired rows in `deleted`). `target` is set for the Ip and Range
// scopes (any letter case) when the value parses; other scopes (Country, AS, username, ...)
// leave it empty and the backends that enforce addresses skip them.
struct Decision {
  int64_t id = 0;
  std::string origin;
  std::string scenario;
  std::string scope;
  std::string type;
  std::string value;
  std::string uuid;
  Duration duration{};
  std::optional<net::Cidr> target;
};

// A parsed stream response, in the order the LAPI sent it (ascending id).
struct StreamResponse {
  std::vector<Decision> added;    // "new"
  std::vector<Decision> deleted;  // "deleted"
  // Decisions left out because they do not parse, one message each naming the list, index, id
  // and field: "new[3] (id 42): value: invalid IPv4 address '1.2.3'".
  std::vector<std::string> rejected;
};

// Parses a stream body. `null` and missing lists are empty lists. A decision whose duration does
// not parse, or whose Ip/Range value is not an address, is left out and described in
// `rejected`; the rest of the body still counts (one bad row from the LAPI must not stop every
// other decision from being enforced). A body that is not JSON, or lists that are not arrays,
// are errors. Unknown fields are ignored (newer LAPIs add some).
Result<StreamResponse> parse_stream_response(std::string_view body);

// The address a decision bans for scope Ip ("1.2.3.4", "2001:db8::1") or Range ("10.0.0.0/8"),
// empty for other scopes. Errors: the value does not parse.
Result<std::optional<net::Cidr>> decision_target(std::string_view scope, std::string_view value);

}  // namespace phalanx::bouncer
