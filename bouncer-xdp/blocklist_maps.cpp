// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/blocklist_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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

Result<BatchStats> write_split(const int (&fds)[4], const Split& split) {
  BatchStats stats;
  PHALANX_CHECK(update_into(fds[0], split.v4, split.v4_values, stats));
  PHALANX_CHECK(update_into(fds[1], split.v6, split.v6_values, stats));
  PHALANX_CHECK(update_into(fds[2], split.r4, split.r4_values, stats));
  PHALANX_CHECK(update_into(fds[3], split.r6, split.r6_values, stats));
  return stats;
}

Result<BatchStats> delete_split(const int (&fds)[4], const Split& split) {
  BatchStats stats;
  PHALANX_CHECK(delete_from(fds[0], split.v4, stats));
  PHALANX_CHECK(delete_from(fds[1], split.v6, stats));
  PHALANX_CHECK(delete_from(fds[2], split.r4, stats));
  PHALANX_CHECK(delete_from(fds[3], split.r6, stats));
  return stats;
}

// The inner maps' shapes; type, key, value and flags must be those of the templates in
// bpf/xdp_blocklist.bpf.c, or the kernel refuses them in the maps of maps.
struct InnerShape {
  const char* name;
  bpf_map_type type;
  uint32_t key_size;
  uint32_t flags;
};
constexpr InnerShape kInner[4] = {
    {"phx_ban_v4", BPF_MAP_TYPE_HASH, sizeof(phx_v4_key), 0},
    {"phx_ban_v6", BPF_MAP_TYPE_HASH, sizeof(phx_v6_key), 0},
    {"phx_range_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(phx_lpm_v4_key), BPF_F_NO_PREALLOC},
    {"phx_range_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(phx_lpm_v6_key), BPF_F_NO_PREALLOC},
};

std::array<int, 4> outer_fds(const MapFds& fds) {
  return {fds.gens_ban_v4, fds.gens_ban_v6, fds.gens_range_v4, fds.gens_range_v6};
}

std::array<uint32_t, 4> size_array(const BanSizes& s) {
  return {s.ban_v4, s.ban_v6, s.range_v4, s.range_v6};
}

// Puts the four maps `fds` into slot `slot` of the maps of maps (each update waits for an RCU
// grace period: a few ms). On a failure the slot is emptied again and nothing is left half put.
Result<void> install(const std::array<int, 4>& outer, uint32_t slot, const int (&fds)[4]) {
  for (size_t i = 0; i < 4; ++i) {
    const uint32_t fd = static_cast<uint32_t>(fds[i]);
    if (bpf_map_update_elem(outer[i], &slot, &fd, BPF_ANY) != 0) {
      const Error err =
          Error::from_errno(fmt::format("installing {} as generation {}", kInner[i].name, slot));
      for (size_t j = 0; j < i; ++j)
        bpf_map_delete_elem(outer[j], &slot);
      return err;
    }
  }
  return ok();
}

Result<uint32_t> read_generation(int gen_fd) {
  const uint32_t zero = 0;
  uint32_t gen = 0;
  if (bpf_map_lookup_elem(gen_fd, &zero, &gen) != 0)
    return Error::from_errno("reading the generation in force");
  return gen % PHX_GENERATIONS;
}

// Sets the allow bit of every allow entry in the maps.
Result<void> add_allow_bits(const MapFds& fds, PrefilterWords v4, PrefilterWords v6) {
  PHALANX_CHECK(for_each_key<phx_lpm_v4_key>(fds.allow_v4, [&](const phx_lpm_v4_key& k) {
    pf_add_range_v4(v4, k.addr, k.prefixlen, PrefixBits::kAllow);
  }));
  return for_each_key<phx_lpm_v6_key>(fds.allow_v6, [&](const phx_lpm_v6_key& k) {
    pf_add_range_v6(v6, k.addr, k.prefixlen, PrefixBits::kAllow);
  });
}

}  // namespace

MapFds map_fds(const XdpObject& object) {
  const auto& m = object.skel().maps;
  MapFds fds;
  fds.allow_v4 = bpf_map__fd(m.phx_allow_v4);
  fds.allow_v6 = bpf_map__fd(m.phx_allow_v6);
  fds.pfilter_v4 = bpf_map__fd(m.phx_pf2_v4);
  fds.pfilter_v6 = bpf_map__fd(m.phx_pf2_v6);
  fds.counters = bpf_map__fd(m.phx_counters);
  fds.gens_ban_v4 = bpf_map__fd(m.phx_ban_v4);
  fds.gens_ban_v6 = bpf_map__fd(m.phx_ban_v6);
  fds.gens_range_v4 = bpf_map__fd(m.phx_range_v4);
  fds.gens_range_v6 = bpf_map__fd(m.phx_range_v6);
  fds.gen = bpf_map__fd(m.phx_gen);
  const LoadOptions& o = object.options();
  fds.sizes = BanSizes{o.max_ban_v4, o.max_ban_v6, o.max_range_v4, o.max_range_v6};
  return fds;
}

Result<BanMaps> BanMaps::create(const BanSizes& sizes) {
  BanMaps maps;
  const auto max = size_array(sizes);
  for (size_t i = 0; i < 4; ++i) {
    const InnerShape& shape = kInner[i];
    if (max[i] == 0) return Error(fmt::format("creating ban map {}: size 0", shape.name), EINVAL);
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = shape.flags);
    maps.fds_[i] =
        bpf_map_create(shape.type, shape.name, shape.key_size, sizeof(phx_entry), max[i], &opts);
    if (maps.fds_[i] < 0)
      return Error::from_errno(fmt::format("creating ban map {} ({} entries)", shape.name, max[i]));
  }
  return maps;
}

Result<BanMaps> BanMaps::of_generation(const MapFds& fds, uint32_t generation) {
  BanMaps maps;
  const auto outer = outer_fds(fds);
  for (size_t i = 0; i < 4; ++i) {
    uint32_t id = 0;
    if (bpf_map_lookup_elem(outer[i], &generation, &id) != 0) {
      const int err = errno;
      return Error::from_errno(
          fmt::format("reading generation {} of {}", generation, kInner[i].name), err);
    }
    maps.fds_[i] = bpf_map_get_fd_by_id(id);
    if (maps.fds_[i] < 0)
      return Error::from_errno(fmt::format("opening {} (map id {})", kInner[i].name, id));
  }
  return maps;
}

BanMaps::BanMaps(BanMaps&& other) noexcept {
  std::swap(fds_, other.fds_);
}

BanMaps& BanMaps::operator=(BanMaps&& other) noexcept {
  std::swap(fds_, other.fds_);
  return *this;
}

BanMaps::~BanMaps() {
  for (const int fd : fds_)
    if (fd >= 0) close(fd);
}

void BanMaps::fill(MapFds& fds) const {
  fds.ban_v4 = fds_[0];
  fds.ban_v6 = fds_[1];
  fds.range_v4 = fds_[2];
  fds.range_v6 = fds_[3];
}

Result<BanSizes> BanMaps::sizes() const {
  uint32_t max[4] = {};
  for (size_t i = 0; i < 4; ++i) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fds_[i], &info, &len) != 0)
      return Error::from_errno(std::string("reading the size of ") + kInner[i].name);
    max[i] = info.max_entries;
  }
  return BanSizes{max[0], max[1], max[2], max[3]};
}

BlocklistMaps::BlocklistMaps(const MapFds& fds, Prefilter prefilter, BanMaps live,
                             uint32_t generation)
    : fds_(fds), prefilter_(std::move(prefilter)), live_(std::move(live)), generation_(generation) {
  live_.fill(fds_);
}

Result<BlocklistMaps> BlocklistMaps::open(const MapFds& fds) {
  PHALANX_TRY(Prefilter prefilter, Prefilter::map(fds.pfilter_v4, fds.pfilter_v6));
  PHALANX_CHECK(add_allow_bits(fds, prefilter.v4(), prefilter.v6()));
  PHALANX_TRY(const uint32_t generation, read_generation(fds.gen));
  auto live = BanMaps::of_generation(fds, generation);
  if (!live && live.error().code() == ENOENT) {
    const auto sizes = size_array(fds.sizes);
    if (std::find(sizes.begin(), sizes.end(), 0U) != sizes.end())
      return Error("the XDP blocklist has no ban maps in force", ENOENT);
    // A fresh load: the first generation goes into the slot phx_gen already names.
    PHALANX_TRY(BanMaps first, BanMaps::create(fds.sizes));
    PHALANX_CHECK(install(outer_fds(fds), generation, first.fds_));
    live = std::move(first);
  }
  if (!live) return live.error();
  return BlocklistMaps(fds, std::move(prefilter), std::move(*live), generation);
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
  prefilter_.add_allow(target);
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
  return ban_batch(live_, bans);
}

Result<BatchStats> BlocklistMaps::unban_batch(std::span<const net::Cidr> targets) {
  return unban_batch(live_, targets);
}

Result<BatchStats> BlocklistMaps::ban_batch(BanMaps& into, std::span<const BanRequest> bans) {
  Split split;
  for (const auto& b : bans) {
    prefilter_.add(b.target);
    add_to(split, b.target, b.value);
  }
  return write_split(into.fds_, split);
}

Result<BatchStats> BlocklistMaps::unban_batch(BanMaps& from, std::span<const net::Cidr> targets) {
  Split split;
  for (const auto& t : targets)
    add_to(split, t, phx_entry{});
  return delete_split(from.fds_, split);
}

Result<BanMaps> BlocklistMaps::new_generation() const {
  BanSizes sizes = fds_.sizes;
  PHALANX_TRY(const BanSizes current, live_.sizes());
  if (sizes.ban_v4 == 0) sizes.ban_v4 = current.ban_v4;
  if (sizes.ban_v6 == 0) sizes.ban_v6 = current.ban_v6;
  if (sizes.range_v4 == 0) sizes.range_v4 = current.range_v4;
  if (sizes.range_v6 == 0) sizes.range_v6 = current.range_v6;
  return BanMaps::create(sizes);
}

Result<void> BlocklistMaps::put_in_force(BanMaps next) {
  const uint32_t zero = 0;
  const uint32_t old = generation_;
  const uint32_t now = (old + 1) % PHX_GENERATIONS;
  const auto outer = outer_fds(fds_);
  // Into the free slots, then one write moves every packet to them.
  PHALANX_CHECK(install(outer, now, next.fds_));
  if (bpf_map_update_elem(fds_.gen, &zero, &now, BPF_ANY) != 0) {
    const Error err = Error::from_errno("switching to the new generation");
    for (const int fd : outer)
      bpf_map_delete_elem(fd, &now);
    return err;
  }
  generation_ = now;
  live_ = std::move(next);  // `next` now holds the old generation's fds: closed on return
  live_.fill(fds_);
  // The old generation leaves its slots; the kernel frees it after the programs using it ran.
  for (const int fd : outer)
    bpf_map_delete_elem(fd, &old);
  return ok();
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
  PHALANX_CHECK(store_prefilter(image));
  return prefilter_.fill();
}

Result<void> BlocklistMaps::store_prefilter(PrefilterImage& image) {
  PHALANX_CHECK(add_allow_bits(fds_, image.v4(), image.v6()));
  prefilter_.store(image);
  // `phalanx xdp allow add` runs in another process: it sets its entry's bit on the live words,
  // then writes the entry, and the store above may have overwritten that bit. A second walk over
  // the live words sets it again for every entry written by now, which leaves only a race with
  // the microseconds between the CLI's bit and its write.
  return add_allow_bits(fds_, prefilter_.v4(), prefilter_.v6());
}

}  // namespace phalanx::xdp
