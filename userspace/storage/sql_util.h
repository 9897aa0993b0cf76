// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the SqlStore files: id lists in fixed-size chunks, decision rows.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/codec.h"
#include "storage/db.h"
#include "storage/model.h"

namespace phalanx::storage {

// Ids are bound in chunks of this many `?`; a short last chunk repeats its last id, so that
// every chunk uses the same prepared statement.
inline constexpr size_t kChunk = 256;

// "(?, ?, …)" with n placeholders.
inline std::string in_list(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i)
    s += i == 0 ? "?" : ", ?";
  s += ")";
  return s;
}

// Calls fn with the parameters of each chunk of ids: `lead` (when given) followed by kChunk ids.
inline Result<void> for_chunks(const std::vector<int64_t>& ids,
                               const std::function<Result<void>(std::vector<Value>&)>& fn,
                               std::optional<int64_t> lead = std::nullopt) {
  std::vector<Value> params;
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    params.clear();
    if (lead) params.emplace_back(*lead);
    for (size_t i = 0; i < kChunk; ++i) {
      size_t at = std::min(start + i, ids.size() - 1);
      params.emplace_back(ids[at]);
    }
    PHALANX_CHECK(fn(params));
  }
  return ok();
}

// A row of kDecisionColumns.
inline Decision read_decision(const Row& r) {
  Decision d;
  d.id = r.i64(0);
  d.alert_id = r.is_null(1) ? 0 : r.i64(1);
  d.uuid = r.str(2);
  d.created_at = from_ns(r.i64(3));
  d.until = from_ns(r.i64(4));
  d.scenario = r.str(5);
  d.type = r.str(6);
  d.scope = r.str(7);
  d.value = r.str(8);
  d.origin = r.str(9);
  d.simulated = r.boolean(10);
  d.rev = r.i64(11);
  return d;
}

}  // namespace phalanx::storage
