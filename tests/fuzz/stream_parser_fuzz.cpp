// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the decision-stream body parser (userspace/bouncer/stream_parser.h). The
// first two bytes choose a split point and a piece size; the rest is the body. Checked
// invariants: any input gives decisions or an error, never a crash; feeding the body whole, in
// two pieces at the split point, and in pieces of the chosen size gives the same decisions,
// rejections and outcome (errors may differ in the byte offset they name, not in whether there
// is one); batches never exceed their size and never mix the two lists.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bouncer/stream_parser.h"

namespace {

using phalanx::Result;
using phalanx::bouncer::Decision;
using phalanx::bouncer::StreamList;
using phalanx::bouncer::StreamParser;

struct Outcome {
  bool ok = false;
  std::vector<std::string> items;  // list, id, value, duration, target of each decision
  std::vector<std::string> rejected;
  bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view body, const std::vector<size_t>& cuts) {
  Outcome out;
  constexpr size_t kBatch = 3;
  StreamParser parser(
      [&](StreamList list, std::vector<Decision>& batch) -> Result<void> {
        if (batch.empty() || batch.size() > kBatch) std::abort();
        for (const auto& d : batch) {
          out.items.push_back(std::string(list == StreamList::kNew ? "n" : "d") + "|" +
                              std::to_string(d.id) + "|" + d.value + "|" +
                              std::to_string(d.duration.count()) + "|" +
                              (d.target ? d.target->to_string() : "-"));
        }
        return phalanx::ok();
      },
      [&](std::string why) { out.rejected.push_back(std::move(why)); }, kBatch);
  size_t at = 0;
  for (const size_t cut : cuts) {
    if (!parser.feed(body.substr(at, cut - at))) return out;
    at = cut;
  }
  if (!parser.feed(body.substr(at))) return out;
  out.ok = parser.finish().has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = body.empty() ? 0 : data[0] % (body.size() + 1);
  const size_t piece = 1 + data[1] % 16;
  const Outcome whole = run(body, {});
  std::vector<size_t> pieces;
  for (size_t at = piece; at < body.size(); at += piece)
    pieces.push_back(at);
  // A failed parse may have handed over different amounts before failing; compare outcomes
  // fully only when the whole-body parse succeeded.
  const Outcome two = run(body, {split});
  const Outcome many = run(body, pieces);
  if (two.ok != whole.ok || many.ok != whole.ok) std::abort();
  if (whole.ok && (!(two == whole) || !(many == whole))) std::abort();
  return 0;
}
