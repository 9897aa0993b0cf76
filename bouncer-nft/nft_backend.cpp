// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/nft_backend.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <unordered_set>

#include "bouncer-nft/elements.h"
#include "bouncer-nft/kernel_state.h"
#include "core/log.h"

namespace phalanx::nft {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("nft");
  return log;
}

// Item numbers: which list an element came from, and its index there.
enum List : size_t { kAdd4, kDel4, kAdd6, kDel6, kSegDel4, kSegAdd4, kSegDel6, kSegAdd6 };
constexpr size_t item_of(List l, size_t i) {
  return (static_cast<size_t>(l) << 40) | i;
}
constexpr List list_of(size_t item) {
  return static_cast<List>(item >> 40);
}
constexpr size_t index_of(size_t item) {
  return item & ((size_t(1) << 40) - 1);
}

std::string v4_text(uint32_t host_order) {
  return net::IpAddress::from_v4(host_order).to_string();
}
std::string v6_text(const V6Key& k) {
  return net::IpAddress::from_v6(k).to_string();
}
std::string segment_text(const Segment& s, bool v6) {
  const auto a = net::IpAddress::from_uint128(s.first, !v6);
  const auto b = net::IpAddress::from_uint128(s.last, !v6);
  return a.to_string() + "-" + b.to_string();
}

bool segment_less(const Segment& a, const Segment& b) {
  return std::tie(a.first, a.last, a.expiry_ms, a.origin) <
         std::tie(b.first, b.last, b.expiry_ms, b.origin);
}

std::vector<Segment> minus(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  std::vector<Segment> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
                      segment_less);
  return out;
}

uint64_t timeout_for(int64_t expiry_ms, int64_t now_ms) {
  if (expiry_ms == INT64_MAX) return 0;
  return expiry_ms > now_ms ? static_cast<uint64_t>(expiry_ms - now_ms) : 0;
}

}  // namespace

int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Result<std::unique_ptr<NftBackend>> NftBackend::open(BackendOptions options) {
  PHALANX_CHECK(validate(options.layout));
  PHALANX_TRY(Socket socket, Socket::open());
  if (options.chunk == 0) options.chunk = 25000;
  return std::unique_ptr<NftBackend>(new NftBackend(std::move(options), std::move(socket)));
}

uint32_t NftBackend::portid() const {
  return socket_.portid();
}

Result<void> NftBackend::commit_locked(const std::function<void(Batch&)>& build,
                                       const std::function<std::string(size_t)>& name,
                                       std::vector<size_t>& rejected,
                                       const std::function<bool(size_t, int)>& gone) {
  // Every round leaves out at least one element, so the loop ends; rounds that only met
  // elements already gone do not count against the limit.
  for (int refused_rounds = 0; refused_rounds < 16;) {
    Batch batch;
    build(batch);
    batch.close();
    if (batch.empty()) return ok();
    std::lock_guard sock(sock_mu_);
    const int64_t t0 = monotonic_ms();
    PHALANX_TRY(auto refusals, socket_.commit(batch));
    ++stats_.transactions;
    stats_.last_commit_ms = static_cast<double>(monotonic_ms() - t0);
    stats_.commit_ms_total += stats_.last_commit_ms;
    if (refusals.empty()) return ok();
    bool refused = false;
    for (const auto& r : refusals) {
      if (!r.item) return Error(fmt::format("nft: {}: {}", r.what, r.reason), r.code);
      rejected.push_back(*r.item);
      if (gone && gone(*r.item, r.code)) {
        logger()->debug("nft: {}: {} was already gone", r.what, name(*r.item));
        continue;
      }
      logger()->error("nft: {}: {}: {}; left out, the rest is applied", r.what, name(*r.item),
                      r.reason);
      ++stats_.rejected;
      refused = true;
    }
    if (refused) ++refused_rounds;
  }
  return Error("nft: the kernel kept refusing elements after 16 attempts");
}

Result<void> NftBackend::write_locked(const Plan& plan, bool flush_first) {
  const bool bulk = on_bulk_ && plan.host_writes() > kBulkElements;
  if (bulk) on_bulk_(true);
  auto r = write_unhooked_locked(plan, flush_first);
  if (bulk) on_bulk_(false);
  return r;
}

Result<void> NftBackend::write_unhooked_locked(const Plan& plan, bool flush_first) {
  const Layout& L = options_.layout;
  const int64_t now = monotonic_ms();
  std::vector<Segment> desired[2], seg_del[2], seg_add[2];
  for (const bool v6 : {false, true}) {
    if (!plan.ranges_changed[v6] || (v6 ? !L.ipv6 : !L.ipv4)) continue;
    desired[v6] = mirror_.segments(v6, now);
    std::vector<Segment> held;
    if (!flush_first) {
      for (const auto& s : segments_[v6])
        if (s.expiry_ms > now) held.push_back(s);
    }
    seg_del[v6] = minus(held, desired[v6]);
    seg_add[v6] = minus(desired[v6], held);
  }
  // Host adds: the plan's own, then the mirror's when the plan refers to it.
  const size_t n4 = plan.add4.size() + plan.mirror4;
  const size_t n6 = plan.add6.size() + plan.mirror6;
  const auto add4 = [&](size_t j) {
    return j < plan.add4.size() ? plan.add4[j] : mirror_.v4_at(j - plan.add4.size());
  };
  const auto add6 = [&](size_t j) {
    return j < plan.add6.size() ? plan.add6[j] : mirror_.v6_at(j - plan.add6.size());
  };
  const size_t adds = n4 + n6;
  const size_t chunk = flush_first ? std::max<size_t>(adds, 1) : options_.chunk;
  // Every added ban and range element names its origin's counter (ensured before the plan came).
  const auto names = counter_names();
  const auto counter = [&](bool v6, uint16_t origin) -> const char* {
    const auto& v = names[v6];
    if (L.set_only || v.empty()) return nullptr;
    return (origin < v.size() ? v[origin] : v[0]).c_str();
  };
  std::unordered_set<size_t> rejected_set;
  std::vector<size_t> rejected;
  const ElementOp del_op = features_.destroy ? ElementOp::kDestroy : ElementOp::kDelete;
  const auto gone = [&](size_t item, int code) {
    const List l = list_of(item);
    return code == ENOENT && (l == kDel4 || l == kDel6 || l == kSegDel4 || l == kSegDel6);
  };

  const auto name = [&](size_t item) -> std::string {
    const size_t i = index_of(item);
    switch (list_of(item)) {
      case kAdd4:
        return v4_text(add4(i).addr);
      case kDel4:
        return v4_text(plan.del4[i]);
      case kAdd6:
        return v6_text(add6(i).addr);
      case kDel6:
        return v6_text(plan.del6[i]);
      case kSegDel4:
        return segment_text(seg_del[0][i], false);
      case kSegAdd4:
        return segment_text(seg_add[0][i], false);
      case kSegDel6:
        return segment_text(seg_del[1][i], true);
      case kSegAdd6:
        return segment_text(seg_add[1][i], true);
    }
    return "?";
  };
  const auto skip = [&](size_t item) { return rejected_set.count(item) != 0; };

  for (size_t lo = 0; lo == 0 || lo < adds; lo += chunk) {
    const size_t hi = std::min(adds, lo + chunk);
    const bool first = lo == 0;
    const auto build = [&](Batch& b) {
      if (first) {
        if (flush_first) {
          for (const SetId id : L.sets())
            if (set_has_timeout(id)) add_flush_set(b, L, id);
        }
        {
          ElementWriter w(b, L, kBan4, del_op);
          for (size_t i = 0; i < plan.del4.size(); ++i) {
            if (skip(item_of(kDel4, i))) continue;
            const uint32_t be = htonl(plan.del4[i]);
            w.element({reinterpret_cast<const uint8_t*>(&be), 4}, 0, false, item_of(kDel4, i));
          }
        }
        {
          ElementWriter w(b, L, kBan6, del_op);
          for (size_t i = 0; i < plan.del6.size(); ++i) {
            if (!skip(item_of(kDel6, i))) w.element(plan.del6[i], 0, false, item_of(kDel6, i));
          }
        }
        for (const bool v6 : {false, true}) {
          const SetId set = v6 ? kRange6 : kRange4;
          const List del = v6 ? kSegDel6 : kSegDel4;
          const List add = v6 ? kSegAdd6 : kSegAdd4;
          {
            ElementWriter w(b, L, set, del_op);
            for (size_t i = 0; i < seg_del[v6].size(); ++i)
              if (!skip(item_of(del, i))) w.segment(seg_del[v6][i], 0, item_of(del, i));
          }
          ElementWriter w(b, L, set, ElementOp::kAdd);
          for (size_t i = 0; i < seg_add[v6].size(); ++i) {
            const uint64_t t = timeout_for(seg_add[v6][i].expiry_ms, now);
            if (t > 0 && !skip(item_of(add, i)))
              w.segment(seg_add[v6][i], t, item_of(add, i), counter(v6, seg_add[v6][i].origin));
          }
        }
      }
      {
        ElementWriter w(b, L, kBan4, ElementOp::kAdd);
        for (size_t j = lo; j < std::min(hi, n4); ++j) {
          const Host4 h = add4(j);
          const uint64_t t = timeout_for(h.expiry_ms, now);
          if (t == 0 || skip(item_of(kAdd4, j))) continue;
          const uint32_t be = htonl(h.addr);
          w.element({reinterpret_cast<const uint8_t*>(&be), 4}, t, false, item_of(kAdd4, j),
                    counter(false, h.origin));
        }
      }
      ElementWriter w(b, L, kBan6, ElementOp::kAdd);
      for (size_t j = std::max(lo, n4); j < hi; ++j) {
        const size_t k = j - n4;
        const Host6 h = add6(k);
        const uint64_t t = timeout_for(h.expiry_ms, now);
        if (t == 0 || skip(item_of(kAdd6, k))) continue;
        w.element(h.addr, t, false, item_of(kAdd6, k), counter(true, h.origin));
      }
    };
    const size_t before = rejected.size();
    auto r = commit_locked(
        [&](Batch& b) {
          for (size_t i = before; i < rejected.size(); ++i)
            rejected_set.insert(rejected[i]);
          build(b);
        },
        name, rejected, gone);
    if (!r) {
      replace_on_resync_ = true;  // the kernel may now lag the mirror: rewrite all next time
      return r;
    }
    if (adds == 0) break;
  }
  for (const size_t item : rejected)
    rejected_set.insert(item);
  for (const bool v6 : {false, true}) {
    if (!plan.ranges_changed[v6]) continue;
    const List add = v6 ? kSegAdd6 : kSegAdd4;
    std::vector<Segment> held;
    for (size_t i = 0; i < seg_add[v6].size(); ++i)
      if (!skip(item_of(add, i))) held.push_back(seg_add[v6][i]);
    // What stays from before plus what was added, in order.
    std::vector<Segment> kept = minus(desired[v6], seg_add[v6]);
    kept.insert(kept.end(), held.begin(), held.end());
    std::sort(kept.begin(), kept.end(), segment_less);
    segments_[v6] = std::move(kept);
  }
  std::lock_guard sock(sock_mu_);
  stats_.written += adds;
  stats_.deleted += plan.del4.size() + plan.del6.size();
  stats_.skipped += plan.skipped;
  return ok();
}

Result<void> NftBackend::apply(const bouncer::DecisionBatch& batch) {
  std::lock_guard lock(mu_);
  const Plan plan = mirror_.apply(batch, monotonic_ms());
  PHALANX_CHECK(ensure_origin_counters_locked());
  if (plan.empty()) {
    std::lock_guard sock(sock_mu_);
    stats_.skipped += plan.skipped;
    return ok();
  }
  return write_locked(plan, false);
}

Result<void> NftBackend::reload_locked() {
  {
    std::lock_guard sock(sock_mu_);
    ++stats_.repairs;
  }
  PHALANX_CHECK(write_allow_locked());
  if (options_.layout.set_only) {
    std::vector<size_t> rejected;
    PHALANX_CHECK(commit_locked([&](Batch& b) { add_ruleset(b, options_.layout); },
                                [](size_t) { return std::string("?"); }, rejected));
  }
  // Host elements are re-added and range segments rewritten whole; writing an element that is
  // still there only refreshes it.
  segments_[0].clear();
  segments_[1].clear();
  const Plan plan = mirror_.everything();
  return write_locked(plan, false);
}

Result<void> NftBackend::repair(const Damage& damage) {
  std::lock_guard lock(mu_);
  if (damage.ruleset) return reload_locked();
  if (damage.lost) {
    std::unique_lock sock(sock_mu_);
    PHALANX_TRY(bool table, table_exists(socket_, options_.layout));
    bool complete = table;
    if (table) {
      PHALANX_TRY(auto sets, existing_sets(socket_, options_.layout));
      complete = sets.size() == options_.layout.sets().size();
    }
    sock.unlock();
    if (!complete) return reload_locked();
    if (options_.layout.set_only) return ok();
    // Chain and rules: re-asserting them is one small transaction and idempotent.
    return write_allow_locked();
  }
  const int64_t now = monotonic_ms();
  Plan plan;
  for (const uint32_t k : damage.v4) {
    auto s = mirror_.find_v4(k);
    if (s && s->expiry_ms > now + 500) plan.add4.push_back({k, s->origin, s->expiry_ms});
  }
  for (const auto& k : damage.v6) {
    auto s = mirror_.find_v6(k);
    if (s && s->expiry_ms > now + 500) plan.add6.push_back({k, s->origin, s->expiry_ms});
  }
  for (const bool v6 : {false, true}) {
    if (!damage.ranges[v6]) continue;
    // Someone took elements out of a range or allow set: write every segment again.
    plan.ranges_changed[v6] = true;
    segments_[v6].clear();
  }
  if (damage.ranges[0] || damage.ranges[1]) PHALANX_CHECK(write_allow_locked());
  {
    std::lock_guard sock(sock_mu_);
    stats_.restored += plan.add4.size() + plan.add6.size();
  }
  if (plan.empty()) return ok();
  return write_locked(plan, false);
}

Result<void> NftBackend::teardown() {
  std::lock_guard lock(mu_);
  const Layout& L = options_.layout;
  std::vector<size_t> rejected;
  return commit_locked(
      [&](Batch& b) {
        if (!L.set_only) {
          add_delete_table(b, L);
          return;
        }
        for (const SetId id : L.sets())
          add_flush_set(b, L, id);
      },
      [](size_t) { return std::string("?"); }, rejected);
}

size_t NftBackend::expire() {
  std::lock_guard lock(mu_);
  return mirror_.expire(monotonic_ms());
}

BackendStats NftBackend::stats() const {
  std::lock_guard sock(sock_mu_);
  return stats_;
}

void NftBackend::with_mirror(const std::function<void(const Mirror&)>& fn) const {
  std::lock_guard lock(mu_);
  fn(mirror_);
}

}  // namespace phalanx::nft
