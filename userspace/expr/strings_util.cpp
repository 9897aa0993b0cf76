// SPDX-License-Identifier: Apache-2.0
#include "expr/strings_util.h"

#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

bool in_cutset(char32_t r, std::string_view cutset) {
  size_t i = 0;
  while (i < cutset.size()) {
    Rune c = decode_rune(cutset.substr(i));
    if (c.code == r) return true;
    i += c.size;
  }
  return false;
}

constexpr char kUpperHex[] = "0123456789ABCDEF";

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Go's url.shouldEscape for encodeQueryComponent and encodePathSegment.
bool should_escape(unsigned char c, bool query) {
  if (unreserved(c)) return false;
  switch (c) {
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
      if (query) return true;
      return c == '/' || c == ';' || c == ',' || c == '?';
    default:
      return true;
  }
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string_view go_trim(std::string_view s, std::string_view cutset, bool left, bool right) {
  while (left && !s.empty()) {
    Rune r = decode_rune(s);
    if (!in_cutset(r.code, cutset)) break;
    s.remove_prefix(r.size);
  }
  while (right && !s.empty()) {
    Rune r = decode_last_rune(s);
    if (!in_cutset(r.code, cutset)) break;
    s.remove_suffix(r.size);
  }
  return s;
}

std::vector<std::string_view> go_split(std::string_view s, std::string_view sep, bool after,
                                       int64_t n) {
  std::vector<std::string_view> out;
  if (n == 0) return out;
  if (sep.empty()) {
    // Splits into UTF-8 sequences, the last one holding the rest when n is reached.
    while (!s.empty()) {
      if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
        out.push_back(s);
        return out;
      }
      size_t size = decode_rune(s).size;
      out.push_back(s.substr(0, size));
      s.remove_prefix(size);
    }
    return out;
  }
  while (n < 0 || static_cast<int64_t>(out.size()) < n - 1) {
    size_t pos = s.find(sep);
    if (pos == std::string_view::npos) break;
    out.push_back(s.substr(0, pos + (after ? sep.size() : 0)));
    s.remove_prefix(pos + sep.size());
  }
  out.push_back(s);
  return out;
}

std::vector<std::string_view> go_fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0, start = 0;
  bool in_field = false;
  while (i < s.size()) {
    Rune r = decode_rune(s.substr(i));
    bool space = !r.invalid && is_go_space(r.code);
    if (space && in_field) {
      out.push_back(s.substr(start, i - start));
      in_field = false;
    } else if (!space && !in_field) {
      start = i;
      in_field = true;
    }
    i += r.size;
  }
  if (in_field) out.push_back(s.substr(start));
  return out;
}

std::string go_replace(std::string_view s, std::string_view from, std::string_view to, int64_t n) {
  std::string out;
  if (from.empty()) {
    // Go inserts `to` before every rune and at the end.
    size_t i = 0;
    int64_t done = 0;
    while (n < 0 || done < n) {
      out += to;
      ++done;
      if (i >= s.size()) return out;
      size_t size = decode_rune(s.substr(i)).size;
      out += s.substr(i, size);
      i += size;
    }
    out += s.substr(i);
    return out;
  }
  int64_t done = 0;
  while (n < 0 || done < n) {
    size_t pos = s.find(from);
    if (pos == std::string_view::npos) break;
    out += s.substr(0, pos);
    out += to;
    s.remove_prefix(pos + from.size());
    ++done;
  }
  out += s;
  return out;
}

Value strings_to_array(const std::vector<std::string_view>& parts) {
  Array items;
  items.reserve(parts.size());
  for (std::string_view p : parts)
    items.push_back(Value::string(std::string(p)));
  return Value::array(std::move(items));
}

std::string url_escape(std::string_view s, bool query) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' && query) {
      out += '+';
    } else if (should_escape(c, query)) {
      out += '%';
      out += kUpperHex[c >> 4];
      out += kUpperHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Result<std::string> url_unescape(std::string_view s, bool query) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return Error("invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
      }
      int hi = unhex(s[i + 1]), lo = unhex(s[i + 2]);
      if (hi < 0 || lo < 0)
        return Error("invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && query) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string base64_encode(std::string_view s) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v =
        (uint32_t(uint8_t(s[i])) << 16) | (uint32_t(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6)
      out += kB64[(v >> k) & 63];
  }
  size_t rest = s.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(uint8_t(s[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(s[i + 1])) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view s) {
  std::string clean;
  for (char c : s) {
    if (c != '\r' && c != '\n') clean += c;  // Go's decoder skips newlines
  }
  if (clean.size() % 4 != 0) {
    return Error("illegal base64 data at input byte " + std::to_string(clean.size() / 4 * 4));
  }
  std::string out;
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = clean[i + k];
      if (c == '=' && k >= 2 && i + 4 == clean.size()) {
        v[k] = 0;
        ++pad;
        continue;
      }
      v[k] = b64_value(c);
      if (v[k] < 0 || pad > 0)
        return Error("illegal base64 data at input byte " + std::to_string(i + k));
    }
    uint32_t n =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

}  // namespace phalanx::expr::detail
