// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/mirror.h"

#include <chrono>
#include <cstring>
#include <functional>

namespace phalanx::nft {
namespace {

constexpr int64_t kExtendSlackMs = 1000;
constexpr int64_t kResyncSlackMs = 2000;

bool is_host(const net::Cidr& c) {
  return c.prefix_len() == (c.is_v4() ? 32 : 128);
}

int64_t expiry_of(const bouncer::Decision& d, int64_t now_ms) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.duration).count();
  return now_ms + ms;
}

// The slot an iterator points at, writable (tsl::ordered_map hands it out through value()).
template <class It>
Slot& mutable_slot(It& it) {
  if constexpr (requires { it.value(); }) {
    return it.value();
  } else {
    return it->second;
  }
}

// Erases every entry for which drop(key, slot) holds. tsl::ordered_map's own erase() keeps the
// order by moving every later entry: unordered_erase() instead, which moves the last entry into
// the hole (so the same position is looked at again).
template <class Map, class Fn>
size_t erase_where(Map& map, Fn drop) {
  size_t n = 0;
  for (auto it = map.begin(); it != map.end();) {
    if (drop(it->first, it->second)) {
      it = map.unordered_erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

// Upsert into one of the maps; returns the slot when the kernel element must be (re)written,
// and sets `recounted` when an element that exists changes origin (it must be deleted first),
// or, with `replace_existing`, whenever an element that exists is rewritten.
// `exact`: resync semantics (expiry follows the snapshot's latest for this target); otherwise
// the latest of what we hold and what came.
template <class Map, class Key>
Slot* upsert_in(Map& map, const Key& key, const Slot& incoming, uint16_t gen, bool exact,
                bool replace_existing, bool& recounted) {
  recounted = false;
  auto [it, inserted] = map.try_emplace(key, incoming);
  Slot& s = mutable_slot(it);
  if (inserted) {
    s.gen = gen;
    return &s;
  }
  const uint16_t written = s.origin;
  if (exact && s.gen != gen) {  // first sighting in this snapshot: the snapshot decides
    const bool moved = incoming.expiry_ms > s.expiry_ms + kResyncSlackMs ||
                       incoming.expiry_ms < s.expiry_ms - kResyncSlackMs;
    const int64_t previous = s.expiry_ms;
    s = incoming;
    s.gen = gen;
    if (!moved) {  // keep what the kernel has
      s.expiry_ms = previous;
      s.origin = written;
      return nullptr;
    }
    recounted = replace_existing || s.origin != written;
    return &s;
  }
  s.gen = gen;
  if (incoming.expiry_ms > s.expiry_ms + kExtendSlackMs) {
    s.expiry_ms = incoming.expiry_ms;
    s.id = incoming.id;
    s.origin = incoming.origin;
    recounted = replace_existing || s.origin != written;
    return &s;
  }
  return nullptr;
}

}  // namespace

size_t V4Hash::operator()(uint32_t k) const {
  // The map picks buckets by the low bits: mix all 32 in (addresses often differ high up only).
  const uint64_t x = uint64_t{k} * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(x ^ (x >> 32));
}

size_t V6Hash::operator()(const V6Key& k) const {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  return std::hash<uint64_t>()(a * 0x9E3779B97F4A7C15ull ^ b);
}

V6Key v6_key(const net::IpAddress& a) {
  return a.bytes();
}

uint16_t Mirror::origin_id(const std::string& origin) {
  // Streams come in runs of one origin. (Before the first origin the cache holds none: an
  // empty origin is an origin too.)
  if (!origins_.empty() && origin == last_origin_) return last_origin_id_;
  auto it = origin_ids_.find(origin);
  if (it != origin_ids_.end()) {
    last_origin_ = origin;
    last_origin_id_ = it->second;
    return it->second;
  }
  const auto id = static_cast<uint16_t>(origins_.size());
  if (origins_.size() >= 65535) return 0;
  origins_.push_back(origin);
  origin_ids_.emplace(origin, id);
  return id;
}

bool Mirror::upsert(const bouncer::Decision& d, int64_t now_ms, bool exact, Plan& plan) {
  const net::Cidr& t = *d.target;
  const Slot incoming{expiry_of(d, now_ms), d.id, origin_id(d.origin), gen_};
  bool recounted = false;
  if (!is_host(t)) {
    if (upsert_in(ranges_, t, incoming, gen_, exact, false, recounted))
      plan.ranges_changed[t.is_v4() ? 0 : 1] = true;
    return true;
  }
  if (t.is_v4()) {
    const uint32_t key = t.network().v4_host_order();
    if (const Slot* s =
            upsert_in(v4_, key, incoming, gen_, exact, replace_on_refresh_, recounted)) {
      if (recounted) plan.del4.push_back(key);
      plan.add4.push_back({key, s->origin, s->expiry_ms});
    }
  } else {
    const V6Key key = v6_key(t.network());
    if (const Slot* s =
            upsert_in(v6_, key, incoming, gen_, exact, replace_on_refresh_, recounted)) {
      if (recounted) plan.del6.push_back(key);
      plan.add6.push_back({key, s->origin, s->expiry_ms});
    }
  }
  return true;
}

void Mirror::remove(const bouncer::Decision& d, Plan& plan) {
  const net::Cidr& t = *d.target;
  // Lift only when this decision is the one holding the target (or ids are unknown).
  const auto holds = [&](const Slot& s) { return s.id == 0 || d.id == 0 || s.id == d.id; };
  if (!is_host(t)) {
    auto it = ranges_.find(t);
    if (it != ranges_.end() && holds(it->second)) {
      ranges_.erase(it);
      plan.ranges_changed[t.is_v4() ? 0 : 1] = true;
    }
  } else if (t.is_v4()) {
    const uint32_t key = t.network().v4_host_order();
    auto it = v4_.find(key);
    if (it != v4_.end() && holds(it->second)) {
      v4_.unordered_erase(it);
      plan.del4.push_back(key);
    }
  } else {
    auto it = v6_.find(v6_key(t.network()));
    if (it != v6_.end() && holds(it->second)) {
      plan.del6.push_back(it->first);
      v6_.unordered_erase(it);
    }
  }
}

Plan Mirror::apply(const bouncer::DecisionBatch& batch, int64_t now_ms) {
  Plan plan;
  v4_.reserve(v4_.size() + batch.added.size());
  for (const auto& d : batch.deleted) {
    if (d.target) remove(d, plan);
  }
  for (const auto& d : batch.added) {
    if (!d.target || d.duration.count() <= 0) {
      ++plan.skipped;
      continue;
    }
    upsert(d, now_ms, false, plan);
  }
  return plan;
}

Plan Mirror::resync(std::span<const bouncer::Decision> decisions, int64_t now_ms) {
  Plan plan;
  begin_resync();
  v4_.reserve(decisions.size());
  plan.add4.reserve(decisions.size());
  resync_step(decisions, now_ms, plan);
  end_resync(plan);
  return plan;
}

void Mirror::begin_resync() {
  if (++gen_ != 0) return;
  // The mark wrapped: an entry last seen 65,536 resyncs ago would pass for seen in this one.
  // Clear every mark and start over at 1.
  for (auto it = v4_.begin(); it != v4_.end(); ++it)
    it.value().gen = 0;
  for (auto it = v6_.begin(); it != v6_.end(); ++it)
    it.value().gen = 0;
  for (auto& [c, slot] : ranges_)
    slot.gen = 0;
  gen_ = 1;
}

void Mirror::resync_step(std::span<const bouncer::Decision> decisions, int64_t now_ms, Plan& plan) {
  for (const auto& d : decisions) {
    if (!d.target || d.duration.count() <= 0) {
      ++plan.skipped;
      continue;
    }
    upsert(d, now_ms, true, plan);
  }
}

void Mirror::end_resync(Plan& plan) {
  // Whatever the snapshot did not mention goes.
  erase_where(v4_, [&](uint32_t k, const Slot& s) {
    if (s.gen == gen_) return false;
    plan.del4.push_back(k);
    return true;
  });
  erase_where(v6_, [&](const V6Key& k, const Slot& s) {
    if (s.gen == gen_) return false;
    plan.del6.push_back(k);
    return true;
  });
  for (auto it = ranges_.begin(); it != ranges_.end();) {
    if (it->second.gen != gen_) {
      plan.ranges_changed[it->first.is_v4() ? 0 : 1] = true;
      it = ranges_.erase(it);
    } else {
      ++it;
    }
  }
}

Plan Mirror::everything() const {
  Plan plan;
  plan.mirror4 = v4_.size();
  plan.mirror6 = v6_.size();
  plan.ranges_changed[0] = plan.ranges_changed[1] = true;
  return plan;
}

Host4 Mirror::v4_at(size_t i) const {
  const auto& e = v4_.values_container()[i];
  return {e.first, e.second.origin, e.second.expiry_ms};
}

Host6 Mirror::v6_at(size_t i) const {
  const auto& e = v6_.values_container()[i];
  return {e.first, e.second.origin, e.second.expiry_ms};
}

std::vector<Segment> Mirror::segments(bool v6, int64_t now_ms) const {
  std::vector<Segment> ranges;
  for (const auto& [cidr, s] : ranges_) {
    if (!cidr.is_v4() != v6 || s.expiry_ms <= now_ms) continue;
    ranges.push_back({cidr.first(), cidr.last(), s.expiry_ms, s.origin});
  }
  return merge_ranges(std::move(ranges));
}

size_t Mirror::expire(int64_t now_ms) {
  size_t n = 0;
  const auto expired = [&](const auto&, const Slot& s) { return s.expiry_ms <= now_ms; };
  n += erase_where(v4_, expired);
  n += erase_where(v6_, expired);
  n += std::erase_if(ranges_, [&](const auto& e) { return e.second.expiry_ms <= now_ms; });
  return n;
}

std::optional<Slot> Mirror::find_v4(uint32_t addr) const {
  auto it = v4_.find(addr);
  if (it == v4_.end()) return std::nullopt;
  return it->second;
}

std::optional<Slot> Mirror::find_v6(const V6Key& addr) const {
  auto it = v6_.find(addr);
  if (it == v6_.end()) return std::nullopt;
  return it->second;
}

std::map<std::pair<std::string, std::string>, uint64_t> Mirror::counts() const {
  std::vector<uint64_t> v4(origins_.size()), v6(origins_.size());
  for (const auto& [k, s] : v4_)
    ++v4[s.origin];
  for (const auto& [k, s] : v6_)
    ++v6[s.origin];
  for (const auto& [c, s] : ranges_)
    ++(c.is_v4() ? v4 : v6)[s.origin];
  std::map<std::pair<std::string, std::string>, uint64_t> out;
  for (size_t i = 0; i < origins_.size(); ++i) {
    if (v4[i]) out[{origins_[i], "ipv4"}] = v4[i];
    if (v6[i]) out[{origins_[i], "ipv6"}] = v6[i];
  }
  return out;
}

void Mirror::for_each_v4(const std::function<void(uint32_t, const Slot&)>& fn) const {
  for (const auto& [k, s] : v4_)
    fn(k, s);
}

void Mirror::for_each_v6(const std::function<void(const V6Key&, const Slot&)>& fn) const {
  for (const auto& [k, s] : v6_)
    fn(k, s);
}

}  // namespace phalanx::nft
