// SPDX-License-Identifier: Apache-2.0
// /v1/decisions, /v1/decisions/:id and /v1/decisions/stream (spec §1.3, §1.4), all served from
// the DecisionIndex.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/log.h"
#include "lapi/alert_json.h"
#include "lapi/decision_json.h"
#include "lapi/lapi_state.h"

namespace phalanx::lapi {
namespace {

// Rows per page of a startup stream (one chunk each); CrowdSec pages 30 000 rows.
constexpr size_t kPageRows = 5000;

std::vector<std::string> split_list(const std::string& s, bool lower) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (lower) {
      for (char& c : item)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// ip= / range= as a CIDR; errors name the value.
Result<net::Cidr> parse_target(const std::string& key, const std::string& value) {
  auto cidr = net::Cidr::parse(value);
  if (!cidr || (key == "ip" && value.find('/') != std::string::npos))
    return Error(fmt::format("unable to parse '{}': invalid ip address / range", value));
  return *cidr;
}

// Builds the filter of GET /v1/decisions and the stream. Unknown keys are ignored.
Result<DecisionFilter> bouncer_filter(const Request& req, bool stream) {
  DecisionFilter f;
  bool scopes_given = false;
  for (const auto& [k, v] : req.query) {
    if (k == "scope" || k == "scopes") {
      scopes_given = true;
      for (auto& sc : split_list(v, false))
        f.scopes.push_back(normalize_scope(sc));
    } else if (k == "origins") {
      f.origins = split_list(v, false);
    } else if (k == "scenarios_containing") {
      f.scenarios_containing = split_list(v, true);
    } else if (k == "scenarios_not_containing") {
      f.scenarios_not_containing = split_list(v, true);
    } else if (stream) {
      continue;
    } else if (k == "value") {
      f.value = v;
    } else if (k == "type") {
      f.type = v;
    } else if (k == "ip" || k == "range") {
      PHALANX_TRY(f.range, parse_target(k, v));
    } else if (k == "contains") {
      f.contains = v != "false";
    } else if (k == "simulated") {
      f.include_simulated = v != "false";
    } else if (k == "id_gt") {
      f.id_gt = to_int(v);
      if (!f.id_gt) return Error(fmt::format("id_gt: '{}' is not an integer", v));
    }
  }
  if (stream && !scopes_given) f.scopes = {"Ip", "Range"};
  return f;
}

void maybe_write_last_pull(Lapi::State& s, const std::string& bouncer, TimePoint at, bool force) {
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(s.pull_mu);
    auto& last = s.last_pull_written[bouncer];
    if (!force && last.time_since_epoch().count() != 0 &&
        steady_now - last < s.options.last_pull_interval)
      return;
    last = steady_now;
  }
  auto b = s.store.get_bouncer(bouncer);
  if (!b || !*b) return;
  (*b)->last_pull = at;
  if (auto up = s.store.update_bouncer(**b); !up)
    logger()->warn("bouncer {}: writing last_pull: {}", bouncer, up.error().message());
}

}  // namespace

Reply get_decisions(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_bouncer(s, req, err);
  if (!who) return with_response(std::move(err));
  if (req.method == "HEAD") return with_response(json_response(200, ""));
  auto filter = bouncer_filter(req, false);
  if (!filter) return with_response(message(500, filter.error().message()));
  size_t limit = 0, offset = 0;
  if (const auto* l = req.param("limit"))
    limit = static_cast<size_t>(std::max<int64_t>(0, to_int(*l).value_or(0)));
  if (const auto* o = req.param("offset"))
    offset = static_cast<size_t>(std::max<int64_t>(0, to_int(*o).value_or(0)));
  const TimePoint now = s.clock.now();
  std::string body = "[";
  const size_t n = s.index.write_query(*filter, now, limit, offset, body);
  maybe_write_last_pull(s, who->name, now, false);
  if (n == 0) return with_response(json_response(200, "null"));
  body.push_back(']');
  return with_response(json_response(200, std::move(body)));
}

namespace {

// DELETE /v1/decisions filter keys; anything else is CrowdSec's 500 "invalid filter".
Result<DecisionFilter> delete_filter(const Request& req) {
  DecisionFilter f;
  f.include_simulated = true;
  for (const auto& [k, v] : req.query) {
    if (k == "scopes") {
      f.scopes = {normalize_scope(v)};  // one exact value, not a list
    } else if (k == "uuid") {
      f.uuid = v;
    } else if (k == "origin") {
      f.origins = {v};
    } else if (k == "value") {
      f.value = v;
    } else if (k == "type") {
      f.type = v;
    } else if (k == "scenario") {
      f.scenario = v;
    } else if (k == "contains") {
      f.contains = v != "false";
    } else if (k == "ip" || k == "range") {
      PHALANX_TRY(f.range, parse_target(k, v));
    } else {
      return Error(fmt::format("'{}' doesn't exist: invalid filter", k));
    }
  }
  return f;
}

}  // namespace

Reply delete_decisions(Lapi::State& s, Request& req) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  auto filter = delete_filter(req);
  if (!filter) return with_response(message(500, filter.error().message()));
  const auto rows = s.index.query(*filter, s.clock.now());
  std::vector<int64_t> ids;
  for (const auto& d : rows)
    ids.push_back(d.id);
  auto n = expire_decisions(s, ids);
  if (!n) return with_response(message(500, n.error().message()));
  return with_response(json_response(200, fmt::format(R"({{"nbDeleted":"{}"}})", *n)));
}

Reply delete_decision(Lapi::State& s, Request& req, std::string_view id_text) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const auto id = to_int(id_text);
  if (!id) return with_response(message(400, "decision_id must be valid integer"));
  const auto row = s.index.get(*id);
  if (!row || row->until <= s.clock.now()) {
    return with_response(
        message(500, fmt::format("decision with id '{}' doesn't exist: unable to delete", *id)));
  }
  const int64_t ids[] = {*id};
  auto n = expire_decisions(s, ids);
  if (!n) return with_response(message(500, n.error().message()));
  return with_response(json_response(200, fmt::format(R"({{"nbDeleted":"{}"}})", *n)));
}

namespace {

// The body of a delta: {"new": [...], "deleted": [...]}.
std::string delta_body(const DecisionIndex& index, const StreamDelta& d, TimePoint now) {
  std::string out = R"({"new": [)";
  index.write_rows(d.added, now, out);
  out += R"(], "deleted": [)";
  index.write_rows(d.deleted, now, out);
  out += "]}";
  return out;
}

// The bouncer's position moves to `next` as its answer is handed to the server, not once the
// write completes: the bouncer may have read the whole answer and sent its next pull, on
// another connection served by another thread, before the completion runs, and that pull
// must start from `next`. Returns the function that puts the position back if the answer is
// not written (unless a later answer moved it since).
std::function<void()> advance_cursor(Lapi::State& s, const std::string& bouncer,
                                     const Cursor& next) {
  std::optional<Cursor> previous;
  {
    std::lock_guard lock(s.pull_mu);
    auto [it, added] = s.bouncer_cursors.try_emplace(bouncer, next);
    if (!added) {
      previous = it->second;
      it->second = next;
    }
  }
  return [&s, bouncer, next, previous] {
    std::lock_guard lock(s.pull_mu);
    const auto it = s.bouncer_cursors.find(bouncer);
    if (it == s.bouncer_cursors.end() || it->second.seq != next.seq || it->second.at != next.at ||
        it->second.epoch != next.epoch)
      return;
    if (previous) {
      it->second = *previous;
    } else {
      s.bouncer_cursors.erase(it);
    }
  };
}

Response stream_response(Lapi::State& s, const std::string& bouncer, std::string body,
                         const Cursor& next, TimePoint started) {
  Response r = json_response(200, std::move(body));
  r.headers.emplace_back("X-Phalanx-Cursor", next.to_string());
  r.on_complete = [&s, bouncer, started, undo = advance_cursor(s, bouncer, next)](bool written) {
    if (!written) return undo();
    maybe_write_last_pull(s, bouncer, started, false);
  };
  return r;
}

// A startup answer, streamed page by page straight from the index.
Response startup_response(Lapi::State& s, const std::string& bouncer, DecisionFilter filter,
                          bool dedup, TimePoint now) {
  const Cursor next = s.index.cursor(now);
  Response r;
  r.headers.emplace_back("X-Phalanx-Cursor", next.to_string());
  struct Walk {
    int phase = 0;  // 0: header, 1: new, 2: deleted, 3: done
    int64_t after = 0;
    bool first = true;
  };
  auto walk = std::make_shared<Walk>();
  r.stream = [&s, walk, filter = std::move(filter), dedup, now](std::string& out) {
    switch (walk->phase) {
      case 0:
        out += R"({"new": [)";
        walk->phase = 1;
        return true;
      case 1:
        if (!s.index.write_page(true, filter, dedup, now, kPageRows, walk->after, walk->first,
                                out)) {
          out += R"(], "deleted": [)";
          walk->phase = 2;
          walk->after = 0;
          walk->first = true;
        }
        return true;
      case 2:
        if (!s.index.write_page(false, filter, dedup, now, kPageRows, walk->after, walk->first,
                                out)) {
          out += "]}";
          walk->phase = 3;
          return false;
        }
        return true;
      default:
        return false;
    }
  };
  r.on_complete = [&s, bouncer, now, undo = advance_cursor(s, bouncer, next)](bool written) {
    if (!written) return undo();
    maybe_write_last_pull(s, bouncer, now, true);
  };
  return r;
}

}  // namespace

Reply stream_decisions(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_bouncer(s, req, err);
  if (!who) return with_response(std::move(err));
  // HEAD answers at once: no query, no last_pull (spec §1.4).
  if (req.method == "HEAD") return with_response(json_response(200, ""));
  auto filter = bouncer_filter(req, true);
  if (!filter) return with_response(message(500, filter.error().message()));
  const std::string* dedup_p = req.param("dedup");
  const bool dedup = dedup_p == nullptr || *dedup_p != "false";
  const TimePoint now = s.clock.now();
  const std::string* startup = req.param("startup");
  if (startup != nullptr && *startup == "true")
    return with_response(startup_response(s, who->name, std::move(*filter), dedup, now));

  Duration wait{0};
  if (const std::string* w = req.param("wait")) {
    auto parsed = parse_go_duration(*w);
    if (!parsed || parsed->count() < 0)
      return with_response(message(400, fmt::format("wait: invalid duration '{}'", *w)));
    wait = std::min<Duration>(*parsed, s.options.max_wait);
  }

  // Where this delta starts: the caller's cursor= when this process issued it, else the
  // bouncer's last answer in this process, else its last_pull in the store.
  std::optional<Cursor> base;
  if (const std::string* c = req.param("cursor")) {
    auto parsed = Cursor::parse(*c);
    if (parsed && parsed->epoch == s.index.epoch()) base = parsed;
  }
  if (!base) {
    std::lock_guard lock(s.pull_mu);
    const auto it = s.bouncer_cursors.find(who->name);
    if (it != s.bouncer_cursors.end()) base = it->second;
  }
  std::optional<TimePoint> last_pull;
  if (!base) {
    auto b = s.store.get_bouncer(who->name);
    if (!b) return with_response(message(500, b.error().message()));
    if (*b && (*b)->last_pull) last_pull = (*b)->last_pull;
  }

  // The cursor handed out is taken before the delta is read: a change landing in between is
  // sent now and again next time, never lost.
  const auto compute = [&s, base, last_pull, filter = *filter, dedup](TimePoint at, Cursor& next) {
    next = s.index.cursor(at);
    if (base) return s.index.delta_since(*base, filter, dedup, at);
    return s.index.delta_since_time(last_pull.value_or(TimePoint{}), filter, dedup, at);
  };
  Cursor next;
  StreamDelta delta = compute(now, next);
  if (!delta.empty() || wait.count() == 0) {
    return with_response(stream_response(s, who->name, delta_body(s.index, delta, now), next, now));
  }

  Reply held;
  held.deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait);
  held.subscribe = [&s](std::function<void()> fn) { return s.index.subscribe(std::move(fn)); };
  held.unsubscribe = [&s](uint64_t id) { s.index.unsubscribe(id); };
  held.recheck_at = [&s] {
    const TimePoint now2 = s.clock.now();
    const auto next_expiry = s.index.next_expiry(now2);
    if (!next_expiry) return std::chrono::steady_clock::time_point::max();
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next_expiry - now2) +
           std::chrono::milliseconds(1);
  };
  held.poll = [&s, compute, bouncer = who->name](bool final) -> std::optional<Response> {
    const TimePoint at = s.clock.now();
    Cursor next2;
    StreamDelta d = compute(at, next2);
    if (d.empty() && !final) return std::nullopt;
    return stream_response(s, bouncer, delta_body(s.index, d, at), next2, at);
  };
  return held;
}

}  // namespace phalanx::lapi
