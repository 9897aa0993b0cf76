// SPDX-License-Identifier: Apache-2.0
// Set elements into netlink messages (libmnl attributes, no per-element allocation): NEWSETELEM
// to add or refresh (an element that exists gets the new timeout on kernels 6.10+),
// DESTROYSETELEM to delete (an element that is already gone, e.g. expired a moment ago, is not
// an error, so one stale delete cannot sink a whole transaction), or DELSETELEM on kernels
// without DESTROYSETELEM. Messages are cut before the 64 KiB limit of a netlink
// nested attribute (about 2,000 IPv4 elements with timeouts).
#pragma once

#include <cstdint>
#include <span>

#include "bouncer-nft/netlink.h"
#include "bouncer-nft/ruleset.h"
#include "bouncer-nft/segments.h"

namespace phalanx::nft {

// What an ElementWriter's message does: add or refresh (NEWSETELEM), delete where an absent
// element is fine (DESTROYSETELEM, kernel 6.3+), or delete where it is an error (DELSETELEM,
// for older kernels: ENOENT names the element).
enum class ElementOp { kAdd, kDestroy, kDelete };

class ElementWriter {
 public:
  ElementWriter(Batch& batch, const Layout& layout, SetId set, ElementOp op);
  ~ElementWriter() { finish(); }
  ElementWriter(const ElementWriter&) = delete;
  ElementWriter& operator=(const ElementWriter&) = delete;

  // One element. timeout_ms 0: none (sets without the timeout flag, and deletes). `counter`:
  // the named counter an element of an object map counts under (adds to ban and range sets
  // outside set-only mode; null otherwise). `item` is the caller's number for errors.
  void element(std::span<const uint8_t> key, uint64_t timeout_ms, bool interval_end, size_t item,
               const char* counter = nullptr);
  // A segment of an interval set: its start element (with the counter), and its end element
  // (the first address after it) unless it reaches the top of the address space.
  void segment(const Segment& s, uint64_t timeout_ms, size_t item, const char* counter = nullptr);
  // Closes the current message.
  void finish();

 private:
  void open();
  Batch& batch_;
  Layout layout_;  // a copy: writers are few, and callers may pass temporaries
  SetId set_;
  ElementOp op_;
  nlmsghdr* nlh_ = nullptr;
  nlattr* list_ = nullptr;
};

// Key bytes (network order) of an address from net::Cidr's integer space.
void segment_key(net::Uint128 value, bool v6, uint8_t out[16]);

}  // namespace phalanx::nft
