// SPDX-License-Identifier: Apache-2.0
#include "core/uuid.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <set>
#include <thread>
#include <vector>

namespace phalanx {
namespace {

TEST(Uuid, VersionFourShape) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    const std::string id = uuid_v4();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
  }
}

TEST(Uuid, Distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i)
    seen.insert(uuid_v4());
  EXPECT_EQ(seen.size(), 10000u);
}

// Random bytes come from a per-thread block: threads must not share one.
TEST(Uuid, DistinctAcrossThreads) {
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& ids : got) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 2000; ++i)
        ids.push_back(uuid_v4());
    });
  }
  for (auto& t : threads)
    t.join();
  std::set<std::string> seen;
  for (const auto& ids : got)
    seen.insert(ids.begin(), ids.end());
  EXPECT_EQ(seen.size(), 8000u);
}

// A forked child must not reuse the rest of its parent's block.
TEST(Uuid, ForkedChildDoesNotRepeatTheParent) {
  (void)uuid_v4();  // the parent's block is now filled
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string id = uuid_v4();
    const ssize_t n = write(fds[1], id.data(), id.size());
    _exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string child(36, '\0');
  ASSERT_EQ(read(fds[0], child.data(), child.size()), 36);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_NE(child, uuid_v4());
}

}  // namespace
}  // namespace phalanx
