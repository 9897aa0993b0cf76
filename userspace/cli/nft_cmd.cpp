// SPDX-License-Identifier: Apache-2.0
#include "cli/nft_cmd.h"

#include <fmt/format.h>
#include <httplib.h>
#include <linux/netfilter.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/ruleset.h"
#include "bouncer/http_client.h"
#include "cli/output.h"
#include "core/duration.h"

namespace phalanx::cli {
namespace {

using nlohmann::json;
using namespace phalanx::nft;

Result<Layout> layout_of(const NftOptions& o) {
  Layout l;
  PHALANX_TRY(l.family, parse_family(o.family));
  l.table = o.table;
  l.set_prefix = o.set_prefix;
  // phalanx-nft creates inet and netdev tables; in others it can only have filled sets.
  l.set_only = l.family != NFPROTO_INET && l.family != NFPROTO_NETDEV;
  return l;
}

std::string left_text(const KernelEntry& e) {
  if (e.timeout_ms == 0) return "never";
  return format_go_duration(std::chrono::seconds(e.expires_ms / 1000));
}

struct Row {
  std::string set;
  KernelEntry entry;
};

json row_json(const Row& r) {
  return json{
      {"set", r.set},
      {"target", r.entry.target.to_string()},
      {"first", net::IpAddress::from_uint128(r.entry.first, r.entry.target.is_v4()).to_string()},
      {"last", net::IpAddress::from_uint128(r.entry.last, r.entry.target.is_v4()).to_string()},
      {"time_left", left_text(r.entry)}};
}

int do_list(const NftOptions& o, Socket& s, const Layout& l) {
  std::vector<Row> rows;
  for (const SetId id : l.sets()) {
    auto part = read_set(s, l, id);
    if (!part) return fail(part.error().message());
    for (auto& e : *part)
      rows.push_back(Row{l.set_name(id), e});
  }
  if (o.output == "json") {
    json out = json::array();
    for (const auto& r : rows)
      out.push_back(row_json(r));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<10} {:<44} {}\n", "SET", "TARGET", "TIME LEFT");
  for (const auto& r : rows) {
    std::string target = r.entry.target.to_string();
    if (r.entry.target.first() != r.entry.first || r.entry.target.last() != r.entry.last)
      target = json(row_json(r))["first"].get<std::string>() + "-" +
               json(row_json(r))["last"].get<std::string>();
    std::cout << fmt::format("{:<10} {:<44} {}\n", r.set, target, left_text(r.entry));
  }
  std::cout << rows.size() << " entries\n";
  return kExitOk;
}

int do_lookup(const NftOptions& o, Socket& s, const Layout& l) {
  auto addr = net::IpAddress::parse(o.address);
  if (!addr) return usage_error("lookup: " + addr.error().message());
  const bool v6 = addr->is_v6();
  std::vector<Row> matches;
  // The ban set can hold millions: ask the kernel for the one element. Ranges and allow
  // entries are few, so they are read whole to show which one matched.
  auto host = get_host(s, l, v6 ? kBan6 : kBan4, *addr);
  if (!host) return fail(host.error().message());
  if (*host) matches.push_back(Row{l.set_name(v6 ? kBan6 : kBan4), **host});
  // The origin whose counter the element names (the counter's comment).
  std::string origin;
  if (*host && !(*host)->counter.empty()) {
    auto counters = read_counters(s, l);
    if (!counters) return fail(counters.error().message());
    for (const auto& c : *counters)
      if (c.name == (*host)->counter) origin = c.comment;
  }
  std::vector<SetId> scan = {v6 ? kRange6 : kRange4};
  if (!l.set_only) scan.push_back(v6 ? kAllow6 : kAllow4);
  for (const SetId id : scan) {
    auto part = read_set(s, l, id);
    if (!part) return fail(part.error().message());
    for (auto& e : *part) {
      const auto x = addr->to_uint128();
      if (x >= e.first && x <= e.last) matches.push_back(Row{l.set_name(id), e});
    }
  }
  std::string verdict = "pass", reason = "not listed";
  const auto in = [&](SetId id) {
    for (const auto& m : matches)
      if (m.set == l.set_name(id)) return true;
    return false;
  };
  if (in(v6 ? kAllow6 : kAllow4) && !l.set_only) {
    reason = "in the allow set";
  } else if (in(v6 ? kBan6 : kBan4) || in(v6 ? kRange6 : kRange4)) {
    verdict = "drop";
    reason = in(v6 ? kBan6 : kBan4) ? "banned address" : "inside a banned range";
  }
  if (o.output == "json") {
    json m = json::array();
    for (const auto& r : matches)
      m.push_back(row_json(r));
    json out{
        {"address", addr->to_string()}, {"verdict", verdict}, {"reason", reason}, {"matches", m}};
    if (!origin.empty()) out["origin"] = origin;
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << addr->to_string() << ": " << verdict << " (" << reason << ")"
            << (origin.empty() ? "" : ", counted under origin " + origin) << "\n";
  for (const auto& r : matches)
    std::cout << fmt::format("  {:<10} {:<44} {}\n", r.set, r.entry.target.to_string(),
                             left_text(r.entry));
  return kExitOk;
}

int do_stats(const NftOptions& o, Socket& s, const Layout& l) {
  auto counters = read_counters(s, l);
  if (!counters) return fail(counters.error().message());
  if (o.output == "json") {
    json out = json::array();
    for (const auto& c : *counters) {
      json item{{"counter", c.name}, {"packets", c.packets}, {"bytes", c.bytes}};
      if (const auto origin = parse_origin_counter(c.name)) {
        item["origin"] = c.comment;
        item["ip_type"] = origin->first ? "ipv6" : "ipv4";
      }
      out.push_back(item);
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<12} {:>14} {:>16}  {}\n", "COUNTER", "PACKETS", "BYTES", "ORIGIN");
  for (const auto& c : *counters)
    std::cout << fmt::format("{:<12} {:>14} {:>16}  {}\n", c.name, c.packets, c.bytes, c.comment);
  return kExitOk;
}

int do_status(const NftOptions& o, Socket& s, const Layout& l) {
  auto exists = table_exists(s, l);
  if (!exists) return fail(exists.error().message());
  if (!*exists) {
    if (o.output == "json") {
      std::cout << json{{"table", l.table_text()}, {"exists", false}}.dump(2) << "\n";
      return kExitFailure;
    }
    std::cout << "table " << l.table_text() << ": absent\n";
    return kExitFailure;
  }
  auto sets = existing_sets(s, l);
  if (!sets) return fail(sets.error().message());
  std::vector<CounterValue> counters;
  if (!l.set_only) {
    auto c = read_counters(s, l);
    if (!c) return fail(c.error().message());
    counters = *c;
  }
  if (o.output == "json") {
    json cs = json::object();
    for (const auto& c : counters) {
      cs[c.name] = {{"packets", c.packets}, {"bytes", c.bytes}};
      if (!c.comment.empty()) cs[c.name]["origin"] = c.comment;
    }
    std::cout << json{{"table", l.table_text()},
                      {"exists", true},
                      {"sets", *sets},
                      {"counters", cs}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "table " << l.table_text() << ": present\n";
  std::cout << "sets:";
  for (const auto& n : *sets)
    std::cout << " " << n;
  std::cout << (sets->size() == l.sets().size() ? "" : "  (some missing)") << "\n";
  for (const auto& c : counters) {
    std::cout << fmt::format("counter {:<10} {} packets, {} bytes{}\n", c.name, c.packets, c.bytes,
                             c.comment.empty() ? "" : " (origin " + c.comment + ")");
  }
  return kExitOk;
}

int do_audit(const NftOptions& o) {
  http::ignore_sigpipe();  // phalanx-nft stopping mid-answer is an error, not a silent death
  httplib::Client http(o.url);
  http.set_read_timeout(std::chrono::minutes(10));  // dumping a big set takes the kernel long
  auto res = http.Get("/audit");
  if (!res)
    return fail("audit: asking phalanx-nft at " + o.url + ": " + httplib::to_string(res.error()) +
                " (is it running with prometheus enabled?)");
  auto body = json::parse(res->body, nullptr, false);
  if (res->status != 200 || !body.is_object())
    return fail(fmt::format("audit: status {}: {}", res->status, res->body.substr(0, 300)));
  if (o.output == "json") {
    std::cout << body.dump(2) << "\n";
  } else {
    std::cout << fmt::format(
        "kernel: {} addresses, {} range segments\nmirror: {} addresses, {} range segments\n"
        "missing from the kernel: {}\nextra in the kernel: {}\n({:.2f} s)\n",
        body.value("kernel_hosts", 0), body.value("kernel_segments", 0),
        body.value("mirror_hosts", 0), body.value("mirror_segments", 0), body.value("missing", 0),
        body.value("extra", 0), body.value("seconds", 0.0));
    for (const auto& e : body["examples"])
      std::cout << "  " << e.get<std::string>() << "\n";
  }
  return body.value("missing", 0) + body.value("extra", 0) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

CLI::App* setup_nft(CLI::App& app, NftOptions& o) {
  auto* nft = app.add_subcommand("nft", "Inspect the nftables bouncer's table, sets and counters");
  nft->require_subcommand(1);
  nft->add_option("--family", o.family, "Table family")->capture_default_str();
  nft->add_option("--table", o.table, "Table name")->capture_default_str();
  nft->add_option("--set-prefix", o.set_prefix, "Prefix of the set names");
  nft->add_option("-o,--output", o.output, "human or json")
      ->check(CLI::IsMember({"human", "json"}));
  o.status = nft->add_subcommand("status", "Table, sets and counters");
  o.list = nft->add_subcommand("list", "Every element with its time left (slow on big sets)");
  o.lookup = nft->add_subcommand("lookup", "Whether a source address would be dropped");
  o.lookup->add_option("ip", o.address, "IPv4 or IPv6 address")->required();
  o.stats = nft->add_subcommand("stats", "Packets and bytes by counter (dropped by set)");
  o.audit = nft->add_subcommand("audit", "Compare the kernel's sets with the daemon's mirror");
  o.audit->add_option("--url", o.url, "phalanx-nft's metrics listener")->capture_default_str();
  return nft;
}

int run_nft(const NftOptions& o) {
  if (o.audit->parsed()) return do_audit(o);
  auto layout = layout_of(o);
  if (!layout) return usage_error(layout.error().message());
  auto socket = Socket::open();
  if (!socket) return fail(socket.error().message());
  if (o.status->parsed()) return do_status(o, *socket, *layout);
  if (o.list->parsed()) return do_list(o, *socket, *layout);
  if (o.lookup->parsed()) return do_lookup(o, *socket, *layout);
  if (o.stats->parsed()) return do_stats(o, *socket, *layout);
  return kExitUsage;
}

}  // namespace phalanx::cli
