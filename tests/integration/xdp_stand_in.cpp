// SPDX-License-Identifier: Apache-2.0
// Puts a stand-in for an earlier build of the XDP blocklist on an interface, for the upgrade
// check of xdp_netns_test.sh. The stand-in is bpf/xdp_blocklist.bpf.c built at another
// optimisation level (so its tag differs, as an earlier build's would), loaded over the maps
// pinned in PIN_DIR, and swapped for the program attached there in one step. Then the prefilter
// bitmaps' pins move to the names an earlier build used for them: the stand-in keeps reading
// its bitmaps, and the next phalanx-xdp finds none under its own names, as after an upgrade
// that changed their layout.
//
// Usage: xdp_stand_in PIN_DIR IFNAME    (exit 0 when done; errors on stderr)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "xdp_blocklist_stand_in.skel.h"

namespace {

int fail(const char* what, int err) {
  std::fprintf(stderr, "xdp_stand_in: %s: %s\n", what, std::strerror(err));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: xdp_stand_in PIN_DIR IFNAME\n");
    return 2;
  }
  const std::string pin_dir = argv[1];
  const int ifindex = static_cast<int>(if_nametoindex(argv[2]));
  if (ifindex == 0) return fail("interface", errno);

  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = pin_dir.c_str());
  xdp_blocklist_stand_in* skel = xdp_blocklist_stand_in__open_opts(&open_opts);
  if (skel == nullptr) return fail("opening the stand-in", errno);
  if (int err = xdp_blocklist_stand_in__load(skel); err) return fail("loading it", -err);

  uint32_t old_id = 0;
  if (int err = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &old_id); err || old_id == 0)
    return fail("finding the attached program (native mode)", err ? -err : ENOENT);
  const int old_fd = bpf_prog_get_fd_by_id(old_id);
  if (old_fd < 0) return fail("opening the attached program", errno);
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
  if (int err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_blocklist),
                               XDP_FLAGS_REPLACE | XDP_FLAGS_DRV_MODE, &opts);
      err)
    return fail("replacing the attached program", -err);
  close(old_fd);

  for (const char* fam : {"v4", "v6"}) {
    const std::string from = pin_dir + "/phx_pf2_" + fam, to = pin_dir + "/phx_pfilter_" + fam;
    if (rename(from.c_str(), to.c_str()) != 0) return fail(from.c_str(), errno);
  }
  xdp_blocklist_stand_in__destroy(skel);  // the attachment and the pins keep what it loaded
  return 0;
}
