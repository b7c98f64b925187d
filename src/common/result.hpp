#pragma once
// Errors as values. Expected failures (bad input, not found, conflicts) travel as an
// `Error`; the HTTP layer maps `ErrorKind` to a status and renders
// {"error":{"code":...,"message":...}}. Exceptions never cross a layer boundary.
//
// Thread-safety: plain values; copy freely.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace parley {

enum class ErrorKind {
  bad_request,        // 400: the input is malformed or breaks a rule
  unauthorized,       // 401: no, bad or expired credentials
  forbidden,          // 403: known caller, not allowed
  not_found,          // 404: absent, or not visible to the caller
  conflict,           // 409: violates a uniqueness rule
  payload_too_large,  // 413
  unsupported_media_type,  // 415
  rate_limited,       // 429
  unavailable,        // 503: the store or a dependency cannot serve now
  internal,           // 500: a bug or an unexpected failure
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;     // stable, machine-readable, snake_case: "username_taken"
  std::string message;  // for humans
  long long retry_after_ms = 0;  // only for rate_limited

  static Error bad_request(std::string code, std::string message) {
    return {ErrorKind::bad_request, std::move(code), std::move(message)};
  }
  static Error unauthorized(std::string message = "authentication required") {
    return {ErrorKind::unauthorized, "unauthorized", std::move(message)};
  }
  static Error forbidden(std::string message) {
    return {ErrorKind::forbidden, "forbidden", std::move(message)};
  }
  static Error not_found(std::string message = "not found") {
    return {ErrorKind::not_found, "not_found", std::move(message)};
  }
  static Error conflict(std::string code, std::string message) {
    return {ErrorKind::conflict, std::move(code), std::move(message)};
  }
  static Error unavailable(std::string message) {
    return {ErrorKind::unavailable, "unavailable", std::move(message)};
  }
  static Error internal(std::string message) {
    return {ErrorKind::internal, "internal", std::move(message)};
  }
};

// HTTP status for an error kind.
int http_status(ErrorKind kind);

// Result<T>: either a T or an Error. Minimal stand-in for C++23 std::expected.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}       // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error, for operations with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status success() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace parley
