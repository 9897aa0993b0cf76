// SPDX-License-Identifier: Apache-2.0
#include "expr/json.h"

#include <cmath>

#include "expr/go_format.h"

namespace phalanx::expr {

nlohmann::json to_json(const Value& value) {
  switch (value.kind()) {
    case Kind::kNil:
      return nullptr;
    case Kind::kBool:
      return value.as_bool();
    case Kind::kInt:
      return value.as_int();
    case Kind::kFloat:
      if (!std::isfinite(value.as_float())) return nullptr;
      return value.as_float();
    case Kind::kString:
      return std::string(value.as_string());
    case Kind::kArray: {
      nlohmann::json out = nlohmann::json::array();
      for (const Value& item : value.as_array())
        out.push_back(to_json(item));
      return out;
    }
    case Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, item] : value.as_map().entries())
        out[key] = to_json(item);
      return out;
    }
    case Kind::kObject:
      return to_json(value.as_object().to_value());
    case Kind::kDuration:
      return value.as_duration().count();
    case Kind::kTime:
      return format_rfc3339_nano(value.as_time());
  }
  return nullptr;
}

Value from_json(const nlohmann::json& json, JsonNumbers numbers) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return Value();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      if (numbers == JsonNumbers::kFloat64) return Value::floating(json.get<double>());
      return Value::integer(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      if (numbers == JsonNumbers::kFloat64 || json.get<uint64_t>() > INT64_MAX) {
        return Value::floating(json.get<double>());
      }
      return Value::integer(static_cast<int64_t>(json.get<uint64_t>()));
    case nlohmann::json::value_t::number_float: {
      double d = json.get<double>();
      if (numbers == JsonNumbers::kPreserveIntegers && std::trunc(d) == d && std::fabs(d) < 9e15) {
        return Value::integer(static_cast<int64_t>(d));
      }
      return Value::floating(d);
    }
    case nlohmann::json::value_t::string:
      return Value::string(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      Array items;
      items.reserve(json.size());
      for (const auto& item : json)
        items.push_back(from_json(item, numbers));
      return Value::array(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto map = std::make_shared<Map>();
      for (auto it = json.begin(); it != json.end(); ++it) {
        map->set(it.key(), from_json(it.value(), numbers));
      }
      return Value::map(std::move(map));
    }
    case nlohmann::json::value_t::binary:
      return Value();
  }
  return Value();
}

Result<Value> parse_json(std::string_view text, JsonNumbers numbers) {
  try {
    return from_json(nlohmann::json::parse(text), numbers);
  } catch (const nlohmann::json::exception& e) {
    return Error(std::string("parsing json: ") + e.what());
  }
}

}  // namespace phalanx::expr
