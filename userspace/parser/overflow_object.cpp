// SPDX-License-Identifier: Apache-2.0
#include "parser/overflow_object.h"

#include <string>

namespace phalanx::parser {
namespace {

using expr::Value;

Error no_args(std::string_view method, size_t got) {
  return Error("method " + std::string(method) + " expects 0 argument(s), got " +
               std::to_string(got));
}

// Meta items as the hub's []*MetaItems0: a list of {Key, Value}.
Value meta_array(const std::vector<MetaItem>& meta) {
  expr::Array items;
  items.reserve(meta.size());
  for (const auto& item : meta) {
    auto m = std::make_shared<expr::Map>();
    m->set("Key", Value::view(item.key));
    m->set("Value", Value::view(item.value));
    items.push_back(Value::map(std::move(m)));
  }
  return Value::array(std::move(items));
}

}  // namespace

Value SourceObject::get(std::string_view field) const {
  const Source& s = *source_;
  if (field == "Scope") return Value::view(s.scope);
  if (field == "Value") return Value::view(s.value);
  if (field == "IP") return Value::view(s.ip);
  if (field == "Range") return Value::view(s.range);
  if (field == "AsName") return Value::view(s.as_name);
  if (field == "AsNumber") return Value::view(s.as_number);
  if (field == "Cn") return Value::view(s.cn);
  if (field == "Latitude") return Value::floating(s.latitude);
  if (field == "Longitude") return Value::floating(s.longitude);
  return Value();
}

std::vector<std::string> SourceObject::keys() const {
  return {"AsName", "AsNumber", "Cn", "IP", "Latitude", "Longitude", "Range", "Scope", "Value"};
}

Result<Value> SourceObject::call(std::string_view method, std::span<const Value> args) {
  if (method == "GetScope" || method == "GetValue") {
    if (!args.empty()) return no_args(method, args.size());
    return Value::view(method == "GetScope" ? source_->scope : source_->value);
  }
  return expr::Object::call(method, args);
}

Value AlertEventObject::get(std::string_view field) const {
  if (field == "Timestamp") return Value::view(event_->timestamp);
  if (field == "Meta") return meta_array(event_->meta);
  return Value();
}

std::vector<std::string> AlertEventObject::keys() const {
  return {"Meta", "Timestamp"};
}

Result<Value> AlertEventObject::call(std::string_view method, std::span<const Value> args) {
  if (method == "GetMeta") {
    if (args.size() != 1 || !args[0].is_string()) {
      return Error("method GetMeta expects one string argument");
    }
    for (const auto& item : event_->meta) {
      if (item.key == args[0].as_string()) return Value::view(item.value);
    }
    return Value::view("");
  }
  if (method == "GetTimestamp") {
    if (!args.empty()) return no_args(method, args.size());
    return Value::view(event_->timestamp);
  }
  return expr::Object::call(method, args);
}

AlertEventsObject::AlertEventsObject(const std::vector<AlertEvent>* events) {
  items_.reserve(events->size());
  for (const auto& e : *events)
    items_.push_back(std::make_unique<AlertEventObject>(&e));
}

Value AlertEventsObject::at(size_t index) const {
  return index < items_.size() ? Value::object(items_[index].get()) : Value();
}

Value AlertEventsObject::to_value() const {
  expr::Array items;
  items.reserve(items_.size());
  for (const auto& item : items_)
    items.push_back(item->to_value());
  return Value::array(std::move(items));
}

AlertObject::AlertObject(const Alert* alert)
    : alert_(alert), source_(&alert->source), events_(&alert->events) {}

Value AlertObject::get(std::string_view field) const {
  const Alert& a = *alert_;
  if (field == "Scenario") return Value::view(a.scenario);
  if (field == "ScenarioHash") return Value::view(a.scenario_hash);
  if (field == "ScenarioVersion") return Value::view(a.scenario_version);
  if (field == "Message") return Value::view(a.message);
  if (field == "Leakspeed") return Value::view(a.leakspeed);
  if (field == "StartAt") return Value::view(a.start_at);
  if (field == "StopAt") return Value::view(a.stop_at);
  if (field == "Kind") return Value::view(a.kind);
  if (field == "Capacity") return Value::integer(a.capacity);
  if (field == "EventsCount") return Value::integer(a.events_count);
  if (field == "Simulated") return Value::boolean(a.simulated);
  if (field == "Remediation") return Value::boolean(a.remediation);
  if (field == "Source") return Value::object(&source_);
  if (field == "Events") return Value::object(&events_);
  if (field == "Meta") return meta_array(a.meta);
  return Value();
}

std::vector<std::string> AlertObject::keys() const {
  return {"Capacity",        "Events",    "EventsCount", "Kind",     "Leakspeed",
          "Message",         "Meta",      "Remediation", "Scenario", "ScenarioHash",
          "ScenarioVersion", "Simulated", "Source",      "StartAt",  "StopAt"};
}

Result<Value> AlertObject::call(std::string_view method, std::span<const Value> args) {
  if (!method.starts_with("Get")) return expr::Object::call(method, args);
  if (!args.empty()) return no_args(method, args.size());
  const Alert& a = *alert_;
  if (method == "GetScope") return Value::view(a.source.scope);
  if (method == "GetValue") return Value::view(a.source.value);
  // The remaining getters mirror the fields.
  if (Value v = get(method.substr(3)); !v.is_nil()) return v;
  return expr::Object::call(method, args);
}

OverflowObject::SourcesObject::SourcesObject(const Overflow* overflow) {
  for (const auto& [key, source] : overflow->sources)
    objects_.emplace(key, std::make_unique<SourceObject>(&source));
}

Value OverflowObject::SourcesObject::get(std::string_view key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? Value() : Value::object(it->second.get());
}

bool OverflowObject::SourcesObject::has(std::string_view key) const {
  return objects_.find(key) != objects_.end();
}

std::vector<std::string> OverflowObject::SourcesObject::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : objects_)
    out.push_back(k);
  return out;
}

OverflowObject::OverflowObject(const Overflow* overflow)
    : overflow_(overflow),
      alert_(overflow->alert() ? std::make_unique<AlertObject>(overflow->alert()) : nullptr),
      sources_(overflow) {}

Value OverflowObject::get(std::string_view field) const {
  if (field == "Alert") return alert_ ? Value::object(alert_.get()) : Value();
  if (field == "Sources") return Value::object(&sources_);
  if (field == "Mapkey") return Value::view(overflow_->mapkey);
  if (field == "BucketId") return Value::view(overflow_->bucket_id);
  if (field == "Whitelisted") return Value::boolean(overflow_->whitelisted);
  if (field == "Reprocess") return Value::boolean(overflow_->reprocess);
  return Value();
}

std::vector<std::string> OverflowObject::keys() const {
  return {"Alert", "BucketId", "Mapkey", "Reprocess", "Sources", "Whitelisted"};
}

Result<Value> OverflowObject::call(std::string_view method, std::span<const Value> args) {
  if (method == "GetSources") {
    if (!args.empty()) return no_args(method, args.size());
    expr::Array keys;
    for (const auto& [k, v] : overflow_->sources)
      keys.push_back(Value::view(k));
    return Value::array(std::move(keys));
  }
  return expr::Object::call(method, args);
}

}  // namespace phalanx::parser
