// SPDX-License-Identifier: Apache-2.0
// `phalanx allowlists create|delete|add|remove|list|inspect|check`: centralised allowlists, kept
// in the store. Alerts whose source a list covers are not stored by the LAPI (within a second of
// the change), and adding values expires the active decisions they cover at once.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/admin.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/duration.h"
#include "core/net.h"
#include "expr/go_format.h"
#include "lapi/allowlists.h"

namespace phalanx::cli {
namespace {

using json = nlohmann::json;

std::string when(const std::optional<TimePoint>& t) {
  return t ? expr::format_rfc3339(ZonedTime{*t, 0}) : "";
}

TimePoint now() {
  return SystemClock::instance().now();
}

int create(const AdminOptions& o, storage::Store& store) {
  storage::Allowlist l;
  l.name = o.allowlist;
  l.description = o.description;
  l.created_at = l.updated_at = now();
  if (auto r = store.create_allowlist(l); !r)
    return fail("allowlists create: " + r.error().message());
  std::cout << "allowlist '" << l.name << "' created\n";
  return kExitOk;
}

int remove_list(const AdminOptions& o, storage::Store& store) {
  auto r = store.delete_allowlist(o.allowlist);
  if (!r) return fail("allowlists delete: " + r.error().message());
  if (!*r) return fail("allowlists delete: allowlist '" + o.allowlist + "' not found");
  std::cout << "allowlist '" << o.allowlist << "' deleted\n";
  return kExitOk;
}

// Expires the active Ip and Range decisions that `matcher` covers; returns how many.
Result<size_t> expire_covered(storage::Store& store, const lapi::AllowlistMatcher& matcher,
                              TimePoint at) {
  PHALANX_TRY(auto rows, store.load_decisions(at));
  std::vector<int64_t> ids;
  for (const auto& d : rows) {
    if (d.until <= at || (d.scope != "Ip" && d.scope != "Range")) continue;
    auto cidr = net::Cidr::parse(d.value);
    if (cidr && !matcher.reasons(*cidr, at).empty()) ids.push_back(d.id);
  }
  if (ids.empty()) return size_t{0};
  PHALANX_TRY(auto changed, store.expire_decisions(ids, at));
  return changed.size();
}

int add(const AdminOptions& o, storage::Store& store) {
  const std::string& name = o.allowlist;
  const TimePoint at = now();
  std::optional<TimePoint> expires;
  if (!o.expiration.empty()) {
    auto d = parse_go_duration(o.expiration, true);
    if (!d || *d <= Duration(0))
      return usage_error("allowlists add: bad --expiration '" + o.expiration +
                         "' (a positive duration such as 12h or 7d)");
    expires = at + *d;
  }
  // Every value is checked before anything is written.
  std::vector<storage::AllowlistItem> items;
  storage::Allowlist added;  // the new values alone, to find the decisions they cover
  added.name = name;
  for (const auto& v : o.values) {
    if (!net::Cidr::parse(v))
      return usage_error("allowlists add: '" + v + "' is not an IP or range");
    storage::AllowlistItem i;
    i.value = v;
    i.description = o.description;
    i.created_at = at;
    i.expires_at = expires;
    items.push_back(i);
  }
  added.items = items;
  auto n = store.add_allowlist_items(name, items, at);
  if (!n) return fail("allowlists add: " + n.error().message());
  std::cout << "added " << *n << " value(s) to allowlist '" << name << "'";
  if (static_cast<size_t>(*n) < items.size())
    std::cout << " (" << items.size() - static_cast<size_t>(*n) << " already in it)";
  std::cout << "\n";
  auto expired = expire_covered(store, lapi::AllowlistMatcher({added}), at);
  if (!expired)
    return fail("allowlists add: expiring covered decisions: " + expired.error().message());
  if (*expired > 0) std::cout << *expired << " active decision(s) on these values expired\n";
  return kExitOk;
}

int remove_values(const AdminOptions& o, storage::Store& store) {
  auto n = store.remove_allowlist_items(o.allowlist, o.values, now());
  if (!n) return fail("allowlists remove: " + n.error().message());
  std::cout << "removed " << *n << " value(s) from allowlist '" << o.allowlist << "'\n";
  return kExitOk;
}

// Items still in force at `at`.
size_t live_items(const storage::Allowlist& l, TimePoint at) {
  size_t n = 0;
  for (const auto& i : l.items)
    if (!i.expires_at || *i.expires_at > at) ++n;
  return n;
}

int list(const AdminOptions& o, storage::Store& store) {
  auto lists = store.list_allowlists(true);
  if (!lists) return fail(lists.error().message());
  const TimePoint at = now();
  if (o.output == "json") {
    json arr = json::array();
    for (const auto& l : *lists)
      arr.push_back({{"name", l.name},
                     {"description", l.description},
                     {"created_at", when(l.created_at)},
                     {"updated_at", when(l.updated_at)},
                     {"console_managed", l.console_managed},
                     {"size", live_items(l, at)}});
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "DESCRIPTION", "CREATED AT", "UPDATED AT", "MANAGED BY CONSOLE", "SIZE"});
  for (const auto& l : *lists)
    t.add({l.name, printable(l.description, 40), when(l.created_at), when(l.updated_at),
           l.console_managed ? "yes" : "no", std::to_string(live_items(l, at))});
  std::cout << t.render();
  return kExitOk;
}

int inspect(const AdminOptions& o, storage::Store& store) {
  auto l = store.get_allowlist(o.allowlist, true);
  if (!l) return fail(l.error().message());
  if (!*l) return fail("allowlists inspect: allowlist '" + o.allowlist + "' not found");
  const TimePoint at = now();
  if (o.output == "json") {
    json items = json::array();
    for (const auto& i : (*l)->items)
      items.push_back({{"value", i.value},
                       {"description", i.description},
                       {"created_at", when(i.created_at)},
                       {"expiration", when(i.expires_at)},
                       {"expired", i.expires_at && *i.expires_at <= at}});
    std::cout
        << json{{"name", (*l)->name}, {"description", (*l)->description}, {"items", items}}.dump(2)
        << "\n";
    return kExitOk;
  }
  std::cout << "Allowlist: " << (*l)->name << "\nDescription: " << (*l)->description
            << "\nCreated at: " << when((*l)->created_at)
            << "\nUpdated at: " << when((*l)->updated_at) << "\n\n";
  Table t({"VALUE", "COMMENT", "EXPIRATION", "CREATED AT"});
  for (const auto& i : (*l)->items) {
    std::string exp = i.expires_at ? when(i.expires_at) : "never";
    if (i.expires_at && *i.expires_at <= at) exp += " (expired)";
    t.add({i.value, printable(i.description, 40), exp, when(i.created_at)});
  }
  std::cout << t.render();
  return kExitOk;
}

int check(const AdminOptions& o, storage::Store& store) {
  auto lists = store.list_allowlists(true);
  if (!lists) return fail(lists.error().message());
  const lapi::AllowlistMatcher matcher(*lists);
  const TimePoint at = now();
  int rc = kExitOk;
  json out = json::object();
  for (const auto& v : o.values) {
    auto cidr = net::Cidr::parse(v);
    if (!cidr) {
      rc = usage_error("allowlists check: '" + v + "' is not an IP or range");
      continue;
    }
    const auto reasons = matcher.reasons(*cidr, at);
    if (o.output == "json") {
      out[v] = reasons;
    } else if (reasons.empty()) {
      std::cout << v << ": not allowlisted\n";
    } else {
      std::cout << v << ": allowlisted by " << fmt::format("{}", fmt::join(reasons, ", ")) << "\n";
    }
  }
  if (o.output == "json") std::cout << out.dump(2) << "\n";
  return rc;
}

}  // namespace

int run_allowlists(const AdminOptions& o, storage::Store& store) {
  if (o.allowlists_create->parsed()) return create(o, store);
  if (o.allowlists_delete->parsed()) return remove_list(o, store);
  if (o.allowlists_add->parsed()) return add(o, store);
  if (o.allowlists_remove->parsed()) return remove_values(o, store);
  if (o.allowlists_list->parsed()) return list(o, store);
  if (o.allowlists_inspect->parsed()) return inspect(o, store);
  return check(o, store);
}

}  // namespace phalanx::cli
