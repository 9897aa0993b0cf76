// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/prefilter.h"

#include <arpa/inet.h>
#include <sys/mman.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <utility>

#include "bouncer-xdp/keys.h"

namespace phalanx::xdp {
namespace {

constexpr size_t kV4Bytes = size_t{PHX_PF_V4_WORDS} * sizeof(uint64_t);
constexpr size_t kV6Bytes = size_t{PHX_PF_V6_WORDS} * sizeof(uint64_t);

void set_bits(uint64_t* word, uint64_t bits) {
  std::atomic_ref<uint64_t>(*word).fetch_or(bits, std::memory_order_relaxed);
}

// Sets the bits of a word picked by a prefix hash.
void set_in(PrefilterWords w, uint64_t prefix_hash, uint64_t bits) {
  set_bits(&w.words[phx_pf_word(prefix_hash, w.log2)], bits);
}

void set_prefix(PrefilterWords w, uint64_t prefix_hash, PrefixBits bits) {
  set_in(w, prefix_hash,
         bits == PrefixBits::kRange ? phx_pf_range_bits(prefix_hash, w.log2)
                                    : phx_pf_allow_bit(prefix_hash, w.log2));
}

void saturate_words(PrefilterWords w) {
  for (uint32_t i = 0; i < (1U << w.log2); ++i)
    set_bits(&w.words[i], ~uint64_t{0});
}

double fill_of(PrefilterWords w) {
  uint64_t set = 0;
  for (uint32_t i = 0; i < (1U << w.log2); ++i) {
    set += static_cast<uint64_t>(
        std::popcount(std::atomic_ref<uint64_t>(w.words[i]).load(std::memory_order_relaxed)));
  }
  return static_cast<double>(set) / (static_cast<double>(1U << w.log2) * 64.0);
}

// The first 6 bytes of an IPv6 address as a 48-bit number, and back.
uint64_t top48(const uint32_t* addr) {
  uint8_t b[8];
  std::memcpy(b, addr, sizeof(b));
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i)
    v = v << 8 | b[i];
  return v;
}

void from_top48(uint64_t v, uint32_t* addr) {
  uint8_t b[16] = {};
  for (int i = 5; i >= 0; --i, v >>= 8)
    b[i] = static_cast<uint8_t>(v & 0xff);
  std::memcpy(addr, b, sizeof(b));
}

}  // namespace

void pf_add_exact_v4(PrefilterWords w, uint32_t addr) {
  set_in(w, phx_pf_hash_v4_prefix(addr), phx_pf_exact_bits(phx_pf_hash_v4(addr)));
}

void pf_add_exact_v6(PrefilterWords w, const uint32_t* addr) {
  set_in(w, phx_pf_hash_v6_prefix(addr), phx_pf_exact_bits(phx_pf_hash_v6(addr)));
}

void pf_add_range_v4(PrefilterWords w, uint32_t addr, uint32_t prefix_len, PrefixBits bits) {
  constexpr uint32_t kGrain = PHX_PF_V4_RANGE_PREFIX;
  if (prefix_len >= kGrain) return set_prefix(w, phx_pf_hash_v4_prefix(addr), bits);
  const uint32_t count = 1U << (kGrain - prefix_len);
  if (count > kMaxRangeExpansion) return saturate_words(w);
  // Walk the /24s of the range in host order; the hash takes them in network order.
  const uint32_t first = ntohl(addr) & ~((uint32_t{1} << (32 - prefix_len)) - 1);
  for (uint32_t i = 0; i < count; ++i)
    set_prefix(w, phx_pf_hash_v4_prefix(htonl(first + (i << (32 - kGrain)))), bits);
}

void pf_add_range_v6(PrefilterWords w, const uint32_t* addr, uint32_t prefix_len, PrefixBits bits) {
  constexpr uint32_t kGrain = PHX_PF_V6_RANGE_PREFIX;
  if (prefix_len >= kGrain) return set_prefix(w, phx_pf_hash_v6_prefix(addr), bits);
  if (kGrain - prefix_len > 16 || (1U << (kGrain - prefix_len)) > kMaxRangeExpansion)
    return saturate_words(w);
  const uint32_t count = 1U << (kGrain - prefix_len);
  const uint64_t first = top48(addr) & ~((uint64_t{1} << (kGrain - prefix_len)) - 1);
  uint32_t prefix[4];
  for (uint32_t i = 0; i < count; ++i) {
    from_top48(first + i, prefix);
    set_prefix(w, phx_pf_hash_v6_prefix(prefix), bits);
  }
}

void pf_add(PrefilterWords v4, PrefilterWords v6, const net::Cidr& target) {
  const auto len = static_cast<uint32_t>(target.prefix_len());
  if (target.is_v4()) {
    const uint32_t addr = v4_key(target.network()).addr;
    return is_host(target) ? pf_add_exact_v4(v4, addr) : pf_add_range_v4(v4, addr, len);
  }
  const phx_v6_key key = v6_key(target.network());
  return is_host(target) ? pf_add_exact_v6(v6, key.addr) : pf_add_range_v6(v6, key.addr, len);
}

void pf_add_allow(PrefilterWords v4, PrefilterWords v6, const net::Cidr& target) {
  const auto len = static_cast<uint32_t>(target.prefix_len());
  if (target.is_v4())
    return pf_add_range_v4(v4, v4_key(target.network()).addr, len, PrefixBits::kAllow);
  return pf_add_range_v6(v6, v6_key(target.network()).addr, len, PrefixBits::kAllow);
}

PrefilterImage::PrefilterImage() : v4_(PHX_PF_V4_WORDS, 0), v6_(PHX_PF_V6_WORDS, 0) {}

Result<Prefilter> Prefilter::map(int fd_v4, int fd_v6) {
  void* v4 = mmap(nullptr, kV4Bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_v4, 0);
  if (v4 == MAP_FAILED) return Error::from_errno("mapping prefilter: phx_pf2_v4");
  void* v6 = mmap(nullptr, kV6Bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_v6, 0);
  if (v6 == MAP_FAILED) {
    Error err = Error::from_errno("mapping prefilter: phx_pf2_v6");
    munmap(v4, kV4Bytes);
    return err;
  }
  return Prefilter(static_cast<uint64_t*>(v4), static_cast<uint64_t*>(v6));
}

Prefilter::Prefilter(Prefilter&& other) noexcept
    : v4_(std::exchange(other.v4_, nullptr)), v6_(std::exchange(other.v6_, nullptr)) {}

Prefilter& Prefilter::operator=(Prefilter&& other) noexcept {
  if (this != &other) {
    unmap();
    v4_ = std::exchange(other.v4_, nullptr);
    v6_ = std::exchange(other.v6_, nullptr);
  }
  return *this;
}

Prefilter::~Prefilter() {
  unmap();
}

void Prefilter::unmap() {
  if (v4_ != nullptr) munmap(v4_, kV4Bytes);
  if (v6_ != nullptr) munmap(v6_, kV6Bytes);
  v4_ = v6_ = nullptr;
}

void Prefilter::store(const PrefilterImage& image) {
  const auto copy = [](uint64_t* dst, std::span<const uint64_t> src) {
    for (size_t i = 0; i < src.size(); ++i)
      std::atomic_ref<uint64_t>(dst[i]).store(src[i], std::memory_order_relaxed);
  };
  copy(v4_, image.v4_words());
  copy(v6_, image.v6_words());
}

void Prefilter::saturate() {
  saturate_words(v4());
  saturate_words(v6());
}

PrefilterFill Prefilter::fill() const {
  return PrefilterFill{fill_of({v4_, PHX_PF_V4_LOG2}), fill_of({v6_, PHX_PF_V6_LOG2})};
}

}  // namespace phalanx::xdp
