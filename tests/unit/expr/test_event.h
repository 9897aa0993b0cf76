// SPDX-License-Identifier: Apache-2.0
// A small event model for the expr tests: the shape of CrowdSec's pipeline.Event as far as the
// expressions see it (Meta/Parsed/Enriched string maps, Unmarshaled map, Line, Time, methods).
#pragma once

#include <map>
#include <string>

#include "expr/string_map_object.h"
#include "expr/value.h"

namespace phalanx::expr::testing {

class TestLine final : public Object {
 public:
  std::string raw;
  std::string src;
  std::string module;
  StringMap labels;

  std::string_view type_name() const override { return "Line"; }
  Value get(std::string_view field) const override {
    if (field == "Raw") return Value::view(raw);
    if (field == "Src") return Value::view(src);
    if (field == "Module") return Value::view(module);
    if (field == "Labels") return Value::object(&labels_view_);
    return Value();
  }

 private:
  StringMapObject labels_view_{&labels};
};

class TestEvent final : public Object {
 public:
  StringMap meta, parsed, enriched;
  Value unmarshaled = Value::new_map();
  TestLine line;
  ZonedTime time{};

  std::string_view type_name() const override { return "Event"; }
  Value get(std::string_view field) const override {
    if (field == "Meta") return Value::object(&meta_view_);
    if (field == "Parsed") return Value::object(&parsed_view_);
    if (field == "Enriched") return Value::object(&enriched_view_);
    if (field == "Unmarshaled") return unmarshaled;
    if (field == "Line") return Value::object(const_cast<TestLine*>(&line));
    if (field == "Time") return Value::time(time);
    if (field == "StrTime") return Value::view("");
    return Value();
  }
  Result<Value> call(std::string_view method, std::span<const Value> args) override {
    if (method == "GetMeta" && args.size() == 1 && args[0].is_string()) {
      auto it = meta.find(args[0].as_string());
      return it == meta.end() ? Value::view("") : Value::view(it->second);
    }
    if (method == "SetMeta" && args.size() == 2 && args[0].is_string() && args[1].is_string()) {
      meta[std::string(args[0].as_string())] = std::string(args[1].as_string());
      return Value::boolean(true);
    }
    if (method == "GetType") return Value::view("log");
    return Object::call(method, args);
  }

 private:
  StringMapObject meta_view_{&meta};
  StringMapObject parsed_view_{&parsed};
  StringMapObject enriched_view_{&enriched};
};

// A bucket queue: a list object of events.
class TestQueue final : public Object {
 public:
  std::vector<TestEvent*> events;
  std::string_view type_name() const override { return "Queue"; }
  Value get(std::string_view field) const override {
    if (field == "Queue") return Value::object(const_cast<TestQueue*>(this));
    return Value();
  }
  bool is_list() const override { return true; }
  std::optional<size_t> size() const override { return events.size(); }
  Value at(size_t i) const override { return Value::object(events[i]); }
};

}  // namespace phalanx::expr::testing
