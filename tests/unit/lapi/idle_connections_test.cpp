// SPDX-License-Identifier: Apache-2.0
// 10,000 idle keep-alive connections held by the server's two threads, which still answers
// new requests, and old ones when they wake up. The clients live in a child process so that
// each side has its own file-descriptor table (the hard RLIMIT_NOFILE here is 20,000).
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

constexpr int kClients = 10000;

bool raise_nofile(rlim_t want) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= want) return true;
  if (lim.rlim_max < want) return false;
  lim.rlim_cur = want;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

// Sends GET /health on `fd` and checks for a 200 (raw syscalls only: runs in the forked child).
bool health_ok(int fd) {
  static const char kReq[] = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n";
  if (write(fd, kReq, sizeof(kReq) - 1) != static_cast<ssize_t>(sizeof(kReq) - 1)) return false;
  char buf[512];
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  return n > 12 && std::memcmp(buf, "HTTP/1.1 200", 12) == 0;
}

// The child: opens kClients connections, reports on `ready`, waits for `go`, checks that the
// first and last connections still work, and exits 0 on success.
[[noreturn]] void hold_connections(uint16_t port, int ready, int go) {
  static std::array<int, kClients> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < kClients; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0 || connect(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      _exit(10);
  }
  char c = 'r';
  if (write(ready, &c, 1) != 1) _exit(11);
  if (read(go, &c, 1) != 1) _exit(12);
  _exit(health_ok(fds[0]) && health_ok(fds[kClients - 1]) ? 0 : 13);
}

TEST_F(LapiTest, HoldsTenThousandIdleConnections) {
  if (!raise_nofile(kClients + 1000)) GTEST_SKIP() << "RLIMIT_NOFILE cannot be raised enough";
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) hold_connections(server_->port(), ready[1], go[0]);
  close(ready[1]);
  close(go[0]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the child could not open its connections";
  // Accepting may lag the clients' connect() a little.
  for (int i = 0; i < 300 && server_->connections() < kClients; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GE(server_->connections(), static_cast<size_t>(kClients));

  const auto t0 = std::chrono::steady_clock::now();
  auto res = client()->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));

  ASSERT_EQ(write(go[1], "g", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  close(ready[0]);
  close(go[1]);
  for (int i = 0; i < 100 && server_->connections() > 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LE(server_->connections(), 1u);
}

}  // namespace
}  // namespace phalanx::lapi::test
