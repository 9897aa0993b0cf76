// SPDX-License-Identifier: Apache-2.0
// Reading whole maps back: every (key, value) of a ban, range or allow map, for the bouncer's
// resync and expiry sweep and for `phalanx xdp list`. Hash maps are read with
// BPF_MAP_LOOKUP_BATCH (thousands of entries per syscall); LPM tries, which have no batch ops,
// key by key. A map that changes during the walk may yield an entry twice or miss one that was
// added meanwhile, never a torn value.
#pragma once

#include <vector>

#include "bpf/xdp_blocklist.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::xdp {

struct MapEntry {
  net::Cidr target;
  phx_entry value{};
};

// Entries of phx_ban_v4 / phx_ban_v6 (exact, as /32 and /128) and of any LPM map of the matching
// family (ranges, allow). Errors: "reading map: ..." with errno.
Result<std::vector<MapEntry>> read_exact_v4(int fd);
Result<std::vector<MapEntry>> read_exact_v6(int fd);
Result<std::vector<MapEntry>> read_lpm_v4(int fd);
Result<std::vector<MapEntry>> read_lpm_v6(int fd);

// phx_ban_v4 as raw keys and values: the bulk of a large blocklist, read without building a
// net::Cidr per entry (the bouncer's resync and sweep at a million entries).
Result<std::vector<std::pair<phx_v4_key, phx_entry>>> read_exact_v4_raw(int fd);

}  // namespace phalanx::xdp
