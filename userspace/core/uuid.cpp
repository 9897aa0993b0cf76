// SPDX-License-Identifier: Apache-2.0
#include "core/uuid.h"

#include <pthread.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace phalanx {
namespace {

// Random bytes are taken from the kernel pool a block at a time: one getrandom call per 256
// UUIDs instead of one each (bulk imports make a million). Each thread has its own block.
constexpr size_t kBlockSize = 4096;

struct RandomBlock {
  std::array<uint8_t, kBlockSize> bytes{};
  size_t used = kBlockSize;  // empty until the first fill

  void fill() {
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
      if (n > 0) got += static_cast<size_t>(n);
      // getrandom only fails with EINTR once the pool is initialised; anything else means the
      // kernel cannot give randomness, and an identifier that is not random must not be made.
      else if (errno != EINTR)
        std::abort();
    }
    used = 0;
  }
};

thread_local RandomBlock tls_block;

// A forked child must not hand out the bytes its parent is also about to use: the child drops
// its copy of the forking thread's block (the only thread it has).
void discard_block_in_child() {
  tls_block.used = kBlockSize;
}

}  // namespace

std::string uuid_v4() {
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, &discard_block_in_child); });
  RandomBlock& block = tls_block;
  std::array<uint8_t, 16> b{};
  if (block.used + b.size() > block.bytes.size()) block.fill();
  std::memcpy(b.data(), block.bytes.data() + block.used, b.size());
  // Bytes handed out are wiped, so that no copy of the block (a core dump, a later fork) holds
  // identifiers already issued.
  std::memset(block.bytes.data() + block.used, 0, b.size());
  block.used += b.size();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;
    out[pos++] = kHex[b[i] >> 4];
    out[pos++] = kHex[b[i] & 0x0f];
  }
  return out;
}

}  // namespace phalanx
