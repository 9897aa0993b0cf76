// SPDX-License-Identifier: Apache-2.0
// What a bouncer enforces decisions with (the XDP maps, an nftables set, ...). The stream client
// (stream_client.h) feeds it; it knows nothing of HTTP.
#pragma once

#include <span>
#include <vector>

#include "bouncer/decision.h"
#include "core/result.h"

namespace phalanx::bouncer {

// One delta from the stream, already filtered to the supported decision types. Backends apply
// `deleted` before `added`, so a target both lifted and re-banned in one delta ends up banned.
struct DecisionBatch {
  std::vector<Decision> added;
  std::vector<Decision> deleted;
};

// Implementations should:
// - apply a batch as a whole where the kernel allows (one transaction, batched syscalls);
// - treat deleting an absent target and re-adding a present one as success (the stream repeats
//   itself after reconnects);
// - skip decisions they cannot enforce (no `target`, an unsupported scope) without failing;
// - never drop what they enforce when a call fails: the client retries, and the last good state
//   stays in force meanwhile.
// Calls come from the stream client's thread, one at a time.
class Backend {
 public:
  virtual ~Backend() = default;

  // Applies one delta.
  virtual Result<void> apply(const DecisionBatch& batch) = 0;

  // Replaces the whole enforced state with `decisions` (a startup=true snapshot). Targets held
  // now and present in `decisions` must stay enforced throughout; targets not in it are lifted.
  virtual Result<void> resync(std::span<const Decision> decisions) = 0;
};

}  // namespace phalanx::bouncer
