// SPDX-License-Identifier: Apache-2.0
// The reverse_dns enricher: the host name of an address, through the system resolver.
#pragma once

#include <string>
#include <string_view>

#include "core/net.h"
#include "enrich/fields.h"

namespace phalanx::enrich {

// The first name the system resolver (getnameinfo, NI_NAMEREQD) gives for ip, shaped as Go's
// net.LookupAddr returns it, which is what CrowdSec stores: a name containing a dot gets a
// trailing dot ("host.example.com."), a single label ("localhost") does not; a name that is not
// a valid domain name is dropped. "" when there is no name or the lookup fails.
// Blocking: it may read /etc/hosts and send DNS queries, and can take seconds.
// Thread-safe.
std::string reverse_dns(const net::IpAddress& ip);

// The reverse_dns method as the parser calls it. Disabled unless constructed with true, because
// each call blocks on the resolver and may send a DNS query for an attacker's address.
class ReverseDns {
 public:
  explicit ReverseDns(bool enabled = false) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }

  // {"reverse_dns": name}; empty when disabled, when ip_text is not an IP address, or when the
  // address has no name. Thread-safe.
  Fields enrich(std::string_view ip_text) const;

 private:
  bool enabled_ = false;
};

}  // namespace phalanx::enrich
