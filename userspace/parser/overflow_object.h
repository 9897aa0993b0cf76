// SPDX-License-Identifier: Apache-2.0
// Overflows as expressions see them, with the hub's Go names: evt.Overflow.Alert.GetScenario(),
// evt.Overflow.Sources["1.2.3.4"].GetScope(), evt.Overflow.GetSources(),
// evt.Overflow.Alert.Events[0].GetMeta("user"), Alert.Remediation (profiles), …
//
// The objects borrow what they expose; the owner keeps the Overflow alive during evaluation.
#pragma once

#include <memory>
#include <vector>

#include "expr/value.h"
#include "parser/overflow.h"

namespace phalanx::parser {

// models.Source
class SourceObject final : public expr::Object {
 public:
  explicit SourceObject(const Source* source) : source_(source) {}
  std::string_view type_name() const override { return "Source"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;
  // GetScope(), GetValue()
  Result<expr::Value> call(std::string_view method, std::span<const expr::Value> args) override;

 private:
  const Source* source_;
};

// models.Event of an alert.
class AlertEventObject final : public expr::Object {
 public:
  explicit AlertEventObject(const AlertEvent* event) : event_(event) {}
  std::string_view type_name() const override { return "models.Event"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;
  // GetMeta(key): the value of the first item with that key, or "".
  Result<expr::Value> call(std::string_view method, std::span<const expr::Value> args) override;

 private:
  const AlertEvent* event_;
};

// A list of alert events (Alert.Events).
class AlertEventsObject final : public expr::Object {
 public:
  explicit AlertEventsObject(const std::vector<AlertEvent>* events);
  std::string_view type_name() const override { return "[]*models.Event"; }
  expr::Value get(std::string_view) const override { return {}; }
  std::optional<size_t> size() const override { return items_.size(); }
  bool is_list() const override { return true; }
  expr::Value at(size_t index) const override;
  expr::Value to_value() const override;

 private:
  std::vector<std::unique_ptr<AlertEventObject>> items_;
};

// models.Alert
class AlertObject final : public expr::Object {
 public:
  explicit AlertObject(const Alert* alert);
  std::string_view type_name() const override { return "models.Alert"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;
  // GetScenario(), GetEventsCount(), GetScope(), GetValue(), GetCapacity(), GetLeakspeed(),
  // GetMessage(), GetStartAt(), GetStopAt(), GetSimulated(), GetScenarioHash(),
  // GetScenarioVersion(), GetRemediation()
  Result<expr::Value> call(std::string_view method, std::span<const expr::Value> args) override;

 private:
  const Alert* alert_;
  SourceObject source_;
  AlertEventsObject events_;
};

// RuntimeAlert (evt.Overflow, and `signal` in overflow filters).
class OverflowObject final : public expr::Object {
 public:
  explicit OverflowObject(const Overflow* overflow);
  std::string_view type_name() const override { return "RuntimeAlert"; }
  expr::Value get(std::string_view field) const override;
  std::vector<std::string> keys() const override;
  // GetSources(): the source values.
  Result<expr::Value> call(std::string_view method, std::span<const expr::Value> args) override;

 private:
  class SourcesObject final : public expr::Object {
   public:
    explicit SourcesObject(const Overflow* overflow);
    std::string_view type_name() const override { return "map[string]models.Source"; }
    expr::Value get(std::string_view key) const override;
    bool has(std::string_view key) const override;
    std::optional<size_t> size() const override { return objects_.size(); }
    std::vector<std::string> keys() const override;

   private:
    std::map<std::string, std::unique_ptr<SourceObject>, std::less<>> objects_;
  };

  const Overflow* overflow_;
  std::unique_ptr<AlertObject> alert_;  // null when the overflow has no alert
  SourcesObject sources_;
};

}  // namespace phalanx::parser
