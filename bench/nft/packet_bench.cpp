// SPDX-License-Identifier: Apache-2.0
// Per-packet cost of phalanx-nft's drop rule with a million elements beside the XDP bouncer's
// program, with the same sender (bench/run_nft.sh). Two network namespaces made by the script:
// this process loads the bans in namespace A (NftBackend, or the XDP maps and an attach to A's
// veth), then a thread moved into namespace B sends UDP from a banned source to A with
// sendmmsg as fast as one core allows. On a veth pair the receiving side runs in the sender's
// context (softirq at the end of each send), so the sender's rate is the cost of the whole path:
// ns/packet = 1e9 / rate. Modes: none (nothing installed: packets reach A's UDP stack and meet a
// closed port), nft, xdp.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "bouncer-nft/nft_backend.h"
#include "bouncer-xdp/attach.h"
#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/expiry.h"
#include "bouncer-xdp/xdp_object.h"

using namespace phalanx;

namespace {

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "packet bench: %s\n", m.c_str());
  std::exit(1);
}
template <class T>
T must(Result<T> r) {
  if (!r) die(r.error().message());
  return std::move(*r);
}
void must(Result<void> r) {
  if (!r) die(r.error().message());
}

void enter(const std::string& ns) {
  const int fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) die("entering " + ns + ": " + strerror(errno));
  close(fd);
}

// Unique random unicast IPv4 addresses (host order), the banned source among them.
std::vector<uint32_t> addresses(size_t n, uint32_t banned) {
  std::mt19937_64 rng(1);
  std::vector<uint32_t> out;
  out.reserve(n);
  out.push_back(banned);
  while (out.size() < n)
    out.push_back(0x01000000u + static_cast<uint32_t>(rng() % (0xDF000000u)));
  return out;
}

// Packets per second one thread in namespace `ns` sends from src to dst:9 for `seconds`.
double send_rate(const std::string& ns, const char* src, const char* dst, double seconds) {
  double rate = 0;
  std::thread t([&] {
    enter(ns);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, src, &a.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind " + std::string(src));
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(9);
    inet_pton(AF_INET, dst, &d.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&d), sizeof d) != 0) die("connect");
    char payload[18] = {};
    iovec iov{payload, sizeof payload};
    mmsghdr msgs[64]{};
    for (auto& m : msgs) {
      m.msg_hdr.msg_iov = &iov;
      m.msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      const int n = sendmmsg(fd, msgs, 64, 0);
      if (n > 0) sent += static_cast<uint64_t>(n);  // ECONNREFUSED from ICMP: just go on
    }
    rate = static_cast<double>(sent) /
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    close(fd);
  });
  t.join();
  return rate;
}

std::unique_ptr<nft::NftBackend> load_nft(const std::vector<uint32_t>& addrs) {
  auto backend = must(nft::NftBackend::open(nft::BackendOptions{}));
  must(backend->setup());
  std::vector<bouncer::Decision> ds(addrs.size());
  for (size_t i = 0; i < addrs.size(); ++i) {
    ds[i].type = "ban";
    ds[i].duration = std::chrono::hours(4);
    ds[i].target = net::Cidr::host(net::IpAddress::from_v4(addrs[i]));
  }
  must(backend->resync(ds));
  return backend;
}

xdp::XdpObject load_xdp(const std::vector<uint32_t>& addrs) {
  xdp::LoadOptions lo;
  lo.pin_dir = "";
  auto object = must(xdp::XdpObject::open_and_load(lo));
  auto maps = must(xdp::BlocklistMaps::open(xdp::map_fds(object)));
  std::vector<xdp::BanRequest> bans;
  bans.reserve(addrs.size());
  const uint64_t expiry = xdp::expiry_after(std::chrono::hours(4), xdp::expiry_clock_now_ns());
  for (const uint32_t a : addrs)
    bans.push_back(
        {net::Cidr::host(net::IpAddress::from_v4(a)), xdp::make_entry(PHX_ORIGIN_CAPI, expiry)});
  must(maps.ban_batch(bans));
  return object;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The three ways to drop the same packets, alternated round by round so that the machine's
// background load hits them alike: the XDP program (1M entries), phalanx-nft's chain (1M
// elements), and a minimal nftables rule (`ip saddr X drop`, no set) in a table hooked just
// before ours. Per round each runs `seconds`; medians and the median paired difference.
int paired(const std::string& ns_b, const std::string& ifname, const std::string& src,
           const std::string& dst, const std::vector<uint32_t>& addrs, int runs, double seconds) {
  auto backend = load_nft(addrs);
  auto object = load_xdp(addrs);
  const std::string small_on =
      "nft add table inet phxsmall && nft add chain inet phxsmall c "
      "'{ type filter hook prerouting priority -310; }' && nft add rule inet phxsmall c ip saddr " +
      src + " drop";
  std::vector<double> x, n, m, d_nx, d_nm;
  for (int r = 0; r < runs; ++r) {
    must(xdp::attach_loaded(object.prog_fd(), ifname, xdp::XdpMode::kAuto));
    x.push_back(1e9 / send_rate(ns_b, src.c_str(), dst.c_str(), seconds));
    must(xdp::detach(ifname));
    n.push_back(1e9 / send_rate(ns_b, src.c_str(), dst.c_str(), seconds));
    if (std::system(small_on.c_str()) != 0) die("adding the minimal rule");
    m.push_back(1e9 / send_rate(ns_b, src.c_str(), dst.c_str(), seconds));
    if (std::system("nft delete table inet phxsmall") != 0) die("removing the minimal rule");
    d_nx.push_back(n.back() - x.back());
    d_nm.push_back(n.back() - m.back());
  }
  std::printf(
      "paired, %zu entries each, %d rounds of %.0f s (ns/packet of the whole send+drop path):\n"
      "  xdp program            median %.0f\n"
      "  phalanx-nft chain      median %.0f\n"
      "  minimal nft rule       median %.0f\n"
      "  phalanx-nft - xdp      median of paired differences %+.0f\n"
      "  phalanx-nft - minimal  median of paired differences %+.0f\n",
      addrs.size(), runs, seconds, median_of(x), median_of(n), median_of(m), median_of(d_nx),
      median_of(d_nm));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"packet_bench: ns/packet of the nft drop rule and the XDP program, same sender"};
  std::string ns_a, ns_b, mode = "nft", ifname, src = "10.220.0.2", dst = "10.220.0.1";
  size_t v4 = 1'000'000;
  double seconds = 3;
  int runs = 5;
  app.add_option("--ns-a", ns_a, "namespace of the receiver (/run/netns/...)")->required();
  app.add_option("--ns-b", ns_b, "namespace of the sender")->required();
  app.add_option("--mode", mode)->check(CLI::IsMember({"none", "nft", "xdp", "paired"}));
  app.add_option("--ifname", ifname, "the receiver's veth (xdp mode)");
  app.add_option("--v4", v4);
  app.add_option("--seconds", seconds);
  app.add_option("--runs", runs);
  CLI11_PARSE(app, argc, argv);

  enter(ns_a);
  const uint32_t banned = ntohl(inet_addr(src.c_str()));
  const auto addrs = addresses(v4, banned);
  if (mode == "paired") return paired(ns_b, ifname, src, dst, addrs, runs, seconds);
  std::unique_ptr<nft::NftBackend> backend;
  std::optional<xdp::XdpObject> object;
  if (mode == "nft") {
    nft::BackendOptions o;
    backend = must(nft::NftBackend::open(o));
    must(backend->setup());
    std::vector<bouncer::Decision> ds(addrs.size());
    for (size_t i = 0; i < addrs.size(); ++i) {
      ds[i].type = "ban";
      ds[i].duration = std::chrono::hours(4);
      ds[i].target = net::Cidr::host(net::IpAddress::from_v4(addrs[i]));
    }
    must(backend->resync(ds));
  } else if (mode == "xdp") {
    xdp::LoadOptions lo;
    lo.pin_dir = "";
    object = must(xdp::XdpObject::open_and_load(lo));
    auto maps = must(xdp::BlocklistMaps::open(xdp::map_fds(*object)));
    std::vector<xdp::BanRequest> bans;
    bans.reserve(addrs.size());
    const uint64_t expiry = xdp::expiry_after(std::chrono::hours(4), xdp::expiry_clock_now_ns());
    for (const uint32_t a : addrs)
      bans.push_back(
          {net::Cidr::host(net::IpAddress::from_v4(a)), xdp::make_entry(PHX_ORIGIN_CAPI, expiry)});
    must(maps.ban_batch(bans));
    auto at = must(xdp::attach_loaded(object->prog_fd(), ifname, xdp::XdpMode::kAuto));
    std::printf("xdp: attached to %s in %s mode\n", ifname.c_str(), at.mode.c_str());
  }
  std::vector<double> rates;
  for (int i = 0; i < runs; ++i)
    rates.push_back(send_rate(ns_b, src.c_str(), dst.c_str(), seconds));
  std::sort(rates.begin(), rates.end());
  const double med = rates[rates.size() / 2];
  const std::string what = mode == "none"
                               ? std::string("nothing installed (delivered to a closed port)")
                               : std::to_string(v4) + " bans, source banned";
  std::printf("%s (%s): median %.0f packets/s over %d runs of %.0f s = %.0f ns/packet\n",
              mode.c_str(), what.c_str(), med, runs, seconds, 1e9 / med);
  if (mode == "xdp") (void)xdp::detach(ifname);
  return 0;
}
