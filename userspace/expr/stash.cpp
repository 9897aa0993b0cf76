// SPDX-License-Identifier: Apache-2.0
#include "expr/stash.h"

namespace phalanx::expr {

LruStash::Cache& LruStash::cache_locked(std::string_view name) {
  auto it = caches_.find(std::string(name));
  if (it == caches_.end()) it = caches_.emplace(std::string(name), Cache{}).first;
  return it->second;
}

Result<void> LruStash::configure(std::string_view name, size_t size, Duration ttl) {
  if (size == 0) return Error("configuring stash " + std::string(name) + ": size must be > 0");
  std::lock_guard lock(mu_);
  Cache& cache = cache_locked(name);
  cache.capacity = size;
  cache.ttl = ttl;
  while (cache.lru.size() > cache.capacity) {
    cache.index.erase(cache.lru.back().key);
    cache.lru.pop_back();
  }
  return ok();
}

std::optional<std::string> LruStash::get(std::string_view name, std::string_view key) {
  std::lock_guard lock(mu_);
  auto cit = caches_.find(std::string(name));
  if (cit == caches_.end()) return std::nullopt;
  Cache& cache = cit->second;
  auto it = cache.index.find(std::string(key));
  if (it == cache.index.end()) return std::nullopt;
  auto entry = it->second;
  if (entry->expires != TimePoint{} && clock_.now() >= entry->expires) {
    cache.lru.erase(entry);
    cache.index.erase(it);
    return std::nullopt;
  }
  cache.lru.splice(cache.lru.begin(), cache.lru, entry);  // most recently used
  return entry->value;
}

void LruStash::set(std::string_view name, std::string_view key, std::string_view value,
                   Duration ttl) {
  std::lock_guard lock(mu_);
  auto cit = caches_.find(std::string(name));
  if (cit == caches_.end()) return;  // only `stash:` entries declare caches
  Cache& cache = cit->second;
  Duration effective = ttl.count() > 0 ? ttl : cache.ttl;
  TimePoint expires = effective.count() > 0 ? clock_.now() + effective : TimePoint{};
  auto it = cache.index.find(std::string(key));
  if (it != cache.index.end()) {
    it->second->value = std::string(value);
    it->second->expires = expires;
    cache.lru.splice(cache.lru.begin(), cache.lru, it->second);
    return;
  }
  cache.lru.push_front(Entry{std::string(key), std::string(value), expires});
  cache.index.emplace(std::string(key), cache.lru.begin());
  while (cache.lru.size() > cache.capacity) {
    cache.index.erase(cache.lru.back().key);
    cache.lru.pop_back();
  }
}

size_t LruStash::size(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = caches_.find(std::string(name));
  return it == caches_.end() ? 0 : it->second.lru.size();
}

}  // namespace phalanx::expr
