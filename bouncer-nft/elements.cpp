// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/elements.h"

#include <endian.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>

namespace phalanx::nft {
namespace {

// Stay clear of the 65,535-byte nested attribute limit (NFTA_SET_ELEM_LIST_ELEMENTS).
constexpr uint32_t kMaxListBytes = 60000;

}  // namespace

void segment_key(net::Uint128 value, bool v6, uint8_t out[16]) {
  const int n = v6 ? 16 : 4;
  for (int i = n - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
}

ElementWriter::ElementWriter(Batch& batch, const Layout& layout, SetId set, ElementOp op)
    : batch_(batch), layout_(layout), set_(set), op_(op) {}

void ElementWriter::open() {
  const std::string name = layout_.set_name(set_);
  const bool remove = op_ != ElementOp::kAdd;
  const uint16_t type = op_ == ElementOp::kAdd       ? static_cast<uint16_t>(NFT_MSG_NEWSETELEM)
                        : op_ == ElementOp::kDestroy ? kMsgDestroySetElem
                                                     : static_cast<uint16_t>(NFT_MSG_DELSETELEM);
  nlh_ =
      batch_.begin_message(type, layout_.family, remove ? 0 : NLM_F_CREATE,
                           fmt::format("{} elements {} set {} {}", remove ? "deleting" : "adding",
                                       remove ? "from" : "to", layout_.table_text(), name));
  mnl_attr_put_strz(nlh_, NFTA_SET_ELEM_LIST_TABLE, layout_.table.c_str());
  mnl_attr_put_strz(nlh_, NFTA_SET_ELEM_LIST_SET, name.c_str());
  list_ = mnl_attr_nest_start(nlh_, NFTA_SET_ELEM_LIST_ELEMENTS);
}

void ElementWriter::finish() {
  if (!nlh_) return;
  mnl_attr_nest_end(nlh_, list_);
  batch_.end_message(nlh_);
  nlh_ = nullptr;
  list_ = nullptr;
}

void ElementWriter::element(std::span<const uint8_t> key, uint64_t timeout_ms, bool interval_end,
                            size_t item, const char* counter) {
  if (nlh_ && nlh_->nlmsg_len - (reinterpret_cast<char*>(list_) - reinterpret_cast<char*>(nlh_)) >
                  kMaxListBytes)
    finish();
  if (!nlh_) open();
  batch_.mark_item(nlh_, item);
  nlattr* elem = mnl_attr_nest_start(nlh_, NFTA_LIST_ELEM);
  nlattr* k = mnl_attr_nest_start(nlh_, NFTA_SET_ELEM_KEY);
  mnl_attr_put(nlh_, NFTA_DATA_VALUE, key.size(), key.data());
  mnl_attr_nest_end(nlh_, k);
  if (timeout_ms > 0) mnl_attr_put_u64(nlh_, NFTA_SET_ELEM_TIMEOUT, htobe64(timeout_ms));
  if (counter) mnl_attr_put_strz(nlh_, NFTA_SET_ELEM_OBJREF, counter);
  if (interval_end) mnl_attr_put_u32(nlh_, NFTA_SET_ELEM_FLAGS, htobe32(NFT_SET_ELEM_INTERVAL_END));
  mnl_attr_nest_end(nlh_, elem);
}

void ElementWriter::segment(const Segment& s, uint64_t timeout_ms, size_t item,
                            const char* counter) {
  const bool v6 = set_is_v6(set_);
  const size_t n = v6 ? 16 : 4;
  // v4 values live in the ::ffff:0:0/96 block of the integer space: the low 32 bits are the
  // address, and the top of the IPv4 space is ::ffff:255.255.255.255.
  const net::Uint128 top = v6 ? ~net::Uint128(0) : ((net::Uint128(0xffff) << 32) | 0xffffffffu);
  uint8_t key[16];
  segment_key(s.first, v6, key);
  element({key, n}, timeout_ms, false, item, counter);
  if (s.last == top) return;
  // The kernel refuses a timeout on an end element: the start element's timeout ends both.
  segment_key(s.last + 1, v6, key);
  element({key, n}, 0, true, item);
}

}  // namespace phalanx::nft
