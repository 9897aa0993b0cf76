// SPDX-License-Identifier: Apache-2.0
#include "lapi/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

static_assert(sizeof(sockaddr_un::sun_path) == phalanx::lapi::kMaxSocketPath);

namespace phalanx::lapi {

Result<void> check_socket_path(const std::string& path) {
  if (path.empty()) return Error("listen_socket: empty path");
  if (path.front() != '/') return Error("listen_socket: '" + path + "' is not an absolute path");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return Error("listen_socket: '" + path + "' is longer than the " +
                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                 " bytes a socket path may have");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0)
    return Error::from_errno("listen_socket: directory " + parent.string());
  if (!S_ISDIR(st.st_mode))
    return Error("listen_socket: " + parent.string() + " is not a directory");
  return ok();
}

Result<SocketPathState> probe_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return SocketPathState::kFree;
    return Error::from_errno("listen_socket: " + path);
  }
  if (!S_ISSOCK(st.st_mode)) return SocketPathState::kNotASocket;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("listen_socket: socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof(addr.sun_path) - 1));
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  if (rc == 0) return SocketPathState::kLive;
  // A socket file whose listener is gone refuses; one removed meanwhile is not there.
  if (err == ECONNREFUSED) return SocketPathState::kStale;
  if (err == ENOENT) return SocketPathState::kFree;
  // EAGAIN: a live listener with a full backlog.
  if (err == EAGAIN) return SocketPathState::kLive;
  return Error::from_errno("listen_socket: connecting to " + path, err);
}

Result<void> clear_socket_path(const std::string& path) {
  PHALANX_CHECK(check_socket_path(path));
  PHALANX_TRY(const SocketPathState state, probe_socket_path(path));
  switch (state) {
    case SocketPathState::kFree:
      return ok();
    case SocketPathState::kLive:
      return Error("listen_socket: another server is listening on " + path, EADDRINUSE);
    case SocketPathState::kNotASocket:
      return Error("listen_socket: " + path + " exists and is not a socket", EEXIST);
    case SocketPathState::kStale:
      if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("listen_socket: removing the stale socket " + path);
      return ok();
  }
  return ok();
}

Result<unsigned> parse_socket_mode(std::string_view text) {
  std::string_view digits = text;
  if (digits.substr(0, 2) == "0o" || digits.substr(0, 2) == "0O") digits.remove_prefix(2);
  if (digits.empty() || digits.size() > 4)
    return Error("'" + std::string(text) + "' is not an octal mode such as 0660");
  unsigned mode = 0;
  for (const char c : digits) {
    if (c < '0' || c > '7')
      return Error("'" + std::string(text) + "' is not an octal mode such as 0660");
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (mode > 0777) return Error("'" + std::string(text) + "': at most 0777");
  return mode;
}

Result<void> SocketFile::adopt(const std::string& bound_path, unsigned mode) {
  path = bound_path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Error::from_errno("listen_socket: " + path);
  dev = st.st_dev;
  ino = st.st_ino;
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
    return Error::from_errno("listen_socket: chmod " + path);
  return ok();
}

void SocketFile::remove() {
  if (path.empty()) return;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino)
    ::unlink(path.c_str());
  path.clear();
}

}  // namespace phalanx::lapi
