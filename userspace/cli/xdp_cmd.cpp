// SPDX-License-Identifier: Apache-2.0
#include "cli/xdp_cmd.h"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bouncer-xdp/attach.h"
#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/expiry.h"
#include "bouncer-xdp/keys.h"
#include "bouncer-xdp/map_walk.h"
#include "bouncer-xdp/origin.h"
#include "bouncer-xdp/xdp_object.h"
#include "cli/output.h"
#include "core/duration.h"

namespace phalanx::cli {
namespace {

using nlohmann::json;
using namespace phalanx::xdp;

struct Opened {
  XdpObject object;
  BlocklistMaps maps;
};

Result<Opened> open_maps(const std::string& pin_dir) {
  PHALANX_TRY(XdpObject object, XdpObject::open_pinned(pin_dir));
  PHALANX_TRY(BlocklistMaps maps, BlocklistMaps::open(map_fds(object)));
  return Opened{std::move(object), std::move(maps)};
}

std::string time_left_text(uint64_t expiry, uint64_t now) {
  if (expiry == PHX_EXPIRY_NEVER) return "never";
  const auto left = time_left(expiry, now);
  if (left.count() == 0) return "expired";
  return format_go_duration(std::chrono::duration_cast<std::chrono::seconds>(left));
}

struct Row {
  std::string kind;  // ban, range, allow
  MapEntry entry;
};

Result<std::vector<Row>> all_rows(const MapFds& fds) {
  std::vector<Row> rows;
  const auto add = [&](const char* kind, Result<std::vector<MapEntry>> part) -> Result<void> {
    if (!part) return part.error();
    for (auto& e : *part)
      rows.push_back(Row{kind, e});
    return ok();
  };
  PHALANX_CHECK(add("ban", read_exact_v4(fds.ban_v4)));
  PHALANX_CHECK(add("ban", read_exact_v6(fds.ban_v6)));
  PHALANX_CHECK(add("range", read_lpm_v4(fds.range_v4)));
  PHALANX_CHECK(add("range", read_lpm_v6(fds.range_v6)));
  PHALANX_CHECK(add("allow", read_lpm_v4(fds.allow_v4)));
  PHALANX_CHECK(add("allow", read_lpm_v6(fds.allow_v6)));
  return rows;
}

json row_json(const Row& r, uint64_t now) {
  return json{{"kind", r.kind},
              {"target", r.entry.target.to_string()},
              {"origin", origin_name(r.entry.value.origin)},
              {"time_left", time_left_text(r.entry.value.expiry_ns, now)}};
}

int do_list(const XdpOptions& o) {
  auto opened = open_maps(o.pin_dir);
  if (!opened) return fail(opened.error().message());
  auto rows = all_rows(opened->maps.fds());
  if (!rows) return fail(rows.error().message());
  const uint64_t now = expiry_clock_now_ns();
  if (o.output == "json") {
    json out = json::array();
    for (const auto& r : *rows)
      out.push_back(row_json(r, now));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<6} {:<44} {:<18} {}\n", "KIND", "TARGET", "ORIGIN", "TIME LEFT");
  for (const auto& r : *rows) {
    std::cout << fmt::format("{:<6} {:<44} {:<18} {}\n", r.kind, r.entry.target.to_string(),
                             origin_name(r.entry.value.origin),
                             time_left_text(r.entry.value.expiry_ns, now));
  }
  std::cout << rows->size() << " entries\n";
  return kExitOk;
}

// The most specific entry of `kind` that covers addr, if any.
std::optional<Row> best_match(const std::vector<Row>& rows, const std::string& kind,
                              const net::IpAddress& addr) {
  std::optional<Row> best;
  for (const auto& r : rows) {
    if (r.kind != kind || r.entry.target.is_v4() != addr.is_v4()) continue;
    if (!r.entry.target.contains(addr)) continue;
    if (!best || r.entry.target.prefix_len() > best->entry.target.prefix_len()) best = r;
  }
  return best;
}

int do_lookup(const XdpOptions& o) {
  auto addr = net::IpAddress::parse(o.address);
  if (!addr) return usage_error("lookup: " + addr.error().message());
  auto opened = open_maps(o.pin_dir);
  if (!opened) return fail(opened.error().message());
  const MapFds& fds = opened->maps.fds();
  // The exact maps can hold millions: ask the kernel for the one key; ranges and allow entries
  // are few, so they are read whole to show which prefix matched.
  std::vector<Row> rows;
  phx_entry value{};
  if (addr->is_v4()) {
    const phx_v4_key key = v4_key(*addr);
    if (bpf_map_lookup_elem(fds.ban_v4, &key, &value) == 0)
      rows.push_back(Row{"ban", MapEntry{net::Cidr::host(*addr), value}});
  } else {
    const phx_v6_key key = v6_key(*addr);
    if (bpf_map_lookup_elem(fds.ban_v6, &key, &value) == 0)
      rows.push_back(Row{"ban", MapEntry{net::Cidr::host(*addr), value}});
  }
  for (auto [kind, part] :
       {std::pair{"range", addr->is_v4() ? read_lpm_v4(fds.range_v4) : read_lpm_v6(fds.range_v6)},
        std::pair{"allow",
                  addr->is_v4() ? read_lpm_v4(fds.allow_v4) : read_lpm_v6(fds.allow_v6)}}) {
    if (!part) return fail(part.error().message());
    for (auto& e : *part)
      rows.push_back(Row{kind, e});
  }
  const uint64_t now = expiry_clock_now_ns();
  const auto live = [&](const std::optional<Row>& r) {
    return r && r->entry.value.expiry_ns > now;
  };
  const auto exact = best_match(rows, "ban", *addr);
  const auto range = best_match(rows, "range", *addr);
  const auto allow = best_match(rows, "allow", *addr);
  std::optional<Row> ban = live(exact) ? exact : live(range) ? range : std::nullopt;
  std::string verdict = "pass";
  std::string reason = "not listed";
  if (ban && live(allow)) {
    verdict = "pass";
    reason = "allowed by " + allow->entry.target.to_string();
  } else if (ban) {
    verdict = "drop";
    reason = (ban->kind == "ban" ? "banned " : "range ") + ban->entry.target.to_string();
  } else if (exact || range) {
    reason = "ban expired";
  }
  if (o.output == "json") {
    json out{{"address", addr->to_string()}, {"verdict", verdict}, {"reason", reason}};
    json matches = json::array();
    for (const auto* m : {&exact, &range, &allow})
      if (*m) matches.push_back(row_json(**m, now));
    out["matches"] = matches;
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << addr->to_string() << ": " << verdict << " (" << reason << ")\n";
  for (const auto* m : {&exact, &range, &allow}) {
    if (*m) {
      std::cout << fmt::format(
          "  {:<6} {:<44} origin {}, {}\n", (*m)->kind, (*m)->entry.target.to_string(),
          origin_name((*m)->entry.value.origin), time_left_text((*m)->entry.value.expiry_ns, now));
    }
  }
  return kExitOk;
}

constexpr const char* kVerdictNames[PHX_VERDICT_COUNT] = {
    "pass_non_ip", "pass_malformed", "pass_prefilter", "pass_miss", "pass_expired", "pass_allowed",
    "drop"};

int do_stats(const XdpOptions& o) {
  auto opened = open_maps(o.pin_dir);
  if (!opened) return fail(opened.error().message());
  auto counters = opened->maps.counters();
  if (!counters) return fail(counters.error().message());
  json verdicts = json::object();
  for (uint32_t v = 0; v < PHX_VERDICT_COUNT; ++v) {
    const auto c = counters->verdict_total(v);
    verdicts[kVerdictNames[v]] = {{"packets", c.packets}, {"bytes", c.bytes}};
  }
  json dropped = json::array();
  for (uint32_t origin = 0; origin < PHX_ORIGIN_COUNT; ++origin) {
    for (uint32_t f = PHX_FAMILY_V4; f <= PHX_FAMILY_V6; ++f) {
      const auto c = counters->at(origin, f, PHX_VERDICT_DROP);
      if (c.packets == 0) continue;
      dropped.push_back({{"origin", origin_name(origin)},
                         {"ip_type", f == PHX_FAMILY_V4 ? "ipv4" : "ipv6"},
                         {"packets", c.packets},
                         {"bytes", c.bytes}});
    }
  }
  if (o.output == "json") {
    std::cout << json{{"verdicts", verdicts}, {"dropped", dropped}}.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<16} {:>14} {:>16}\n", "VERDICT", "PACKETS", "BYTES");
  for (const auto& [name, c] : verdicts.items())
    std::cout << fmt::format("{:<16} {:>14} {:>16}\n", name, c["packets"].get<uint64_t>(),
                             c["bytes"].get<uint64_t>());
  std::cout << fmt::format("\n{:<18} {:<8} {:>14} {:>16}\n", "DROPPED BY ORIGIN", "IP TYPE",
                           "PACKETS", "BYTES");
  for (const auto& d : dropped)
    std::cout << fmt::format("{:<18} {:<8} {:>14} {:>16}\n", d["origin"].get<std::string>(),
                             d["ip_type"].get<std::string>(), d["packets"].get<uint64_t>(),
                             d["bytes"].get<uint64_t>());
  return kExitOk;
}

int do_status(const XdpOptions& o) {
  auto opened = open_maps(o.pin_dir);
  if (!opened) return fail(opened.error().message());
  auto rows = all_rows(opened->maps.fds());
  if (!rows) return fail(rows.error().message());
  auto attached = list_attached();
  if (!attached) return fail(attached.error().message());
  size_t bans = 0, ranges = 0, allows = 0;
  for (const auto& r : *rows)
    (r.kind == "ban" ? bans : r.kind == "range" ? ranges : allows)++;
  const auto fill = opened->maps.prefilter().fill();
  if (o.output == "json") {
    json ifs = json::array();
    for (const auto& a : *attached)
      ifs.push_back({{"interface", a.ifname},
                     {"mode", a.mode},
                     {"prog_id", a.prog_id},
                     {"dispatcher", a.dispatcher}});
    std::cout << json{{"pin_dir", o.pin_dir},
                      {"interfaces", ifs},
                      {"bans", bans},
                      {"ranges", ranges},
                      {"allow", allows},
                      {"prefilter_fill_v4", fill.v4},
                      {"prefilter_fill_v6", fill.v6}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "pinned maps: " << o.pin_dir << "\n";
  std::cout << fmt::format("entries: {} bans, {} ranges, {} allow\n", bans, ranges, allows);
  std::cout << fmt::format("prefilter fill: v4 {:.4f}%, v6 {:.4f}%\n", fill.v4 * 100,
                           fill.v6 * 100);
  if (attached->empty()) std::cout << "attached: none in this network namespace\n";
  for (const auto& a : *attached)
    std::cout << fmt::format("attached: {} ({} mode, prog id {}{})\n", a.ifname, a.mode, a.prog_id,
                             a.dispatcher ? ", libxdp dispatcher" : "");
  return kExitOk;
}

int do_allow(const XdpOptions& o, bool add) {
  auto cidr = net::Cidr::parse(o.cidr);
  if (!cidr) return usage_error("allow: " + cidr.error().message());
  uint64_t expiry = PHX_EXPIRY_NEVER;
  if (!o.duration.empty()) {
    auto d = parse_go_duration(o.duration, true);
    if (!d || d->count() <= 0) return usage_error("allow: invalid duration '" + o.duration + "'");
    expiry = expiry_after(*d, expiry_clock_now_ns());
  }
  auto opened = open_maps(o.pin_dir);
  if (!opened) return fail(opened.error().message());
  auto r = add ? opened->maps.allow(*cidr, make_entry(PHX_ORIGIN_LOCAL, expiry))
               : opened->maps.unallow(*cidr);
  if (!r) return fail(r.error().message());
  std::cout << (add ? "allowed " : "removed allow entry ") << cidr->to_string() << "\n";
  return kExitOk;
}

}  // namespace

CLI::App* setup_xdp(CLI::App& app, XdpOptions& o) {
  auto* xdp = app.add_subcommand("xdp", "Inspect and change the XDP bouncer's pinned maps");
  xdp->require_subcommand(1);
  xdp->add_option("--pin-dir", o.pin_dir, "bpffs directory of the pinned maps")
      ->capture_default_str();
  xdp->add_option("-o,--output", o.output, "human or json")
      ->check(CLI::IsMember({"human", "json"}));
  o.status = xdp->add_subcommand("status", "Attached interfaces, entry counts, prefilter fill");
  o.list = xdp->add_subcommand("list", "Every entry with its origin and time left");
  o.lookup = xdp->add_subcommand("lookup", "What the program would do with a source address");
  o.lookup->add_option("ip", o.address, "IPv4 or IPv6 address")->required();
  o.stats = xdp->add_subcommand("stats", "Packets and bytes by verdict, drops by origin");
  auto* allow = xdp->add_subcommand("allow", "Manage the allow list (checked before any ban)");
  allow->require_subcommand(1);
  o.allow_add = allow->add_subcommand("add", "Allow an address or range");
  o.allow_add->add_option("cidr", o.cidr, "Address or CIDR")->required();
  o.allow_add->add_option("--duration", o.duration, "Lifetime (Go duration); default: forever");
  o.allow_del = allow->add_subcommand("del", "Remove an allow entry");
  o.allow_del->add_option("cidr", o.cidr, "Address or CIDR, as added")->required();
  return xdp;
}

int run_xdp(const XdpOptions& o) {
  if (o.status->parsed()) return do_status(o);
  if (o.list->parsed()) return do_list(o);
  if (o.lookup->parsed()) return do_lookup(o);
  if (o.stats->parsed()) return do_stats(o);
  if (o.allow_add->parsed()) return do_allow(o, true);
  if (o.allow_del->parsed()) return do_allow(o, false);
  return kExitUsage;
}

}  // namespace phalanx::cli
