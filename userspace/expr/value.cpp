// SPDX-License-Identifier: Apache-2.0
#include "expr/value.h"

#include <cstdlib>
#include <limits>

#include "core/duration.h"
#include "expr/go_format.h"

namespace phalanx::expr {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNil:
      return "nil";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
    case Kind::kObject:
      return "object";
    case Kind::kDuration:
      return "duration";
    case Kind::kTime:
      return "time";
  }
  return "?";
}

void Value::set_string(const char* data, size_t size) {
  // The length lives in 32 bits to keep Value at 32 bytes; no log line or data file is near it.
  if (size > std::numeric_limits<uint32_t>::max()) std::abort();
  u_.p = data;
  aux_ = static_cast<uint32_t>(size);
}

Value Value::string(std::string s) {
  auto owned = std::make_shared<const std::string>(std::move(s));
  Value v(Kind::kString);
  v.set_string(owned->data(), owned->size());
  v.owner_ = std::move(owned);
  return v;
}

Value Value::array(Array items) {
  return array(std::make_shared<const Array>(std::move(items)));
}

Value Value::array(std::shared_ptr<const Array> items) {
  Value v(Kind::kArray);
  v.u_.p = items.get();
  v.owner_ = std::move(items);
  return v;
}

Value Value::map(std::shared_ptr<Map> map) {
  Value v(Kind::kMap);
  v.u_.p = map.get();
  v.owner_ = std::move(map);
  return v;
}

Value Value::new_map(bool string_valued) {
  return map(std::make_shared<Map>(string_valued));
}

Value Value::object(std::shared_ptr<Object> object) {
  Value v(Kind::kObject);
  v.u_.p = object.get();
  v.owner_ = std::move(object);
  return v;
}

std::shared_ptr<const Array> Value::array_ptr() const {
  check(Kind::kArray);
  if (owner_) return std::static_pointer_cast<const Array>(owner_);
  return {};
}

std::shared_ptr<Map> Value::map_ptr() const {
  check(Kind::kMap);
  return std::const_pointer_cast<Map>(std::static_pointer_cast<const Map>(owner_));
}

namespace {

bool array_borrows(const Array& items) {
  for (const Value& item : items) {
    if (item.is_borrowed()) return true;
    if (item.is_array() && array_borrows(item.as_array())) return true;
  }
  return false;
}

}  // namespace

Value Value::to_owned() const {
  if (is_borrowed_string()) return Value::string(std::string(as_string()));
  if (is_array() && (!owner_ || array_borrows(as_array()))) {
    Array copy;
    copy.reserve(as_array().size());
    for (const Value& item : as_array())
      copy.push_back(item.to_owned());
    return Value::array(std::move(copy));
  }
  if (is_map() && !owner_) {
    auto copy = std::make_shared<Map>(as_map().string_valued());
    for (const auto& [key, item] : as_map().entries())
      copy->set(key, item);
    return Value::map(std::move(copy));
  }
  return *this;
}

std::string_view Value::type_name() const {
  if (kind_ == Kind::kObject) return as_object().type_name();
  return kind_name(kind_);
}

namespace {

void append_display(std::string& out, const Value& v);

void append_array(std::string& out, const Array& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    append_display(out, items[i]);
  }
  out += ']';
}

void append_map(std::string& out, const Map& map) {
  out += "map[";
  bool first = true;
  for (const auto& [key, value] : map.entries()) {
    if (!first) out += ' ';
    first = false;
    out += key;
    out += ':';
    append_display(out, value);
  }
  out += ']';
}

void append_display(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNil:
      out += "<nil>";
      return;
    case Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Kind::kFloat:
      out += format_go_float(v.as_float());
      return;
    case Kind::kString:
      out += v.as_string();
      return;
    case Kind::kArray:
      append_array(out, v.as_array());
      return;
    case Kind::kMap:
      append_map(out, v.as_map());
      return;
    case Kind::kObject: {
      Value snapshot = v.as_object().to_value();
      if (snapshot.is_object()) {
        out += '{';
        out += v.as_object().type_name();
        out += '}';
      } else {
        append_display(out, snapshot);
      }
      return;
    }
    case Kind::kDuration:
      out += format_go_duration(v.as_duration());
      return;
    case Kind::kTime:
      out += format_go_time(v.as_time());
      return;
  }
}

bool arrays_equal(const Array& a, const Array& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i])) return false;
  }
  return true;
}

bool maps_equal(const Map& a, const Map& b) {
  if (a.size() != b.size()) return false;
  auto ia = a.entries().begin();
  auto ib = b.entries().begin();
  for (; ia != a.entries().end(); ++ia, ++ib) {
    if (ia->first != ib->first || !(ia->second == ib->second)) return false;
  }
  return true;
}

}  // namespace

std::string Value::to_string() const {
  if (kind_ == Kind::kString) return std::string(as_string());
  std::string out;
  append_display(out, *this);
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.to_double() == b.to_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNil:
      return true;
    case Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kArray:
      return &a.as_array() == &b.as_array() || arrays_equal(a.as_array(), b.as_array());
    case Kind::kMap:
      return &a.as_map() == &b.as_map() || maps_equal(a.as_map(), b.as_map());
    case Kind::kObject:
      return &a.as_object() == &b.as_object();
    case Kind::kDuration:
      return a.as_duration() == b.as_duration();
    case Kind::kTime:
      return a.as_time().time == b.as_time().time;
    default:
      return false;
  }
}

Value Map::get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  return string_valued_ ? Value::view("") : Value();
}

const Value* Map::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void Map::set(std::string_view key, const Value& value) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second = value.to_owned();
  } else {
    entries_.emplace(std::string(key), value.to_owned());
  }
}

bool Map::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool Object::has(std::string_view key) const {
  return !get(key).is_nil();
}

Result<Value> Object::call(std::string_view method, std::span<const Value> /*args*/) {
  return Error("unknown method " + std::string(method) + " of " + std::string(type_name()));
}

Result<void> Object::set(std::string_view key, const Value& /*value*/) {
  return Error("cannot set " + std::string(key) + " on " + std::string(type_name()));
}

Value Object::to_value() const {
  if (is_list()) {
    Array items;
    size_t n = size().value_or(0);
    items.reserve(n);
    for (size_t i = 0; i < n; ++i)
      items.push_back(at(i).to_owned());
    return Value::array(std::move(items));
  }
  auto m = std::make_shared<Map>();
  for (const std::string& key : keys())
    m->set(key, get(key));
  return Value::map(std::move(m));
}

}  // namespace phalanx::expr
