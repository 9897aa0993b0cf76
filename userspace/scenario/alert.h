// SPDX-License-Identifier: Apache-2.0
// Overflow → alert, as the hub's NewAlert builds it (spec §1.6, §3.3): the sources of every
// queued event (Ip, Range or a custom scope), one API alert per source, the events with their
// sorted meta, the message, the times, capacity, leakspeed and the scenario's hash.
#pragma once

#include <memory>
#include <span>

#include "expr/program.h"
#include "parser/event.h"
#include "scenario/scenario.h"

namespace phalanx::scenario {

// A bucket's counters at overflow.
struct BucketTimes {
  ZonedTime first;
  ZonedTime last;
  ZonedTime overflow;
  int64_t total = 0;  // events poured (evicted ones included, distinct duplicates not)
};

// Fills ovf.sources and ovf.api_alerts from the bucket's queue. When a queued event has no usable
// source the overflow gets no alert at all (the hub logs it and drops it), which is logged here.
void build_alert(const Scenario& s, std::span<const std::shared_ptr<const parser::Event>> queue,
                 const BucketTimes& times, expr::RunContext& run, parser::Overflow& ovf);

}  // namespace phalanx::scenario
