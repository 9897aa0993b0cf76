// SPDX-License-Identifier: Apache-2.0
// A streaming parser of the LAPI decision-stream body, {"new": [...] | null, "deleted": [...] |
// null}: fed the body in chunks as they come off the socket, it hands the decisions over in
// batches while the rest is still on its way. A startup snapshot of a million decisions is
// ~150-200 MB of JSON; this never holds more than one decision's text, the unconsumed tail of a
// chunk and one batch of decisions.
//
// Framing is ours (strings, escapes and bracket nesting are tracked across chunk boundaries,
// so a chunk may end anywhere); each decision's text is then parsed with simdjson (on demand,
// from a padded buffer). Semantics are parse_stream_response()'s (decision.h): `null` and
// missing lists are empty, keys in any order, unknown keys and fields ignored, a decision that
// does not parse (bad address, bad duration, not an object) is left out and reported through
// `on_rejected`, while a body that is not JSON of that shape is an error. A key given twice
// contributes both lists.
//
// Thread-safety: none; one parser per body, used from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bouncer/decision.h"
#include "core/result.h"

namespace phalanx::bouncer {

// Which list of the body a batch comes from.
enum class StreamList { kNew, kDeleted };

class StreamParser {
 public:
  // Receives each batch (all from one list, in body order). The vector is the parser's: the
  // sink may move its elements out; it is cleared afterwards. An error stops the parse: feed()
  // returns it, and the parser is then failed.
  using BatchSink = std::function<Result<void>(StreamList, std::vector<Decision>&)>;
  // Receives one message per decision left out: "new[3] (id 42): value: invalid IPv4 address".
  using RejectSink = std::function<void(std::string)>;

  static constexpr size_t kDefaultBatch = 4096;

  StreamParser(BatchSink on_batch, RejectSink on_rejected, size_t batch = kDefaultBatch);
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Consumes the next piece of the body. Errors: "parsing decision stream: ..." naming what was
  // wrong and the byte offset (invalid JSON, not an object, a list that is neither an array nor
  // null, trailing data), or the sink's error. After an error every call returns it again.
  Result<void> feed(std::string_view chunk);

  // The body has ended: hands over the last batch. Errors: a truncated body, or any earlier
  // error.
  Result<void> finish();

  // Bytes consumed so far.
  uint64_t offset() const { return offset_; }

 private:
  enum class State {
    kStart,       // before the opening brace
    kKeyOrEnd,    // after '{': a key or '}'
    kKey,         // inside a key string
    kColon,       // after a key
    kValue,       // after ':'
    kNull,        // inside the literal null of a list
    kFirstItem,   // after '[': an item or ']'
    kItem,        // inside an item of a list
    kItemNext,    // after an item: ',' or ']'
    kSkip,        // inside the value of an unknown key
    kMemberNext,  // after a member's value: ',' or '}'
    kNextKey,     // after ',' between members: a key
    kNextItem,    // after ',' between items: an item
    kDone,        // after the closing brace: whitespace only
  };

  // A JSON value being framed: an item of a list (kept in item_) or an unknown key's value
  // (discarded). Returns the number of bytes of `in` that belong to the value; sets done when
  // it ended. A scalar ends at the first byte that cannot be part of it, which is left unread.
  Result<size_t> frame(std::string_view in, bool keep, bool& done);
  void start_value(char first);
  Result<void> parse_item();
  Result<void> flush();
  Result<void> fail(std::string message);
  Result<void> step(std::string_view chunk);
  enum class Target { kNew, kDeleted, kOther };
  Target classify_key() const;

  BatchSink on_batch_;
  RejectSink on_rejected_;
  size_t batch_size_;
  std::vector<Decision> batch_;
  StreamList batch_list_ = StreamList::kNew;

  State state_ = State::kStart;
  uint64_t offset_ = 0;
  std::optional<Error> error_;  // set once failed

  std::string key_;  // the current member's key, as written (escapes kept), cut at kMaxKey
  bool key_long_ = false;
  bool key_escape_ = false;
  Target target_ = Target::kOther;
  size_t null_pos_ = 0;  // letters of "null" matched
  size_t index_ = 0;     // index of the current item in its list

  // Framing state of the current value.
  std::string item_;           // its text so far (items only), padded for simdjson
  std::vector<char> nesting_;  // open brackets, innermost last
  bool in_string_ = false;
  bool escape_ = false;
  bool scalar_ = false;
  size_t value_len_ = 0;

  struct Json;  // simdjson's parser, kept out of this header
  std::unique_ptr<Json> json_;
};

}  // namespace phalanx::bouncer
