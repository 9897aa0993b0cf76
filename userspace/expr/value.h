// SPDX-License-Identifier: Apache-2.0
// expr::Value — the dynamically typed value every expression evaluates to — and the two
// container/host types it can refer to: Map (shared, mutable, string keys) and Object (an
// abstract host object such as the event, its Meta map, an alert or a bucket queue).
//
// Value is a 32-byte copyable handle. Scalars are stored inline. Strings are either BORROWED
// (a string_view into storage the caller guarantees outlives every use of the value, e.g. the
// event's maps during one evaluation) or OWNED (shared, immutable). Arrays are shared and
// immutable; maps are shared and mutable (UnmarshalJSON/ParseKV write into them). Copying a
// value that holds no owned payload costs no atomic operation.
//
// Thread-safety: a Value may be copied and read from several threads when the payload it refers
// to is not being mutated; Map and Object instances are not synchronised.
#pragma once

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/result.h"
#include "core/time.h"

namespace phalanx::expr {

class ListCache;
class Map;
class Object;
class Value;

using Array = std::vector<Value>;

enum class Kind : uint8_t {
  kNil,
  kBool,
  kInt,
  kFloat,
  kString,
  kArray,
  kMap,
  kObject,
  kDuration,
  kTime,
};

// "nil", "bool", "int", "float", "string", "array", "map", "object", "duration", "time".
std::string_view kind_name(Kind kind);

class Value {
 public:
  Value() noexcept : u_{.i = 0} {}

  static Value nil() { return Value(); }
  static Value boolean(bool b) {
    Value v(Kind::kBool);
    v.u_.b = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v(Kind::kInt);
    v.u_.i = i;
    return v;
  }
  static Value floating(double f) {
    Value v(Kind::kFloat);
    v.u_.f = f;
    return v;
  }
  // A borrowed string: the caller guarantees the bytes outlive every copy of the value.
  // Strings longer than 4 GiB are not representable (aborts).
  static Value view(std::string_view s) {
    Value v(Kind::kString);
    v.set_string(s.data(), s.size());
    return v;
  }
  // An owned string (shared, immutable).
  static Value string(std::string s);
  static Value array(Array items);
  static Value array(std::shared_ptr<const Array> items);
  static Value map(std::shared_ptr<Map> map);
  // A fresh empty map; string_valued as in Map.
  static Value new_map(bool string_valued = false);
  // A borrowed host object (the caller keeps it alive), or an owned one.
  static Value object(Object* object) {
    Value v(Kind::kObject);
    v.u_.p = object;
    return v;
  }
  // Convenience for Object::get() implementations handing out their members. Method calls
  // through the value may still mutate the object (evt.SetMeta), as they would in Go.
  static Value object(const Object* object) { return Value::object(const_cast<Object*>(object)); }
  static Value object(std::shared_ptr<Object> object);
  static Value duration(Duration d) {
    Value v(Kind::kDuration);
    v.u_.i = d.count();
    return v;
  }
  static Value time(ZonedTime t) {
    Value v(Kind::kTime);
    v.u_.i = t.time.time_since_epoch().count();
    v.aux_ = static_cast<uint32_t>(t.utc_offset_s);
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_duration() const { return kind_ == Kind::kDuration; }
  bool is_time() const { return kind_ == Kind::kTime; }
  // True for a borrowed string (a view into caller-owned storage).
  bool is_borrowed_string() const { return kind_ == Kind::kString && !owner_; }

  // Accessors: the kind must match (checked by assert).
  bool as_bool() const { return check(Kind::kBool), u_.b; }
  int64_t as_int() const { return check(Kind::kInt), u_.i; }
  double as_float() const { return check(Kind::kFloat), u_.f; }
  // An int or a float as double.
  double to_double() const { return kind_ == Kind::kInt ? static_cast<double>(u_.i) : as_float(); }
  std::string_view as_string() const {
    check(Kind::kString);
    return std::string_view(static_cast<const char*>(u_.p), aux_);
  }
  const Array& as_array() const { return check(Kind::kArray), *static_cast<const Array*>(u_.p); }
  std::shared_ptr<const Array> array_ptr() const;
  Map& as_map() const { return check(Kind::kMap), *static_cast<Map*>(const_cast<void*>(u_.p)); }
  std::shared_ptr<Map> map_ptr() const;
  Object& as_object() const {
    return check(Kind::kObject), *static_cast<Object*>(const_cast<void*>(u_.p));
  }
  Duration as_duration() const { return check(Kind::kDuration), Duration(u_.i); }
  ZonedTime as_time() const {
    check(Kind::kTime);
    return ZonedTime{TimePoint(Duration(u_.i)), static_cast<int32_t>(aux_)};
  }

  // The truth value used where a condition is expected but a runtime error is not wanted
  // (parser filters): true only for the boolean true.
  bool truthy() const { return kind_ == Kind::kBool && u_.b; }

  // A copy that no longer borrows: strings become owned, borrowed arrays and maps are copied,
  // arrays are copied when any element borrows (recursively). Owned maps and all objects are
  // shared as they are. Use before storing a value beyond the evaluation that produced it.
  Value to_owned() const;
  // A non-owning copy (no reference count is touched when it is copied further). The caller
  // guarantees the payload outlives it; compiled constants and data files hand these out.
  Value borrowed() const {
    Value v = *this;
    v.owner_.reset();
    return v;
  }
  // Whether a string, array or map is held without ownership.
  bool is_borrowed() const {
    return (kind_ == Kind::kString || kind_ == Kind::kArray || kind_ == Kind::kMap) && !owner_;
  }

  // Go fmt "%v" rendering: nil is "<nil>", floats as Go prints them ("1e+06", "0.5"), arrays
  // "[a b]", maps "map[k:v]", durations "1h0m0s", times "2006-01-02 15:04:05 +0000 UTC".
  std::string to_string() const;
  // A type name for error messages: the kind name, or the object's type_name().
  std::string_view type_name() const;

  // expr-lang equality: numbers compare numerically across int/float, strings byte-wise,
  // nil == nil, arrays and maps deeply, objects by identity, times by instant; values of
  // different kinds are unequal. Never fails.
  friend bool operator==(const Value& a, const Value& b);

 private:
  explicit Value(Kind kind) : kind_(kind), u_{.i = 0} {}
  void check([[maybe_unused]] Kind kind) const { assert(kind_ == kind); }
  void set_string(const char* data, size_t size);

  Kind kind_ = Kind::kNil;
  uint32_t aux_ = 0;  // string length, or the UTC offset of a time
  union {
    bool b;
    int64_t i;
    double f;
    const void* p;
  } u_;
  std::shared_ptr<const void> owner_;  // keeps an owned payload alive; null when borrowed
};

// A string-keyed map (a Go map[string]any, or a map[string]string when string_valued).
// Keys are kept sorted, as Go prints and marshals maps. Values stored are always owned.
// Not thread-safe.
class Map {
 public:
  using Entries = std::map<std::string, Value, std::less<>>;

  explicit Map(bool string_valued = false) : string_valued_(string_valued) {}

  // Whether this map models Go's map[string]string: a missing key reads "" instead of nil.
  bool string_valued() const { return string_valued_; }
  // The value for key; "" (string_valued) or nil when missing.
  Value get(std::string_view key) const;
  // The stored value, or nullptr.
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return entries_.find(key) != entries_.end(); }
  // Stores an owned copy of value under key.
  void set(std::string_view key, const Value& value);
  bool erase(std::string_view key);
  size_t size() const { return entries_.size(); }
  const Entries& entries() const { return entries_; }

 private:
  Entries entries_;
  bool string_valued_ = false;
};

// A host object reachable from expressions: `a.b` and `a["b"]` call get(), `"k" in a` calls
// has(), len(a) calls size(), `a.M(x)` calls call(). An object that is a list (a bucket queue,
// an alert's events) answers is_list(), size() and at(), and closures iterate it.
//
// Values returned by get()/at() may borrow from the object; they must stay valid for the
// evaluation. Implementations need not be thread-safe: one evaluation uses an object at a time.
class Object {
 public:
  virtual ~Object() = default;

  // A short name for error messages ("Event", "map[string]string").
  virtual std::string_view type_name() const = 0;
  // A field or map key. A member the object does not have reads nil; a string map's missing
  // key reads "".
  virtual Value get(std::string_view field) const = 0;
  // Key or field presence, for `"k" in obj` and get(obj, k). Defaults to !get(key).is_nil().
  virtual bool has(std::string_view key) const;
  // The length for len(); nullopt when len() does not apply (an error at run time).
  virtual std::optional<size_t> size() const { return std::nullopt; }
  // Map keys, for keys() and display; empty for structs.
  virtual std::vector<std::string> keys() const { return {}; }
  // A method call such as evt.GetMeta("x"). Errors: unknown method, bad arguments, or whatever
  // the method reports. The default reports "unknown method <m> of <type>".
  virtual Result<Value> call(std::string_view method, std::span<const Value> args);
  // Stores key = value (UnmarshalJSON/ParseKV targets). The default refuses.
  virtual Result<void> set(std::string_view key, const Value& value);
  // List protocol.
  virtual bool is_list() const { return false; }
  virtual Value at([[maybe_unused]] size_t index) const { return Value(); }
  // Opt-in for incremental closures: a list that keeps the promises of expr/list_cache.h (it
  // grows at the back, shrinks at the front, and its elements do not change) returns its
  // cache, and closures whose body is a pure function of the element reuse the results of
  // earlier runs. The default, nullptr, evaluates every element on every run.
  virtual ListCache* list_cache() const { return nullptr; }
  // A snapshot for display and JSON: the default is a map of keys() to get().
  virtual Value to_value() const;
};

}  // namespace phalanx::expr
