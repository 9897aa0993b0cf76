// SPDX-License-Identifier: Apache-2.0
#include "enrich/rdns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace phalanx::enrich {
namespace {

// Go's isDomainName (RFC 1035 presentation format, with '_' allowed): Go filters the names a
// reverse lookup returns through it.
bool is_domain_name(std::string_view s) {
  if (s == ".") return true;
  size_t l = s.size();
  if (l == 0 || l > 254 || (l == 254 && s[l - 1] != '.')) return false;
  char last = '.';
  bool non_numeric = false;
  size_t part_len = 0;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
      non_numeric = true;
      ++part_len;
    } else if (c >= '0' && c <= '9') {
      ++part_len;
    } else if (c == '-') {
      if (last == '.') return false;
      ++part_len;
      non_numeric = true;
    } else if (c == '.') {
      if (last == '.' || last == '-' || part_len > 63 || part_len == 0) return false;
      part_len = 0;
    } else {
      return false;
    }
    last = c;
  }
  return last != '-' && part_len <= 63 && non_numeric;
}

// Go's absDomainName: dotted names become absolute; single labels from /etc/hosts stay as is.
std::string abs_domain_name(std::string name) {
  if (name.find('.') != std::string::npos && name.back() != '.') name += '.';
  return name;
}

}  // namespace

std::string reverse_dns(const net::IpAddress& ip) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ip.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(ip.v4_host_order());
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(sin6->sin6_addr.s6_addr, ip.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  char host[NI_MAXHOST];
  // NI_NAMEREQD: without a name, fail instead of returning the address as text.
  int rc = getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof(host), nullptr, 0,
                       NI_NAMEREQD);
  if (rc != 0) return "";
  std::string name = abs_domain_name(host);
  return is_domain_name(name) ? name : "";
}

Fields ReverseDns::enrich(std::string_view ip_text) const {
  if (!enabled_ || ip_text.empty()) return {};
  auto ip = net::IpAddress::parse(ip_text);
  if (!ip) return {};
  std::string name = reverse_dns(*ip);
  if (name.empty()) return {};
  return Fields{{"reverse_dns", std::move(name)}};
}

}  // namespace phalanx::enrich
