// Errors are values. An Error says what went wrong in a short stable code, a sentence for people,
// and which kind of failure it is; the kind alone decides the HTTP status an API answers with.
// Result<T> holds either a T or an Error, so no exception crosses a module boundary.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vx {

enum class ErrorKind {
  kBadInput,     // the caller sent something invalid: 400
  kUnauthorized, // the caller did not prove it may ask: 401
  kForbidden,    // the caller may not ask, whatever it proves (a container asking its host's agent): 403
  kNotFound,     // the named thing does not exist: 404
  kMethod,       // the path exists but not with this method: 405
  kConflict,     // the request contradicts the current state: 409
  kTooLarge,     // the body exceeds the limit: 413
  kUnavailable,  // a dependency (Redis, Docker, the IPAM) does not answer: 503
  kInternal,     // a bug or an unexpected answer from a dependency: 500
};

int http_status(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string code;    // short, stable, machine-readable: "name_conflict"
  std::string detail;  // one human sentence
};

struct Ok {};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Ok>;

inline Error bad_input(std::string code, std::string detail) {
  return {ErrorKind::kBadInput, std::move(code), std::move(detail)};
}
inline Error not_found(std::string code, std::string detail) {
  return {ErrorKind::kNotFound, std::move(code), std::move(detail)};
}
inline Error conflict(std::string code, std::string detail) {
  return {ErrorKind::kConflict, std::move(code), std::move(detail)};
}
inline Error unavailable(std::string code, std::string detail) {
  return {ErrorKind::kUnavailable, std::move(code), std::move(detail)};
}
inline Error internal(std::string code, std::string detail) {
  return {ErrorKind::kInternal, std::move(code), std::move(detail)};
}

}  // namespace vx
