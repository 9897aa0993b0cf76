// SPDX-License-Identifier: Apache-2.0
#include "lapi/decision_json.h"

#include <fmt/format.h>

#include <ctime>

#include "core/time.h"

namespace phalanx::lapi {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

Duration round_to_second(Duration d) {
  using std::chrono::seconds;
  const auto whole = std::chrono::duration_cast<seconds>(d);  // truncates toward zero
  const Duration rest = d - whole;
  if (rest >= std::chrono::milliseconds(500)) return whole + seconds(1);
  if (rest <= -std::chrono::milliseconds(500)) return whole - seconds(1);
  return whole;
}

void append_decision_json(std::string& out, const storage::Decision& d, TimePoint now) {
  append_decision_json(out,
                       DecisionFields{.id = d.id,
                                      .until = d.until,
                                      .origin = d.origin,
                                      .scenario = d.scenario,
                                      .scope = d.scope,
                                      .type = d.type,
                                      .uuid = d.uuid,
                                      .value = d.value},
                       now);
}

void append_decision_json(std::string& out, const DecisionFields& d, TimePoint now) {
  out += R"({"duration":")";
  out += format_go_duration(round_to_second(d.until - now));
  out += R"(","id":)";
  fmt::format_to(std::back_inserter(out), "{}", d.id);
  out += R"(,"origin":)";
  append_json_string(out, d.origin);
  out += R"(,"scenario":)";
  append_json_string(out, d.scenario);
  out += R"(,"scope":)";
  append_json_string(out, d.scope);
  out += R"(,"type":)";
  append_json_string(out, d.type);
  if (!d.uuid.empty()) {
    out += R"(,"uuid":)";
    append_json_string(out, d.uuid);
  }
  out += R"(,"value":)";
  append_json_string(out, d.value);
  out.push_back('}');
}

std::string format_time_rfc3339(TimePoint t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto nanos = (t - secs).count();
  const time_t tt = static_cast<time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nanos != 0) {
    std::string frac = fmt::format("{:09d}", nanos);
    while (frac.back() == '0')
      frac.pop_back();
    out += '.';
    out += frac;
  }
  out += 'Z';
  return out;
}

}  // namespace phalanx::lapi
