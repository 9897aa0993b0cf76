// SPDX-License-Identifier: Apache-2.0
// The stash: named key→value caches that parser `stash:` entries fill and GetFromStash() /
// SetInStash() read and write. Abstract so that the caller owns the storage; LruStash is the
// in-memory implementation (one LRU per name, bounded size, per-entry TTL on an injected clock).
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/duration.h"
#include "core/result.h"

namespace phalanx::expr {

// Implementations must be thread-safe: parser workers share one stash.
class Stash {
 public:
  virtual ~Stash() = default;
  // The value stored under key in cache `name`; nullopt when the cache or key is absent or
  // the entry expired.
  virtual std::optional<std::string> get(std::string_view name, std::string_view key) = 0;
  // Stores key = value in cache `name`; a cache that was never declared ignores the call, as
  // CrowdSec does. A zero ttl uses the cache's default TTL; a cache with no TTL keeps entries
  // until evicted.
  virtual void set(std::string_view name, std::string_view key, std::string_view value,
                   Duration ttl) = 0;
};

// One LRU cache per name. Thread-safe (one mutex; the stash is not on the per-line fast path).
class LruStash final : public Stash {
 public:
  static constexpr size_t kDefaultSize = 100;  // CrowdSec's default `size`

  explicit LruStash(const Clock& clock = SystemClock::instance()) : clock_(clock) {}

  // Declares cache `name` with a capacity (entries) and a default TTL (zero: none).
  // Re-declaring keeps the entries and updates the limits. Errors: size 0.
  Result<void> configure(std::string_view name, size_t size, Duration ttl);

  std::optional<std::string> get(std::string_view name, std::string_view key) override;
  void set(std::string_view name, std::string_view key, std::string_view value,
           Duration ttl) override;
  // Number of live (possibly expired but not yet evicted) entries in cache `name`.
  size_t size(std::string_view name) const;

 private:
  struct Entry {
    std::string key;
    std::string value;
    TimePoint expires{};  // epoch: never
  };
  struct Cache {
    size_t capacity = kDefaultSize;
    Duration ttl{0};
    std::list<Entry> lru;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index;
  };
  Cache& cache_locked(std::string_view name);

  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cache> caches_;
};

}  // namespace phalanx::expr
