// SPDX-License-Identifier: Apache-2.0
// Result<T>: the value of a fallible operation, or the Error that stopped it.
//
// The API follows std::expected (C++23) so that the type can be swapped for it once the
// toolchain allows: has_value()/operator bool, value(), error(), operator*, operator->.
// Errors read "doing X: cause" (lowercase); context is prepended as the error travels up with
// Error::context(), and the error is logged once, at the top.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace phalanx {

// An error message plus an optional errno-style code (0 when the error has no errno).
class Error {
 public:
  explicit Error(std::string message, int code = 0) : message_(std::move(message)), code_(code) {}

  // Builds "what: strerror(errno)" and keeps errno as the code.
  static Error from_errno(std::string_view what, int err = errno) {
    std::string msg(what);
    msg += ": ";
    msg += std::strerror(err);
    return Error(std::move(msg), err);
  }

  const std::string& message() const { return message_; }
  int code() const { return code_; }

  // Returns this error with "ctx: " prepended to the message; the code is kept.
  Error context(std::string_view ctx) const& {
    std::string msg(ctx);
    msg += ": ";
    msg += message_;
    return Error(std::move(msg), code_);
  }

 private:
  std::string message_;
  int code_ = 0;
};

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result<T>>)
      Result(U&& value)  // NOLINT: implicit, as std::expected
      : data_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  const Error& error() const& { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{""};
  bool ok_ = true;
};

// The success value of Result<void>.
inline Result<void> ok() {
  return {};
}

}  // namespace phalanx

#define PHALANX_CONCAT_INNER_(a, b) a##b
#define PHALANX_CONCAT_(a, b) PHALANX_CONCAT_INNER_(a, b)

// PHALANX_TRY(auto x, expr): evaluates expr (a Result); on error returns the error from the
// enclosing function, otherwise declares x with the value.
#define PHALANX_TRY(decl, expr) \
  PHALANX_TRY_IMPL_(PHALANX_CONCAT_(phalanx_try_, __LINE__), decl, expr)
#define PHALANX_TRY_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                       \
  if (!tmp) return std::move(tmp).error(); \
  decl = std::move(tmp).value()

// PHALANX_CHECK(expr): evaluates expr (a Result<void> or any Result); returns its error if any.
#define PHALANX_CHECK(expr) PHALANX_CHECK_IMPL_(PHALANX_CONCAT_(phalanx_check_, __LINE__), expr)
#define PHALANX_CHECK_IMPL_(tmp, expr)       \
  do {                                       \
    auto tmp = (expr);                       \
    if (!tmp) return std::move(tmp).error(); \
  } while (0)
