// SPDX-License-Identifier: Apache-2.0
// The LAPI's in-memory index of decisions: every row the store still holds from
// load_decisions() (active ones and recently expired ones), kept current from the LAPI's own
// writes and from other writers (Store::decisions_after). Bouncer queries never touch the
// database: a startup stream walks the index in id order, a delta reads only the rows changed
// since the caller's cursor (O(changes)), and GET /v1/decisions?ip= is a few ordered-map
// lookups.
//
// Change sequence: every row applied to the index gets the next value of a counter of its own
// (`seq`), whatever order the store committed rows in, so "changed since seq N" never misses a
// row that a concurrent writer applied late. A Cursor is (epoch, seq, time): the epoch is
// random per process, so a cursor from another instance or an earlier run is recognised and
// not trusted; `time` lets a delta report rows that expired by themselves since the cursor.
//
// Thread-safety: all methods are safe from any thread (one shared_mutex); wake-up callbacks
// run on the thread that applied the change, outside the lock.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/duration.h"
#include "core/net.h"
#include "core/time.h"
#include "storage/model.h"

namespace phalanx::lapi {

// Which decisions a query wants. Empty lists and unset fields match everything.
struct DecisionFilter {
  std::vector<std::string> scopes;                    // exact, already normalised ("Ip")
  std::vector<std::string> origins;                   // exact
  std::vector<std::string> scenarios_containing;      // lowercase substrings, OR-ed
  std::vector<std::string> scenarios_not_containing;  // lowercase substrings, OR-ed
  std::optional<std::string> value;
  std::optional<std::string> type;
  std::optional<std::string> uuid;
  std::optional<std::string> scenario;  // exact (DELETE /v1/decisions)
  // ip= / range=: contains=true wants decisions whose range contains `range`; false wants
  // decisions inside it. Families never mix.
  std::optional<net::Cidr> range;
  bool contains = true;
  bool include_simulated = false;
  std::optional<int64_t> id_gt;

  // Everything except `range`.
  bool matches(const storage::Decision& d) const;
};

struct Cursor {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  TimePoint at{};

  // "<epoch hex>.<seq>.<unix ns>"; parse() returns nullopt for anything else.
  std::string to_string() const;
  static std::optional<Cursor> parse(std::string_view text);
};

// A stream delta: ids in ascending order.
struct StreamDelta {
  std::vector<int64_t> added;
  std::vector<int64_t> deleted;
  bool empty() const { return added.empty() && deleted.empty(); }
};

class DecisionIndex {
 public:
  DecisionIndex();

  // Replaces the content with `rows` (startup).
  void load(std::vector<storage::Decision> rows);
  // Upserts rows by id. A row whose rev is lower than the kept one's is stale and skipped (rows
  // arrive from the LAPI's own writes and, again, from decisions_after). Wakes subscribers
  // when something changed. Returns the number of rows applied.
  size_t apply(std::span<const storage::Decision> rows);
  // Forgets rows that expired before `older_than` (the store's flush removes them too).
  size_t prune(TimePoint older_than);

  Cursor cursor(TimePoint now) const;
  uint64_t epoch() const { return epoch_; }
  size_t size() const;

  // Active rows (until > now) matching, ascending id, after `offset` matches, at most `limit`
  // (0: all).
  std::vector<storage::Decision> query(const DecisionFilter& filter, TimePoint now,
                                       size_t limit = 0, size_t offset = 0) const;
  std::optional<storage::Decision> get(int64_t id) const;

  // Deltas. `since` must carry this index's epoch. Rows changed after the cursor, plus rows
  // whose until passed in (since.at, now]: active ones in `added`, expired ones in `deleted`.
  // With dedup, a row is left out when another row with the same (value, type, scope) has a
  // strictly later until (spec §1.4).
  StreamDelta delta_since(const Cursor& since, const DecisionFilter& filter, bool dedup,
                          TimePoint now) const;
  // CrowdSec's delta for a bouncer known only by its last_pull time (after a restart): active
  // rows created after it, rows whose until is in (last_pull - 2s, now]. Walks every row.
  StreamDelta delta_since_time(TimePoint last_pull, const DecisionFilter& filter, bool dedup,
                               TimePoint now) const;

  // Startup stream, one page at a time: appends to `out` the JSON of up to `max_rows` rows with
  // id > `after_id` that match (active ones when `active`, else expired ones), comma-separated,
  // a leading comma unless `first`. Advances `after_id` and clears `first` as it writes; returns
  // false when no row is left.
  bool write_page(bool active, const DecisionFilter& filter, bool dedup, TimePoint now,
                  size_t max_rows, int64_t& after_id, bool& first, std::string& out) const;
  // Appends the JSON of the rows with these ids (ascending), comma-separated. Ids that are gone
  // are skipped.
  void write_rows(std::span<const int64_t> ids, TimePoint now, std::string& out) const;

  // Decision helpers of profiles (spec §4.8), on rows still in the index.
  int64_t active_count(std::string_view value, TimePoint now) const;
  Duration active_time_left(std::string_view value, TimePoint now) const;
  // Active rows by origin, for /metrics.
  std::map<std::string, int64_t> active_by_origin(TimePoint now) const;
  // The earliest until after `now` (next row to expire by itself), or nullopt.
  std::optional<TimePoint> next_expiry(TimePoint now) const;

  // One-shot wake-up on the next change. Returns an id for unsubscribe().
  uint64_t subscribe(std::function<void()> callback);
  void unsubscribe(uint64_t id);
  size_t subscribers() const;

 private:
  struct Entry {
    storage::Decision d;
    uint64_t seq = 0;
    bool has_range = false;  // Ip or Range scope with a parsable value
    bool v4 = false;
    net::Uint128 first = 0;
    net::Uint128 last = 0;
    int prefix = 0;  // in the 128-bit space
    // The rows with the same value (this one included): dedup and the profile helpers walk it
    // without a lookup. Points into by_value_, whose nodes never move.
    std::vector<Entry*>* same_value = nullptr;
  };

  void insert_locked(storage::Decision d);
  void erase_locked(std::map<int64_t, Entry>::iterator it);
  bool hidden_locked(const Entry& e) const;
  bool matches_locked(const Entry& e, const DecisionFilter& f) const;
  template <class Fn>
  void for_each_range_match_locked(const DecisionFilter& f, Fn&& fn) const;
  void notify();

  const uint64_t epoch_;
  mutable std::shared_mutex mu_;
  uint64_t seq_ = 0;
  std::map<int64_t, Entry> rows_;                               // by id
  std::map<uint64_t, int64_t> by_seq_;                          // seq -> id
  std::set<std::pair<TimePoint, int64_t>> by_until_;            // (until, id)
  std::unordered_map<uint64_t, std::vector<Entry*>> by_value_;  // hash(value) -> rows
  std::multimap<net::Uint128, int64_t> by_first_;               // first address -> id (Ip, Range)
  std::array<uint32_t, 129> prefix_counts_{};                   // rows per prefix length

  mutable std::mutex sub_mu_;
  uint64_t next_sub_ = 1;
  std::map<uint64_t, std::function<void()>> subs_;
};

}  // namespace phalanx::lapi
