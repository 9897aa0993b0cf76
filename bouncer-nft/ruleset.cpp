// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/ruleset.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <charconv>
#include <memory>

namespace phalanx::nft {
namespace {

constexpr uint32_t kTypeIpv4Addr = 7;  // nft's datatype ids (ipv4_addr, ipv6_addr)
constexpr uint32_t kTypeIpv6Addr = 8;
// nft's set user data: key byte order big endian, so `nft list` prints addresses.
constexpr unsigned char kSetUserData[] = {0x01, 0x04, 0x01, 0x00, 0x00, 0x00};
// nft prints comments of up to 128 bytes.
constexpr size_t kMaxComment = 127;

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, Deleter<nftnl_obj_free>>;

bool is_netdev(const Layout& l) {
  return l.family == NFPROTO_NETDEV;
}

void put_table(Batch& b, const Layout& l) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, l.table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, l.family);
  nlmsghdr* nlh =
      b.begin_message(NFT_MSG_NEWTABLE, l.family, NLM_F_CREATE, "creating table " + l.table_text());
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  b.end_message(nlh);
}

void put_counter(Batch& b, const Layout& l, const std::string& name,
                 const std::string& comment = {}) {
  ObjPtr o(nftnl_obj_alloc());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, l.table.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_FAMILY, l.family);
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  std::unique_ptr<nftnl_udata_buf, Deleter<nftnl_udata_buf_free>> udata;
  if (!comment.empty()) {
    // nft's own comment format, so `nft list counters` shows it.
    udata.reset(nftnl_udata_buf_alloc(kMaxComment + 8));
    nftnl_udata_put_strz(udata.get(), NFTNL_UDATA_OBJ_COMMENT,
                         comment.substr(0, kMaxComment).c_str());
    nftnl_obj_set_data(o.get(), NFTNL_OBJ_USERDATA, nftnl_udata_buf_data(udata.get()),
                       nftnl_udata_buf_len(udata.get()));
  }
  nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWOBJ, l.family, NLM_F_CREATE,
                                  fmt::format("creating counter {} in {}", name, l.table_text()));
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  b.end_message(nlh);
}

void put_set(Batch& b, const Layout& l, SetId id) {
  SetPtr s(nftnl_set_alloc());
  const std::string name = l.set_name(id);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, l.table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, l.family);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, set_is_v6(id) ? kTypeIpv6Addr : kTypeIpv4Addr);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, set_is_v6(id) ? 16 : 4);
  uint32_t flags = 0;
  if (set_is_interval(id)) flags |= NFT_SET_INTERVAL;
  if (set_has_timeout(id)) flags |= NFT_SET_TIMEOUT;
  if (set_counts_origins(l, id)) {
    flags |= NFT_SET_OBJECT;
    nftnl_set_set_u32(s.get(), NFTNL_SET_OBJ_TYPE, NFT_OBJECT_COUNTER);
  }
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, static_cast<uint32_t>(id) + 1);
  nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, kSetUserData, sizeof kSetUserData);
  nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWSET, l.family, NLM_F_CREATE,
                                  fmt::format("creating set {} {}", l.table_text(), name));
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  b.end_message(nlh);
}

uint32_t hook_number(const Layout& l) {
  if (is_netdev(l)) return NF_NETDEV_INGRESS;
  if (l.hook == "input") return NF_INET_LOCAL_IN;
  if (l.hook == "forward") return NF_INET_FORWARD;
  return NF_INET_PRE_ROUTING;
}

ChainPtr chain_object(const Layout& l) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, l.table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, l.chain.c_str());
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, l.family);
  return c;
}

void put_chain(Batch& b, const Layout& l) {
  ChainPtr c = chain_object(l);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hook_number(l));
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, l.priority);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  std::vector<const char*> devs;
  if (is_netdev(l)) {
    if (l.devices.size() == 1) {
      nftnl_chain_set_str(c.get(), NFTNL_CHAIN_DEV, l.devices[0].c_str());
    } else {
      for (const auto& d : l.devices)
        devs.push_back(d.c_str());
      devs.push_back(nullptr);
      nftnl_chain_set_data(c.get(), NFTNL_CHAIN_DEVICES, devs.data(), 0);
    }
  }
  nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWCHAIN, l.family, NLM_F_CREATE,
                                  fmt::format("creating chain {} {}", l.table_text(), l.chain));
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  b.end_message(nlh);
}

void flush_chain(Batch& b, const Layout& l) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, l.table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, l.chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, l.family);
  nlmsghdr* nlh = b.begin_message(NFT_MSG_DELRULE, l.family, 0,
                                  fmt::format("flushing chain {} {}", l.table_text(), l.chain));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  b.end_message(nlh);
}

class RuleBuilder {
 public:
  explicit RuleBuilder(const Layout& l) : l_(l), r_(nftnl_rule_alloc()) {
    nftnl_rule_set_str(r_.get(), NFTNL_RULE_TABLE, l.table.c_str());
    nftnl_rule_set_str(r_.get(), NFTNL_RULE_CHAIN, l.chain.c_str());
    nftnl_rule_set_u32(r_.get(), NFTNL_RULE_FAMILY, l.family);
  }
  RuleBuilder& expr(const char* kind, const std::function<void(nftnl_expr*)>& fill) {
    nftnl_expr* e = nftnl_expr_alloc(kind);
    fill(e);
    nftnl_rule_add_expr(r_.get(), e);  // the rule owns it
    return *this;
  }
  // The packet is of this IP version (meta nfproto in inet, the ethertype in netdev).
  RuleBuilder& is_family(bool v6) {
    if (is_netdev(l_)) {
      expr("meta", [](nftnl_expr* e) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_PROTOCOL);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
      });
      const uint16_t proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
      return cmp(&proto, sizeof proto);
    }
    expr("meta", [](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
      nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    });
    const uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
    return cmp(&proto, sizeof proto);
  }
  RuleBuilder& cmp(const void* data, uint32_t len) {
    return expr("cmp", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
      nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    });
  }
  // The source address (of the set's family) into register 1.
  RuleBuilder& saddr(SetId id) {
    const bool v6 = set_is_v6(id);
    return expr("payload", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
      nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, v6 ? 8 : 12);
      nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, v6 ? 16 : 4);
    });
  }
  RuleBuilder& saddr_in(SetId id) {
    saddr(id);
    const std::string name = l_.set_name(id);
    return expr("lookup", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
      nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, name.c_str());
      nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, static_cast<uint32_t>(id) + 1);
    });
  }
  // The source address in an object map: the element's own counter counts the packet; a miss
  // ends the rule.
  RuleBuilder& saddr_counted(SetId id) {
    saddr(id);
    const std::string name = l_.set_name(id);
    return expr("objref", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1);
      nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, name.c_str());
      nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_ID, static_cast<uint32_t>(id) + 1);
    });
  }
  RuleBuilder& counter(const std::string& name) {
    return expr("objref", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
      nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name.c_str());
    });
  }
  RuleBuilder& verdict(int v) {
    return expr("immediate", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(v));
    });
  }
  RuleBuilder& deny() {
    if (!l_.reject) return verdict(NF_DROP);
    return expr("reject", [](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
    });
  }
  void put(Batch& b, const std::string& what) {
    nlmsghdr* nlh =
        b.begin_message(NFT_MSG_NEWRULE, l_.family, NLM_F_CREATE | NLM_F_APPEND,
                        fmt::format("adding rule '{}' to {} {}", what, l_.table_text(), l_.chain));
    nftnl_rule_nlmsg_build_payload(nlh, r_.get());
    b.end_message(nlh);
  }

 private:
  const Layout& l_;
  RulePtr r_;
};

void put_rules(Batch& b, const Layout& l) {
  RuleBuilder(l).counter("processed").put(b, "counter name processed");
  for (const bool v6 : {false, true}) {
    if (v6 ? !l.ipv6 : !l.ipv4) continue;
    const SetId allow = v6 ? kAllow6 : kAllow4;
    const SetId ban = v6 ? kBan6 : kBan4;
    const SetId range = v6 ? kRange6 : kRange4;
    RuleBuilder(l).is_family(v6).saddr_in(allow).verdict(NF_ACCEPT).put(b, "saddr @allow accept");
    for (const SetId id : {ban, range}) {
      const std::string set = l.set_name(id);
      RuleBuilder(l).is_family(v6).saddr_counted(id).counter(set).deny().put(
          b,
          fmt::format("counter name saddr map @{} counter {}", set, l.reject ? "reject" : "drop"));
    }
  }
}

}  // namespace

const char* set_base_name(SetId id) {
  static constexpr const char* kNames[kSetCount] = {"allow4", "ban4", "range4",
                                                    "allow6", "ban6", "range6"};
  return kNames[id];
}

std::vector<SetId> Layout::sets() const {
  std::vector<SetId> out;
  for (int i = 0; i < kSetCount; ++i) {
    const auto id = static_cast<SetId>(i);
    if (set_is_v6(id) ? !ipv6 : !ipv4) continue;
    if (set_only && !set_has_timeout(id)) continue;
    out.push_back(id);
  }
  return out;
}

std::string Layout::table_text() const {
  return family_name(family) + " " + table;
}

Result<uint16_t> parse_family(const std::string& name) {
  if (name == "inet") return static_cast<uint16_t>(NFPROTO_INET);
  if (name == "netdev") return static_cast<uint16_t>(NFPROTO_NETDEV);
  if (name == "ip") return static_cast<uint16_t>(NFPROTO_IPV4);
  if (name == "ip6") return static_cast<uint16_t>(NFPROTO_IPV6);
  if (name == "bridge") return static_cast<uint16_t>(NFPROTO_BRIDGE);
  return Error("unknown nftables family '" + name +
               "' (inet, netdev; set-only: also ip, ip6, bridge)");
}

std::string family_name(uint16_t family) {
  switch (family) {
    case NFPROTO_INET:
      return "inet";
    case NFPROTO_NETDEV:
      return "netdev";
    case NFPROTO_IPV4:
      return "ip";
    case NFPROTO_IPV6:
      return "ip6";
    case NFPROTO_BRIDGE:
      return "bridge";
    default:
      return std::to_string(family);
  }
}

Result<void> validate(const Layout& l) {
  // NFT_NAME_MAXLEN is 256 on current kernels; old ones (before 4.16) allowed 32.
  for (const auto* name : {&l.table, &l.chain}) {
    if (name->empty() || name->size() > 255)
      return Error("nft: table and chain names need 1-255 characters");
  }
  if (l.set_prefix.size() > 200) return Error("nft: set_prefix is too long");
  if (!l.ipv4 && !l.ipv6) return Error("nft: both ipv4 and ipv6 are disabled");
  if (l.set_only) return ok();
  if (l.family == NFPROTO_NETDEV) {
    if (l.hook != "ingress")
      return Error("nft: family netdev hooks ingress only, not '" + l.hook + "'");
    if (l.devices.empty())
      return Error("nft: family netdev needs devices (the interfaces to hook)");
    return ok();
  }
  if (l.family != NFPROTO_INET)
    return Error("nft: phalanx-nft creates inet or netdev tables; other families need set_only");
  if (l.hook != "prerouting" && l.hook != "input" && l.hook != "forward")
    return Error("nft: hook must be prerouting, input or forward, not '" + l.hook + "'");
  return ok();
}

void add_ruleset(Batch& b, const Layout& l) {
  if (!l.set_only) {
    put_table(b, l);
    put_counter(b, l, "processed");
  }
  for (const SetId id : l.sets()) {
    put_set(b, l, id);
    if (!l.set_only && set_has_timeout(id)) put_counter(b, l, l.set_name(id));
  }
  if (l.set_only) return;
  put_chain(b, l);
  flush_chain(b, l);
  put_rules(b, l);
}

std::string origin_counter_name(bool v6, uint32_t n) {
  return fmt::format("o{}{}", v6 ? 6 : 4, n);
}

std::optional<std::pair<bool, uint32_t>> parse_origin_counter(const std::string& name) {
  if (name.size() < 3 || name[0] != 'o' || (name[1] != '4' && name[1] != '6')) return std::nullopt;
  uint32_t n = 0;
  const char* end = name.data() + name.size();
  auto [p, ec] = std::from_chars(name.data() + 2, end, n);
  if (ec != std::errc() || p != end) return std::nullopt;
  return std::pair{name[1] == '6', n};
}

void add_origin_counter(Batch& b, const Layout& l, bool v6, uint32_t n, const std::string& origin) {
  put_counter(b, l, origin_counter_name(v6, n), origin);
}

void add_delete_table(Batch& b, const Layout& l) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, l.table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, l.family);
  nlmsghdr* nlh =
      b.begin_message(NFT_MSG_DELTABLE, l.family, 0, "deleting table " + l.table_text());
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  b.end_message(nlh);
}

void add_flush_set(Batch& b, const Layout& l, SetId id) {
  SetPtr s(nftnl_set_alloc());
  const std::string name = l.set_name(id);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, l.table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nlmsghdr* nlh = b.begin_message(NFT_MSG_DELSETELEM, l.family, 0,
                                  fmt::format("flushing set {} {}", l.table_text(), name));
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  b.end_message(nlh);
}

Result<bool> table_exists(Socket& socket, const Layout& l) {
  auto r = socket.request(
      [&](char* buf, uint32_t seq) {
        TablePtr t(nftnl_table_alloc());
        nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, l.table.c_str());
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, l.family, 0, seq);
        nftnl_table_nlmsg_build_payload(nlh, t.get());
        return nlh;
      },
      [](const nlmsghdr*) { return ok(); });
  if (r) return true;
  if (r.error().code() == ENOENT) return false;
  return r.error().context("nft: looking up table " + l.table_text());
}

}  // namespace phalanx::nft
