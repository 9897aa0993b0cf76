// SPDX-License-Identifier: Apache-2.0
// `phalanx alerts list|inspect|delete`.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/admin.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/duration.h"
#include "expr/go_format.h"
#include "lapi/alert_json.h"
#include "lapi/decision_json.h"

namespace phalanx::cli {
namespace {

using json = nlohmann::json;

std::string rfc3339(TimePoint t) {
  return expr::format_rfc3339(ZonedTime{t, 0});
}

Result<storage::AlertFilter> make_filter(const AdminOptions& o, TimePoint now) {
  storage::AlertFilter f;
  if (!o.ip.empty() && !o.range.empty()) return Error("give --ip or --range, not both");
  if (!o.ip.empty()) f.ip = o.ip;
  if (!o.range.empty()) f.range = o.range;
  f.contains = o.contains;
  if (!o.scope.empty()) f.scope = o.scope;
  if (!o.value.empty()) f.value = o.value;
  if (!o.scenario.empty()) f.scenario = o.scenario;
  if (!o.type.empty()) f.decision_type = o.type;
  if (!o.origin.empty()) f.origin = o.origin;
  if (!o.since.empty()) {
    auto d = parse_go_duration(o.since, true);
    if (!d) return d.error().context("--since '" + o.since + "'");
    f.since = now - *d;
  }
  if (!o.until.empty()) {
    auto d = parse_go_duration(o.until, true);
    if (!d) return d.error().context("--until '" + o.until + "'");
    f.until = now - *d;
  }
  if (o.id) f.id = *o.id;
  return f;
}

std::string decisions_summary(const storage::Alert& a) {
  std::map<std::string, int> by_type;
  for (const auto& d : a.decisions)
    ++by_type[d.type];
  std::string out;
  for (const auto& [type, n] : by_type)
    out += (out.empty() ? "" : " ") + type + ":" + std::to_string(n);
  return out;
}

int list(const AdminOptions& o, storage::Store& store) {
  const TimePoint now = SystemClock::instance().now();
  auto filter = make_filter(o, now);
  if (!filter) return usage_error(filter.error().message());
  filter->limit = o.limit < 0 ? 50 : o.limit;
  auto alerts = store.query_alerts(*filter, now);
  if (!alerts) return fail(alerts.error().message());
  if (o.output == "json") {
    json arr = json::array();
    for (const auto& a : *alerts)
      arr.push_back(lapi::alert_row_to_json(a, now));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  if (o.output == "raw") {
    std::cout << "id,scope,value,reason,country,as,decisions,created_at\n";
    for (const auto& a : *alerts)
      std::cout << a.id << ',' << a.source.scope << ',' << a.source.value << ',' << a.scenario
                << ',' << a.source.cn << ',' << a.source.as_number << ' ' << a.source.as_name << ','
                << decisions_summary(a) << ',' << rfc3339(a.created_at) << "\n";
    return kExitOk;
  }
  if (alerts->empty()) {
    std::cout << "No active alerts\n";
    return kExitOk;
  }
  Table t({"ID", "VALUE", "REASON", "COUNTRY", "AS", "DECISIONS", "CREATED AT"});
  for (const auto& a : *alerts)
    t.add({std::to_string(a.id), printable(a.source.scope + ":" + a.source.value, 50),
           printable(a.scenario, 50), a.source.cn,
           printable(a.source.as_number + " " + a.source.as_name, 30), decisions_summary(a),
           rfc3339(a.created_at)});
  std::cout << t.render();
  return kExitOk;
}

int inspect(const AdminOptions& o, storage::Store& store) {
  auto alert = store.get_alert(*o.id);
  if (!alert) return fail(alert.error().message());
  if (!*alert) return fail("alert " + std::to_string(*o.id) + " not found");
  const storage::Alert& a = **alert;
  if (o.output != "human") {
    std::cout << lapi::alert_row_to_json(a, SystemClock::instance().now()).dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "ID           : " << a.id << "\n"
            << "Date         : " << rfc3339(a.created_at) << "\n"
            << "Machine      : " << a.machine_id << "\n"
            << "Simulation   : " << (a.simulated ? "true" : "false") << "\n"
            << "Reason       : " << printable(a.scenario) << "\n"
            << "Events Count : " << a.events_count << "\n"
            << "Scope:Value  : " << printable(a.source.scope + ":" + a.source.value) << "\n"
            << "Country      : " << a.source.cn << "\n"
            << "AS           : " << printable(a.source.as_number + " " + a.source.as_name) << "\n"
            << "Begin        : " << rfc3339(a.start_at) << "\n"
            << "End          : " << rfc3339(a.stop_at) << "\n"
            << "UUID         : " << a.uuid << "\n\n";
  if (!a.decisions.empty()) {
    const TimePoint now = SystemClock::instance().now();
    Table t({"ID", "SCOPE:VALUE", "ACTION", "EXPIRATION", "ORIGIN"});
    for (const auto& d : a.decisions)
      t.add({std::to_string(d.id), printable(d.scope + ":" + d.value, 60), d.type,
             format_go_duration(lapi::round_to_second(d.until - now)), d.origin});
    std::cout << " - Decisions:\n" << t.render() << "\n";
  }
  if (!a.events.empty()) {
    std::cout << " - Events:\n";
    for (const auto& e : a.events) {
      std::cout << "  " << e.timestamp << "\n";
      for (const auto& m : e.meta)
        std::cout << "    " << printable(m.key) << ": " << printable(m.value) << "\n";
    }
  }
  return kExitOk;
}

int remove(const AdminOptions& o, storage::Store& store) {
  const TimePoint now = SystemClock::instance().now();
  auto filter = make_filter(o, now);
  if (!filter) return usage_error(filter.error().message());
  const bool any = filter->ip || filter->range || filter->scope || filter->value ||
                   filter->scenario || filter->decision_type || filter->origin || filter->id;
  if (!any && !o.all) return usage_error("alerts delete: give a filter, --id, or --all");
  filter->limit = 0;
  auto n = store.delete_alerts(*filter, now);
  if (!n) return fail("alerts delete: " + n.error().message());
  std::cout << *n << " alert(s) deleted\n";
  return kExitOk;
}

}  // namespace

int run_alerts(const AdminOptions& o, storage::Store& store) {
  if (o.alerts_list->parsed()) return list(o, store);
  if (o.alerts_inspect->parsed()) return inspect(o, store);
  return remove(o, store);
}

}  // namespace phalanx::cli
