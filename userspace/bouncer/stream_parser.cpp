// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_parser.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cctype>

namespace phalanx::bouncer {
namespace {

// Deeper than any decision needs; bounds the framing stack against a hostile body.
constexpr size_t kMaxDepth = 256;
// Keys longer than this are never "new" or "deleted": only their start is kept.
constexpr size_t kMaxKey = 32;

// Bytes the framing must look at: inside a string (the escape must see every byte after a
// backslash, so it is handled before the table is used), and outside strings.
constexpr std::array<bool, 256> table_of(std::string_view chars) {
  std::array<bool, 256> t{};
  for (const char c : chars)
    t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kStringSpecial = table_of("\"\\");
constexpr auto kStructSpecial = table_of("\"{}[]");

bool is_ws(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Characters a JSON number or literal (true, false, null) is made of.
bool is_scalar_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
}

const char* list_name(StreamList l) {
  return l == StreamList::kNew ? "new" : "deleted";
}

// simdjson errors that only say a field has another type than ours (the field is then treated
// as absent, as the DOM parser did); anything else means the text is not JSON.
bool type_only(simdjson::error_code e) {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR ||
         e == simdjson::NUMBER_OUT_OF_RANGE;
}

struct Fields {
  bool has_id = false;
  std::string_view duration;
};

// Reads the fields of one decision into d. The first occurrence of a repeated field is the one
// that counts, even when it has another type than ours (as with a DOM lookup). Errors: simdjson's,
// for text that is not JSON.
simdjson::error_code read_fields(simdjson::ondemand::object& obj, Decision& d, Fields& f,
                                 std::string& duration) {
  enum : unsigned {
    kId = 1,
    kOrigin = 2,
    kScenario = 4,
    kScope = 8,
    kType = 16,
    kValue = 32,
    kUuid = 64,
    kDuration = 128
  };
  unsigned seen = 0;
  const auto take = [&](simdjson::ondemand::value& v, unsigned bit,
                        std::string& out) -> simdjson::error_code {
    if (seen & bit) return simdjson::SUCCESS;  // skipped unread
    seen |= bit;
    std::string_view s;
    const auto e = v.get_string().get(s);
    if (e) return type_only(e) ? simdjson::SUCCESS : e;
    out.assign(s.data(), s.size());
    return simdjson::SUCCESS;
  };
  for (auto field : obj) {
    simdjson::ondemand::field fld;
    if (auto e = std::move(field).get(fld)) return e;
    std::string_view key;
    if (auto e = fld.unescaped_key().get(key)) return e;
    simdjson::ondemand::value v = fld.value();
    simdjson::error_code e = simdjson::SUCCESS;
    if (key == "id") {
      if (!(seen & kId)) {
        seen |= kId;
        int64_t id = 0;
        e = v.get_int64().get(id);
        if (!e) {
          d.id = id;
          f.has_id = true;
        } else if (type_only(e)) {
          e = simdjson::SUCCESS;
        }
      }
    } else if (key == "origin") {
      e = take(v, kOrigin, d.origin);
    } else if (key == "scenario") {
      e = take(v, kScenario, d.scenario);
    } else if (key == "scope") {
      e = take(v, kScope, d.scope);
    } else if (key == "type") {
      e = take(v, kType, d.type);
    } else if (key == "value") {
      e = take(v, kValue, d.value);
    } else if (key == "uuid") {
      e = take(v, kUuid, d.uuid);
    } else if (key == "duration") {
      e = take(v, kDuration, duration);
    }
    if (e) return e;
  }
  f.duration = duration;
  return simdjson::SUCCESS;
}

}  // namespace

struct StreamParser::Json {
  simdjson::ondemand::parser parser;
};

StreamParser::~StreamParser() = default;

StreamParser::StreamParser(BatchSink on_batch, RejectSink on_rejected, size_t batch)
    : on_batch_(std::move(on_batch)),
      on_rejected_(std::move(on_rejected)),
      batch_size_(batch == 0 ? kDefaultBatch : batch),
      json_(std::make_unique<Json>()) {
  batch_.reserve(batch_size_);
  key_.reserve(kMaxKey);
}

Result<void> StreamParser::fail(std::string message) {
  error_ = Error(fmt::format("parsing decision stream: {} (at byte {})", message, offset_));
  return *error_;
}

Result<void> StreamParser::feed(std::string_view chunk) {
  if (error_) return *error_;
  auto r = step(chunk);
  if (!r && !error_) error_ = r.error();  // the sink's error
  return r;
}

Result<void> StreamParser::finish() {
  if (error_) return *error_;
  if (state_ != State::kDone) return fail("invalid JSON: the body ends before its closing brace");
  auto r = flush();
  if (!r) error_ = r.error();
  return r;
}

Result<void> StreamParser::flush() {
  if (batch_.empty()) return ok();
  auto r = on_batch_(batch_list_, batch_);
  batch_.clear();
  return r;
}

void StreamParser::start_value(char first) {
  item_.clear();
  nesting_.clear();
  in_string_ = false;
  escape_ = false;
  scalar_ = first != '{' && first != '[' && first != '"';
  value_len_ = 0;
}

Result<size_t> StreamParser::frame(std::string_view in, bool keep, bool& done) {
  size_t j = 0;
  const size_t n = in.size();
  if (scalar_) {
    while (j < n && is_scalar_char(in[j]))
      ++j;
    done = j < n;
  } else {
    for (; j < n; ++j) {
      // Most bytes mean nothing to the framing: skip them in a tight loop first (not the byte
      // after a backslash, which the escape consumes whatever it is).
      if (!escape_) {
        const bool* special = in_string_ ? kStringSpecial.data() : kStructSpecial.data();
        while (j < n && !special[static_cast<unsigned char>(in[j])])
          ++j;
        if (j == n) break;
      }
      const char c = in[j];
      if (in_string_) {
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
          if (nesting_.empty()) {
            ++j;
            done = true;
            break;
          }
        }
        continue;
      }
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        if (nesting_.size() >= kMaxDepth) {
          offset_ += j;
          PHALANX_CHECK(fail(fmt::format("nested deeper than {} levels", kMaxDepth)));
        }
        nesting_.push_back(c);
      } else {  // '}' or ']'
        if (nesting_.empty() || nesting_.back() != (c == '}' ? '{' : '[')) {
          offset_ += j;
          PHALANX_CHECK(fail(fmt::format("invalid JSON: unexpected '{}'", c)));
        }
        nesting_.pop_back();
        if (nesting_.empty()) {
          ++j;
          done = true;
          break;
        }
      }
    }
  }
  if (keep) item_.append(in.data(), j);
  value_len_ += j;
  return j;
}

Result<void> StreamParser::parse_item() {
  const size_t len = item_.size();
  // simdjson reads up to SIMDJSON_PADDING bytes past the text: give it initialised ones.
  item_.append(simdjson::SIMDJSON_PADDING, ' ');
  const char* list = list_name(batch_list_);
  const auto invalid = [&](simdjson::error_code e) {
    return fail(
        fmt::format("invalid JSON in {}[{}]: {}", list, index_, simdjson::error_message(e)));
  };
  simdjson::ondemand::document doc;
  if (auto e = json_->parser.iterate(item_.data(), len, item_.size()).get(doc)) return invalid(e);
  simdjson::ondemand::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (!type_only(e)) return invalid(e);
    if (on_rejected_) on_rejected_(fmt::format("{}[{}] (id ?): not an object", list, index_));
    return ok();
  }
  Decision d;
  Fields f;
  std::string duration_text;
  if (auto e = read_fields(obj, d, f, duration_text)) return invalid(e);
  const auto reject = [&](const Error& err) {
    if (!on_rejected_) return;
    on_rejected_(err.context(fmt::format("{}[{}] (id {})", list, index_,
                                         f.has_id ? std::to_string(d.id) : std::string("?")))
                     .message());
  };
  auto duration = parse_go_duration(f.duration);
  if (!duration) {
    reject(duration.error().context("duration"));
    return ok();
  }
  d.duration = *duration;
  auto target = decision_target(d.scope, d.value);
  if (!target) {
    reject(target.error().context("value"));
    return ok();
  }
  d.target = *target;
  batch_.push_back(std::move(d));
  if (batch_.size() >= batch_size_) return flush();
  return ok();
}

Result<void> StreamParser::step(std::string_view chunk) {
  size_t i = 0;
  const size_t n = chunk.size();
  while (i < n) {
    const char c = chunk[i];
    switch (state_) {
      case State::kStart:
        if (is_ws(c)) break;
        if (c != '{') {
          const bool json_start =
              c == '[' || c == '"' || c == '-' || std::isdigit(static_cast<unsigned char>(c));
          return fail(json_start ? "expected a JSON object" : "invalid JSON: expected an object");
        }
        state_ = State::kKeyOrEnd;
        break;
      case State::kKeyOrEnd:
      case State::kNextKey:
        if (is_ws(c)) break;
        if (c == '}' && state_ == State::kKeyOrEnd) {
          state_ = State::kDone;
          break;
        }
        if (c != '"') return fail("invalid JSON: expected a key");
        key_.clear();
        key_long_ = false;
        key_escape_ = false;
        state_ = State::kKey;
        break;
      case State::kKey:
        if (key_escape_) {
          key_escape_ = false;
        } else if (c == '\\') {
          key_escape_ = true;
        } else if (c == '"') {
          state_ = State::kColon;
          break;
        }
        if (key_.size() < kMaxKey) {
          key_ += c;
        } else {
          key_long_ = true;
        }
        break;
      case State::kColon:
        if (is_ws(c)) break;
        if (c != ':') return fail("invalid JSON: expected ':' after a key");
        target_ = key_long_ ? Target::kOther : classify_key();
        state_ = State::kValue;
        break;
      case State::kValue:
        if (is_ws(c)) break;
        if (target_ == Target::kOther) {
          start_value(c);
          state_ = State::kSkip;
          continue;  // the value's first byte is framed below
        }
        batch_list_ = target_ == Target::kNew ? StreamList::kNew : StreamList::kDeleted;
        if (c == 'n') {
          null_pos_ = 1;
          state_ = State::kNull;
          break;
        }
        if (c != '[')
          return fail(fmt::format("{}: expected an array or null", list_name(batch_list_)));
        index_ = 0;
        state_ = State::kFirstItem;
        break;
      case State::kNull:
        if (c != "null"[null_pos_])
          return fail(fmt::format("{}: expected an array or null", list_name(batch_list_)));
        if (++null_pos_ == 4) state_ = State::kMemberNext;
        break;
      case State::kFirstItem:
      case State::kNextItem:
        if (is_ws(c)) break;
        if (c == ']' && state_ == State::kFirstItem) {
          state_ = State::kMemberNext;
          break;
        }
        start_value(c);
        state_ = State::kItem;
        continue;
      case State::kItem:
      case State::kSkip: {
        bool done = false;
        const bool keep = state_ == State::kItem;
        PHALANX_TRY(const size_t used, frame(chunk.substr(i), keep, done));
        i += used;
        offset_ += used;
        if (!done) continue;
        if (value_len_ == 0) return fail("invalid JSON: expected a value");
        if (keep) {
          PHALANX_CHECK(parse_item());
          ++index_;
          state_ = State::kItemNext;
        } else {
          state_ = State::kMemberNext;
        }
        continue;
      }
      case State::kItemNext:
        if (is_ws(c)) break;
        if (c == ',') {
          state_ = State::kNextItem;
          break;
        }
        if (c == ']') {
          PHALANX_CHECK(flush());
          state_ = State::kMemberNext;
          break;
        }
        return fail(fmt::format("invalid JSON: expected ',' or ']' after {}[{}]",
                                list_name(batch_list_), index_ - 1));
      case State::kMemberNext:
        if (is_ws(c)) break;
        if (c == ',') {
          state_ = State::kNextKey;
          break;
        }
        if (c == '}') {
          state_ = State::kDone;
          break;
        }
        return fail("invalid JSON: expected ',' or '}' after a member");
      case State::kDone:
        if (is_ws(c)) break;
        return fail("invalid JSON: data after the closing brace");
    }
    ++i;
    ++offset_;
  }
  return ok();
}

StreamParser::Target StreamParser::classify_key() const {
  if (key_.find('\\') == std::string::npos) {
    if (key_ == "new") return Target::kNew;
    if (key_ == "deleted") return Target::kDeleted;
    return Target::kOther;
  }
  // An escaped key ("n\u0065w"): unescape it through simdjson, as a DOM parser would.
  std::string text = "\"" + key_ + "\"";
  const size_t len = text.size();
  text.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::parser p;
  simdjson::ondemand::document doc;
  std::string_view key;
  if (p.iterate(text.data(), len, text.size()).get(doc) || doc.get_string().get(key))
    return Target::kOther;
  if (key == "new") return Target::kNew;
  if (key == "deleted") return Target::kDeleted;
  return Target::kOther;
}

}  // namespace phalanx::bouncer
