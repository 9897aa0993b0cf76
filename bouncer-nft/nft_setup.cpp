// SPDX-License-Identifier: Apache-2.0
// NftBackend's setup and what it finds out: the table (created, reused, or created again when
// an earlier version left plain sets), the allow sets, what the kernel can do with elements
// (KernelFeatures, probed), and the origin counters that ban and range elements name.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "bouncer-nft/elements.h"
#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/nft_backend.h"
#include "core/log.h"

namespace phalanx::nft {
namespace {

// Once per setup or new origin: the registry lookup costs nothing that matters here.
std::shared_ptr<spdlog::logger> logger() {
  return log::get("nft");
}

}  // namespace

Result<void> NftBackend::write_allow_locked() {
  const Layout& L = options_.layout;
  if (L.set_only) return ok();
  std::vector<Segment> ranges[2];
  for (const auto& c : options_.allow)
    ranges[c.is_v4() ? 0 : 1].push_back({c.first(), c.last(), INT64_MAX});
  std::vector<size_t> rejected;
  return commit_locked(
      [&](Batch& b) {
        add_ruleset(b, L);
        for (size_t id = 0; id < origin_counter_.size(); ++id) {
          for (const bool v6 : {false, true})
            if (v6 ? L.ipv6 : L.ipv4)
              add_origin_counter(b, L, v6, origin_counter_[id], origin_comment(id));
        }
        for (const bool v6 : {false, true}) {
          if (v6 ? !L.ipv6 : !L.ipv4) continue;
          const SetId set = v6 ? kAllow6 : kAllow4;
          add_flush_set(b, L, set);
          ElementWriter w(b, L, set, ElementOp::kAdd);
          const auto merged = merge_ranges(ranges[v6]);
          for (size_t i = 0; i < merged.size(); ++i)
            w.segment(merged[i], 0, i);
        }
      },
      [&](size_t i) { return fmt::format("allow entry {}", i); }, rejected);
}

Result<void> NftBackend::setup() {
  std::lock_guard lock(mu_);
  const Layout& L = options_.layout;
  std::unique_lock sock(sock_mu_);
  PHALANX_TRY(bool existed, table_exists(socket_, L));
  std::vector<std::string> mismatched;
  if (existed && !L.set_only) {
    PHALANX_TRY(mismatched, mismatched_sets(socket_, L));
  }
  sock.unlock();
  if (L.set_only && !existed)
    return Error("nft: set-only mode: table " + L.table_text() + " does not exist (create it)");
  if (!mismatched.empty()) {
    // A set cannot change kind in place. Until the first resync has written the bans again
    // (about two seconds for a million), they are not enforced.
    logger()->warn(
        "nft: {} holds sets of an earlier layout ({}), plain sets where maps counting drops by "
        "origin belong: creating the table again",
        L.table_text(), fmt::join(mismatched, ", "));
    std::vector<size_t> rejected;
    PHALANX_CHECK(commit_locked([&](Batch& b) { add_delete_table(b, L); },
                                [](size_t) { return std::string("?"); }, rejected));
    existed = false;
  }
  if (existed && !L.set_only) PHALANX_CHECK(adopt_origin_counters_locked());
  replace_on_resync_ = existed;
  if (L.set_only) {
    std::vector<size_t> rejected;
    PHALANX_CHECK(commit_locked([&](Batch& b) { add_ruleset(b, L); },
                                [](size_t) { return std::string("?"); }, rejected));
  } else {
    PHALANX_CHECK(write_allow_locked());
  }
  PHALANX_CHECK(probe_kernel_locked());
  logger()->info("nft: {} {} ({} hook {} priority {})", existed ? "reusing" : "created",
                 L.table_text(), L.set_only ? "set-only" : L.chain, L.hook, L.priority);
  return ok();
}

Result<void> NftBackend::probe_kernel_locked() {
  if (options_.features) {
    features_ = *options_.features;
  } else {
    const Layout& L = options_.layout;
    const SetId set = L.ipv4 ? kBan4 : kBan6;
    const bool v6 = set_is_v6(set);
    // Never a packet's source: 240.0.0.1 (reserved) or 100::1 (the discard-only prefix).
    const auto addr = net::IpAddress::parse(v6 ? "100::1" : "240.0.0.1");
    uint8_t key[16];
    segment_key(addr->to_uint128(), v6, key);
    const std::string counter = L.set_name(set);  // any counter serves a transient element
    std::lock_guard sock(sock_mu_);
    const auto send = [&](ElementOp op, uint64_t timeout_ms) -> Result<bool> {
      Batch b;
      {
        ElementWriter w(b, L, set, op);
        const bool named = op == ElementOp::kAdd && set_counts_origins(L, set);
        w.element({key, v6 ? 16u : 4u}, timeout_ms, false, 0, named ? counter.c_str() : nullptr);
      }
      b.close();
      PHALANX_TRY(auto refusals, socket_.commit(b));
      return refusals.empty();
    };
    PHALANX_TRY(features_.destroy, send(ElementOp::kDestroy, 0));  // absent: fine where known
    PHALANX_TRY(bool added, send(ElementOp::kAdd, 60000));
    PHALANX_TRY(bool again, send(ElementOp::kAdd, 3600000));
    features_.timeout_update = false;
    if (added && again) {
      PHALANX_TRY(auto e, get_host(socket_, L, set, *addr));
      features_.timeout_update = e && e->timeout_ms > 60000;
    }
    if (added) PHALANX_CHECK(send(features_.destroy ? ElementOp::kDestroy : ElementOp::kDelete, 0));
  }
  mirror_.replace_on_refresh(!features_.timeout_update);
  if (!features_.destroy || !features_.timeout_update) {
    logger()->warn("nft: this kernel has {}{}{}: {}",
                   features_.destroy ? "" : "no DESTROYSETELEM (6.3+)",
                   !features_.destroy && !features_.timeout_update ? " and " : "",
                   features_.timeout_update ? "" : "no element timeout updates (6.10+)",
                   features_.timeout_update ? "deletes of elements already gone are left out"
                                            : "extended bans are deleted and added again");
  }
  return ok();
}

KernelFeatures NftBackend::features() const {
  std::lock_guard lock(mu_);
  return features_;
}

Result<void> NftBackend::adopt_origin_counters_locked() {
  std::unique_lock sock(sock_mu_);
  PHALANX_TRY(auto counters, read_counters(socket_, options_.layout));
  sock.unlock();
  for (const auto& c : counters) {
    const auto parsed = parse_origin_counter(c.name);
    if (!parsed || parsed->second == 0 || c.comment.empty()) continue;
    counter_numbers_.emplace(c.comment, parsed->second);
    next_counter_ = std::max(next_counter_, parsed->second + 1);
  }
  return ok();
}

Result<void> NftBackend::ensure_origin_counters_locked() {
  const Layout& L = options_.layout;
  const size_t have = origin_counter_.size();
  const size_t want = mirror_.origin_count();
  if (L.set_only || have >= want) return ok();
  std::vector<uint32_t> numbers;
  for (size_t id = have; id < want; ++id) {
    const std::string& origin = mirror_.origin_name(id);
    auto it = counter_numbers_.find(origin);
    if (it == counter_numbers_.end() && next_counter_ <= kMaxOriginCounters)
      it = counter_numbers_.emplace(origin, next_counter_++).first;
    numbers.push_back(it == counter_numbers_.end() ? 0 : it->second);
  }
  std::vector<size_t> rejected;
  PHALANX_CHECK(commit_locked(
      [&](Batch& b) {
        for (size_t i = 0; i < numbers.size(); ++i) {
          const std::string comment =
              numbers[i] == 0 ? std::string(kOtherOrigins) : mirror_.origin_name(have + i);
          for (const bool v6 : {false, true})
            if (v6 ? L.ipv6 : L.ipv4) add_origin_counter(b, L, v6, numbers[i], comment);
        }
      },
      [](size_t) { return std::string("?"); }, rejected));
  std::lock_guard names(names_mu_);
  for (const uint32_t n : numbers) {
    origin_counter_.push_back(n);
    counter_names_[0].push_back(origin_counter_name(false, n));
    counter_names_[1].push_back(origin_counter_name(true, n));
  }
  return ok();
}

std::string NftBackend::origin_comment(size_t id) const {
  return origin_counter_[id] == 0 ? std::string(kOtherOrigins) : mirror_.origin_name(id);
}

std::array<std::vector<std::string>, 2> NftBackend::counter_names() const {
  std::lock_guard names(names_mu_);
  return counter_names_;
}

}  // namespace phalanx::nft
