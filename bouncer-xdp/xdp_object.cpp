// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/xdp_object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "xdp_blocklist.skel.h"

namespace phalanx::xdp {
namespace {

// Applies the configured sizes; must run between open and load. The ban maps' sizes are those
// of the generations userspace creates (BlocklistMaps), not of the maps of maps.
int set_sizes(xdp_blocklist& skel, const LoadOptions& o) {
  for (const uint32_t size : {o.max_ban_v4, o.max_ban_v6, o.max_range_v4, o.max_range_v6})
    if (size == 0) return -EINVAL;
  const std::pair<bpf_map*, uint32_t> sizes[] = {
      {skel.maps.phx_allow_v4, o.max_allow_v4},
      {skel.maps.phx_allow_v6, o.max_allow_v6},
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

// Sizes every map like its pinned twin so that libbpf reuses the pins. ENOENT when one is
// missing: nothing gets created.
int adopt_pinned_sizes(xdp_blocklist& skel) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skel.obj) {
    // Internal maps (.rodata) are not pinned; every LIBBPF_PIN_BY_NAME map has a pin path.
    const char* path = bpf_map__pin_path(map);
    if (path == nullptr) continue;
    const int fd = bpf_obj_get(path);
    if (fd < 0) return -errno;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    const int err = errno;
    close(fd);
    if (rc != 0) return -err;
    if (int e = bpf_map__set_max_entries(map, info.max_entries); e) return e;
  }
  return 0;
}

// The first map pinned under its name with another type than this build's (pins left by a
// version with another map layout); empty when none.
std::string foreign_pin(xdp_blocklist& skel) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skel.obj) {
    const char* path = bpf_map__pin_path(map);
    if (path == nullptr) continue;
    const int fd = bpf_obj_get(path);
    if (fd < 0) continue;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    close(fd);
    if (rc == 0 && info.type != static_cast<uint32_t>(bpf_map__type(map))) return path;
  }
  return {};
}

// Pin names of maps that earlier builds had and this one has not: the prefilter bitmaps before
// their multiplicative hash (the layout changed, so the name did).
constexpr const char* kRetiredPins[] = {"phx_pfilter_v4", "phx_pfilter_v6"};

bool pinned(const bpf_map* map) {
  const char* path = bpf_map__pin_path(map);
  return path != nullptr && access(path, F_OK) == 0;
}

}  // namespace

Result<XdpObject> XdpObject::open_unloaded(const std::string& pin_dir) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  open_opts.pin_root_path = pin_dir.c_str();
  xdp_blocklist* skel = xdp_blocklist__open_opts(&open_opts);
  if (skel == nullptr) return Error::from_errno("opening pinned xdp blocklist: opening object");
  XdpObject object(skel);
  // Sizes of new ban map generations: like the generation in force.
  object.options_.pin_dir = pin_dir;
  object.options_.max_ban_v4 = object.options_.max_ban_v6 = 0;
  object.options_.max_range_v4 = object.options_.max_range_v6 = 0;
  if (int err = adopt_pinned_sizes(*skel); err) {
    if (err == -ENOENT) {
      for (const char* name : kRetiredPins) {
        if (access((pin_dir + "/" + name).c_str(), F_OK) == 0)
          return Error("the maps in " + pin_dir + " were pinned by an earlier build (" + name +
                           "); restart phalanx-xdp to move them to this build's layout",
                       ENOENT);
      }
      return Error("the XDP blocklist is not loaded (no pinned maps in " + pin_dir + ")", ENOENT);
    }
    return Error::from_errno("opening pinned xdp blocklist in " + pin_dir, -err);
  }
  return object;
}

Result<XdpObject> XdpObject::open_pinned(const std::string& pin_dir) {
  PHALANX_TRY(XdpObject object, open_unloaded(pin_dir));
  if (int err = xdp_blocklist__load(object.skel_); err)
    return Error::from_errno("opening pinned xdp blocklist in " + pin_dir, -err);
  return object;
}

Result<XdpObject> XdpObject::open_and_load(const LoadOptions& options) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!options.pin_dir.empty()) open_opts.pin_root_path = options.pin_dir.c_str();
  xdp_blocklist* skel = xdp_blocklist__open_opts(&open_opts);
  if (skel == nullptr) return Error::from_errno("loading xdp blocklist: opening object");
  XdpObject object(skel);
  object.options_ = options;
  if (int err = set_sizes(*skel, options); err)
    return Error::from_errno("loading xdp blocklist: sizing maps", -err);
  if (options.pin_dir.empty()) {
    if (int err = disable_pinning(*skel); err)
      return Error::from_errno("loading xdp blocklist: disabling pinning", -err);
  }
  object.created_prefilter_ = !pinned(skel->maps.phx_pf2_v4) || !pinned(skel->maps.phx_pf2_v6);
  if (int err = xdp_blocklist__load(skel); err) {
    if (const std::string pin = foreign_pin(*skel); !pin.empty())
      return Error("loading xdp blocklist: " + pin +
                       " has another map layout (pinned by another version); detach with that "
                       "version (phalanx-xdp --detach) or remove the pins in " +
                       options.pin_dir,
                   -err);
    return Error::from_errno(
        "loading xdp blocklist: loading object (pin dir '" + options.pin_dir + "')", -err);
  }
  return object;
}

XdpObject::XdpObject(XdpObject&& other) noexcept
    : skel_(std::exchange(other.skel_, nullptr)),
      options_(std::move(other.options_)),
      created_prefilter_(other.created_prefilter_) {}

XdpObject& XdpObject::operator=(XdpObject&& other) noexcept {
  if (this != &other) {
    xdp_blocklist__destroy(skel_);
    skel_ = std::exchange(other.skel_, nullptr);
    options_ = std::move(other.options_);
    created_prefilter_ = other.created_prefilter_;
  }
  return *this;
}

XdpObject::~XdpObject() {
  xdp_blocklist__destroy(skel_);
}

bpf_object* XdpObject::bpf_obj() const {
  return skel_->obj;
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

Result<std::vector<std::string>> XdpObject::remove_retired_pins(const std::string& pin_dir) {
  std::vector<std::string> removed;
  for (const char* name : kRetiredPins) {
    const std::string path = pin_dir + "/" + name;
    if (unlink(path.c_str()) == 0) {
      removed.emplace_back(name);
    } else if (errno != ENOENT) {
      return Error::from_errno("removing the retired pin " + path);
    }
  }
  return removed;
}

}  // namespace phalanx::xdp
