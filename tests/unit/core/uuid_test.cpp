// SPDX-License-Identifier: Apache-2.0
#include "core/uuid.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace phalanx {
namespace {

TEST(Uuid, VersionFourShape) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    const std::string id = uuid_v4();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
  }
}

TEST(Uuid, Distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i)
    seen.insert(uuid_v4());
  EXPECT_EQ(seen.size(), 10000u);
}

}  // namespace
}  // namespace phalanx
