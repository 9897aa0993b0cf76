// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/blocklist_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <vector>

#include "bouncer-xdp/keys.h"
#include "xdp_blocklist.skel.h"

namespace phalanx::xdp {
namespace {

// Bans split by destination map, as contiguous key and value arrays for the batch syscalls.
struct Split {
  std::vector<phx_v4_key> v4;
  std::vector<phx_entry> v4_values;
  std::vector<phx_v6_key> v6;
  std::vector<phx_entry> v6_values;
  std::vector<phx_lpm_v4_key> r4;
  std::vector<phx_entry> r4_values;
  std::vector<phx_lpm_v6_key> r6;
  std::vector<phx_entry> r6_values;
};

void add_to(Split& s, const net::Cidr& target, const phx_entry& value) {
  if (target.is_v4() && is_host(target)) {
    s.v4.push_back(v4_key(target.network()));
    s.v4_values.push_back(value);
  } else if (is_host(target)) {
    s.v6.push_back(v6_key(target.network()));
    s.v6_values.push_back(value);
  } else if (target.is_v4()) {
    s.r4.push_back(lpm_v4_key(target));
    s.r4_values.push_back(value);
  } else {
    s.r6.push_back(lpm_v6_key(target));
    s.r6_values.push_back(value);
  }
}

void merge(BatchStats& into, const BatchStats& from) {
  into.applied += from.applied;
  into.missing += from.missing;
  into.syscalls += from.syscalls;
  into.batched = into.batched && from.batched;
}

template <class K>
Result<void> update_into(int fd, const std::vector<K>& keys, const std::vector<phx_entry>& values,
                         BatchStats& stats) {
  if (keys.empty()) return ok();
  PHALANX_TRY(BatchStats s, update_elems(fd, keys.data(), sizeof(K), values.data(),
                                         sizeof(phx_entry), keys.size()));
  merge(stats, s);
  return ok();
}

template <class K>
Result<void> delete_from(int fd, const std::vector<K>& keys, BatchStats& stats) {
  if (keys.empty()) return ok();
  PHALANX_TRY(BatchStats s, delete_elems(fd, keys.data(), sizeof(K), keys.size()));
  merge(stats, s);
  return ok();
}

// Calls fn(key) for every key of the map (keys only: the prefilter needs no values).
template <class K, class Fn>
Result<void> for_each_key(int fd, Fn&& fn) {
  K key{};
  K next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    fn(next);
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) return Error::from_errno("walking map keys");
  return ok();
}

Result<void> write_one(int fd, const void* key, const phx_entry& value, std::string_view what,
                       const net::Cidr& target) {
  if (bpf_map_update_elem(fd, key, &value, BPF_ANY) != 0)
    return Error::from_errno(std::string(what) + " " + target.to_string());
  return ok();
}

Result<void> delete_one(int fd, const void* key, std::string_view what, const net::Cidr& target) {
  if (bpf_map_delete_elem(fd, key) != 0)
    return Error::from_errno(std::string(what) + " " + target.to_string());
  return ok();
}

}  // namespace

MapFds map_fds(const XdpObject& object) {
  const auto& m = object.skel().maps;
  return MapFds{
      bpf_map__fd(m.phx_ban_v4),     bpf_map__fd(m.phx_ban_v6),     bpf_map__fd(m.phx_range_v4),
      bpf_map__fd(m.phx_range_v6),   bpf_map__fd(m.phx_allow_v4),   bpf_map__fd(m.phx_allow_v6),
      bpf_map__fd(m.phx_pfilter_v4), bpf_map__fd(m.phx_pfilter_v6), bpf_map__fd(m.phx_counters)};
}

Result<BlocklistMaps> BlocklistMaps::open(const MapFds& fds) {
  PHALANX_TRY(Prefilter prefilter, Prefilter::map(fds.pfilter_v4, fds.pfilter_v6));
  return BlocklistMaps(fds, std::move(prefilter));
}

Result<void> BlocklistMaps::ban(const net::Cidr& target, const phx_entry& value) {
  prefilter_.add(target);
  if (is_host(target)) {
    if (target.is_v4()) {
      const phx_v4_key key = v4_key(target.network());
      return write_one(fds_.ban_v4, &key, value, "banning", target);
    }
    const phx_v6_key key = v6_key(target.network());
    return write_one(fds_.ban_v6, &key, value, "banning", target);
  }
  if (target.is_v4()) {
    const phx_lpm_v4_key key = lpm_v4_key(target);
    return write_one(fds_.range_v4, &key, value, "banning range", target);
  }
  const phx_lpm_v6_key key = lpm_v6_key(target);
  return write_one(fds_.range_v6, &key, value, "banning range", target);
}

Result<void> BlocklistMaps::unban(const net::Cidr& target) {
  if (is_host(target)) {
    if (target.is_v4()) {
      const phx_v4_key key = v4_key(target.network());
      return delete_one(fds_.ban_v4, &key, "unbanning", target);
    }
    const phx_v6_key key = v6_key(target.network());
    return delete_one(fds_.ban_v6, &key, "unbanning", target);
  }
  if (target.is_v4()) {
    const phx_lpm_v4_key key = lpm_v4_key(target);
    return delete_one(fds_.range_v4, &key, "unbanning range", target);
  }
  const phx_lpm_v6_key key = lpm_v6_key(target);
  return delete_one(fds_.range_v6, &key, "unbanning range", target);
}

Result<void> BlocklistMaps::allow(const net::Cidr& target, const phx_entry& value) {
  if (target.is_v4()) {
    const phx_lpm_v4_key key = lpm_v4_key(target);
    return write_one(fds_.allow_v4, &key, value, "allowing", target);
  }
  const phx_lpm_v6_key key = lpm_v6_key(target);
  return write_one(fds_.allow_v6, &key, value, "allowing", target);
}

Result<void> BlocklistMaps::unallow(const net::Cidr& target) {
  if (target.is_v4()) {
    const phx_lpm_v4_key key = lpm_v4_key(target);
    return delete_one(fds_.allow_v4, &key, "removing allow entry", target);
  }
  const phx_lpm_v6_key key = lpm_v6_key(target);
  return delete_one(fds_.allow_v6, &key, "removing allow entry", target);
}

Result<BatchStats> BlocklistMaps::ban_batch(std::span<const BanRequest> bans) {
  Split split;
  for (const auto& b : bans) {
    prefilter_.add(b.target);
    add_to(split, b.target, b.value);
  }
  BatchStats stats;
  PHALANX_CHECK(update_into(fds_.ban_v4, split.v4, split.v4_values, stats));
  PHALANX_CHECK(update_into(fds_.ban_v6, split.v6, split.v6_values, stats));
  PHALANX_CHECK(update_into(fds_.range_v4, split.r4, split.r4_values, stats));
  PHALANX_CHECK(update_into(fds_.range_v6, split.r6, split.r6_values, stats));
  return stats;
}

Result<BatchStats> BlocklistMaps::unban_batch(std::span<const net::Cidr> targets) {
  Split split;
  for (const auto& t : targets)
    add_to(split, t, phx_entry{});
  BatchStats stats;
  PHALANX_CHECK(delete_from(fds_.ban_v4, split.v4, stats));
  PHALANX_CHECK(delete_from(fds_.ban_v6, split.v6, stats));
  PHALANX_CHECK(delete_from(fds_.range_v4, split.r4, stats));
  PHALANX_CHECK(delete_from(fds_.range_v6, split.r6, stats));
  return stats;
}

Result<PrefilterFill> BlocklistMaps::rebuild_prefilter() {
  PrefilterImage image;
  PHALANX_CHECK(for_each_key<phx_v4_key>(
      fds_.ban_v4, [&](const phx_v4_key& k) { pf_add_exact_v4(image.v4(), k.addr); }));
  PHALANX_CHECK(for_each_key<phx_v6_key>(
      fds_.ban_v6, [&](const phx_v6_key& k) { pf_add_exact_v6(image.v6(), k.addr); }));
  PHALANX_CHECK(for_each_key<phx_lpm_v4_key>(fds_.range_v4, [&](const phx_lpm_v4_key& k) {
    pf_add_range_v4(image.v4(), k.addr, k.prefixlen);
  }));
  PHALANX_CHECK(for_each_key<phx_lpm_v6_key>(fds_.range_v6, [&](const phx_lpm_v6_key& k) {
    pf_add_range_v6(image.v6(), k.addr, k.prefixlen);
  }));
  prefilter_.store(image);
  return prefilter_.fill();
}

}  // namespace phalanx::xdp
