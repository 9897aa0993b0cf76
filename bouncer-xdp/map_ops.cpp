// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/map_ops.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>

namespace phalanx::xdp {
namespace {

// The kernel answers ENOTSUPP (524, not in userspace headers) for map types without batch ops.
constexpr int kEnotsupp = 524;

bool batch_unsupported(int err) {
  return err == kEnotsupp || err == EOPNOTSUPP || err == EINVAL;
}

const char* at(const void* base, size_t size, size_t i) {
  return static_cast<const char*>(base) + i * size;
}

Result<void> update_one(int fd, const void* key, const void* value, BatchStats& stats) {
  ++stats.syscalls;
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0)
    return Error::from_errno("updating map: writing element");
  ++stats.applied;
  return ok();
}

}  // namespace

Result<BatchStats> update_elems(int fd, const void* keys, size_t key_size, const void* values,
                                size_t value_size, size_t n) {
  BatchStats stats;
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
  size_t done = 0;
  while (done < n && stats.batched) {
    auto count = static_cast<uint32_t>(std::min<size_t>(kBatchChunk, n - done));
    ++stats.syscalls;
    const int rc = bpf_map_update_batch(fd, at(keys, key_size, done), at(values, value_size, done),
                                        &count, &opts);
    done += count;
    stats.applied += count;
    if (rc == 0) continue;
    const int err = errno;
    // Only a first call that wrote nothing can mean "no batch support"; anything later is real.
    if (!(stats.syscalls == 1 && count == 0 && batch_unsupported(err)))
      return Error::from_errno("updating map: batch write", err);
    stats.batched = false;
  }
  for (; done < n; ++done) {
    PHALANX_CHECK(update_one(fd, at(keys, key_size, done), at(values, value_size, done), stats));
  }
  return stats;
}

Result<BatchStats> delete_elems(int fd, const void* keys, size_t key_size, size_t n) {
  BatchStats stats;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  size_t done = 0;
  while (done < n && stats.batched) {
    auto count = static_cast<uint32_t>(std::min<size_t>(kBatchChunk, n - done));
    ++stats.syscalls;
    const int rc = bpf_map_delete_batch(fd, at(keys, key_size, done), &count, &opts);
    done += count;
    stats.applied += count;
    if (rc == 0) continue;
    const int err = errno;
    // The kernel stops at the first absent key: skip it and go on with the rest.
    if (err == ENOENT) {
      ++stats.missing;
      ++done;
      continue;
    }
    if (!(stats.syscalls == 1 && count == 0 && batch_unsupported(err)))
      return Error::from_errno("deleting from map: batch delete", err);
    stats.batched = false;
  }
  for (; done < n; ++done) {
    ++stats.syscalls;
    if (bpf_map_delete_elem(fd, at(keys, key_size, done)) == 0) {
      ++stats.applied;
    } else if (errno == ENOENT) {
      ++stats.missing;
    } else {
      return Error::from_errno("deleting from map: deleting element");
    }
  }
  return stats;
}

}  // namespace phalanx::xdp
