// SPDX-License-Identifier: Apache-2.0
// The userspace side of the XDP prefilter (layout in bpf/xdp_blocklist.h): per family one array
// of words, a word per /24 (IPv4) or /48 (IPv6) prefix hash, holding an "exact" bit pair per
// banned address, a "range" bit pair per prefix a banned range covers and an "allow" bit per
// prefix an allow entry covers. The program skips every ban lookup for a source when neither its
// exact nor its range pair is complete, and the allow lookup when its allow bit is clear.
//
// Invariant kept by callers: an entry's bits are set before the entry is inserted. Removing an
// entry leaves its bits (a stale bit costs one lookup, never a wrong verdict); rebuild from the
// current entries with a PrefilterImage + Prefilter::store() to clear them. An image must hold
// the allow entries' bits too (BlocklistMaps::store_prefilter() adds them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bpf/xdp_blocklist.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::xdp {

// Ranges wider than this many /24 (IPv4) or /48 (IPv6) prefixes saturate their family's bitmap
// instead of being expanded: IPv4 shorter than /8, IPv6 shorter than /32. Correct, only slower
// (every packet of that family then takes the lookups) until such a range is removed and the
// prefilter rebuilt.
inline constexpr uint32_t kMaxRangeExpansion = 1U << 16;

// Fraction of bits set per family, 0..1.
struct PrefilterFill {
  double v4 = 0;
  double v6 = 0;
};

// The 2^log2 words of one family.
struct PrefilterWords {
  uint64_t* words = nullptr;
  uint32_t log2 = 0;
};

// The bits that an entry covering whole prefixes sets.
enum class PrefixBits { kRange, kAllow };

// Bit setters over any word array; atomic (relaxed fetch_or), so safe on live mmap'ed maps.
void pf_add_exact_v4(PrefilterWords w, uint32_t addr);
void pf_add_exact_v6(PrefilterWords w, const uint32_t* addr);
void pf_add_range_v4(PrefilterWords w, uint32_t addr, uint32_t prefix_len,
                     PrefixBits bits = PrefixBits::kRange);
void pf_add_range_v6(PrefilterWords w, const uint32_t* addr, uint32_t prefix_len,
                     PrefixBits bits = PrefixBits::kRange);
// A ban: dispatches on family and length; a /32 or /128 is exact, anything shorter a range.
void pf_add(PrefilterWords v4, PrefilterWords v6, const net::Cidr& target);
// An allow entry of any length: the allow bit of every prefix it covers (a /32 or /128 marks the
// one prefix that contains it).
void pf_add_allow(PrefilterWords v4, PrefilterWords v6, const net::Cidr& target);

// A complete prefilter content built off-line (e.g. from the current map entries).
// Not thread-safe.
class PrefilterImage {
 public:
  PrefilterImage();
  PrefilterWords v4() { return {v4_.data(), PHX_PF_V4_LOG2}; }
  PrefilterWords v6() { return {v6_.data(), PHX_PF_V6_LOG2}; }
  std::span<const uint64_t> v4_words() const { return v4_; }
  std::span<const uint64_t> v6_words() const { return v6_; }

 private:
  std::vector<uint64_t> v4_;
  std::vector<uint64_t> v6_;
};

// The live bitmaps, mmap'ed from phx_pf2_v4/_v6. Move-only; unmaps on destruction.
// Thread-safety: the setters are atomic per word; store() must not race with the setters.
class Prefilter {
 public:
  // Maps both arrays read-write. Errors: "mapping prefilter: ..." with errno.
  static Result<Prefilter> map(int fd_v4, int fd_v6);

  Prefilter(Prefilter&& other) noexcept;
  Prefilter& operator=(Prefilter&& other) noexcept;
  Prefilter(const Prefilter&) = delete;
  Prefilter& operator=(const Prefilter&) = delete;
  ~Prefilter();

  PrefilterWords v4() { return {v4_, PHX_PF_V4_LOG2}; }
  PrefilterWords v6() { return {v6_, PHX_PF_V6_LOG2}; }
  void add(const net::Cidr& target) { pf_add(v4(), v6(), target); }
  void add_allow(const net::Cidr& target) { pf_add_allow(v4(), v6(), target); }
  // Replaces the content word by word. A word only ever moves from its old to its new value,
  // so entries present in both states never lose their bits during the store.
  void store(const PrefilterImage& image);
  // Sets every bit: all sources take the lookups (a bypass, e.g. to measure without it).
  void saturate();
  PrefilterFill fill() const;

 private:
  Prefilter(uint64_t* v4, uint64_t* v6) : v4_(v4), v6_(v6) {}
  void unmap();
  uint64_t* v4_ = nullptr;
  uint64_t* v6_ = nullptr;
};

}  // namespace phalanx::xdp
