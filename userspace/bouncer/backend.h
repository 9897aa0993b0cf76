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
//
// A full resync (a startup=true snapshot) is a session, so that a snapshot of a million
// decisions can be enforced while it is still being downloaded, without ever holding all of it:
//   begin_resync(), resync_batch(...) any number of times, then commit_resync() or
//   abort_resync().
// Targets held before and present in the snapshot must stay enforced throughout. Only
// commit_resync() lifts anything (the targets the snapshot did not mention). abort_resync() (the
// download broke, or a batch failed) lifts nothing: what the batches so far brought may stay in
// force, the previous state does in any case, and the next session sorts it out. No delta is
// applied while a session is open.
class Backend {
 public:
  virtual ~Backend() = default;

  // Applies one delta.
  virtual Result<void> apply(const DecisionBatch& batch) = 0;

  // Opens a resync session. Errors leave no session open.
  virtual Result<void> begin_resync() = 0;
  // Adds the next decisions of the snapshot (in the LAPI's order). After an error the caller
  // aborts the session.
  virtual Result<void> resync_batch(std::span<const Decision> decisions) = 0;
  // Ends the session: targets the snapshot did not mention are lifted. Errors: the session is
  // over all the same, with nothing lifted that the snapshot holds.
  virtual Result<void> commit_resync() = 0;
  // Ends the session without lifting anything. Never fails (problems are logged).
  virtual void abort_resync() = 0;

  // Replaces the whole enforced state with `decisions`, as one session of one batch (aborted on
  // failure).
  Result<void> resync(std::span<const Decision> decisions) {
    PHALANX_CHECK(begin_resync());
    if (auto r = resync_batch(decisions); !r) {
      abort_resync();
      return r;
    }
    return commit_resync();
  }
};

}  // namespace phalanx::bouncer
