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

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not canonical: such a uuid is kept as text
}

constexpr bool is_uuid_dash(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

// The 16 bytes of "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lowercase hex (what uuid_v4() and
// CrowdSec write); false for any other spelling.
bool pack_uuid(std::string_view text, std::array<uint8_t, 16>& out) {
  if (text.size() != 36) return false;
  size_t n = 0;
  for (size_t i = 0; i < 36;) {
    if (is_uuid_dash(i)) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[n++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

std::string_view unpack_uuid(const std::array<uint8_t, 16>& bytes, std::array<char, 36>& buf) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t pos = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (is_uuid_dash(pos)) buf[pos++] = '-';
    buf[pos++] = kHex[bytes[i] >> 4];
    buf[pos++] = kHex[bytes[i] & 15];
  }
  return std::string_view(buf.data(), buf.size());
}

}  // namespace

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

template <class Fn>
void DecisionIndex::for_each_same_value(const Entry* any, Fn&& fn) {
  const Entry* e = any;
  do {
    fn(*e);
    e = e->next_same_value;
  } while (e != any);
}

net::Uint128 DecisionIndex::Entry::last() const {
  return first | ~mask_of(prefix);
}

void DecisionIndex::insert_locked(const storage::Decision& d, std::string value) {
  const int64_t id = d.id;
  auto [it, added] = rows_.try_emplace(id);
  if (!added) {
    // The same id twice in one load(): the later row wins, as with apply().
    erase_locked(it);
    it = rows_.try_emplace(id).first;
  }
  Entry& e = it->second;
  e.seq = ++seq_;
  e.id = id;
  e.alert_id = d.alert_id;
  e.rev = d.rev;
  e.created_at = d.created_at;
  e.until = d.until;
  e.simulated = d.simulated;
  e.scenario = strings_.acquire(d.scenario);
  e.type = strings_.acquire(d.type);
  e.scope = strings_.acquire(d.scope);
  e.origin = strings_.acquire(d.origin);
  if (d.uuid.empty()) {
    e.uuid_form = UuidForm::kNone;
  } else if (pack_uuid(d.uuid, e.uuid)) {
    e.uuid_form = UuidForm::kRaw;
  } else {
    e.uuid_form = UuidForm::kText;
    e.uuid_text = strings_.acquire(d.uuid);
  }
  if (d.scope == "Ip" || d.scope == "Range") {
    auto cidr = net::Cidr::parse(value);
    if (cidr && (d.scope == "Range" || value.find('/') == std::string::npos)) {
      e.has_range = true;
      e.v4 = cidr->is_v4();
      e.first = cidr->first();
      e.prefix = static_cast<uint8_t>(cidr->prefix_len() + (e.v4 ? 96 : 0));
    }
  }
  e.value = std::move(value);
  seq_log_.emplace_back(e.seq, id);
  by_until_.emplace(e.until, id);
  if (e.has_range) {
    by_first_.emplace(e.first, &e);
    ++prefix_counts_[e.prefix];
  }
  Entry*& head = by_value_[value_hash(e.value)];
  if (head == nullptr) {
    head = &e;
    e.next_same_value = &e;
  } else {
    e.next_same_value = head->next_same_value;
    head->next_same_value = &e;
  }
}

void DecisionIndex::erase_locked(std::map<int64_t, Entry>::iterator it) {
  Entry& e = it->second;
  const int64_t id = it->first;
  by_until_.erase({e.until, id});
  if (e.next_same_value == &e) {
    by_value_.erase(value_hash(e.value));
  } else {
    Entry* before = e.next_same_value;
    while (before->next_same_value != &e)
      before = before->next_same_value;
    before->next_same_value = e.next_same_value;
    Entry*& head = by_value_.at(value_hash(e.value));
    if (head == &e) head = e.next_same_value;
  }
  if (e.has_range) {
    auto [lo, hi] = by_first_.equal_range(e.first);
    for (auto r = lo; r != hi; ++r) {
      if (r->second == &e) {
        by_first_.erase(r);
        break;
      }
    }
    --prefix_counts_[e.prefix];
  }
  strings_.release(e.scenario);
  strings_.release(e.type);
  strings_.release(e.scope);
  strings_.release(e.origin);
  if (e.uuid_form == UuidForm::kText) strings_.release(e.uuid_text);
  rows_.erase(it);  // its seq_log_ pair goes stale
}

void DecisionIndex::compact_seq_log_locked() {
  std::erase_if(seq_log_, [&](const std::pair<uint64_t, int64_t>& p) {
    const auto it = rows_.find(p.second);
    return it == rows_.end() || it->second.seq != p.first;
  });
}

void DecisionIndex::load(std::vector<storage::Decision> rows) {
  {
    std::unique_lock lock(mu_);
    rows_.clear();
    seq_log_.clear();
    by_until_.clear();
    by_value_.clear();
    by_first_.clear();
    strings_.clear();
    prefix_counts_.fill(0);
    for (auto& d : rows) {
      // Freed as it goes: the rows and the index are not both held in full.
      insert_locked(d, std::move(d.value));
      const storage::Decision gone = std::move(d);
    }
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
        if (d.rev != 0 && d.rev <= it->second.rev) continue;
        erase_locked(it);
      }
      insert_locked(d, d.value);
      ++applied;
    }
    if (seq_log_.size() > 2 * rows_.size() + 4096) compact_seq_log_locked();
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
  if (seq_log_.size() > 2 * rows_.size() + 4096) compact_seq_log_locked();
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

size_t DecisionIndex::interned_strings() const {
  std::shared_lock lock(mu_);
  return strings_.size();
}

std::string_view DecisionIndex::uuid_locked(const Entry& e, std::array<char, 36>& buf) const {
  switch (e.uuid_form) {
    case UuidForm::kRaw:
      return unpack_uuid(e.uuid, buf);
    case UuidForm::kText:
      return strings_.get(e.uuid_text);
    case UuidForm::kNone:
      break;
  }
  return {};
}

void DecisionIndex::append_json_locked(std::string& out, const Entry& e, TimePoint now) const {
  std::array<char, 36> buf;
  append_decision_json(out,
                       DecisionFields{.id = e.id,
                                      .until = e.until,
                                      .origin = strings_.get(e.origin),
                                      .scenario = strings_.get(e.scenario),
                                      .scope = strings_.get(e.scope),
                                      .type = strings_.get(e.type),
                                      .uuid = uuid_locked(e, buf),
                                      .value = e.value},
                       now);
}

storage::Decision DecisionIndex::to_decision_locked(const Entry& e) const {
  std::array<char, 36> buf;
  storage::Decision d;
  d.id = e.id;
  d.alert_id = e.alert_id;
  d.uuid = uuid_locked(e, buf);
  d.created_at = e.created_at;
  d.until = e.until;
  d.scenario = strings_.get(e.scenario);
  d.type = strings_.get(e.type);
  d.scope = strings_.get(e.scope);
  d.value = e.value;
  d.origin = strings_.get(e.origin);
  d.simulated = e.simulated;
  d.rev = e.rev;
  return d;
}

bool DecisionIndex::hidden_locked(const Entry& e) const {
  for (const Entry* o = e.next_same_value; o != &e; o = o->next_same_value) {
    if (o->until > e.until && o->type == e.type && o->scope == e.scope && o->value == e.value)
      return true;
  }
  return false;
}

bool DecisionIndex::matches_locked(const Entry& e, const DecisionFilter& f) const {
  if (!f.include_simulated && e.simulated) return false;
  if (f.id_gt && e.id <= *f.id_gt) return false;
  if (!f.scopes.empty() &&
      std::find(f.scopes.begin(), f.scopes.end(), strings_.get(e.scope)) == f.scopes.end())
    return false;
  if (!f.origins.empty() &&
      std::find(f.origins.begin(), f.origins.end(), strings_.get(e.origin)) == f.origins.end())
    return false;
  if (f.value && e.value != *f.value) return false;
  if (f.type && strings_.get(e.type) != *f.type) return false;
  if (f.uuid) {
    std::array<char, 36> buf;
    if (uuid_locked(e, buf) != *f.uuid) return false;
  }
  const std::string_view scenario = strings_.get(e.scenario);
  if (f.scenario && scenario != *f.scenario) return false;
  if (!f.scenarios_containing.empty() &&
      std::none_of(f.scenarios_containing.begin(), f.scenarios_containing.end(),
                   [&](const std::string& s) { return contains_ci(scenario, s); }))
    return false;
  if (std::any_of(f.scenarios_not_containing.begin(), f.scenarios_not_containing.end(),
                  [&](const std::string& s) { return contains_ci(scenario, s); }))
    return false;
  if (!f.range) return true;
  if (!e.has_range || e.v4 != f.range->is_v4()) return false;
  const net::Uint128 qf = f.range->first(), ql = f.range->last();
  return f.contains ? (e.first <= qf && e.last() >= ql) : (e.first >= qf && e.last() <= ql);
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
        const Entry& e = *it->second;
        if (e.prefix == p && matches_locked(e, f)) fn(e);
      }
    }
  } else {
    for (auto it = by_first_.lower_bound(qf); it != by_first_.end() && it->first <= ql; ++it) {
      const Entry& e = *it->second;
      if (matches_locked(e, f)) fn(e);
    }
  }
}

std::vector<const DecisionIndex::Entry*> DecisionIndex::collect_locked(const DecisionFilter& filter,
                                                                       TimePoint now) const {
  std::vector<const Entry*> hits;
  const auto take = [&](const Entry& e) {
    if (e.until > now) hits.push_back(&e);
  };
  const auto by_id = [](const Entry* a, const Entry* b) { return a->id < b->id; };
  if (filter.range) {
    for_each_range_match_locked(filter, take);
    std::sort(hits.begin(), hits.end(), by_id);
  } else if (filter.value) {
    const auto it = by_value_.find(value_hash(*filter.value));
    if (it != by_value_.end()) {
      for_each_same_value(it->second, [&](const Entry& e) {
        if (matches_locked(e, filter)) take(e);
      });
    }
    std::sort(hits.begin(), hits.end(), by_id);
  } else {
    for (const auto& [id, e] : rows_)
      if (matches_locked(e, filter)) take(e);
  }
  return hits;
}

std::vector<storage::Decision> DecisionIndex::query(const DecisionFilter& filter, TimePoint now,
                                                    size_t limit, size_t offset) const {
  std::shared_lock lock(mu_);
  const auto hits = collect_locked(filter, now);
  std::vector<storage::Decision> out;
  for (size_t i = offset; i < hits.size() && (limit == 0 || out.size() < limit); ++i)
    out.push_back(to_decision_locked(*hits[i]));
  return out;
}

size_t DecisionIndex::write_query(const DecisionFilter& filter, TimePoint now, size_t limit,
                                  size_t offset, std::string& out) const {
  std::shared_lock lock(mu_);
  const auto hits = collect_locked(filter, now);
  size_t written = 0;
  for (size_t i = offset; i < hits.size() && (limit == 0 || written < limit); ++i) {
    if (written++ > 0) out.push_back(',');
    append_json_locked(out, *hits[i], now);
  }
  return written;
}

std::optional<storage::Decision> DecisionIndex::get(int64_t id) const {
  std::shared_lock lock(mu_);
  const auto it = rows_.find(id);
  if (it == rows_.end()) return std::nullopt;
  return to_decision_locked(it->second);
}

StreamDelta DecisionIndex::delta_since(const Cursor& since, const DecisionFilter& filter,
                                       bool dedup, TimePoint now) const {
  std::shared_lock lock(mu_);
  std::vector<int64_t> ids;
  const auto from = std::upper_bound(
      seq_log_.begin(), seq_log_.end(), since.seq,
      [](uint64_t seq, const std::pair<uint64_t, int64_t>& p) { return seq < p.first; });
  for (auto it = from; it != seq_log_.end(); ++it)
    ids.push_back(it->second);  // stale pairs name a row applied again later, or a gone one
  for (auto it = by_until_.upper_bound({since.at, INT64_MAX});
       it != by_until_.end() && it->first <= now; ++it)
    ids.push_back(it->second);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  StreamDelta out;
  for (int64_t id : ids) {
    const auto row = rows_.find(id);
    if (row == rows_.end()) continue;
    const Entry& e = row->second;
    if (!matches_locked(e, filter) || (dedup && hidden_locked(e))) continue;
    if (e.until > now) {
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
    if (e.until > now) {
      if (e.created_at > last_pull) out.added.push_back(id);
    } else if (e.until > deleted_from) {
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
    if ((e.until > now) != active || !matches_locked(e, filter) || (dedup && hidden_locked(e)))
      continue;
    if (!first) out.push_back(',');
    first = false;
    append_json_locked(out, e, now);
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
    append_json_locked(out, it->second, now);
  }
}

int64_t DecisionIndex::active_count(std::string_view value, TimePoint now) const {
  std::shared_lock lock(mu_);
  const auto it = by_value_.find(value_hash(value));
  if (it == by_value_.end()) return 0;
  int64_t n = 0;
  for_each_same_value(it->second, [&](const Entry& e) {
    if (e.value == value && e.until > now) ++n;
  });
  return n;
}

Duration DecisionIndex::active_time_left(std::string_view value, TimePoint now) const {
  std::shared_lock lock(mu_);
  Duration left{0};
  const auto it = by_value_.find(value_hash(value));
  if (it == by_value_.end()) return left;
  for_each_same_value(it->second, [&](const Entry& e) {
    if (e.value == value && e.until > now) left = std::max(left, Duration(e.until - now));
  });
  return left;
}

std::map<std::string, int64_t> DecisionIndex::active_by_origin(TimePoint now) const {
  std::shared_lock lock(mu_);
  std::map<StringPool::Id, int64_t> by_id;
  for (auto it = by_until_.upper_bound({now, INT64_MAX}); it != by_until_.end(); ++it)
    ++by_id[rows_.at(it->second).origin];
  std::map<std::string, int64_t> out;
  for (const auto& [id, n] : by_id)
    out[std::string(strings_.get(id))] += n;
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
