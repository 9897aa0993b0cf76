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
#include <deque>
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
#include "lapi/string_pool.h"
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
  // Distinct scenario, type, scope, origin (and non-canonical uuid) strings the rows use.
  size_t interned_strings() const;

  // Active rows (until > now) matching, ascending id, after `offset` matches, at most `limit`
  // (0: all).
  std::vector<storage::Decision> query(const DecisionFilter& filter, TimePoint now,
                                       size_t limit = 0, size_t offset = 0) const;
  // The same rows as query(), appended to `out` as JSON objects, comma-separated (no brackets);
  // returns how many. GET /v1/decisions answers with it without copying rows.
  size_t write_query(const DecisionFilter& filter, TimePoint now, size_t limit, size_t offset,
                     std::string& out) const;
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
  // One row, compact: the repeated strings (scenario, type, scope, origin) are StringPool ids,
  // a canonical lowercase uuid is its 16 bytes, the last address of a range is derived from the
  // first and the prefix. 160 bytes where a storage::Decision takes 240 plus heap blocks.
  enum class UuidForm : uint8_t { kNone, kRaw, kText };
  struct Entry {
    net::Uint128 first = 0;  // first address (has_range), in the 128-bit space
    std::string value;
    int64_t id = 0;
    int64_t alert_id = 0;
    int64_t rev = 0;
    TimePoint created_at{};
    TimePoint until{};
    uint64_t seq = 0;
    // The rows whose value has the same hash form a ring (by_value_ holds one of them; a row
    // alone points at itself): dedup walks it from the row at hand, without a lookup.
    Entry* next_same_value = nullptr;
    std::array<uint8_t, 16> uuid{};  // kRaw
    StringPool::Id scenario = 0, type = 0, scope = 0, origin = 0;
    StringPool::Id uuid_text = 0;  // kText: a uuid in any other spelling, kept as given
    UuidForm uuid_form = UuidForm::kNone;
    uint8_t prefix = 0;      // in the 128-bit space
    bool has_range = false;  // Ip or Range scope with a parsable value
    bool v4 = false;
    bool simulated = false;

    net::Uint128 last() const;
  };

  void insert_locked(const storage::Decision& d, std::string value);
  void erase_locked(std::map<int64_t, Entry>::iterator it);
  void compact_seq_log_locked();
  bool hidden_locked(const Entry& e) const;
  bool matches_locked(const Entry& e, const DecisionFilter& f) const;
  // Active rows matching, ascending id.
  std::vector<const Entry*> collect_locked(const DecisionFilter& filter, TimePoint now) const;
  template <class Fn>
  void for_each_range_match_locked(const DecisionFilter& f, Fn&& fn) const;
  // Calls fn for every row of the ring `any` is in, `any` included.
  template <class Fn>
  static void for_each_same_value(const Entry* any, Fn&& fn);
  // The uuid as text; `buf` holds it for kRaw.
  std::string_view uuid_locked(const Entry& e, std::array<char, 36>& buf) const;
  void append_json_locked(std::string& out, const Entry& e, TimePoint now) const;
  storage::Decision to_decision_locked(const Entry& e) const;
  void notify();

  const uint64_t epoch_;
  mutable std::shared_mutex mu_;
  uint64_t seq_ = 0;
  StringPool strings_;
  std::map<int64_t, Entry> rows_;  // by id
  // (seq, id) in seq order, appended as rows are applied. A pair whose row is gone or has a
  // newer seq is stale: skipped by readers, dropped when stale pairs outnumber the rows.
  std::deque<std::pair<uint64_t, int64_t>> seq_log_;
  std::set<std::pair<TimePoint, int64_t>> by_until_;    // (until, id)
  std::unordered_map<uint64_t, Entry*> by_value_;       // hash(value) -> a row of its ring
  std::multimap<net::Uint128, const Entry*> by_first_;  // first address -> row (Ip, Range)
  std::array<uint32_t, 129> prefix_counts_{};           // rows per prefix length

  mutable std::mutex sub_mu_;
  uint64_t next_sub_ = 1;
  std::map<uint64_t, std::function<void()>> subs_;
};

}  // namespace phalanx::lapi
