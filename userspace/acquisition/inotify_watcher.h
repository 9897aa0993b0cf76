// SPDX-License-Identifier: Apache-2.0
// The file source's inotify watches: directories (files appearing, renamed in or away) and the
// followed files themselves (writes, rotation). Internal to the file source (file_source.cpp).
// inotify only makes the source prompt; the source's poll timeout covers whatever is missed.
#pragma once

#include <map>
#include <set>
#include <string>

namespace phalanx::acquisition {

class InotifyWatcher {
 public:
  InotifyWatcher() = default;
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;
  ~InotifyWatcher() { close(); }

  // False (errno set) when inotify is unavailable.
  bool open();
  // Drops every watch; the source polls from then on.
  void close();
  bool active() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Each returns false only when the kernel is out of watches (ENOSPC/ENOMEM): the caller then
  // falls back to polling. A directory or file that does not exist (yet) is no error: discovery
  // tries again. Without inotify (not open) they do nothing.
  bool watch_dir(const std::string& dir);
  // Sets `wd` (-1 when the file could not be watched). Follows a symlink: the watch is on the
  // target, and the target's directory is watched too, so a rotation behind a link is seen.
  bool watch_file(const std::string& path, int& wd);
  // Another reader may share the inode (and so the watch) only when the same file is followed
  // under two paths; it then loses its events and is served by the poll timeout.
  void unwatch(int& wd);

  // Drains the queue; true when a directory changed (files may have appeared) or events were
  // lost (queue overflow).
  bool read_events();

 private:
  int fd_ = -1;
  std::map<int, std::string> dir_watches_;
  std::set<std::string> watched_dirs_;
};

// The directory part of a path ("." for a bare name).
std::string dir_of(const std::string& path);

}  // namespace phalanx::acquisition
