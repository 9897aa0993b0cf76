// SPDX-License-Identifier: Apache-2.0
#include "lapi/decision_index.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "lapi/decision_json.h"

namespace phalanx::lapi {
namespace {

uint64_t random_epoch() {
  uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v)) != 1) std::abort();
  return v | 1;  // never 0
}

uint64_t value_hash(std::string_view v) {
  return std::hash<std::string_view>{}(v);
}

bool contains_ci(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.empty()) return true;
  const auto it =
      std::search(haystack.begin(), haystack.end(), lower_needle.begin(), lower_needle.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != haystack.end();
}

net::Uint128 mask_of(int prefix) {
  if (prefix <= 0) return 0;
  if (prefix >= 128) return ~net::Uint128(0);
  return ~net::Uint128(0) << (128 - prefix);
}

}  // namespace

bool DecisionFilter::matches(const storage::Decision& d) const {
  if (!include_simulated && d.simulated) return false;
  if (id_gt && d.id <= *id_gt) return false;
  if (!scopes.empty() && std::find(scopes.begin(), scopes.end(), d.scope) == scopes.end())
    return false;
  if (!origins.empty() && std::find(origins.begin(), origins.end(), d.origin) == origins.end())
    return false;
  if (value && d.value != *value) return false;
  if (type && d.type != *type) return false;
  if (uuid && d.uuid != *uuid) return false;
  if (scenario && d.scenario != *scenario) return false;
  if (!scenarios_containing.empty() &&
      std::none_of(scenarios_containing.begin(), scenarios_containing.end(),
                   [&](const std::string& s) { return contains_ci(d.scenario, s); }))
    return false;
  if (std::any_of(scenarios_not_containing.begin(), scenarios_not_containing.end(),
                  [&](const std::string& s) { return contains_ci(d.scenario, s); }))
    return false;
  return true;
}

std::string Cursor::to_string() const {
  return fmt::format("{:x}.{}.{}", epoch, seq, at.time_since_epoch().count());
}

std::optional<Cursor> Cursor::parse(std::string_view text) {
  const size_t a = text.find('.');
  const size_t b = a == std::string_view::npos ? a : text.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const std::string epoch(text.substr(0, a)), seq(text.substr(a + 1, b - a - 1)),
      at(text.substr(b + 1));
  if (epoch.empty() || seq.empty() || at.empty()) return std::nullopt;
  char* end = nullptr;
  Cursor c;
  c.epoch = std::strtoull(epoch.c_str(), &end, 16);
  if (*end != '\0') return std::nullopt;
  c.seq = std::strtoull(seq.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  c.at = TimePoint(std::chrono::nanoseconds(std::strtoll(at.c_str(), &end, 10)));
  if (*end != '\0') return std::nullopt;
  return c;
}

DecisionIndex::DecisionIndex() : epoch_(random_epoch()) {}

void DecisionIndex::insert_locked(storage::Decision d) {
  Entry e;
  e.seq = ++seq_;
  if (d.scope == "Ip" || d.scope == "Range") {
    auto cidr = net::Cidr::parse(d.value);
    if (cidr && (d.scope == "Range" || d.value.find('/') == std::string::npos)) {
      e.has_range = true;
      e.v4 = cidr->is_v4();
      e.first = cidr->first();
      e.last = cidr->last();
      e.prefix = cidr->prefix_len() + (e.v4 ? 96 : 0);
    }
  }
  e.d = std::move(d);
  const int64_t id = e.d.id;
  by_seq_.emplace(e.seq, id);
  by_until_.emplace(e.d.until, id);
  if (e.has_range) {
    by_first_.emplace(e.first, id);
    ++prefix_counts_[static_cast<size_t>(e.prefix)];
  }
  Entry& stored = rows_.emplace(id, std::move(e)).first->second;
  stored.same_value = &by_value_[value_hash(stored.d.value)];
  stored.same_value->push_back(&stored);
}

void DecisionIndex::erase_locked(std::map<int64_t, Entry>::iterator it) {
  const Entry& e = it->second;
  const int64_t id = it->first;
  by_seq_.erase(e.seq);
  by_until_.erase({e.d.until, id});
  std::erase(*e.same_value, &e);
  if (e.same_value->empty()) by_value_.erase(value_hash(e.d.value));
  if (e.has_range) {
    auto [lo, hi] = by_first_.equal_range(e.first);
    for (auto r = lo; r != hi; ++r) {
      if (r->second == id) {
        by_first_.erase(r);
        break;
      }
    }
    --prefix_counts_[static_cast<size_t>(e.prefix)];
  }
  rows_.erase(it);
}

void DecisionIndex::load(std::vector<storage::Decision> rows) {
  {
    std::unique_lock lock(mu_);
    rows_.clear();
    by_seq_.clear();
    by_until_.clear();
    by_value_.clear();
    by_first_.clear();
    prefix_counts_.fill(0);
    for (auto& d : rows)
      insert_locked(std::move(d));
  }
  notify();
}

size_t DecisionIndex::apply(std::span<const storage::Decision> rows) {
  size_t applied = 0;
  {
    std::unique_lock lock(mu_);
    for (const auto& d : rows) {
      const auto it = rows_.find(d.id);
      if (it != rows_.end()) {
        if (d.rev != 0 && d.rev <= it->second.d.rev) continue;
        erase_locked(it);
      }
      insert_locked(d);
      ++applied;
    }
  }
  if (applied > 0) notify();
  return applied;
}

size_t DecisionIndex::prune(TimePoint older_than) {
  std::unique_lock lock(mu_);
  size_t removed = 0;
  while (!by_until_.empty() && by_until_.begin()->first < older_than) {
    erase_locked(rows_.find(by_until_.begin()->second));
    ++removed;
  }
  return removed;
}

Cursor DecisionIndex::cursor(TimePoint now) const {
  std::shared_lock lock(mu_);
  return Cursor{epoch_, seq_, now};
}

size_t DecisionIndex::size() const {
  std::shared_lock lock(mu_);
  return rows_.size();
}

bool DecisionIndex::hidden_locked(const Entry& e) const {
  for (const Entry* other : *e.same_value) {
    const Entry& o = *other;
    if (o.d.until > e.d.until && o.d.type == e.d.type && o.d.scope == e.d.scope &&
        o.d.value == e.d.value)
      return true;
  }
  return false;
}

bool DecisionIndex::matches_locked(const Entry& e, const DecisionFilter& f) const {
  if (!f.matches(e.d)) return false;
  if (!f.range) return true;
  if (!e.has_range || e.v4 != f.range->is_v4()) return false;
  const net::Uint128 qf = f.range->first(), ql = f.range->last();
  return f.contains ? (e.first <= qf && e.last >= ql) : (e.first >= qf && e.last <= ql);
}

template <class Fn>
void DecisionIndex::for_each_range_match_locked(const DecisionFilter& f, Fn&& fn) const {
  const net::Uint128 qf = f.range->first(), ql = f.range->last();
  if (f.contains) {
    // A containing range starts at the query's first address masked to its own prefix.
    for (int p = 0; p <= 128; ++p) {
      if (prefix_counts_[static_cast<size_t>(p)] == 0) continue;
      auto [lo, hi] = by_first_.equal_range(qf & mask_of(p));
      for (auto it = lo; it != hi; ++it) {
        const Entry& e = rows_.at(it->second);
        if (e.prefix == p && matches_locked(e, f)) fn(e);
      }
    }
  } else {
    for (auto it = by_first_.lower_bound(qf); it != by_first_.end() && it->first <= ql; ++it) {
      const Entry& e = rows_.at(it->second);
      if (matches_locked(e, f)) fn(e);
    }
  }
}

std::vector<storage::Decision> DecisionIndex::query(const DecisionFilter& filter, TimePoint now,
                                                    size_t limit, size_t offset) const {
  std::shared_lock lock(mu_);
  std::vector<const Entry*> hits;
  const auto take = [&](const Entry& e) {
    if (e.d.until > now) hits.push_back(&e);
  };
  if (filter.range) {
    for_each_range_match_locked(filter, take);
    std::sort(hits.begin(), hits.end(),
              [](const Entry* a, const Entry* b) { return a->d.id < b->d.id; });
  } else if (filter.value) {
    const auto it = by_value_.find(value_hash(*filter.value));
    if (it != by_value_.end()) {
      for (const Entry* e : it->second)
        if (matches_locked(*e, filter)) take(*e);
    }
    std::sort(hits.begin(), hits.end(),
              [](const Entry* a, const Entry* b) { return a->d.id < b->d.id; });
  } else {
    for (const auto& [id, e] : rows_)
      if (matches_locked(e, filter)) take(e);
  }
  std::vector<storage::Decision> out;
  for (size_t i = offset; i < hits.size() && (limit == 0 || out.size() < limit); ++i)
    out.push_back(hits[i]->d);
  return out;
}

std::optional<storage::Decision> DecisionIndex::get(int64_t id) const {
  std::shared_lock lock(mu_);
  const auto it = rows_.find(id);
  if (it == rows_.end()) return std::nullopt;
  return it->second.d;
}

StreamDelta DecisionIndex::delta_since(const Cursor& since, const DecisionFilter& filter,
                                       bool dedup, TimePoint now) const {
  std::shared_lock lock(mu_);
  std::vector<int64_t> ids;
  for (auto it = by_seq_.upper_bound(since.seq); it != by_seq_.end(); ++it)
    ids.push_back(it->second);
  for (auto it = by_until_.upper_bound({since.at, INT64_MAX});
       it != by_until_.end() && it->first <= now; ++it)
    ids.push_back(it->second);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  StreamDelta out;
  for (int64_t id : ids) {
    const Entry& e = rows_.at(id);
    if (!matches_locked(e, filter) || (dedup && hidden_locked(e))) continue;
    if (e.d.until > now) {
      out.added.push_back(id);
    } else {
      out.deleted.push_back(id);
    }
  }
  return out;
}

StreamDelta DecisionIndex::delta_since_time(TimePoint last_pull, const DecisionFilter& filter,
                                            bool dedup, TimePoint now) const {
  std::shared_lock lock(mu_);
  StreamDelta out;
  const TimePoint deleted_from = last_pull - std::chrono::seconds(2);
  for (const auto& [id, e] : rows_) {
    if (!matches_locked(e, filter) || (dedup && hidden_locked(e))) continue;
    if (e.d.until > now) {
      if (e.d.created_at > last_pull) out.added.push_back(id);
    } else if (e.d.until > deleted_from) {
      out.deleted.push_back(id);
    }
  }
  return out;
}

bool DecisionIndex::write_page(bool active, const DecisionFilter& filter, bool dedup, TimePoint now,
                               size_t max_rows, int64_t& after_id, bool& first,
                               std::string& out) const {
  std::shared_lock lock(mu_);
  size_t written = 0;
  auto it = rows_.upper_bound(after_id);
  for (; it != rows_.end() && written < max_rows; ++it) {
    const Entry& e = it->second;
    after_id = it->first;
    if ((e.d.until > now) != active || !matches_locked(e, filter) || (dedup && hidden_locked(e)))
      continue;
    if (!first) out.push_back(',');
    first = false;
    append_decision_json(out, e.d, now);
    ++written;
  }
  return it != rows_.end();
}

void DecisionIndex::write_rows(std::span<const int64_t> ids, TimePoint now,
                               std::string& out) const {
  std::shared_lock lock(mu_);
  bool first = true;
  for (int64_t id : ids) {
    const auto it = rows_.find(id);
    if (it == rows_.end()) continue;
    if (!first) out.push_back(',');
    first = false;
    append_decision_json(out, it->second.d, now);
  }
}

int64_t DecisionIndex::active_count(std::string_view value, TimePoint now) const {
  std::shared_lock lock(mu_);
  const auto it = by_value_.find(value_hash(value));
  if (it == by_value_.end()) return 0;
  int64_t n = 0;
  for (const Entry* e : it->second)
    if (e->d.value == value && e->d.until > now) ++n;
  return n;
}

Duration DecisionIndex::active_time_left(std::string_view value, TimePoint now) const {
  std::shared_lock lock(mu_);
  Duration left{0};
  const auto it = by_value_.find(value_hash(value));
  if (it == by_value_.end()) return left;
  for (const Entry* e : it->second)
    if (e->d.value == value && e->d.until > now) left = std::max(left, Duration(e->d.until - now));
  return left;
}

std::map<std::string, int64_t> DecisionIndex::active_by_origin(TimePoint now) const {
  std::shared_lock lock(mu_);
  std::map<std::string, int64_t> out;
  for (auto it = by_until_.upper_bound({now, INT64_MAX}); it != by_until_.end(); ++it)
    ++out[rows_.at(it->second).d.origin];
  return out;
}

std::optional<TimePoint> DecisionIndex::next_expiry(TimePoint now) const {
  std::shared_lock lock(mu_);
  const auto it = by_until_.upper_bound({now, INT64_MAX});
  if (it == by_until_.end()) return std::nullopt;
  return it->first;
}

uint64_t DecisionIndex::subscribe(std::function<void()> callback) {
  std::lock_guard lock(sub_mu_);
  const uint64_t id = next_sub_++;
  subs_.emplace(id, std::move(callback));
  return id;
}

void DecisionIndex::unsubscribe(uint64_t id) {
  std::lock_guard lock(sub_mu_);
  subs_.erase(id);
}

size_t DecisionIndex::subscribers() const {
  std::lock_guard lock(sub_mu_);
  return subs_.size();
}

void DecisionIndex::notify() {
  std::map<uint64_t, std::function<void()>> fire;
  {
    std::lock_guard lock(sub_mu_);
    fire.swap(subs_);
  }
  for (auto& [id, fn] : fire)
    fn();
}

}  // namespace phalanx::lapi
