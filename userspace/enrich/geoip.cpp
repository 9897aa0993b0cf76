// SPDX-License-Identifier: Apache-2.0
#include "enrich/geoip.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

namespace phalanx::enrich {

struct GeoIpDatabases::Db {
  MMDB_s mmdb{};
  bool opened = false;
  ~Db() {
    if (opened) MMDB_close(&mmdb);
  }
};

namespace {

struct Lookup {
  MMDB_lookup_result_s result{};
  bool v4 = false;  // looked up as IPv4 (netmask then counts from the IPv4 subtree)
};

// Looks ip up. An IPv4 address (including ::ffff:a.b.c.d, which IpAddress already treats as
// IPv4, as Go's To4 does) goes through the database's IPv4 subtree. nullopt when libmaxminddb
// reports an error, e.g. an IPv6 address in an IPv4-only database.
std::optional<Lookup> lookup(const MMDB_s& mmdb, const net::IpAddress& ip) {
  Lookup out;
  out.v4 = ip.is_v4();
  int error = MMDB_SUCCESS;
  if (out.v4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(ip.v4_host_order());
    out.result = MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<const sockaddr*>(&sin), &error);
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    std::memcpy(sin6.sin6_addr.s6_addr, ip.bytes().data(), 16);
    out.result = MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<const sockaddr*>(&sin6), &error);
  }
  if (error != MMDB_SUCCESS) return std::nullopt;
  return out;
}

// Fetches a value by path; nullopt when absent. The entry is copied because MMDB_get_value
// takes a non-const pointer, though it only reads.
std::optional<MMDB_entry_data_s> get(const MMDB_entry_s& entry, const char* a, const char* b) {
  MMDB_entry_s start = entry;
  MMDB_entry_data_s data{};
  int status =
      b ? MMDB_get_value(&start, &data, a, b, nullptr) : MMDB_get_value(&start, &data, a, nullptr);
  if (status != MMDB_SUCCESS || !data.has_data) return std::nullopt;
  return data;
}

std::string get_string(const MMDB_entry_s& entry, const char* a, const char* b = nullptr) {
  auto d = get(entry, a, b);
  if (!d || d->type != MMDB_DATA_TYPE_UTF8_STRING) return "";
  return std::string(d->utf8_string, d->data_size);
}

bool get_bool(const MMDB_entry_s& entry, const char* a, const char* b) {
  auto d = get(entry, a, b);
  return d && d->type == MMDB_DATA_TYPE_BOOLEAN && d->boolean;
}

double get_double(const MMDB_entry_s& entry, const char* a, const char* b) {
  auto d = get(entry, a, b);
  if (!d) return 0.0;
  if (d->type == MMDB_DATA_TYPE_DOUBLE) return d->double_value;
  if (d->type == MMDB_DATA_TYPE_FLOAT) return d->float_value;
  return 0.0;
}

uint64_t get_uint(const MMDB_entry_s& entry, const char* a) {
  auto d = get(entry, a, nullptr);
  if (!d) return 0;
  switch (d->type) {
    case MMDB_DATA_TYPE_UINT16:
      return d->uint16;
    case MMDB_DATA_TYPE_UINT32:
      return d->uint32;
    case MMDB_DATA_TYPE_UINT64:
      return d->uint64;
    case MMDB_DATA_TYPE_INT32:
      return d->int32 < 0 ? 0 : static_cast<uint64_t>(d->int32);
    default:
      return 0;
  }
}

// Go's fmt "%f": six decimals, with Go's spellings of the non-finite values.
std::string format_f(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

Fields city_fields(const MMDB_lookup_result_s& r) {
  std::string iso;
  bool in_eu = false;
  if (r.found_entry) {
    for (const char* key : {"country", "registered_country", "represented_country"}) {
      iso = get_string(r.entry, key, "iso_code");
      if (!iso.empty()) {
        in_eu = get_bool(r.entry, key, "is_in_european_union");
        break;
      }
    }
  }
  double lat = r.found_entry ? get_double(r.entry, "location", "latitude") : 0.0;
  double lon = r.found_entry ? get_double(r.entry, "location", "longitude") : 0.0;
  return Fields{{"IsoCode", iso},
                {"IsInEU", in_eu ? "true" : "false"},
                {"Latitude", format_f(lat)},
                {"Longitude", format_f(lon)}};
}

Fields asn_fields(const MMDB_lookup_result_s& r) {
  uint64_t number = r.found_entry ? get_uint(r.entry, "autonomous_system_number") : 0;
  std::string org = r.found_entry ? get_string(r.entry, "autonomous_system_organization") : "";
  std::string num = std::to_string(number);
  return Fields{{"ASNNumber", num}, {"ASNumber", num}, {"ASNOrg", org}};
}

// Depth of the IPv4 subtree (::a.b.c.d) in an IPv6 tree: the 96 zero bits above the address.
constexpr int kIpv4SubtreeDepth = 96;

// The network of the record, printed as Go's net.IPNet.String() (what CrowdSec stores).
std::string network_text(const MMDB_s& mmdb, const net::IpAddress& ip, const Lookup& l) {
  int bits = l.result.netmask;
  if (l.v4 && mmdb.metadata.ip_version == 6) {
    // libmaxminddb counts an IPv4 lookup's netmask from the root of the IPv6 tree (::a.b.c.d is
    // /(96+n)), while Go's reader counts it in IPv4 bits (/n). A record above the IPv4 subtree
    // (shorter than /96) is reported as an IPv6 network of ::, as Go's reader does.
    if (bits < kIpv4SubtreeDepth) return net::Cidr(net::IpAddress::from_v6({}), bits).to_string();
    bits -= kIpv4SubtreeDepth;
  }
  return net::Cidr(ip, bits).to_string();
}

}  // namespace

// Opens one database; nullptr when the path is empty (not configured).
Result<std::unique_ptr<GeoIpDatabases::Db>> GeoIpDatabases::open_db(const std::string& path) {
  if (path.empty()) return std::unique_ptr<GeoIpDatabases::Db>();
  // The MMDB_s is opened in place: it stays at one address for its whole life.
  auto db = std::make_unique<GeoIpDatabases::Db>();
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb);
  if (status != MMDB_SUCCESS) {
    // MMDB_open releases everything itself on failure, so the Db must not close it again.
    std::string cause = MMDB_strerror(status);
    if (status == MMDB_IO_ERROR) cause += std::string(" (") + std::strerror(errno) + ")";
    return Error("opening geoip database " + path + ": " + cause);
  }
  db->opened = true;
  return db;
}

GeoIpDatabases::GeoIpDatabases() = default;
GeoIpDatabases::GeoIpDatabases(GeoIpDatabases&&) noexcept = default;
GeoIpDatabases& GeoIpDatabases::operator=(GeoIpDatabases&&) noexcept = default;
GeoIpDatabases::~GeoIpDatabases() = default;

Result<GeoIpDatabases> GeoIpDatabases::open(const std::string& city_path,
                                            const std::string& asn_path) {
  GeoIpDatabases dbs;
  PHALANX_TRY(dbs.city_, open_db(city_path));
  PHALANX_TRY(dbs.asn_, open_db(asn_path));
  return dbs;
}

Fields GeoIpDatabases::city(const net::IpAddress& ip) const {
  if (!city_) return {};
  auto l = lookup(city_->mmdb, ip);
  if (!l) return {};
  return city_fields(l->result);
}

Fields GeoIpDatabases::asn(const net::IpAddress& ip) const {
  if (!asn_) return {};
  auto l = lookup(asn_->mmdb, ip);
  if (!l) return {};
  return asn_fields(l->result);
}

Fields GeoIpDatabases::range(const net::IpAddress& ip) const {
  if (!asn_) return {};
  auto l = lookup(asn_->mmdb, ip);
  if (!l || !l->result.found_entry) return {};
  return Fields{{"SourceRange", network_text(asn_->mmdb, ip, *l)}};
}

Fields GeoIpDatabases::city(std::string_view ip) const {
  auto addr = net::IpAddress::parse(ip);
  return addr ? city(*addr) : Fields{};
}

Fields GeoIpDatabases::asn(std::string_view ip) const {
  auto addr = net::IpAddress::parse(ip);
  return addr ? asn(*addr) : Fields{};
}

Fields GeoIpDatabases::range(std::string_view ip) const {
  auto addr = net::IpAddress::parse(ip);
  return addr ? range(*addr) : Fields{};
}

}  // namespace phalanx::enrich
