// SPDX-License-Identifier: Apache-2.0
// http_client.h: a process that makes a LAPI client survives a write to a closed connection
// (the HTTP library sends without MSG_NOSIGNAL), and a program's own SIGPIPE handler is kept.
#include "bouncer/http_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

namespace phalanx::http {
namespace {

// Runs `body` in a child with SIGPIPE at its default action; returns its wait status.
int in_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// send() with flags 0, as the library does, to a socket whose peer is gone: EPIPE or death.
int write_to_closed_peer() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 10;
  close(fds[1]);
  const ssize_t n = ::send(fds[0], "x", 1, 0);
  return n == -1 && errno == EPIPE ? 0 : 11;
}

TEST(HttpClientTest, WithoutAClientAWriteToAClosedPeerKillsTheProcess) {
  // The hazard itself, so that the next test cannot pass for another reason.
  const int status = in_child(write_to_closed_peer);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGPIPE);
}

TEST(HttpClientTest, MakingAClientTurnsThatIntoEpipe) {
  for (const char* scheme : {"http", "https", "unix"}) {
    const int status = in_child([&] {
      auto client = make_client(
          scheme, scheme == std::string("unix") ? "/nonexistent.sock" : "127.0.0.1:9", {});
      return write_to_closed_peer();
    });
    ASSERT_TRUE(WIFEXITED(status)) << scheme << ": killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << scheme;
  }
}

volatile sig_atomic_t handled = 0;
void on_sigpipe(int) {
  handled = 1;
}

TEST(HttpClientTest, AProgramsOwnHandlerIsKept) {
  const int status = in_child([] {
    signal(SIGPIPE, on_sigpipe);
    make_client("http", "127.0.0.1:9", {});
    struct sigaction now {};
    sigaction(SIGPIPE, nullptr, &now);
    if (now.sa_handler != on_sigpipe) return 20;
    return write_to_closed_peer() == 0 && handled == 1 ? 0 : 21;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace phalanx::http
