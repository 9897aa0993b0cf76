// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/xdp_object.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <utility>

#include "xdp_blocklist.skel.h"

namespace phalanx::xdp {
namespace {

// Applies the configured sizes; must run between open and load.
int set_sizes(xdp_blocklist& skel, const LoadOptions& o) {
  const std::pair<bpf_map*, uint32_t> sizes[] = {
      {skel.maps.phx_ban_v4, o.max_ban_v4},     {skel.maps.phx_ban_v6, o.max_ban_v6},
      {skel.maps.phx_range_v4, o.max_range_v4}, {skel.maps.phx_range_v6, o.max_range_v6},
      {skel.maps.phx_allow_v4, o.max_allow_v4}, {skel.maps.phx_allow_v6, o.max_allow_v6},
  };
  for (const auto& [map, size] : sizes) {
    if (size == 0) return -EINVAL;
    if (int err = bpf_map__set_max_entries(map, size); err) return err;
  }
  return 0;
}

// Without a pin directory every LIBBPF_PIN_BY_NAME map would be pinned under /sys/fs/bpf, so
// clear the per-map pin path before load.
int disable_pinning(xdp_blocklist& skel) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skel.obj) {
    if (int err = bpf_map__set_pin_path(map, nullptr); err) return err;
  }
  return 0;
}

}  // namespace

Result<XdpObject> XdpObject::open_and_load(const LoadOptions& options) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!options.pin_dir.empty()) open_opts.pin_root_path = options.pin_dir.c_str();
  xdp_blocklist* skel = xdp_blocklist__open_opts(&open_opts);
  if (skel == nullptr) return Error::from_errno("loading xdp blocklist: opening object");
  XdpObject object(skel);
  if (int err = set_sizes(*skel, options); err)
    return Error::from_errno("loading xdp blocklist: sizing maps", -err);
  if (options.pin_dir.empty()) {
    if (int err = disable_pinning(*skel); err)
      return Error::from_errno("loading xdp blocklist: disabling pinning", -err);
  }
  if (int err = xdp_blocklist__load(skel); err) {
    return Error::from_errno(
        "loading xdp blocklist: loading object (pin dir '" + options.pin_dir + "')", -err);
  }
  return object;
}

XdpObject::XdpObject(XdpObject&& other) noexcept : skel_(std::exchange(other.skel_, nullptr)) {}

XdpObject& XdpObject::operator=(XdpObject&& other) noexcept {
  if (this != &other) {
    xdp_blocklist__destroy(skel_);
    skel_ = std::exchange(other.skel_, nullptr);
  }
  return *this;
}

XdpObject::~XdpObject() {
  xdp_blocklist__destroy(skel_);
}

int XdpObject::prog_fd() const {
  return bpf_program__fd(skel_->progs.xdp_blocklist);
}

Result<void> XdpObject::unpin_maps() {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skel_->obj) {
    if (!bpf_map__is_pinned(map)) continue;
    if (int err = bpf_map__unpin(map, nullptr); err)
      return Error::from_errno(std::string("unpinning map ") + bpf_map__name(map), -err);
  }
  return ok();
}

}  // namespace phalanx::xdp
