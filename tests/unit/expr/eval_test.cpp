// SPDX-License-Identifier: Apache-2.0
// Table-driven semantics of the language (expr-lang v1.17 as CrowdSec uses it). Every row runs
// twice, with and without compile-time optimisation, and both must agree. Closures and
// builtins are in eval_builtins_test.cpp.
#include <gtest/gtest.h>

#include "expr_test_util.h"

namespace phalanx::expr::testing {
namespace {

TEST(ExprEval, Literals) {
  run_both_ways({
      {"1", I(1)},
      {"-1", I(-1)},
      {"1_000", I(1000)},
      {"0x1F", I(31)},
      {"0o17", I(15)},
      {"0b101", I(5)},
      {"1.5", F(1.5)},
      {"1e3", F(1000)},
      {"2.5e-1", F(0.25)},
      {"true", B(true)},
      {"false", B(false)},
      {"nil", Nil()},
      {"'single'", S("single")},
      {"\"double\"", S("double")},
      {"`raw \\n`", S("raw \\n")},
      {"'tab\\there'", S("tab\there")},
      {"\"quote \\\" inside\"", S("quote \" inside")},
      {"'it\\'s'", S("it's")},
      {"'\\x41\\u00e9\\101'", S("A\xc3\xa9"
                                "A")},
      {"'\\U0001F600'", S("\xF0\x9F\x98\x80")},
      {"[1, 'a', true]", J(R"([1,"a",true])")},
      {"[]", J("[]")},
      {"[1, 2,]", J("[1,2]")},
      {"{a: 1, 'b c': 'd'}", J(R"({"a":1,"b c":"d"})")},
      {"{}", J("{}")},
      {"{(1+1): 'two'}", J(R"({"2":"two"})")},
      {"'bad \\q escape'", CompileErr("invalid escape")},
      {"'unterminated", CompileErr("unterminated string")},
      {"1 +", CompileErr("unexpected token")},
      {"(1", CompileErr("unexpected token")},
      {"1 2", CompileErr("unexpected token '2' at column 3")},
      {"@", CompileErr("unexpected character '@' at column 1")},
      {"1 // comment", I(1)},
      {"/* c */ 2", I(2)},
  });
}

TEST(ExprEval, Arithmetic) {
  run_both_ways({
      {"1 + 2", I(3)},
      {"1 + 2.5", F(3.5)},
      {"2.5 + 1", F(3.5)},
      {"5 - 7", I(-2)},
      {"3 * 4", I(12)},
      {"3 * 0.5", F(1.5)},
      {"7 / 2", F(3.5)},
      {"6 / 3", F(2)},
      {"1 / 0", F(std::numeric_limits<double>::infinity())},
      {"7 % 3", I(1)},
      {"-7 % 3", I(-1)},
      {"7 % 0", Err("integer divide by zero")},
      {"7.5 % 2", Err("invalid operation: float64 % int")},
      {"2 ** 10", F(1024)},
      {"2 ^ 3", F(8)},
      {"2 ** 3 ** 2", F(512)},
      {"-2 ** 2", F(-4)},
      {"1 + 2 * 3", I(7)},
      {"(1 + 2) * 3", I(9)},
      {"10 - 2 - 3", I(5)},
      {"-(3)", I(-3)},
      {"+3", I(3)},
      {"--3", I(3)},
      {"9223372036854775807 + 1", I(INT64_MIN)},
      {"'a' + 'b'", S("ab")},
      {"'a' + 1", Err("invalid operation: string + int")},
      {"1 + 'a'", Err("invalid operation: int + string")},
      {"nil + 1", Err("invalid operation: <nil> + int")},
      {"-'a'", Err("invalid operation: - string")},
      {"evt.Parsed.count + 1", Err("invalid operation: string + int")},
      {"int(evt.Parsed.count) + 1", I(13)},
      {"evt.Unmarshaled.num + 1", F(43)},
      {"1..3", J("[1,2,3]")},
      {"3..1", J("[]")},
      {"1..1", J("[1]")},
  });
}

TEST(ExprEval, Comparison) {
  run_both_ways({
      {"1 == 1", B(true)},
      {"1 == 1.0", B(true)},
      {"1.0 == 1", B(true)},
      {"1 != 2", B(true)},
      {"'a' == 'a'", B(true)},
      {"'a' == 'A'", B(false)},
      {"'1' == 1", B(false)},
      {"nil == nil", B(true)},
      {"nil != nil", B(false)},
      {"'' == nil", B(false)},
      {"evt.Meta.missing == nil", B(false)},
      {"evt.Meta.missing == ''", B(true)},
      {"evt.Unmarshaled.missing == nil", B(true)},
      {"evt.Unmarshaled.a.n == nil", B(true)},
      {"[1, 2] == [1, 2]", B(true)},
      {"[1, 2] == [2, 1]", B(false)},
      {"{a: 1} == {a: 1}", B(true)},
      {"true == true", B(true)},
      {"true == 1", B(false)},
      {"1 < 2", B(true)},
      {"2 <= 2", B(true)},
      {"3 > 2.5", B(true)},
      {"2.5 >= 3", B(false)},
      {"'abc' < 'abd'", B(true)},
      {"'B' < 'a'", B(true)},
      {"'10' < '9'", B(true)},
      {"1 < 2 < 3", B(true)},
      {"3 > 2 > 2", B(false)},
      {"1 < '2'", Err("invalid operation: int < string")},
      {"nil < 1", Err("invalid operation")},
      {"evt.Unmarshaled.num > 40", B(true)},
      {"evt.Unmarshaled.a.b == 1", B(true)},
      {"duration('1h') > duration('30m')", B(true)},
      {"duration('1h') == duration('60m')", B(true)},
  });
}

TEST(ExprEval, Logic) {
  run_both_ways({
      {"true and false", B(false)},
      {"true && true", B(true)},
      {"false or true", B(true)},
      {"false || false", B(false)},
      {"not true", B(false)},
      {"!false", B(true)},
      {"!!true", B(true)},
      {"not (1 == 2)", B(true)},
      {"true and false or true", B(true)},
      {"true or false and false", B(true)},
      {"false and (1 + 'a')", B(false)},
      {"true or (1 + 'a')", B(true)},
      {"true and (1 + 'a')", Err("invalid operation")},
      {"1 and true", Err("expected bool")},
      {"nil or true", Err("expected bool")},
      {"not 'x'", Err("expected bool")},
      {"true and 'x'", S("x")},
      {"evt.Meta.service == 'ssh' && evt.Parsed.program == 'sshd'", B(true)},
      {"evt.Meta.service == 'ssh' and evt.Parsed.program != 'sshd'", B(false)},
      {"false || false || 'x'", S("x")},
      {"true && 1 && true", Err("expected bool")},
      {"false or false or false or true", B(true)},
      {"true and true and (false or true) and true", B(true)},
      {"'abc' contains 'x' || 'abc' contains 'y' || 'abc' contains 'b'", B(true)},
      {"evt.Meta.http_path contains 'x' || evt.Meta.http_path contains 'y' || "
       "evt.Meta.http_path contains 'z' || evt.Meta.http_path contains 'login'",
       B(true)},
      {"evt.Meta.http_path endsWith '.asp' || evt.Meta.http_path endsWith '.jsp' || "
       "evt.Meta.http_path endsWith '.php'",
       B(true)},
      {"evt.Meta.http_path startsWith '/x' || evt.Meta.http_path startsWith '/y' || "
       "evt.Meta.http_path startsWith '/z'",
       B(false)},
      {"evt.Meta.service == 'a' || evt.Meta.service == 'b' || evt.Meta.service == 'ssh'", B(true)},
      {"evt.Unmarshaled.num contains 'a' || evt.Unmarshaled.num contains 'b' || "
       "evt.Unmarshaled.num contains 'c'",
       Err("float64")},
      {"evt.Unmarshaled.num == 'a' || evt.Unmarshaled.num == 'b' || evt.Unmarshaled.num == 42",
       B(true)},
      // IpInRange over literal ranges: one address parse and one table probe when optimised.
      {"IpInRange(evt.Meta.source_ip, '10.0.0.0/8') || IpInRange(evt.Meta.source_ip, "
       "'172.16.0.0/12') || IpInRange(evt.Meta.source_ip, '192.168.0.0/16')",
       B(true)},
      {"not (IpInRange(evt.Meta.source_ip, '127.0.0.0/8') || IpInRange(evt.Meta.source_ip, "
       "'::1/128') || IpInRange(evt.Meta.source_ip, 'fc00::/7'))",
       B(true)},
      {"IpInRange(evt.Meta.source_ip, 'not a range') || IpInRange(evt.Meta.source_ip, "
       "'192.168.1.0/30') || IpInRange(evt.Meta.source_ip, '192.168.1.10/32')",
       B(true)},
      {"IpInRange(evt.Meta.service, '0.0.0.0/0') || IpInRange(evt.Meta.service, '::/0') || "
       "IpInRange(evt.Meta.service, '10.0.0.0/8')",
       B(false)},
      {"IpInRange(evt.Unmarshaled.num, '10.0.0.0/8') || IpInRange(evt.Unmarshaled.num, "
       "'172.16.0.0/12') || IpInRange(evt.Unmarshaled.num, '192.168.0.0/16')",
       Err("IpInRange")},
  });
}

TEST(ExprEval, DepthLimitsAndLongChains) {
  std::string deep(600, '(');
  deep += "1" + std::string(600, ')');
  std::string sum = "1";
  for (int i = 0; i < 600; ++i)
    sum += " + 1";
  std::string chain = "evt.Meta.service == 'x0'";
  for (int i = 1; i < 3000; ++i)
    chain += " || evt.Meta.service == 'x" + std::to_string(i) + "'";
  std::string mixed = "evt.Meta.a contains 'q'";
  for (int i = 1; i < 1500; ++i) {
    mixed += (i % 7 == 0 ? " || evt.Meta.b endsWith 'q" : " || evt.Meta.a contains 'q") +
             std::to_string(i) + "'";
  }
  run_both_ways({
      {deep, CompileErr("nested too deeply")},
      {sum, CompileErr("nested too deeply")},
      {"[[[[[[[[[[1]]]]]]]]]][0][0][0][0][0][0][0][0][0][0]", I(1)},
      {chain, B(false)},
      {chain + " || evt.Meta.service == 'ssh'", B(true)},
      {mixed, B(false)},
      {mixed + " || evt.Meta.log_type contains 'failed'", B(true)},
  });
}

TEST(ExprEval, StringOperators) {
  run_both_ways({
      {"'hello world' contains 'lo w'", B(true)},
      {"'hello' contains ''", B(true)},
      {"'hello' contains 'x'", B(false)},
      {"'hello' not contains 'x'", B(true)},
      {"'hello' startsWith 'he'", B(true)},
      {"'hello' not startsWith 'he'", B(false)},
      {"'hello' endsWith 'llo'", B(true)},
      {"'hello' not endsWith 'llo'", B(false)},
      {"'hello' matches '^h.*o$'", B(true)},
      {"'hello' matches 'ell'", B(true)},
      {"'hello' matches '(?i)HELLO'", B(true)},
      {"'hello' not matches 'x'", B(true)},
      {"'a\\nb' matches 'a.b'", B(false)},
      {"'hello' matches '('", CompileErr("invalid regexp '(' at column 9")},
      {"evt.Meta.http_path matches '^/admin'", B(true)},
      {"evt.Meta.http_path matches evt.Meta.missing + '^/ad'", B(true)},
      {"evt.Meta.http_path matches evt.Meta.missing + '('", Err("missing )")},
      {"nil matches 'a'", Err("matches")},
      {"1 contains 'a'", Err("invalid operation: int contains string")},
      {"evt.Unmarshaled.missing contains 'a'", Err("<nil> contains string")},
      {"evt.Meta.missing startsWith ''", B(true)},
      {"'abc'[1:]", S("bc")},
      {"'abc'[:2]", S("ab")},
      {"'abc'[-1:]", S("c")},
      {"'abc'[4:]", S("")},
      {"'abc'[1:100]", S("bc")},
      {"'abc'[2:1]", S("")},
      {"'abc'[0]", I(97)},
      {"'abc'[3]", Err("index out of range: 3 (array length is 3)")},
      {"evt.Meta.http_path[7:]", S("login.php")},
      {"'é'[0:1]", S("\xc3")},
  });
}

TEST(ExprEval, InOperator) {
  run_both_ways({
      {"'a' in ['a', 'b']", B(true)},
      {"'c' in ['a', 'b']", B(false)},
      {"'c' not in ['a', 'b']", B(true)},
      {"1 in [1.0, 2]", B(true)},
      {"nil in [nil]", B(true)},
      {"'a' in nil", B(false)},
      {"'a' in evt.Unmarshaled.missing", B(false)},
      {"'a' in {a: 1}", B(true)},
      {"'z' in {a: 1}", B(false)},
      {"'log_type' in evt.Meta", B(true)},
      {"'nope' in evt.Meta", B(false)},
      {"'a' in evt.Unmarshaled", B(true)},
      {"'Meta' in evt", B(true)},
      {"'x' in 'xyz'", Err("operator \"in\" not defined on string")},
      {"evt.Parsed.program in ['sshd', 'dropbear']", B(true)},
      {"evt.Parsed.program in ['a','b','c','d','e','f','g','h','sshd']", B(true)},
      {"evt.Parsed.program in ['a','b','c','d','e','f','g','h','i']", B(false)},
      {"evt.Parsed.missing in ['']", B(true)},
      {"2 in 1..3", B(true)},
      {"'x' in evt.Unmarshaled.a.list", B(true)},
      {"evt.Meta.http_status in ['404', '403']", B(true)},
  });
}

TEST(ExprEval, MemberAccess) {
  run_both_ways({
      {"evt.Meta.log_type", S("ssh_failed-auth")},
      {"evt.Meta['log_type']", S("ssh_failed-auth")},
      {"evt.Meta[\"service\"]", S("ssh")},
      {"evt.Meta.missing", S("")},
      {"evt.Parsed.program", S("sshd")},
      {"evt.Line.Raw", S("raw line")},
      {"evt.Line.Labels.type", S("syslog")},
      {"evt.Line.Module", S("file")},
      {"evt.Unmarshaled.a.s", S("str")},
      {"evt.Unmarshaled.a.list[1]", S("y")},
      {"evt.Unmarshaled.a.list[-1]", S("y")},
      {"evt.Unmarshaled.a.list[-2]", S("x")},
      {"evt.Unmarshaled.a.list[2]", Err("index out of range: 2 (array length is 2)")},
      {"evt.Unmarshaled.a.list[-3]", Err("index out of range")},
      {"evt.Unmarshaled.a.list[1.9]", S("y")},
      {"evt.Unmarshaled.a.list['x']", Err("invalid operation: int(string)")},
      {"evt.Unmarshaled.missing", Nil()},
      {"evt.Unmarshaled.missing.deeper", Err("cannot fetch deeper from <nil>")},
      {"evt.Unmarshaled.missing?.deeper", Nil()},
      {"evt.Unmarshaled.missing?.deeper.deepest", Nil()},
      {"evt.Unmarshaled?.a?.s", S("str")},
      {"evt.Unmarshaled.missing?.['x']", Nil()},
      {"evt.Unmarshaled.a.s.x", Err("invalid operation: int(string)")},
      {"evt.NoSuchField", Nil()},
      {"[1, 2, 3][1:]", J("[2,3]")},
      {"[1, 2, 3][:-1]", J("[1,2]")},
      {"[1, 2, 3][-2:]", J("[2,3]")},
      {"[1, 2, 3][5:]", J("[]")},
      {"[1, 2, 3][:]", J("[1,2,3]")},
      {"{a: {b: 'c'}}.a.b", S("c")},
      {"{a: 1}['zz']", Nil()},
      {"nil.a", Err("cannot fetch a from <nil>")},
      {"1.5.a", Err("cannot fetch a from float64")},
  });
}

TEST(ExprEval, ConditionalsAndLet) {
  run_both_ways({
      {"true ? 1 : 2", I(1)},
      {"false ? 1 : 2", I(2)},
      {"1 == 2 ? 'a' : 1 == 1 ? 'b' : 'c'", S("b")},
      {"evt.Meta.service == 'ssh' ? evt.Meta.source_ip : ''", S("192.168.1.10")},
      {"'x' ? 1 : 2", Err("expected bool")},
      {"nil ?? 'default'", S("default")},
      {"'set' ?? 'default'", S("set")},
      {"evt.Unmarshaled.missing ?? 'fallback'", S("fallback")},
      {"evt.Unmarshaled.missing?.x ?? 'fb'", S("fb")},
      {"'' ?? 'x'", S("")},
      {"nil ?? nil ?? 3", I(3)},
      {"nil ?? 1 + 1", CompileErr("cannot be mixed")},
      {"(nil ?? 1) + 1", I(2)},
      {"let x = 2; x * 3", I(6)},
      {"let x = 2; let y = x + 1; x * y", I(6)},
      {"let s = evt.Meta.service; s == 'ssh'", B(true)},
      {"let x = 1; let x = 2; x", I(2)},
      {"let x = 1; y", CompileErr("unknown name y at column 12")},
      {"if true { 1 } else { 2 }", I(1)},
      {"if 1 > 2 { 1 } else if 2 > 1 { 'elif' } else { 3 }", S("elif")},
      {"if evt.Meta.service == 'http' { true } else { false }", B(false)},
      {"if true { let a = 5; a + 1 } else { 0 }", I(6)},
      {"1; 2; 3", I(3)},
      {"let a = evt.Meta; a.service", S("ssh")},
  });
}

}  // namespace
}  // namespace phalanx::expr::testing
