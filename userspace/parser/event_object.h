// SPDX-License-Identifier: Apache-2.0
// The event as expressions see it: `evt.Meta.source_ip`, `evt.Line.Labels.type`,
// `evt.GetMeta('x')`, `evt.SetMeta('k', 'v')`, … with the hub's Go field names.
//
// EventObject borrows the Event it exposes: it is cheap to build (pointers only) and is made
// once per event by the parser. SnapshotEventObject owns a copy, for dumps and `explain`.
#pragma once

#include <memory>

#include "expr/value.h"
#include "parser/event.h"
#include "parser/overflow_object.h"

namespace phalanx::parser {

// A read-only view of a StringMap with Go map[string]string semantics ("" for missing keys).
class StringMapObject final : public expr::Object {
 public:
  explicit StringMapObject(const StringMap* map = nullptr) : map_(map) {}
  void reset(const StringMap* map) { map_ = map; }

  std::string_view type_name() const override { return "map[string]string"; }
  expr::Value get(std::string_view key) const override;
  bool has(std::string_view key) const override;
  std::optional<size_t> size() const override;
  std::vector<std::string> keys() const override;
  expr::Value to_value() const override;

 private:
  const StringMap* map_;
};

// evt.Line
class LineObject final : public expr::Object {
 public:
  explicit LineObject(const Line* line) : line_(line), labels_(&line->labels) {}

  std::string_view type_name() const override { return "Line"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;

 private:
  const Line* line_;
  StringMapObject labels_;
};

// evt itself. Not thread-safe: one evaluation at a time, as the event it wraps.
class EventObject : public expr::Object {
 public:
  explicit EventObject(Event* event);
  EventObject(const EventObject&) = delete;
  EventObject& operator=(const EventObject&) = delete;

  Event& event() { return *event_; }

  std::string_view type_name() const override { return "Event"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;
  // GetType(), GetMeta(k), SetMeta(k, v), SetParsed(k, v).
  Result<expr::Value> call(std::string_view method, std::span<const expr::Value> args) override;

 private:
  Event* event_;
  LineObject line_;
  StringMapObject parsed_;
  StringMapObject enriched_;
  StringMapObject meta_;
  // evt.Overflow, built on first use for the overflow the event holds.
  mutable std::unique_ptr<OverflowObject> overflow_;
  mutable const Overflow* overflow_of_ = nullptr;
};

// An EventObject that owns its event: a snapshot taken after a parser node ran.
class SnapshotEventObject final : public EventObject {
 public:
  explicit SnapshotEventObject(std::unique_ptr<Event> event)
      : EventObject(event.get()), owned_(std::move(event)) {}

 private:
  std::unique_ptr<Event> owned_;
};

// Takes a deep copy of an event (Unmarshaled included) as an expression value.
expr::Value snapshot_event(const Event& event);

}  // namespace phalanx::parser
