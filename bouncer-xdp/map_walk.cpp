// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/map_walk.h"

#include <bpf/bpf.h>

#include <cerrno>

#include "bouncer-xdp/keys.h"

namespace phalanx::xdp {
namespace {

constexpr uint32_t kReadChunk = 8192;
// The kernel answers ENOTSUPP (524) or EINVAL for map types without batch lookups.
constexpr int kEnotsupp = 524;

// Key by key, for maps without batch ops.
template <class K>
Result<void> read_one_by_one(int fd, std::vector<std::pair<K, phx_entry>>& out) {
  K key{};
  K next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    phx_entry value{};
    // The entry may vanish between the two calls; that is not an error.
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) out.emplace_back(next, value);
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) return Error::from_errno("reading map: walking keys");
  return ok();
}

template <class K>
Result<std::vector<std::pair<K, phx_entry>>> read_all(int fd) {
  std::vector<std::pair<K, phx_entry>> out;
  std::vector<K> keys(kReadChunk);
  std::vector<phx_entry> values(kReadChunk);
  // Hash-map batch tokens are a bucket index; 8 bytes is plenty.
  uint64_t in_token = 0;
  uint64_t out_token = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  while (true) {
    uint32_t count = kReadChunk;
    const int rc = bpf_map_lookup_batch(fd, first ? nullptr : &in_token, &out_token, keys.data(),
                                        values.data(), &count, &opts);
    const int err = rc == 0 ? 0 : errno;
    if (rc != 0 && first && count == 0 &&
        (err == kEnotsupp || err == EINVAL || err == EOPNOTSUPP)) {
      PHALANX_CHECK(read_one_by_one(fd, out));
      return out;
    }
    if (rc != 0 && err != ENOENT) return Error::from_errno("reading map: batch lookup", err);
    for (uint32_t i = 0; i < count; ++i)
      out.emplace_back(keys[i], values[i]);
    if (rc != 0) return out;  // ENOENT: that was the last batch
    in_token = out_token;
    first = false;
  }
}

template <class K, class ToCidr>
Result<std::vector<MapEntry>> convert(int fd, ToCidr&& to_cidr) {
  PHALANX_TRY(auto raw, read_all<K>(fd));
  std::vector<MapEntry> out;
  out.reserve(raw.size());
  for (const auto& [k, v] : raw)
    out.push_back(MapEntry{to_cidr(k), v});
  return out;
}

}  // namespace

Result<std::vector<MapEntry>> read_exact_v4(int fd) {
  return convert<phx_v4_key>(fd,
                             [](const phx_v4_key& k) { return net::Cidr::host(address_of(k)); });
}

Result<std::vector<std::pair<phx_v4_key, phx_entry>>> read_exact_v4_raw(int fd) {
  return read_all<phx_v4_key>(fd);
}

Result<std::vector<MapEntry>> read_exact_v6(int fd) {
  return convert<phx_v6_key>(fd,
                             [](const phx_v6_key& k) { return net::Cidr::host(address_of(k)); });
}

Result<std::vector<MapEntry>> read_lpm_v4(int fd) {
  return convert<phx_lpm_v4_key>(fd, [](const phx_lpm_v4_key& k) { return cidr_of(k); });
}

Result<std::vector<MapEntry>> read_lpm_v6(int fd) {
  return convert<phx_lpm_v6_key>(fd, [](const phx_lpm_v6_key& k) { return cidr_of(k); });
}

}  // namespace phalanx::xdp
