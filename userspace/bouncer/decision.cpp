// SPDX-License-Identifier: Apache-2.0
#include "bouncer/decision.h"

#include <strings.h>

#include <iterator>

#include "bouncer/stream_parser.h"

namespace phalanx::bouncer {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<std::optional<net::Cidr>> decision_target(std::string_view scope, std::string_view value) {
  if (iequals(scope, "ip")) {
    auto addr = net::IpAddress::parse(value);
    if (!addr) return addr.error();
    return std::optional<net::Cidr>(net::Cidr::host(*addr));
  }
  if (iequals(scope, "range")) {
    auto cidr = net::Cidr::parse(value);
    if (!cidr) return cidr.error();
    return std::optional<net::Cidr>(*cidr);
  }
  return std::optional<net::Cidr>();
}

Result<StreamResponse> parse_stream_response(std::string_view body) {
  StreamResponse out;
  StreamParser parser(
      [&](StreamList list, std::vector<Decision>& batch) -> Result<void> {
        auto& to = list == StreamList::kNew ? out.added : out.deleted;
        to.insert(to.end(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
        return ok();
      },
      [&](std::string why) { out.rejected.push_back(std::move(why)); });
  PHALANX_CHECK(parser.feed(body));
  PHALANX_CHECK(parser.finish());
  return out;
}

}  // namespace phalanx::bouncer
