// SPDX-License-Identifier: Apache-2.0
#include "expr/json_scan.h"

#include <charconv>

#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  size_t pos() const { return i_; }
  void ws() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }
  // At '"': returns the raw content and moves past the closing quote.
  std::optional<std::string_view> string() {
    if (!eat('"')) return std::nullopt;
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"')
      i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) return std::nullopt;
    return s_.substr(start, i_++ - start);
  }
  bool skip_value() {
    ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"') return string().has_value();
    if (c == '{' || c == '[') return skip_nested();
    size_t start = i_;
    while (i_ < s_.size() && !delimiter(s_[i_]))
      ++i_;
    return i_ > start;
  }
  // Moves to element `index` of the array at the cursor.
  bool seek_index(size_t index) {
    if (!eat('[')) return false;
    if (peek(']')) return false;
    for (size_t k = 0;; ++k) {
      ws();
      if (k == index) return true;
      if (!skip_value()) return false;
      if (!eat(',')) return false;
    }
  }
  // Moves to the value of `key` in the object at the cursor.
  bool seek_key(std::string_view key) {
    if (!eat('{')) return false;
    if (peek('}')) return false;
    while (true) {
      auto k = string();
      if (!k || !eat(':')) return false;
      ws();
      bool match = k->find('\\') == std::string_view::npos ? *k == key : json_unescape(*k) == key;
      if (match) return true;
      if (!skip_value()) return false;
      if (!eat(',')) return false;
    }
  }
  std::optional<JsonSlice> value() {
    ws();
    if (i_ >= s_.size()) return std::nullopt;
    size_t start = i_;
    char c = s_[i_];
    JsonType type;
    if (c == '"') {
      auto raw = string();
      if (!raw) return std::nullopt;
      return JsonSlice{*raw, JsonType::kString};
    }
    if (c == '{')
      type = JsonType::kObject;
    else if (c == '[')
      type = JsonType::kArray;
    else if (c == 't' || c == 'f')
      type = JsonType::kBoolean;
    else if (c == 'n')
      type = JsonType::kNull;
    else if (c == '-' || (c >= '0' && c <= '9'))
      type = JsonType::kNumber;
    else
      return std::nullopt;
    if (!skip_value()) return std::nullopt;
    return JsonSlice{s_.substr(start, i_ - start), type};
  }

 private:
  static bool delimiter(char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }
  bool skip_nested() {
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        if (!string()) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++i_;
      if (depth == 0) return true;
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<size_t> array_index(std::string_view component) {
  if (component.size() < 3 || component.front() != '[' || component.back() != ']') {
    return std::nullopt;
  }
  size_t index = 0;
  std::string_view digits = component.substr(1, component.size() - 2);
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (res.ec != std::errc() || res.ptr != digits.data() + digits.size()) return std::nullopt;
  return index;
}

int hex4(std::string_view s) {
  int v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v |= c - 'A' + 10;
    else
      return -1;
  }
  return v;
}

}  // namespace

std::optional<JsonSlice> json_get(std::string_view doc, const std::vector<std::string>& path) {
  Scanner sc(doc);
  for (const std::string& component : path) {
    if (auto index = array_index(component)) {
      if (!sc.seek_index(*index)) return std::nullopt;
    } else if (!sc.seek_key(component)) {
      return std::nullopt;
    }
  }
  return sc.value();
}

std::optional<std::string> json_unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    if (++i >= raw.size()) return std::nullopt;
    switch (raw[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (i + 4 >= raw.size()) return std::nullopt;
        int cp = hex4(raw.substr(i + 1, 4));
        if (cp < 0) return std::nullopt;
        i += 4;
        char32_t code = static_cast<char32_t>(cp);
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() && raw.substr(i + 1, 2) == "\\u") {
          int lo = hex4(raw.substr(i + 3, 4));
          if (lo >= 0xDC00 && lo < 0xE000) {
            code = 0x10000 + ((static_cast<char32_t>(cp) - 0xD800) << 10) +
                   (static_cast<char32_t>(lo) - 0xDC00);
            i += 6;
          }
        }
        if (code >= 0xD800 && code < 0xE000) code = 0xFFFD;
        append_rune(out, code);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::vector<std::string> json_split_path(std::string_view target) {
  std::string t(target);
  if (t.empty() || t[0] != '[') {
    std::string fixed;
    for (char c : t) {
      if (c == '[') fixed += '.';
      fixed += c;
    }
    t = fixed;
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = t.find('.', start);
    out.push_back(t.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace phalanx::expr::detail
