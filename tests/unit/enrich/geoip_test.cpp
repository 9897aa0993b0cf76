// SPDX-License-Identifier: Apache-2.0
// GeoIpCity / GeoIpASN / IpToRange against tiny databases built by the test MMDB writer.
#include "enrich/geoip.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "mmdb_writer.h"

namespace phalanx::enrich {
namespace {

using mmdb::Value;

Value country(const char* iso, bool in_eu) {
  return Value::map(
      {{"iso_code", Value::string(iso)}, {"is_in_european_union", Value::boolean(in_eu)}});
}

Value location(double lat, double lon) {
  return Value::map({{"latitude", Value::f64(lat)}, {"longitude", Value::f64(lon)}});
}

class GeoIpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("phalanx_geoip_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    city_path_ = (dir_ / "city.mmdb").string();
    asn_path_ = (dir_ / "asn.mmdb").string();
    ASSERT_TRUE(city_db().write(city_path_));
    ASSERT_TRUE(asn_db().write(asn_path_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static mmdb::Writer city_db() {
    mmdb::Writer w(6, "GeoLite2-City");
    EXPECT_TRUE(w.insert("81.2.69.0/24", Value::map({{"country", country("FR", true)},
                                                     {"registered_country", country("FR", true)},
                                                     {"location", location(48.8566, 2.3522)}})));
    // Only a registered country (as for anycast ranges), in IPv6.
    EXPECT_TRUE(
        w.insert("2001:db8:100::/40", Value::map({{"registered_country", country("DE", true)},
                                                  {"location", location(-33.5, 151.25)}})));
    // Only a represented country (e.g. a military base abroad).
    EXPECT_TRUE(
        w.insert("203.0.113.0/24", Value::map({{"represented_country", country("US", false)},
                                               {"location", location(37.751, -97.822)}})));
    // A record with no fields at all.
    EXPECT_TRUE(w.insert("198.51.100.0/25", Value::map({})));
    return w;
  }

  static mmdb::Writer asn_db() {
    mmdb::Writer w(6, "GeoLite2-ASN");
    auto asn = [](Value number, const char* org) {
      return Value::map({{"autonomous_system_number", number},
                         {"autonomous_system_organization", Value::string(org)}});
    };
    EXPECT_TRUE(w.insert("81.2.0.0/16", asn(Value::u32(12345), "Example Telecom")));
    EXPECT_TRUE(w.insert("81.2.69.0/25", asn(Value::u32(4200000000u), "Example Hosting")));
    EXPECT_TRUE(w.insert("2001:db8::/32", asn(Value::u32(64496), "Documentation AS")));
    EXPECT_TRUE(w.insert("192.0.2.128/25", asn(Value::u16(65000), "Small Number")));
    return w;
  }

  std::filesystem::path dir_;
  std::string city_path_;
  std::string asn_path_;
};

Fields city_fields(const char* iso, const char* eu, const char* lat, const char* lon) {
  return Fields{{"IsoCode", iso}, {"IsInEU", eu}, {"Latitude", lat}, {"Longitude", lon}};
}

Fields asn_fields(const char* number, const char* org) {
  return Fields{{"ASNNumber", number}, {"ASNumber", number}, {"ASNOrg", org}};
}

TEST_F(GeoIpTest, City) {
  auto dbs = GeoIpDatabases::open(city_path_, asn_path_);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  ASSERT_TRUE(dbs->has_city());
  struct Case {
    const char* ip;
    Fields want;
  };
  const Case cases[] = {
      {"81.2.69.160", city_fields("FR", "true", "48.856600", "2.352200")},
      {"::ffff:81.2.69.160", city_fields("FR", "true", "48.856600", "2.352200")},  // IPv4-mapped
      {"2001:db8:1ab::1", city_fields("DE", "true", "-33.500000", "151.250000")},
      {"203.0.113.9", city_fields("US", "false", "37.751000", "-97.822000")},
      {"198.51.100.1", city_fields("", "false", "0.000000", "0.000000")},  // empty record
      {"192.0.2.1", city_fields("", "false", "0.000000", "0.000000")},     // not in the database
      {"2001:db8:200::1", city_fields("", "false", "0.000000", "0.000000")},
      {"not an ip", Fields{}},
      {"", Fields{}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(dbs->city(std::string_view(c.ip)), c.want) << c.ip;
}

TEST_F(GeoIpTest, Asn) {
  auto dbs = GeoIpDatabases::open(city_path_, asn_path_);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  struct Case {
    const char* ip;
    Fields want;
  };
  const Case cases[] = {
      {"81.2.1.1", asn_fields("12345", "Example Telecom")},
      {"81.2.69.1", asn_fields("4200000000", "Example Hosting")},  // the more specific network
      {"81.2.69.200", asn_fields("12345", "Example Telecom")},     // the other half of the split
      {"2001:db8:ffff::1", asn_fields("64496", "Documentation AS")},
      {"192.0.2.200", asn_fields("65000", "Small Number")},
      {"192.0.2.1", asn_fields("0", "")},  // not in the database
      {"2001:db9::1", asn_fields("0", "")},
      {"300.1.1.1", Fields{}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(dbs->asn(std::string_view(c.ip)), c.want) << c.ip;
}

TEST_F(GeoIpTest, Range) {
  auto dbs = GeoIpDatabases::open(city_path_, asn_path_);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  struct Case {
    const char* ip;
    const char* want;  // "" = no SourceRange
  };
  // The range is the leaf of the search tree that holds the record: 81.2.69.0/25 was inserted
  // inside 81.2.0.0/16, which splits it, so 81.2.1.1 sits in the leaf 81.2.0.0/18.
  const Case cases[] = {
      {"81.2.1.1", "81.2.0.0/18"},
      {"81.2.69.1", "81.2.69.0/25"},
      {"81.2.69.200", "81.2.69.128/25"},
      {"::ffff:81.2.69.200", "81.2.69.128/25"},
      {"192.0.2.255", "192.0.2.128/25"},
      {"2001:db8:ffff::1", "2001:db8::/32"},
      {"192.0.2.1", ""},
      {"2001:db9::1", ""},
      {"bogus", ""},
  };
  for (const auto& c : cases) {
    Fields want;
    if (*c.want) want["SourceRange"] = c.want;
    EXPECT_EQ(dbs->range(std::string_view(c.ip)), want) << c.ip;
  }
  auto addr = net::IpAddress::parse("81.2.69.1");
  ASSERT_TRUE(addr.has_value());
  EXPECT_EQ(dbs->range(*addr), (Fields{{"SourceRange", "81.2.69.0/25"}}));
}

TEST_F(GeoIpTest, NotConfiguredGivesEmptyResults) {
  GeoIpDatabases none;
  EXPECT_FALSE(none.has_city());
  EXPECT_FALSE(none.has_asn());
  EXPECT_TRUE(none.city(std::string_view("81.2.69.160")).empty());
  EXPECT_TRUE(none.asn(std::string_view("81.2.69.160")).empty());
  EXPECT_TRUE(none.range(std::string_view("81.2.69.160")).empty());

  auto only_asn = GeoIpDatabases::open("", asn_path_);
  ASSERT_TRUE(only_asn.has_value()) << only_asn.error().message();
  EXPECT_FALSE(only_asn->has_city());
  EXPECT_TRUE(only_asn->has_asn());
  EXPECT_TRUE(only_asn->city(std::string_view("81.2.69.160")).empty());
  EXPECT_EQ(only_asn->asn(std::string_view("81.2.1.1")), asn_fields("12345", "Example Telecom"));

  // Moving keeps the opened database usable.
  GeoIpDatabases moved = std::move(only_asn).value();
  EXPECT_EQ(moved.asn(std::string_view("81.2.1.1")), asn_fields("12345", "Example Telecom"));
}

TEST_F(GeoIpTest, OpenErrorsNameThePath) {
  auto missing = GeoIpDatabases::open((dir_ / "missing.mmdb").string(), "");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("missing.mmdb"), std::string::npos);

  std::string junk = (dir_ / "junk.mmdb").string();
  std::ofstream(junk) << "this is not a maxmind database";
  auto invalid = GeoIpDatabases::open("", junk);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_NE(invalid.error().message().find("opening geoip database"), std::string::npos);
}

TEST_F(GeoIpTest, Ipv4OnlyDatabase) {
  mmdb::Writer w(4, "GeoLite2-ASN");
  ASSERT_TRUE(w.insert("81.2.69.0/24",
                       Value::map({{"autonomous_system_number", Value::u32(7)},
                                   {"autonomous_system_organization", Value::string("Four")}})));
  std::string path = (dir_ / "v4.mmdb").string();
  ASSERT_TRUE(w.write(path));
  auto dbs = GeoIpDatabases::open("", path);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  EXPECT_EQ(dbs->asn(std::string_view("81.2.69.1")), asn_fields("7", "Four"));
  EXPECT_EQ(dbs->range(std::string_view("81.2.69.1")), (Fields{{"SourceRange", "81.2.69.0/24"}}));
  // An IPv6 address in an IPv4-only database is a lookup error: no fields, as in CrowdSec.
  EXPECT_TRUE(dbs->asn(std::string_view("2001:db8::1")).empty());
  EXPECT_TRUE(dbs->range(std::string_view("2001:db8::1")).empty());
}

TEST_F(GeoIpTest, RecordAboveTheIpv4SubtreeIsReportedAsAnIpv6Network) {
  // A record at ::/8 covers the whole IPv4 subtree; Go's reader reports the network as ::/8.
  mmdb::Writer w(6, "GeoLite2-ASN");
  ASSERT_TRUE(w.insert("::/8", Value::map({{"autonomous_system_number", Value::u32(1)}})));
  std::string path = (dir_ / "shallow.mmdb").string();
  ASSERT_TRUE(w.write(path));
  auto dbs = GeoIpDatabases::open("", path);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  EXPECT_EQ(dbs->range(std::string_view("81.2.69.1")), (Fields{{"SourceRange", "::/8"}}));
  EXPECT_EQ(dbs->asn(std::string_view("81.2.69.1")), asn_fields("1", ""));
}

TEST_F(GeoIpTest, ConcurrentLookups) {
  auto dbs = GeoIpDatabases::open(city_path_, asn_path_);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().message();
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (dbs->city(std::string_view("81.2.69.160")).at("IsoCode") != "FR") ++mismatches[t];
        if (dbs->range(std::string_view("2001:db8::1")).at("SourceRange") != "2001:db8::/32") {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (int m : mismatches)
    EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace phalanx::enrich
