// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

namespace phalanx::xdp {
namespace {

phx_counter& operator+=(phx_counter& a, const phx_counter& b) {
  a.packets += b.packets;
  a.bytes += b.bytes;
  return a;
}

Result<int> possible_cpus() {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error::from_errno("counting possible cpus", -cpus);
  return cpus;
}

}  // namespace

phx_counter Counters::at(uint32_t origin, uint32_t family, uint32_t verdict) const {
  if (origin >= PHX_ORIGIN_COUNT) origin = PHX_ORIGIN_OTHER;
  if (family >= PHX_FAMILY_COUNT || verdict >= PHX_VERDICT_COUNT) return {};
  return totals_[phx_counter_index(origin, family, verdict)];
}

phx_counter Counters::verdict_total(uint32_t verdict) const {
  phx_counter sum{};
  for (uint32_t origin = 0; origin < PHX_ORIGIN_COUNT; ++origin)
    for (uint32_t family = 0; family < PHX_FAMILY_COUNT; ++family)
      sum += at(origin, family, verdict);
  return sum;
}

phx_counter Counters::total() const {
  phx_counter sum{};
  for (const auto& c : totals_)
    sum += c;
  return sum;
}

Result<Counters> read_counters(int counters_fd) {
  PHALANX_TRY(const int cpus, possible_cpus());
  // A per-CPU lookup returns one value per possible CPU.
  std::vector<phx_counter> per_cpu(static_cast<size_t>(cpus));
  std::vector<phx_counter> totals(PHX_COUNTER_COUNT);
  for (uint32_t idx = 0; idx < PHX_COUNTER_COUNT; ++idx) {
    if (bpf_map_lookup_elem(counters_fd, &idx, per_cpu.data()) != 0)
      return Error::from_errno("reading xdp counters: lookup");
    for (const auto& c : per_cpu)
      totals[idx] += c;
  }
  return Counters(std::move(totals));
}

Result<void> reset_counters(int counters_fd) {
  PHALANX_TRY(const int cpus, possible_cpus());
  const std::vector<phx_counter> zero(static_cast<size_t>(cpus));
  for (uint32_t idx = 0; idx < PHX_COUNTER_COUNT; ++idx) {
    if (bpf_map_update_elem(counters_fd, &idx, zero.data(), BPF_ANY) != 0)
      return Error::from_errno("resetting xdp counters: update");
  }
  return ok();
}

}  // namespace phalanx::xdp
