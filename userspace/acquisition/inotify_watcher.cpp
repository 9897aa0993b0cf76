// SPDX-License-Identifier: Apache-2.0
#include "acquisition/inotify_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace phalanx::acquisition {
namespace {

constexpr uint32_t kFileEvents =
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF;
constexpr uint32_t kDirEvents = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;

bool out_of_watches() {
  return errno == ENOSPC || errno == ENOMEM;
}

}  // namespace

std::string dir_of(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

bool InotifyWatcher::open() {
  close();
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  return fd_ >= 0;
}

void InotifyWatcher::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  dir_watches_.clear();
  watched_dirs_.clear();
}

bool InotifyWatcher::watch_dir(const std::string& dir) {
  if (fd_ < 0 || watched_dirs_.contains(dir)) return true;
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kDirEvents | IN_ONLYDIR);
  if (wd < 0) return !out_of_watches();
  dir_watches_[wd] = dir;
  watched_dirs_.insert(dir);
  return true;
}

bool InotifyWatcher::watch_file(const std::string& path, int& wd) {
  wd = -1;
  if (fd_ < 0) return true;
  wd = ::inotify_add_watch(fd_, path.c_str(), kFileEvents);
  if (wd < 0) return !out_of_watches();
  std::error_code ec;
  const auto target = std::filesystem::canonical(path, ec);
  return ec ? true : watch_dir(dir_of(target.string()));
}

void InotifyWatcher::unwatch(int& wd) {
  if (fd_ >= 0 && wd >= 0) ::inotify_rm_watch(fd_, wd);
  wd = -1;
}

bool InotifyWatcher::read_events() {
  alignas(struct inotify_event) char buf[16 * 1024];
  bool dir_changed = false;
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) dir_changed = true;
      const auto dir = dir_watches_.find(ev->wd);
      if (dir == dir_watches_.end()) continue;
      if (ev->mask & IN_IGNORED) {
        watched_dirs_.erase(dir->second);
        dir_watches_.erase(dir);
        continue;
      }
      if (ev->mask & (IN_CREATE | IN_MOVED_TO)) dir_changed = true;
    }
  }
  return dir_changed;
}

}  // namespace phalanx::acquisition
