// SPDX-License-Identifier: Apache-2.0
// `phalanx decisions list|add|delete|import`.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/admin.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/duration.h"
#include "core/net.h"
#include "core/uuid.h"
#include "expr/go_format.h"
#include "lapi/alert_json.h"
#include "lapi/decision_json.h"
#include "profiles/profiles.h"

namespace phalanx::cli {
namespace {

using json = nlohmann::json;

TimePoint now() {
  return SystemClock::instance().now();
}

struct Filter {
  std::optional<net::Cidr> target;
  bool contains = true;
  std::string scope, value, scenario, type, origin;
};

Result<Filter> make_filter(const AdminOptions& o) {
  Filter f;
  if (!o.ip.empty() && !o.range.empty()) return Error("give --ip or --range, not both");
  if (!o.ip.empty()) {
    auto a = net::IpAddress::parse(o.ip);
    if (!a) return a.error().context("--ip '" + o.ip + "'");
    f.target = net::Cidr::host(*a);
  }
  if (!o.range.empty()) {
    auto c = net::Cidr::parse(o.range);
    if (!c) return c.error().context("--range '" + o.range + "'");
    f.target = *c;
  }
  f.contains = o.contains;
  f.scope = o.scope.empty() ? "" : lapi::normalize_scope(o.scope);
  f.value = o.value;
  f.scenario = o.scenario;
  f.type = o.type;
  f.origin = o.origin;
  return f;
}

bool matches(const Filter& f, const storage::Decision& d) {
  if (!f.scope.empty() && d.scope != f.scope) return false;
  if (!f.value.empty() && d.value != f.value) return false;
  if (!f.scenario.empty() && d.scenario != f.scenario) return false;
  if (!f.type.empty() && d.type != f.type) return false;
  if (!f.origin.empty() && d.origin != f.origin) return false;
  if (f.target) {
    if (d.scope != "Ip" && d.scope != "Range") return false;
    auto c = net::Cidr::parse(d.value);
    if (!c || c->is_v4() != f.target->is_v4()) return false;
    if (f.contains ? !c->contains(*f.target) : !f.target->contains(*c)) return false;
  }
  return true;
}

std::string expiration(const storage::Decision& d, TimePoint at) {
  return format_go_duration(lapi::round_to_second(d.until - at));
}

json decision_json(const storage::Decision& d, TimePoint at) {
  json j = {{"id", d.id},
            {"alert_id", d.alert_id},
            {"origin", d.origin},
            {"scenario", d.scenario},
            {"scope", d.scope},
            {"type", d.type},
            {"value", d.value},
            {"duration", expiration(d, at)},
            {"until", expr::format_rfc3339(ZonedTime{d.until, 0})},
            {"created_at", expr::format_rfc3339(ZonedTime{d.created_at, 0})},
            {"simulated", d.simulated}};
  if (!d.uuid.empty()) j["uuid"] = d.uuid;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int list(const AdminOptions& o, storage::Store& store) {
  auto filter = make_filter(o);
  if (!filter) return usage_error(filter.error().message());
  const TimePoint at = now();
  auto rows = store.load_decisions(o.all ? TimePoint{} : at);
  if (!rows) return fail(rows.error().message());
  std::vector<storage::Decision> out;
  for (auto& d : *rows)
    if (matches(*filter, d)) out.push_back(std::move(d));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  const int64_t limit = o.limit < 0 ? 100 : o.limit;
  if (limit > 0 && out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));

  if (o.output == "json") {
    json arr = json::array();
    for (const auto& d : out)
      arr.push_back(decision_json(d, at));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  if (o.output == "raw") {
    std::cout << "id,source,reason,action,origin,expiration,simulated,alert_id\n";
    for (const auto& d : out)
      std::cout << d.id << ',' << csv_field(d.scope + ":" + d.value) << ',' << csv_field(d.scenario)
                << ',' << csv_field(d.type) << ',' << csv_field(d.origin) << ','
                << expiration(d, at) << ',' << (d.simulated ? "true" : "false") << ',' << d.alert_id
                << "\n";
    return kExitOk;
  }
  if (out.empty()) {
    std::cout << "No active decisions\n";
    return kExitOk;
  }
  Table t({"ID", "SOURCE", "REASON", "ACTION", "ORIGIN", "EXPIRATION", "ALERT ID"});
  for (const auto& d : out)
    t.add({std::to_string(d.id), printable(d.scope + ":" + d.value, 60), printable(d.scenario, 60),
           d.type + (d.simulated ? " (simulated)" : ""), d.origin, expiration(d, at),
           std::to_string(d.alert_id)});
  std::cout << t.render();
  return kExitOk;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "phalanx";
  return buf;
}

// An alert of kind cscli carrying decisions, as the LAPI stores decisions added by hand.
storage::Alert manual_alert(const std::string& scenario, const std::string& scope,
                            const std::string& value, TimePoint at) {
  storage::Alert a;
  a.uuid = uuid_v4();
  a.kind = "cscli";
  a.scenario = scenario;
  a.message = scenario;
  a.leakspeed = "0";
  a.events_count = 1;
  a.start_at = at;
  a.stop_at = at;
  a.created_at = at;
  a.source.scope = scope;
  a.source.value = value;
  if (scope == "Ip") a.source.ip = value;
  if (scope == "Range") a.source.range = value;
  return a;
}

storage::Decision make_decision(const std::string& scenario, const std::string& scope,
                                const std::string& value, const std::string& type,
                                const std::string& origin, Duration d, TimePoint at) {
  storage::Decision out;
  out.uuid = uuid_v4();
  out.created_at = at;
  out.until = at + d;
  out.scenario = scenario;
  out.type = type;
  out.scope = scope;
  out.value = value;
  out.origin = origin;
  return out;
}

// Checks an Ip/Range value and returns it in canonical text ("10.0.0.0/8", "2001:db8::1").
Result<std::string> canonical(const std::string& scope, const std::string& value) {
  if (scope == "Ip") {
    auto a = net::IpAddress::parse(value);
    if (!a) return a.error();
    return a->to_string();
  }
  if (scope == "Range") {
    auto c = net::Cidr::parse(value);
    if (!c) return c.error();
    return c->to_string();
  }
  return value;
}

int add(const AdminOptions& o, storage::Store& store) {
  std::string scope, value;
  if (!o.ip.empty()) scope = "Ip", value = o.ip;
  if (!o.range.empty()) scope = "Range", value = o.range;
  if (!o.scope.empty() && !o.value.empty()) {
    if (!value.empty()) return usage_error("decisions add: --ip, --range or --scope with --value");
    scope = lapi::normalize_scope(o.scope), value = o.value;
  }
  if (value.empty()) return usage_error("decisions add: give --ip, --range or --scope/--value");
  auto canon = canonical(scope, value);
  if (!canon) return usage_error("decisions add: '" + value + "': " + canon.error().message());
  value = *canon;
  auto duration = parse_go_duration(o.duration, /*allow_days=*/true);
  if (!duration || *duration <= Duration(0))
    return usage_error("decisions add: --duration '" + o.duration + "' is not a positive duration");
  auto allow = profiles::AllowList::make(o.allow, /*include_host_addresses=*/true);
  if (!allow) return usage_error(allow.error().message());
  if (auto why = allow->refusal(scope, value); !why.empty())
    return fail("decisions add: refused: " + why);
  const std::string type = o.type.empty() ? "ban" : o.type;
  const std::string reason =
      o.reason.empty() ? "manual '" + type + "' from '" + host_name() + "'" : o.reason;
  const TimePoint at = now();
  storage::Alert alert = manual_alert(reason, scope, value, at);
  alert.decisions.push_back(make_decision(reason, scope, value, type, "cscli", *duration, at));
  auto ids = store.insert_alerts(std::span<storage::Alert>(&alert, 1));
  if (!ids) return fail("decisions add: " + ids.error().message());
  std::cout << "Decision added: " << scope << ":" << value << " " << type << " for "
            << format_go_duration(*duration) << " (alert " << alert.id << ", decision "
            << alert.decisions[0].id << ")\n";
  return kExitOk;
}

int remove(const AdminOptions& o, storage::Store& store) {
  auto filter = make_filter(o);
  if (!filter) return usage_error(filter.error().message());
  const bool any_filter = filter->target || !filter->scope.empty() || !filter->value.empty() ||
                          !filter->scenario.empty() || !filter->type.empty() ||
                          !filter->origin.empty() || o.id;
  if (!any_filter && !o.all)
    return usage_error("decisions delete: give a filter, --id, or --all to delete everything");
  const TimePoint at = now();
  auto rows = store.load_decisions(at);
  if (!rows) return fail(rows.error().message());
  std::vector<int64_t> ids;
  for (const auto& d : *rows)
    if (d.until > at && (!o.id || d.id == *o.id) && matches(*filter, d)) ids.push_back(d.id);
  auto changed = store.expire_decisions(ids, at);
  if (!changed) return fail("decisions delete: " + changed.error().message());
  std::cout << changed->size() << " decision(s) deleted\n";
  return kExitOk;
}

// One row of an import file, before checks.
struct ImportRow {
  std::string value, scope, type, reason, duration, origin;
  size_t line = 0;
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        cur += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

// Hands each row to `emit` as it is read (values and csv files are never held whole; a json
// document is parsed and checked first); stops at the first error, of the file or of `emit`.
using EmitRow = std::function<Result<void>(ImportRow&)>;

Result<void> read_rows(std::istream& in, const std::string& format, const EmitRow& emit) {
  ImportRow row;
  std::string line;
  if (format == "values") {
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      const auto b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos || line[b] == '#') continue;
      const auto e = line.find_last_not_of(" \t\r");
      row.value.assign(line, b, e - b + 1);
      row.line = n;
      PHALANX_CHECK(emit(row));
    }
    return ok();
  }
  if (format == "csv") {
    if (!std::getline(in, line)) return ok();
    const auto header = split_csv_line(line);
    auto column = [&](std::initializer_list<std::string_view> names) -> int {
      for (size_t i = 0; i < header.size(); ++i)
        for (auto n : names)
          if (header[i] == n) return static_cast<int>(i);
      return -1;
    };
    const int value = column({"value", "ip"}), scope = column({"scope"}), type = column({"type"}),
              reason = column({"reason", "scenario"}), duration = column({"duration"}),
              origin = column({"origin"});
    if (value < 0) return Error("csv: the header has no 'value' column: " + line);
    size_t n = 1;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty() || line == "\r") continue;
      const auto f = split_csv_line(line);
      auto at = [&](int i) { return i >= 0 && static_cast<size_t>(i) < f.size() ? f[i] : ""; };
      row = {at(value), at(scope), at(type), at(reason), at(duration), at(origin), n};
      PHALANX_CHECK(emit(row));
    }
    return ok();
  }
  std::stringstream buf;
  buf << in.rdbuf();
  json doc = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) return Error("json: expected an array of objects");
  // The whole document is checked before the first row goes out.
  size_t n = 0;
  for (const auto& item : doc) {
    ++n;
    if (!item.is_object()) return Error("json: item " + std::to_string(n) + " is not an object");
  }
  n = 0;
  for (const auto& item : doc) {
    ++n;
    auto get = [&](const char* k) {
      auto it = item.find(k);
      return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string reason = get("reason");
    if (reason.empty()) reason = get("scenario");
    row = {get("value"), get("scope"), get("type"), reason, get("duration"), get("origin"), n};
    PHALANX_CHECK(emit(row));
  }
  return ok();
}

int import(const AdminOptions& o, storage::Store& store) {
  std::string format = o.format;
  if (format.empty()) {
    if (o.file.ends_with(".csv"))
      format = "csv";
    else if (o.file.ends_with(".json"))
      format = "json";
    else
      format = "values";
  }
  auto default_duration = parse_go_duration(o.duration, true);
  if (!default_duration || *default_duration <= Duration(0))
    return usage_error("decisions import: --duration '" + o.duration + "' is not a duration");
  auto allow = profiles::AllowList::make(o.allow, /*include_host_addresses=*/true);
  if (!allow) return usage_error(allow.error().message());
  std::ifstream file;
  if (o.file != "-") {
    file.open(o.file);
    if (!file) return fail("decisions import: cannot open '" + o.file + "'");
  }

  const TimePoint at = now();
  const std::string default_reason = o.reason.empty() ? "manual import" : o.reason;
  const std::string default_type = o.type.empty() ? "ban" : o.type;
  // One alert per batch keeps each transaction and each alert a manageable size; rows are
  // checked and inserted a batch at a time, so memory stays that of one batch.
  constexpr size_t kBatch = 100'000;
  storage::Alert alert;
  size_t done = 0, invalid = 0, refused = 0, shown = 0;
  auto skip = [&](const ImportRow& r, const std::string& why, size_t& counter) {
    ++counter;
    if (shown++ < 10)
      std::cerr << "phalanx: " << o.file << ":" << r.line << ": skipped: " << why << "\n";
  };
  auto insert = [&]() -> Result<void> {
    if (alert.decisions.empty()) return ok();
    const size_t count = alert.decisions.size();
    auto decisions = std::move(alert.decisions);
    alert =
        manual_alert("import " + o.file + ": " + std::to_string(count) + " decisions", "", "", at);
    alert.source.scope = "cscli-import";
    alert.source.value = o.file;
    alert.decisions = std::move(decisions);
    auto ids = store.insert_alerts(std::span<storage::Alert>(&alert, 1));
    if (!ids) return ids.error().context("after " + std::to_string(done) + " decisions");
    done += count;
    alert.decisions.clear();  // keeps the capacity for the next batch
    return ok();
  };
  auto add_row = [&](ImportRow& r) -> Result<void> {
    std::string scope = lapi::normalize_scope(!r.scope.empty() ? r.scope : o.scope);
    if (scope.empty()) scope = r.value.find('/') != std::string::npos ? "Range" : "Ip";
    auto value = canonical(scope, r.value);
    if (r.value.empty() || !value) {
      skip(r, "'" + r.value + "': " + (value ? "empty value" : value.error().message()), invalid);
      return ok();
    }
    Duration d = *default_duration;
    if (!r.duration.empty()) {
      auto parsed = parse_go_duration(r.duration, true);
      if (!parsed || *parsed <= Duration(0)) {
        skip(r, "duration '" + r.duration + "'", invalid);
        return ok();
      }
      d = *parsed;
    }
    if (auto why = allow->refusal(scope, *value); !why.empty()) {
      skip(r, "refused: " + why, refused);
      return ok();
    }
    alert.decisions.push_back(make_decision(r.reason.empty() ? default_reason : r.reason, scope,
                                            *value, r.type.empty() ? default_type : r.type,
                                            r.origin.empty() ? "cscli-import" : r.origin, d, at));
    if (alert.decisions.size() >= kBatch) return insert();
    return ok();
  };
  auto status = read_rows(o.file == "-" ? std::cin : file, format, add_row);
  if (status) status = insert();
  if (shown > 10) std::cerr << "phalanx: ... " << shown - 10 << " more skipped\n";
  if (!status) return fail("decisions import: " + o.file + ": " + status.error().message());
  std::cout << "Imported " << done << " decision(s)";
  if (invalid + refused > 0)
    std::cout << "; skipped " << invalid << " invalid and " << refused << " refused";
  std::cout << "\n";
  return invalid > 0 && done == 0 ? kExitFailure : kExitOk;
}

}  // namespace

int run_decisions(const AdminOptions& o, storage::Store& store) {
  if (o.decisions_list->parsed()) return list(o, store);
  if (o.decisions_add->parsed()) return add(o, store);
  if (o.decisions_delete->parsed()) return remove(o, store);
  return import(o, store);
}

}  // namespace phalanx::cli
