// SPDX-License-Identifier: Apache-2.0
// Element-type-agnostic bulk map operations: BPF batch syscalls where the kernel has them for the
// map type, one syscall per element otherwise. Internal to phalanx_xdp_maps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.h"

namespace phalanx::xdp {

// Keys per batch syscall: large enough to amortise the syscall, small enough that the kernel's
// copy of a chunk stays modest.
inline constexpr uint32_t kBatchChunk = 1U << 16;

struct BatchStats {
  size_t applied = 0;   // elements written or deleted
  size_t missing = 0;   // deletions of keys that were not present (skipped)
  size_t syscalls = 0;  // bpf() calls made
  bool batched = true;  // false once the per-element fallback was used
};

// Writes n key/value pairs (contiguous arrays) with BPF_ANY. Errors: "updating map: ..." with
// errno (E2BIG when a hash map is full).
Result<BatchStats> update_elems(int fd, const void* keys, size_t key_size, const void* values,
                                size_t value_size, size_t n);

// Deletes n keys; absent keys are counted in BatchStats::missing, not errors.
Result<BatchStats> delete_elems(int fd, const void* keys, size_t key_size, size_t n);

}  // namespace phalanx::xdp
