// SPDX-License-Identifier: Apache-2.0
// The GeoIP enrichers (GeoIpCity, GeoIpASN, IpToRange) over MaxMind DB files, read with
// libmaxminddb. Outputs match CrowdSec's, key for key and digit for digit.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/net.h"
#include "core/result.h"
#include "enrich/fields.h"

namespace phalanx::enrich {

// The City and ASN databases, each optional. Immutable after open(); lookups are const and
// thread-safe (libmaxminddb only reads the memory-mapped file).
class GeoIpDatabases {
 public:
  GeoIpDatabases();  // nothing configured
  GeoIpDatabases(GeoIpDatabases&&) noexcept;
  GeoIpDatabases& operator=(GeoIpDatabases&&) noexcept;
  ~GeoIpDatabases();

  // Opens (memory-maps) the databases. An empty path means "not configured" and is not an
  // error. Errors: "opening geoip database <path>: <cause>" for a missing or invalid file.
  static Result<GeoIpDatabases> open(const std::string& city_path, const std::string& asn_path);

  bool has_city() const { return city_ != nullptr; }
  bool has_asn() const { return asn_ != nullptr; }

  // GeoIpCity: IsoCode and IsInEU ("true"/"false") from country, else registered_country, else
  // represented_country, else "" and "false"; Latitude and Longitude printed with %f. An
  // address absent from the database gives those defaults ("", "false", "0.000000", ...).
  // Empty when the City database is not configured or the lookup fails (e.g. an IPv6 address
  // in an IPv4-only database).
  Fields city(const net::IpAddress& ip) const;
  // GeoIpASN: ASNNumber and ASNumber (the same decimal number, "0" when absent) and ASNOrg.
  // Empty when the ASN database is not configured or the lookup fails.
  Fields asn(const net::IpAddress& ip) const;
  // IpToRange: SourceRange, the ASN database network containing ip as CIDR text
  // ("192.0.2.0/24", "2001:db8::/32"). Empty when ip is not in the database, the database is
  // not configured, or the lookup fails.
  Fields range(const net::IpAddress& ip) const;

  // The same, from the text of an event field; text that is not an IP address gives an empty
  // result, as in CrowdSec.
  Fields city(std::string_view ip) const;
  Fields asn(std::string_view ip) const;
  Fields range(std::string_view ip) const;

 private:
  struct Db;
  // Opens one database; nullptr when the path is empty (not configured).
  static Result<std::unique_ptr<Db>> open_db(const std::string& path);

  std::unique_ptr<Db> city_;
  std::unique_ptr<Db> asn_;
};

}  // namespace phalanx::enrich
