// SPDX-License-Identifier: Apache-2.0
// Internal: the operations of the language on values, with expr-lang v1.17 semantics. Shared by
// the evaluator nodes and the builtin functions. Errors are runtime errors ("invalid operation:
// int + string", "cannot fetch x from <nil>", "index out of range: 5 (array length is 3)").
#pragma once

#include <string_view>

#include "core/result.h"
#include "expr/value.h"

namespace phalanx::expr::detail {

enum class ArithOp { kAdd, kSub, kMul, kDiv, kMod, kPow };
enum class CompareOp { kLt, kLe, kGt, kGe };

// Go-style type names for messages and type(): "int", "float64", "string", "bool", "<nil>",
// "[]interface {}", "map[string]interface {}", "map[string]string", "time.Time",
// "time.Duration", or the object's type name.
std::string go_type_name(const Value& v);

Result<Value> arith(ArithOp op, const Value& a, const Value& b);
Result<bool> compare(CompareOp op, const Value& a, const Value& b);
Result<Value> negate(const Value& v);

// `needle in haystack`: element equality over arrays and list objects, key presence over maps
// and objects; false over nil.
Result<bool> contains_in(const Value& needle, const Value& haystack);

// a.b / a[b]. optional: a nil receiver yields nil instead of an error.
Result<Value> fetch(const Value& from, const Value& key, bool optional);
// Fast path of fetch for a constant string key.
Result<Value> fetch_field(const Value& from, std::string_view key, bool optional);
// a[from:to] with clamping, as expr-lang: negative bounds count from the end.
Result<Value> slice(const Value& v, const Value* from, const Value* to);

// len(): bytes of a string, elements of an array/map/list object.
Result<int64_t> length(const Value& v);

// Iteration protocol for closures: arrays and list objects.
struct Iterable {
  const Array* array = nullptr;
  Object* object = nullptr;
  size_t size = 0;
  Value at(size_t i) const { return array ? (*array)[i] : object->at(i); }
};
Result<Iterable> iterate(const Value& v, std::string_view builtin);

// Conversions used by builtins: Go's strconv.Atoi (int()) and ParseFloat (float()).
Result<int64_t> parse_go_int(std::string_view s);
Result<double> parse_go_float(std::string_view s);
// Truncates floats; ints as is; else an error naming the operation.
Result<int64_t> to_int(const Value& v, std::string_view what);

// The string of a string value, or an error "<fn>: expected string, got <type>".
Result<std::string_view> want_string(const Value& v, std::string_view fn);

// Method calls on values: objects dispatch to Object::call; times and durations have Go's
// methods (Hour, Weekday, Unix, Sub, Seconds, String, ...).
Result<Value> call_method(const Value& receiver, std::string_view method,
                          std::span<const Value> args, bool optional);

}  // namespace phalanx::expr::detail
