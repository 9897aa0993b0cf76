// SPDX-License-Identifier: Apache-2.0
#include "core/uuid.h"

#include <sys/random.h>

#include <array>
#include <cstdint>
#include <cstdlib>

namespace phalanx {

std::string uuid_v4() {
  std::array<uint8_t, 16> b{};
  size_t got = 0;
  while (got < b.size()) {
    const ssize_t n = getrandom(b.data() + got, b.size() - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    // getrandom only fails with EINTR once the pool is initialised; anything else means the
    // kernel cannot give randomness, and an identifier that is not random must not be made.
    else if (errno != EINTR)
      std::abort();
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace phalanx
