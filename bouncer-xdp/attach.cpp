// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>

#include "bouncer-xdp/xdp_object.h"
#include "core/log.h"

namespace phalanx::xdp {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("xdp");
  return log;
}

// libxdp's own messages (fallback notices, ...) go to our logger at debug.
int libxdp_print(enum libxdp_print_level level, const char* format, va_list args) {
  char buf[512];
  std::vsnprintf(buf, sizeof(buf), format, args);
  std::string_view msg(buf);
  while (!msg.empty() && msg.back() == '\n')
    msg.remove_suffix(1);
  if (level == LIBXDP_WARN) {
    logger()->debug("libxdp: {}", msg);
  } else {
    logger()->trace("libxdp: {}", msg);
  }
  return 0;
}

void quiet_libxdp() {
  static const bool once = [] {
    libxdp_set_print(libxdp_print);
    return true;
  }();
  (void)once;
}

const char* mode_name(enum xdp_attach_mode mode) {
  switch (mode) {
    case XDP_MODE_NATIVE:
      return "native";
    case XDP_MODE_SKB:
      return "generic";
    case XDP_MODE_HW:
      return "hw";
    default:
      return "";
  }
}

// mode_name()'s inverse, for the mode an Attachment reports.
enum xdp_attach_mode mode_of(const std::string& name) {
  if (name == "native") return XDP_MODE_NATIVE;
  if (name == "generic") return XDP_MODE_SKB;
  if (name == "hw") return XDP_MODE_HW;
  return XDP_MODE_UNSPEC;
}

Result<int> ifindex_of(const std::string& ifname) {
  const unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return Error::from_errno("interface '" + ifname + "'");
  return static_cast<int>(idx);
}

// Closes an xdp_multiprog on scope exit.
struct MultiprogRef {
  xdp_multiprog* mp = nullptr;
  ~MultiprogRef() {
    if (mp != nullptr) xdp_multiprog__close(mp);
  }
};

// Our program inside mp, or nullptr.
xdp_program* ours(xdp_multiprog* mp) {
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program* main = xdp_multiprog__main_prog(mp);
    return main != nullptr && std::strcmp(xdp_program__name(main), kProgramName) == 0 ? main
                                                                                      : nullptr;
  }
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr;
       p = xdp_multiprog__next_prog(p, mp)) {
    if (std::strcmp(xdp_program__name(p), kProgramName) == 0) return p;
  }
  return nullptr;
}

// The error for an interface another XDP program holds alone: libxdp found no dispatcher it can
// extend (that program was attached without libxdp, or the kernel refuses the freplace programs
// a dispatcher is made of) and will not replace it. Neither do we.
Error occupied(const std::string& ifname, int ifindex) {
  std::string who = "another XDP program";
  MultiprogRef ref{xdp_multiprog__get_from_ifindex(ifindex)};
  if (libxdp_get_error(ref.mp) == 0) {
    xdp_program* main = xdp_multiprog__main_prog(ref.mp);
    if (main != nullptr)
      who = fmt::format("XDP program '{}' (id {})", xdp_program__name(main), xdp_program__id(main));
  } else {
    ref.mp = nullptr;
  }
  return Error(fmt::format("attaching to {}: {} is attached there alone, and libxdp cannot put "
                           "both behind its dispatcher (the other program was attached without "
                           "libxdp, or this kernel refuses freplace programs); not replacing it",
                           ifname, who),
               EBUSY);
}

}  // namespace

Result<XdpMode> parse_xdp_mode(std::string_view text) {
  if (text == "auto") return XdpMode::kAuto;
  if (text == "native" || text == "drv") return XdpMode::kNative;
  if (text == "generic" || text == "skb") return XdpMode::kGeneric;
  return Error("unknown xdp mode '" + std::string(text) + "' (auto, native or generic)");
}

Result<void> ensure_bpffs(const std::string& pin_dir) {
  const std::filesystem::path parent = std::filesystem::path(pin_dir).parent_path();
  struct statfs fs {};
  if (statfs(parent.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC) return ok();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (mount("bpf", parent.c_str(), "bpf", 0, "mode=0700") != 0)
    return Error::from_errno("mounting bpffs on " + parent.string());
  logger()->info("mounted a bpffs on {}", parent.string());
  return ok();
}

Result<Attachment> find_attached(const std::string& ifname) {
  quiet_libxdp();
  PHALANX_TRY(int ifindex, ifindex_of(ifname));
  Attachment a;
  a.ifname = ifname;
  MultiprogRef ref{xdp_multiprog__get_from_ifindex(ifindex)};
  if (libxdp_get_error(ref.mp) != 0) {
    ref.mp = nullptr;
    return a;  // nothing attached (ENOENT) or nothing we can read: not ours
  }
  xdp_program* p = ours(ref.mp);
  if (p == nullptr) return a;
  a.mode = mode_name(xdp_multiprog__attach_mode(ref.mp));
  a.prog_id = xdp_program__id(p);
  a.dispatcher = !xdp_multiprog__is_legacy(ref.mp);
  return a;
}

Result<std::vector<Attachment>> list_attached() {
  std::vector<Attachment> out;
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) return Error::from_errno("listing interfaces");
  for (struct if_nameindex* n = names; n->if_index != 0; ++n) {
    auto a = find_attached(n->if_name);
    if (a && !a->mode.empty()) out.push_back(*a);
  }
  if_freenameindex(names);
  return out;
}

namespace {

// The kernel's tag of a program (a hash of its instructions, map references left out): equal
// for two loads of one build, different across builds whose program changed.
Result<std::array<uint8_t, BPF_TAG_SIZE>> prog_tag(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
    return Error::from_errno("reading program info");
  std::array<uint8_t, BPF_TAG_SIZE> tag{};
  std::memcpy(tag.data(), info.tag, tag.size());
  return tag;
}

// A program fd, closed on scope exit. Move-only.
struct ProgFd {
  explicit ProgFd(int f) : fd(f) {}
  ProgFd(ProgFd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  ProgFd& operator=(ProgFd&&) = delete;
  ~ProgFd() {
    if (fd >= 0) close(fd);
  }
  int fd = -1;
};

// The kernel's attach flag for a mode.
uint32_t mode_flag(enum xdp_attach_mode mode) {
  switch (mode) {
    case XDP_MODE_NATIVE:
      return XDP_FLAGS_DRV_MODE;
    case XDP_MODE_SKB:
      return XDP_FLAGS_SKB_MODE;
    case XDP_MODE_HW:
      return XDP_FLAGS_HW_MODE;
    default:
      return 0;
  }
}

// The program with this id, opened.
Result<ProgFd> open_prog(uint32_t id) {
  ProgFd p{bpf_prog_get_fd_by_id(id)};
  if (p.fd < 0) return Error::from_errno(fmt::format("opening program id {}", id));
  return p;
}

// The interface's only program, `existing` (opened as `attached`), swapped for `current_fd` in
// one step: the kernel checks that `existing` is still the one attached (XDP_FLAGS_REPLACE).
Result<void> replace_alone(int current_fd, const ProgFd& attached, int ifindex,
                           const Attachment& existing) {
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = attached.fd);
  if (int err = bpf_xdp_attach(ifindex, current_fd,
                               XDP_FLAGS_REPLACE | mode_flag(mode_of(existing.mode)), &opts);
      err != 0)
    return Error::from_errno("replacing program id " + std::to_string(existing.prog_id), -err);
  return ok();
}

// Removes the program with this id from the interface's dispatcher.
Result<void> detach_id(int ifindex, uint32_t prog_id) {
  MultiprogRef ref{xdp_multiprog__get_from_ifindex(ifindex)};
  if (libxdp_get_error(ref.mp) != 0) {
    ref.mp = nullptr;
    return Error("reading the dispatcher", EIO);
  }
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, ref.mp); p != nullptr;
       p = xdp_multiprog__next_prog(p, ref.mp)) {
    if (xdp_program__id(p) != prog_id) continue;
    if (int err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(ref.mp), 0); err)
      return Error::from_errno(fmt::format("removing program id {}", prog_id), -err);
    return ok();
  }
  return ok();  // gone already
}

// One attempt to attach in one mode; returns libxdp's result (0 or -errno).
using Attempt = std::function<Result<int>(xdp_attach_mode)>;

// Our program found on the interface (`existing`) but of another build: replaced by this
// build's, in the mode it has, without a moment where neither drops.
Result<Attachment> replace(int current_fd, const ProgFd& attached, const std::string& ifname,
                           const Attachment& existing, const Attempt& attempt) {
  PHALANX_TRY(int ifindex, ifindex_of(ifname));
  const std::string what = "replacing the program of another build on " + ifname;
  if (!existing.dispatcher) {
    if (auto r = replace_alone(current_fd, attached, ifindex, existing); !r)
      return r.error().context(what);
  } else {
    PHALANX_TRY(int err, attempt(mode_of(existing.mode)));
    if (err != 0) return Error::from_errno(what + ": adding ours to the dispatcher", -err);
    if (auto r = detach_id(ifindex, existing.prog_id); !r) return r.error().context(what);
  }
  PHALANX_TRY(Attachment now, find_attached(ifname));
  if (now.prog_id == 0 || now.prog_id == existing.prog_id)
    return Error(what + ": the old program is still attached", EIO);
  now.replaced_id = existing.prog_id;
  return now;
}

// Reuses our program when this build's (current_fd) is there already, replaces one of another
// build, and otherwise tries native then generic as `mode` says, one attempt each. current_fd
// is -1 for a program loaded without pins (benchmarks): whatever is there is reused.
Result<Attachment> attach_with(int current_fd, const std::string& ifname, XdpMode mode,
                               const Attempt& attempt) {
  PHALANX_TRY(Attachment existing, find_attached(ifname));
  if (!existing.mode.empty()) {
    if (current_fd >= 0) {
      PHALANX_TRY(ProgFd attached, open_prog(existing.prog_id));
      PHALANX_TRY(const auto ours_tag, prog_tag(current_fd));
      PHALANX_TRY(const auto their_tag, prog_tag(attached.fd));
      if (ours_tag != their_tag) return replace(current_fd, attached, ifname, existing, attempt);
    }
    existing.reused = true;
    return existing;
  }
  PHALANX_TRY(int ifindex, ifindex_of(ifname));
  int err = -EINVAL;
  if (mode != XdpMode::kGeneric) {
    PHALANX_TRY(err, attempt(XDP_MODE_NATIVE));
    // Another program holds the interface: generic mode would be refused the same way.
    if (err == -EBUSY) return occupied(ifname, ifindex);
    if (err != 0 && mode == XdpMode::kAuto) {
      logger()->warn("{}: native XDP refused ({}), falling back to generic mode", ifname,
                     std::strerror(-err));
    }
  }
  if (err != 0 && mode != XdpMode::kNative) {
    PHALANX_TRY(err, attempt(XDP_MODE_SKB));
  }
  if (err == -EBUSY) return occupied(ifname, ifindex);
  if (err != 0) return Error::from_errno("attaching to " + ifname, -err);
  PHALANX_TRY(Attachment now, find_attached(ifname));
  if (now.mode.empty()) return Error("attaching to " + ifname + ": not attached afterwards", EIO);
  return now;
}

// Hands `prog` to libxdp and closes the wrapper.
int attach_program(xdp_program* prog, const std::string& ifname, xdp_attach_mode m) {
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  const int err =
      ifindex == 0 ? -errno : xdp_program__attach(prog, static_cast<int>(ifindex), m, 0);
  xdp_program__close(prog);
  return err;
}

}  // namespace

Result<Attachment> attach(const XdpObject& current, const std::string& ifname, XdpMode mode) {
  // A fresh copy per attempt: a failed attempt may leave its copy loaded, and a loaded program
  // can no longer join a dispatcher.
  const std::string& pin_dir = current.options().pin_dir;
  return attach_with(current.prog_fd(), ifname, mode, [&](xdp_attach_mode m) -> Result<int> {
    PHALANX_TRY(XdpObject fresh, XdpObject::open_unloaded(pin_dir));
    xdp_program_opts opts{};
    opts.sz = sizeof(opts);
    opts.obj = fresh.bpf_obj();  // stays ours: libxdp does not close an object it was given
    opts.prog_name = kProgramName;
    xdp_program* prog = xdp_program__create(&opts);
    if (const long err = libxdp_get_error(prog); err != 0)
      return Error::from_errno("attaching to " + ifname + ": opening the program",
                               static_cast<int>(-err));
    return attach_program(prog, ifname, m);
  });
}

Result<Attachment> attach_loaded(int prog_fd, const std::string& ifname, XdpMode mode) {
  return attach_with(-1, ifname, mode, [&](xdp_attach_mode m) -> Result<int> {
    // libxdp closes the fd it was given when the wrapper is closed: hand it a duplicate.
    const int fd = fcntl(prog_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Error::from_errno("attaching to " + ifname + ": duplicating program fd");
    xdp_program* prog = xdp_program__from_fd(fd);
    if (const long err = libxdp_get_error(prog); err != 0) {
      close(fd);
      return Error::from_errno("attaching to " + ifname + ": wrapping program",
                               static_cast<int>(-err));
    }
    return attach_program(prog, ifname, m);
  });
}

Result<bool> detach(const std::string& ifname) {
  quiet_libxdp();
  PHALANX_TRY(int ifindex, ifindex_of(ifname));
  MultiprogRef ref{xdp_multiprog__get_from_ifindex(ifindex)};
  if (libxdp_get_error(ref.mp) != 0) {
    ref.mp = nullptr;
    return false;
  }
  xdp_program* p = ours(ref.mp);
  if (p == nullptr) return false;
  const int err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(ref.mp), 0);
  if (err != 0) return Error::from_errno("detaching from " + ifname, -err);
  return true;
}

}  // namespace phalanx::xdp
