// SPDX-License-Identifier: Apache-2.0
// The file-system side of the LAPI's Unix socket (`lapi.listen_socket`): checking the path,
// replacing a stale socket left by a dead process, the socket file's mode and its removal on a
// clean stop. No Asio here: server.cpp binds the socket, phalanxd --check uses the checks.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace phalanx::lapi {

// sizeof(sockaddr_un::sun_path): a socket path is shorter than this.
inline constexpr size_t kMaxSocketPath = 108;

// What is at a socket path right now.
enum class SocketPathState {
  kFree,        // nothing there
  kStale,       // a socket nobody listens on (left by a dead process)
  kLive,        // a socket a server answers on
  kNotASocket,  // a file of another kind: never removed
};

// Errors: the path is empty, relative, too long for sockaddr_un, or its parent directory is
// missing or not a directory. Says nothing of permissions.
Result<void> check_socket_path(const std::string& path);

// Looks at `path` (connects to it when it is a socket). Errors: stat/connect failures other than
// "nothing there" and "refused".
Result<SocketPathState> probe_socket_path(const std::string& path);

// For a server about to bind `path`: check_socket_path(), then removes a stale socket. Errors:
// "another server is listening on PATH", "PATH exists and is not a socket", the checks'.
Result<void> clear_socket_path(const std::string& path);

// "0660", "660", "0o660" (octal, at most 0777). Errors: anything else.
Result<unsigned> parse_socket_mode(std::string_view text);

// The identity of a socket file this process bound, so that stop() removes its own socket and
// not one a newer server put at the same path.
struct SocketFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;

  // Records the identity of `path` after bind() and gives it `mode`. Errors: stat/chmod.
  Result<void> adopt(const std::string& bound_path, unsigned mode);
  // Unlinks the file when it is still the one adopted. Idempotent.
  void remove();
};

}  // namespace phalanx::lapi
