// SPDX-License-Identifier: Apache-2.0
#include "parser/event_object.h"

#include <array>
#include <cstdint>
#include <string>

namespace phalanx::parser {
namespace {

using expr::Value;

Error arity_error(std::string_view method, size_t want, size_t got) {
  return Error("method " + std::string(method) + " expects " + std::to_string(want) +
               " argument(s), got " + std::to_string(got));
}

// Maps and arrays of Unmarshaled are shared and mutable; a snapshot must not see later writes.
Value deep_copy(const Value& v) {
  if (v.is_map()) {
    auto copy = std::make_shared<expr::Map>(v.as_map().string_valued());
    for (const auto& [k, item] : v.as_map().entries())
      copy->set(k, deep_copy(item));
    return Value::map(std::move(copy));
  }
  if (v.is_array()) {
    expr::Array items;
    items.reserve(v.as_array().size());
    for (const auto& item : v.as_array())
      items.push_back(deep_copy(item));
    return Value::array(std::move(items));
  }
  return v.to_owned();
}

// The value of key in m, with the position hint of StringMap::find kept per key text: the
// expressions that read evt.Meta.x, evt.Parsed.y, … pass the same stored key on every event, so
// its address names the lookup. A direct-mapped table per thread; a collision only costs the
// binary search the hint would have saved.
std::string_view hinted_get(const StringMap& m, std::string_view key) {
  struct Slot {
    const char* key = nullptr;
    uint32_t at = 0;
  };
  constexpr unsigned kBits = 10;
  thread_local std::array<Slot, size_t{1} << kBits> slots;
  // Multiplicative hashing of the address: the keys' strings sit wherever the programs that
  // hold them were allocated, and a plain modulo let a layout put a few hot ones together.
  const uint64_t h = (reinterpret_cast<uintptr_t>(key.data()) >> 3) * 0x9E3779B97F4A7C15ull;
  Slot& slot = slots[h >> (64 - kBits)];
  if (slot.key != key.data()) slot = Slot{key.data(), 0};
  const std::string* v = m.find(key, slot.at);
  return v != nullptr ? std::string_view(*v) : std::string_view();
}

}  // namespace

Value StringMapObject::get(std::string_view key) const {
  return Value::view(map_ != nullptr ? hinted_get(*map_, key) : std::string_view());
}

bool StringMapObject::has(std::string_view key) const {
  return map_ != nullptr && map_->contains(key);
}

std::optional<size_t> StringMapObject::size() const {
  return map_ ? map_->size() : 0;
}

std::vector<std::string> StringMapObject::keys() const {
  std::vector<std::string> out;
  if (map_ == nullptr) return out;
  out.reserve(map_->size());
  for (const auto& [k, v] : *map_)
    out.push_back(k);
  return out;
}

Value StringMapObject::to_value() const {
  auto m = std::make_shared<expr::Map>(true);
  if (map_ != nullptr) {
    for (const auto& [k, v] : *map_)
      m->set(k, Value::view(v));
  }
  return Value::map(std::move(m));
}

Value LineObject::get(std::string_view field) const {
  if (field == "Raw") return Value::view(line_->raw);
  if (field == "Src") return Value::view(line_->src);
  if (field == "Module") return Value::view(line_->module);
  if (field == "Process") return Value::boolean(line_->process);
  if (field == "Time") return Value::time(line_->time);
  if (field == "Labels") return Value::object(const_cast<StringMapObject*>(&labels_));
  return Value();
}

std::vector<std::string> LineObject::keys() const {
  return {"Labels", "Module", "Process", "Raw", "Src", "Time"};
}

EventObject::EventObject(Event* event)
    : event_(event),
      line_(&event->line),
      parsed_(&event->parsed),
      enriched_(&event->enriched),
      meta_(&event->meta) {}

Value EventObject::get(std::string_view field) const {
  const Event& e = *event_;
  auto* self = const_cast<EventObject*>(this);
  switch (field.empty() ? '\0' : field[0]) {
    case 'M':
      if (field == "Meta") return Value::object(&self->meta_);
      if (field == "MarshaledTime") return Value::view(e.marshaled_time);
      break;
    case 'P':
      if (field == "Parsed") return Value::object(&self->parsed_);
      if (field == "Process") return Value::boolean(e.process);
      break;
    case 'E':
      if (field == "Enriched") return Value::object(&self->enriched_);
      if (field == "ExpectMode") return Value::integer(int(e.expect_mode));
      break;
    case 'L':
      if (field == "Line") return Value::object(&self->line_);
      break;
    case 'O':
      if (field == "Overflow") {
        if (!e.overflow) return Value();
        if (overflow_of_ != e.overflow.get()) {
          overflow_ = std::make_unique<OverflowObject>(e.overflow.get());
          overflow_of_ = e.overflow.get();
        }
        return Value::object(overflow_.get());
      }
      break;
    case 'U':
      if (field == "Unmarshaled") return e.unmarshaled;
      break;
    case 'S':
      if (field == "StrTime") return Value::view(e.str_time);
      if (field == "StrTimeFormat") return Value::view(e.str_time_format);
      if (field == "Stage") return Value::view(e.stage);
      break;
    case 'T':
      if (field == "Time") return Value::time(e.time);
      if (field == "Type") return Value::integer(int(e.type));
      break;
    case 'W':
      if (field == "Whitelisted") return Value::boolean(e.whitelisted);
      if (field == "WhitelistReason") return Value::view(e.whitelist_reason);
      break;
    default:
      break;
  }
  return Value();
}

std::vector<std::string> EventObject::keys() const {
  return {"Enriched",      "ExpectMode", "Line",    "MarshaledTime", "Meta",
          "Overflow",      "Parsed",     "Process", "Stage",         "StrTime",
          "StrTimeFormat", "Time",       "Type",    "Unmarshaled",   "WhitelistReason",
          "Whitelisted"};
}

Result<Value> EventObject::call(std::string_view method, std::span<const Value> args) {
  Event& e = *event_;
  if (method == "GetType") {
    if (!args.empty()) return arity_error(method, 0, args.size());
    return Value::view(e.type == EventType::kOverflow ? "overflow" : "log");
  }
  if (method == "GetMeta") {
    if (args.size() != 1 || !args[0].is_string()) return arity_error(method, 1, args.size());
    return Value::view(e.meta.get(args[0].as_string()));
  }
  if (method == "SetMeta" || method == "SetParsed") {
    if (args.size() != 2 || !args[0].is_string() || !args[1].is_string()) {
      return Error("method " + std::string(method) + " expects (string, string)");
    }
    StringMap& target = method == "SetMeta" ? e.meta : e.parsed;
    target.set(args[0].as_string(), args[1].as_string());
    return Value::boolean(true);
  }
  return expr::Object::call(method, args);
}

Event make_line_event(std::string_view raw, std::string_view type, std::string_view src,
                      ZonedTime now) {
  Event evt;
  evt.expect_mode = ExpectMode::kTimeMachine;
  evt.line.raw.assign(raw);
  evt.line.src.assign(src);
  evt.line.module = "file";
  evt.line.time = now;
  evt.time = now;
  evt.line.labels.set("type", type);
  return evt;
}

Value snapshot_event(const Event& event) {
  auto copy = std::make_unique<Event>(event);
  copy->unmarshaled = deep_copy(event.unmarshaled);
  if (event.overflow) copy->overflow = std::make_shared<Overflow>(*event.overflow);
  return Value::object(std::make_shared<SnapshotEventObject>(std::move(copy)));
}

}  // namespace phalanx::parser
