// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations during evaluation: the hot filter shapes must not allocate.
// This binary replaces the global operator new, so it is kept apart from the other tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "expr/data_files.h"
#include "expr_test_util.h"

namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;
}  // namespace

void* operator new(std::size_t size) {
  if (t_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace phalanx::expr::testing {
namespace {

long allocations_during(const Program& p, TestEvent& evt, RunContext& ctx, bool want) {
  Value vars[] = {Value::object(&evt)};
  EXPECT_EQ(p.run(vars, ctx)->truthy(), want) << p.source();  // warm up
  g_allocations = 0;
  t_counting = true;
  for (int i = 0; i < 100; ++i) {
    auto r = p.run(vars, ctx);
    if (!r || r->truthy() != want) {
      t_counting = false;
      ADD_FAILURE() << p.source() << " changed its answer";
      break;
    }
  }
  t_counting = false;
  return g_allocations.load();
}

TEST(ExprAllocations, HotFiltersDoNotAllocate) {
  DataFiles files;
  ASSERT_TRUE(files.add_strings("paths.txt", {"/etc/passwd", "/admin/login.php", "/.env"}));
  RunContext ctx{.data_files = &files};
  struct Row {
    std::string source;
    bool want;
  };
  const std::vector<Row> rows = {
      {"evt.Meta.log_type == 'ssh_failed-auth'", true},
      {"evt.Meta.log_type != 'ssh_failed-auth'", false},
      {"evt.Parsed.program in ['sshd', 'dropbear']", true},
      {"evt.Parsed.program in ['a','b','c','d','e','f','g','h','sshd']", true},
      {"evt.Meta.log_type == 'ssh_failed-auth' && evt.Meta.service == 'ssh'", true},
      {"evt.Meta.http_status in ['404', '403'] and evt.Meta.service != 'http'", true},
      {"evt.Meta.http_path contains '/admin'", true},
      {"evt.Meta.http_path startsWith '/admin' or evt.Meta.http_path endsWith '.php'", true},
      {"evt.Meta.http_path matches '^/admin/.*\\\\.php$'", true},
      {"evt.Line.Labels.type == 'syslog'", true},
      {"evt.Unmarshaled.a.s == 'str'", true},
      {"any(File('paths.txt'), {evt.Meta.http_path == #})", true},
      {"evt.Meta.http_path in File('paths.txt')", true},
      {"len(evt.Meta.source_ip) > 3 && evt.Meta.missing == ''", true},
      {"let p = evt.Meta.http_path; p startsWith '/' && p endsWith 'php'", true},
  };
  for (const Row& r : rows) {
    EventFixture fx;
    auto p = fx.compile_evt(r.source, &files);
    ASSERT_TRUE(p.has_value()) << r.source << ": " << p.error().message();
    EXPECT_EQ(allocations_during(*p, fx.evt, ctx, r.want), 0) << r.source;
  }
}

TEST(ExprAllocations, CounterSeesAllocations) {
  // The counter itself works: building a string result allocates.
  EventFixture fx;
  RunContext ctx;
  auto p = fx.compile_evt("Upper(evt.Meta.http_path) + '-suffix-long-enough-for-heap' != ''");
  ASSERT_TRUE(p.has_value());
  EXPECT_GT(allocations_during(*p, fx.evt, ctx, true), 0);
}

}  // namespace
}  // namespace phalanx::expr::testing
