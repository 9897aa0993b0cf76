// SPDX-License-Identifier: Apache-2.0
// A small MaxMind DB (format 2.0) writer for tests: no GeoLite2 file may be shipped or fetched,
// so the GeoIP tests build their own tiny City and ASN databases with it.
//
// Supported: IPv4 and IPv6 trees with 24-bit records; data values of type string, double,
// uint16, uint32, uint64, boolean, map and array (no pointers, no deduplication). IPv4 networks
// in an IPv6 tree are stored under ::a.b.c.d/(96+n), where readers look IPv4 addresses up.
// Networks are inserted in order; a network inserted inside an earlier, larger one splits it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace phalanx::enrich::mmdb {

// One value of the data section.
class Value {
 public:
  using Map = std::vector<std::pair<std::string, Value>>;
  using Array = std::vector<Value>;

  static Value string(std::string s);
  static Value f64(double d);
  static Value u16(uint16_t v);
  static Value u32(uint32_t v);
  static Value u64(uint64_t v);
  static Value boolean(bool b);
  static Value map(Map entries);
  static Value array(Array items);

  // Appends the MaxMind DB encoding of this value to out.
  void encode(std::string& out) const;

 private:
  enum class Type : uint8_t {
    kString = 2,
    kDouble = 3,
    kUint16 = 5,
    kUint32 = 6,
    kMap = 7,
    kUint64 = 9,
    kArray = 11,
    kBoolean = 14,
  };
  Type type_ = Type::kMap;
  std::string bytes_;  // string payload
  double double_ = 0;
  uint64_t uint_ = 0;  // also the boolean
  Map map_;
  Array array_;
};

class Writer {
 public:
  // ip_version 4 or 6; database_type as in the metadata ("GeoLite2-City").
  Writer(int ip_version, std::string database_type);

  // Adds a network ("81.2.69.0/24", "2001:db8::/32") with its data. Errors: an unparsable
  // network, or an IPv6 network in an IPv4 tree.
  Result<void> insert(std::string_view cidr, const Value& data);

  // The whole file.
  std::string serialize() const;
  // serialize() written to path. Errors: the file cannot be written.
  Result<void> write(const std::string& path) const;

 private:
  struct Record {
    enum Kind : uint8_t { kEmpty, kNode, kData } kind = kEmpty;
    uint32_t value = 0;  // node index or data offset
  };
  struct Node {
    Record rec[2];
  };
  uint32_t add_node();

  int ip_version_;
  std::string database_type_;
  std::vector<Node> nodes_;
  std::string data_;
};

}  // namespace phalanx::enrich::mmdb
