// SPDX-License-Identifier: Apache-2.0
// The per-event memo (expr/event_memo.h): programs that share one on an event share the values
// of their pure calls over the event; a method that may change the event, or reset(), makes
// them computed again; runs without a memo are unaffected.
#include "expr/event_memo.h"

#include <gtest/gtest.h>

#include "expr_test_util.h"

namespace phalanx::expr {
namespace {

using testing::EventFixture;

Value run(EventFixture& fx, const std::string& source, RunContext& ctx) {
  auto program = fx.compile_evt(source);
  EXPECT_TRUE(program) << source << ": " << program.error().message();
  Value vars[] = {Value::object(&fx.evt)};
  auto v = program->run(vars, ctx);
  EXPECT_TRUE(v) << source << ": " << v.error().message();
  return v ? *v : Value();
}

TEST(EventMemo, ProgramsSharingAMemoComputeAPureCallOnce) {
  EventFixture fx;
  EventMemo memo;
  RunContext ctx;
  ctx.memo = &memo;
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path)", ctx), Value::string("/ADMIN/LOGIN.PHP"));
  // The event changes behind the memo's back: a second program, on what the embedder declares
  // the same event, is served the first one's value. That is the sharing (and why the embedder
  // resets the memo for every event).
  fx.evt.meta["http_path"] = "/other";
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path) == '/ADMIN/LOGIN.PHP'", ctx), Value::boolean(true));
  // Another call, or the same function over another path, is its own entry.
  EXPECT_EQ(run(fx, "Lower(evt.Meta.http_path)", ctx), Value::string("/other"));
  EXPECT_EQ(run(fx, "Upper(evt.Meta.service)", ctx), Value::string("SSH"));
  // Without a memo, or after a reset, the call sees the event as it is.
  RunContext plain;
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path)", plain), Value::string("/OTHER"));
  memo.reset();
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path)", ctx), Value::string("/OTHER"));
}

TEST(EventMemo, AMethodThatMayChangeTheEventInvalidatesIt) {
  EventFixture fx;
  EventMemo memo;
  RunContext ctx;
  ctx.memo = &memo;
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path)", ctx), Value::string("/ADMIN/LOGIN.PHP"));
  EXPECT_EQ(run(fx, "evt.SetMeta('http_path', '/x') && Upper(evt.Meta.http_path) == '/X'", ctx),
            Value::boolean(true));
  EXPECT_EQ(run(fx, "Upper(evt.Meta.http_path)", ctx), Value::string("/X"));
  // Reading methods keep it.
  fx.evt.meta["http_path"] = "/y";
  EXPECT_EQ(run(fx, "evt.GetMeta('service') == 'ssh' && Upper(evt.Meta.http_path) == '/X'", ctx),
            Value::boolean(true));
}

TEST(EventMemo, OnlyPureCallsOverTheVariablesAreKept) {
  EventFixture fx;
  EventMemo memo;
  RunContext ctx;
  ctx.memo = &memo;
  // A constant argument, or a closure element, is not a variable path: computed every time.
  EXPECT_EQ(run(fx, "Split(evt.Meta.http_path, '/')[1]", ctx), Value::string("admin"));
  EXPECT_EQ(run(fx, "join(map(['a', 'b'], {Upper(#)}), ',')", ctx), Value::string("A,B"));
  fx.evt.meta["http_path"] = "/other/x";
  EXPECT_EQ(run(fx, "Split(evt.Meta.http_path, '/')[1]", ctx), Value::string("other"));
  EXPECT_EQ(run(fx, "join(map(['c'], {Upper(#)}), ',')", ctx), Value::string("C"));
}

}  // namespace
}  // namespace phalanx::expr
