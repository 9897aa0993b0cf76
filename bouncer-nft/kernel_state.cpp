// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/kernel_state.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

#include "bouncer-nft/elements.h"

namespace phalanx::nft {
namespace {

net::Uint128 value_of(const uint8_t* key, uint32_t len) {
  net::Uint128 v = 0;
  for (uint32_t i = 0; i < len; ++i)
    v = (v << 8) | key[i];
  if (len == 4) v |= net::Uint128(0xffff) << 32;  // the IPv4 block of net::Cidr's space
  return v;
}

// Smallest prefix covering [first, last].
net::Cidr covering(net::Uint128 first, net::Uint128 last, bool v6) {
  const int bits = v6 ? 128 : 32;
  int len = bits;
  while (len > 0) {
    const int host = bits - len;
    const net::Uint128 mask = host >= 128 ? ~net::Uint128(0) : ((net::Uint128(1) << host) - 1);
    if ((first & ~mask) == (last & ~mask) && (first & mask) == 0 && (last & mask) == mask) break;
    --len;
  }
  return net::Cidr(net::IpAddress::from_uint128(first, !v6), len);
}

struct RawElem {
  net::Uint128 value;
  bool end;
  uint64_t timeout;
  uint64_t expires;
};

Result<std::vector<RawElem>> dump_elems(Socket& socket, const Layout& l, SetId id) {
  std::vector<RawElem> out;
  const std::string name = l.set_name(id);
  auto r = socket.dump(
      [&](char* buf, uint32_t seq) {
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, l.family, NLM_F_DUMP, seq);
        nftnl_set* s = nftnl_set_alloc();
        nftnl_set_set_str(s, NFTNL_SET_TABLE, l.table.c_str());
        nftnl_set_set_str(s, NFTNL_SET_NAME, name.c_str());
        nftnl_set_elems_nlmsg_build_payload(nlh, s);
        nftnl_set_free(s);
        return nlh;
      },
      [&](const nlmsghdr* nlh) -> Result<void> {
        nftnl_set* s = nftnl_set_alloc();
        if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
          nftnl_set_free(s);
          return Error("nft: parsing set elements");
        }
        nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
        for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e;
             e = nftnl_set_elems_iter_next(it)) {
          uint32_t len = 0;
          const auto* key =
              static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
          if (!key || (len != 4 && len != 16)) continue;
          RawElem re{value_of(key, len), false, 0, 0};
          if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
            re.end = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
          if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
            re.timeout = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
          if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
            re.expires = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
          out.push_back(re);
        }
        nftnl_set_elems_iter_destroy(it);
        nftnl_set_free(s);
        return ok();
      });
  if (!r) return r.error().context(fmt::format("nft: reading set {} {}", l.table_text(), name));
  return out;
}

// An object's comment (nft's user data format), or "".
std::string comment_of(nftnl_obj* o) {
  if (!nftnl_obj_is_set(o, NFTNL_OBJ_USERDATA)) return {};
  uint32_t len = 0;
  const void* data = nftnl_obj_get_data(o, NFTNL_OBJ_USERDATA, &len);
  std::string out;
  nftnl_udata_parse(
      data, len,
      [](const nftnl_udata* attr, void* arg) -> int {
        if (nftnl_udata_type(attr) != NFTNL_UDATA_OBJ_COMMENT) return MNL_CB_OK;
        const auto* text = static_cast<const char*>(nftnl_udata_get(attr));
        const uint32_t n = nftnl_udata_len(attr);
        if (n > 0) static_cast<std::string*>(arg)->assign(text, strnlen(text, n));
        return MNL_CB_OK;
      },
      &out);
  return out;
}

}  // namespace

Result<std::vector<CounterValue>> read_counters(Socket& socket, const Layout& l) {
  std::vector<CounterValue> out;
  auto r = socket.dump(
      [&](char* buf, uint32_t seq) {
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, l.family, NLM_F_DUMP, seq);
        nftnl_obj* o = nftnl_obj_alloc();
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, l.table.c_str());
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        nftnl_obj_nlmsg_build_payload(nlh, o);
        nftnl_obj_free(o);
        return nlh;
      },
      [&](const nlmsghdr* nlh) -> Result<void> {
        nftnl_obj* o = nftnl_obj_alloc();
        if (nftnl_obj_nlmsg_parse(nlh, o) >= 0) {
          const char* t = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE);
          const char* n = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
          if (t && n && l.table == t && nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER)
            out.push_back({n, nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
                           nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES), comment_of(o)});
        }
        nftnl_obj_free(o);
        return ok();
      });
  if (!r) return r.error().context("nft: reading the counters of " + l.table_text());
  return out;
}

Result<std::vector<KernelEntry>> read_set(Socket& socket, const Layout& l, SetId id) {
  PHALANX_TRY(auto raw, dump_elems(socket, l, id));
  const bool v6 = set_is_v6(id);
  std::vector<KernelEntry> out;
  if (!set_is_interval(id)) {
    out.reserve(raw.size());
    for (const auto& e : raw) {
      const auto addr = net::IpAddress::from_uint128(e.value, !v6);
      out.push_back({net::Cidr::host(addr), e.value, e.value, e.timeout, e.expires});
    }
    return out;
  }
  // Interval sets: start elements, each followed (in address order) by its end element, the
  // first address after the interval; a start without an end runs to the top of the space.
  std::sort(raw.begin(), raw.end(), [](const RawElem& a, const RawElem& b) {
    return a.value != b.value ? a.value < b.value : a.end > b.end;  // an end before a start
  });
  const net::Uint128 top = v6 ? ~net::Uint128(0) : ((net::Uint128(0xffff) << 32) | 0xffffffffu);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].end) continue;
    net::Uint128 last = top;
    if (i + 1 < raw.size() && raw[i + 1].end) last = raw[i + 1].value - 1;
    out.push_back(
        {covering(raw[i].value, last, v6), raw[i].value, last, raw[i].timeout, raw[i].expires});
  }
  return out;
}

Result<std::optional<KernelEntry>> get_host(Socket& socket, const Layout& l, SetId id,
                                            const net::IpAddress& addr) {
  std::optional<KernelEntry> found;
  const std::string name = l.set_name(id);
  const bool v6 = set_is_v6(id);
  auto r = socket.request(
      [&](char* buf, uint32_t seq) {
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, l.family, 0, seq);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, l.table.c_str());
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name.c_str());
        nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
        uint8_t bytes[16];
        segment_key(addr.to_uint128(), v6, bytes);
        mnl_attr_put(nlh, NFTA_DATA_VALUE, v6 ? 16 : 4, bytes);
        mnl_attr_nest_end(nlh, key);
        mnl_attr_nest_end(nlh, elem);
        mnl_attr_nest_end(nlh, list);
        return nlh;
      },
      [&](const nlmsghdr* nlh) -> Result<void> {
        nftnl_set* s = nftnl_set_alloc();
        if (nftnl_set_elems_nlmsg_parse(nlh, s) >= 0) {
          nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
          if (nftnl_set_elem* e = nftnl_set_elems_iter_next(it)) {
            KernelEntry k{net::Cidr::host(addr), addr.to_uint128(), addr.to_uint128(), 0, 0};
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
              k.timeout_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
              k.expires_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF))
              k.counter = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF);
            found = k;
          }
          nftnl_set_elems_iter_destroy(it);
        }
        nftnl_set_free(s);
        return ok();
      });
  if (!r) {
    if (r.error().code() == ENOENT && !found) return found;  // not in the set
    return r.error().context(fmt::format("nft: looking up {} in set {}", addr.to_string(), name));
  }
  return found;
}

namespace {

// Calls fn(id, flags) for each of the layout's sets that exists in the kernel.
Result<void> for_each_set(Socket& socket, const Layout& l,
                          const std::function<void(SetId, uint32_t)>& fn) {
  auto r = socket.dump(
      [&](char* buf, uint32_t seq) {
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, l.family, NLM_F_DUMP, seq);
        nftnl_set* s = nftnl_set_alloc();
        nftnl_set_set_str(s, NFTNL_SET_TABLE, l.table.c_str());
        nftnl_set_nlmsg_build_payload(nlh, s);
        nftnl_set_free(s);
        return nlh;
      },
      [&](const nlmsghdr* nlh) -> Result<void> {
        nftnl_set* s = nftnl_set_alloc();
        if (nftnl_set_nlmsg_parse(nlh, s) >= 0) {
          const char* t = nftnl_set_get_str(s, NFTNL_SET_TABLE);
          const char* n = nftnl_set_get_str(s, NFTNL_SET_NAME);
          if (t && n && l.table == t) {
            for (const SetId id : l.sets())
              if (l.set_name(id) == n) fn(id, nftnl_set_get_u32(s, NFTNL_SET_FLAGS));
          }
        }
        nftnl_set_free(s);
        return ok();
      });
  if (!r) return r.error().context("nft: listing the sets of " + l.table_text());
  return ok();
}

}  // namespace

Result<std::vector<std::string>> existing_sets(Socket& socket, const Layout& l) {
  std::vector<std::string> out;
  PHALANX_CHECK(
      for_each_set(socket, l, [&](SetId id, uint32_t) { out.push_back(l.set_name(id)); }));
  return out;
}

Result<std::vector<std::string>> mismatched_sets(Socket& socket, const Layout& l) {
  std::vector<std::string> out;
  PHALANX_CHECK(for_each_set(socket, l, [&](SetId id, uint32_t flags) {
    if (((flags & NFT_SET_OBJECT) != 0) != set_counts_origins(l, id)) out.push_back(l.set_name(id));
  }));
  return out;
}

MirrorSnapshot snapshot(const Mirror& mirror, int64_t now_ms) {
  MirrorSnapshot s;
  mirror.for_each_v4([&](uint32_t k, const Slot& slot) {
    if (slot.expiry_ms > now_ms + 1000) s.v4.push_back(k);
  });
  mirror.for_each_v6([&](const V6Key& k, const Slot& slot) {
    if (slot.expiry_ms > now_ms + 1000) s.v6.push_back(k);
  });
  for (const bool v6 : {false, true}) {
    for (const auto& seg : mirror.segments(v6, now_ms))
      if (seg.expiry_ms > now_ms + 1000) s.segments[v6].push_back(seg);
  }
  return s;
}

Result<AuditReport> audit(Socket& socket, const Layout& l, const MirrorSnapshot& want) {
  const auto t0 = std::chrono::steady_clock::now();
  AuditReport rep;
  const auto note = [&](const char* kind, const std::string& what) {
    if (rep.examples.size() < 20) rep.examples.push_back(std::string(kind) + " " + what);
  };
  for (const bool v6 : {false, true}) {
    if (v6 ? !l.ipv6 : !l.ipv4) continue;
    // Hosts: sorted keys on both sides.
    PHALANX_TRY(auto hosts, read_set(socket, l, v6 ? kBan6 : kBan4));
    std::vector<net::Uint128> have, need;
    for (const auto& e : hosts)
      if (e.expires_ms == 0 || e.expires_ms > 1000) have.push_back(e.first);
    if (v6) {
      for (const auto& k : want.v6)
        need.push_back(net::IpAddress::from_v6(k).to_uint128());
    } else {
      for (const uint32_t k : want.v4)
        need.push_back(net::IpAddress::from_v4(k).to_uint128());
    }
    // A dump of a hash set is no snapshot: while the kernel resizes the table (for seconds after
    // a large load) the dump repeats some elements and skips others. Repeats are dropped, and
    // every element the dump seemed to lack is asked for directly (GETSETELEM) before it counts.
    std::sort(have.begin(), have.end());
    have.erase(std::unique(have.begin(), have.end()), have.end());
    std::sort(need.begin(), need.end());
    std::vector<net::Uint128> diff;
    std::set_difference(need.begin(), need.end(), have.begin(), have.end(),
                        std::back_inserter(diff));
    // Found this way, an element is in the kernel and in the mirror: counted, never extra.
    size_t found = 0;
    for (const auto& v : diff) {
      PHALANX_TRY(auto e,
                  get_host(socket, l, v6 ? kBan6 : kBan4, net::IpAddress::from_uint128(v, !v6)));
      if (e && (e->expires_ms == 0 || e->expires_ms > 1000)) {
        ++found;
      } else {
        ++rep.missing;
        note("missing", net::IpAddress::from_uint128(v, !v6).to_string());
      }
    }
    rep.kernel_hosts += have.size() + found;
    rep.mirror_hosts += need.size();
    diff.clear();
    std::set_difference(have.begin(), have.end(), need.begin(), need.end(),
                        std::back_inserter(diff));
    rep.extra += diff.size();
    for (const auto& v : diff)
      note("extra", net::IpAddress::from_uint128(v, !v6).to_string());
    // Ranges: compare bounds.
    PHALANX_TRY(auto ranges, read_set(socket, l, v6 ? kRange6 : kRange4));
    std::vector<std::pair<net::Uint128, net::Uint128>> hr, nr, d;
    for (const auto& e : ranges)
      if (e.expires_ms == 0 || e.expires_ms > 1000) hr.emplace_back(e.first, e.last);
    for (const auto& s : want.segments[v6])
      nr.emplace_back(s.first, s.last);
    std::sort(hr.begin(), hr.end());
    std::sort(nr.begin(), nr.end());
    rep.kernel_segments += hr.size();
    rep.mirror_segments += nr.size();
    const auto text = [&](const std::pair<net::Uint128, net::Uint128>& p) {
      return net::IpAddress::from_uint128(p.first, !v6).to_string() + "-" +
             net::IpAddress::from_uint128(p.second, !v6).to_string();
    };
    std::set_difference(nr.begin(), nr.end(), hr.begin(), hr.end(), std::back_inserter(d));
    rep.missing += d.size();
    for (const auto& p : d)
      note("missing", text(p));
    d.clear();
    std::set_difference(hr.begin(), hr.end(), nr.begin(), nr.end(), std::back_inserter(d));
    rep.extra += d.size();
    for (const auto& p : d)
      note("extra", text(p));
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace phalanx::nft
