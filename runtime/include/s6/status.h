// SPDX-License-Identifier: Apache-2.0
// File: s6/status.h
//
// Error values for expected failures: `s6::Status` (a code plus a message) and
// `s6::StatusOr<T>` (a T or the reason there is none), with the two propagation macros.
//
//   s6::StatusOr<SlotTable> Load(s6::ByteReader& r) {
//     if (r.remaining() == 0) return s6::InvalidArgumentError("empty slot table");
//     S6_RETURN_IF_ERROR(CheckHeader(r));                 // returns early on error
//     S6_ASSIGN_OR_RETURN(SlotTable t, DecodeTable(r));    // unwraps a StatusOr or returns
//     return t;
//   }
//
// Theory of operation: things that can go wrong in a correct program (bad input from a peer or
// an operator, a peer that went away, a full queue) are returned as values, never thrown; broken
// invariants are S6_CHECK failures (s6/check.h) instead. Both types are [[nodiscard]] so an
// ignored error is a compiler warning. An OK Status carries no message and does not allocate.
// The codes mirror the familiar canonical (gRPC / Abseil) ones, so their meaning needs no
// explanation; only the subset the runtime uses is defined.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <s6/check.h>

namespace s6 {

/// Why an operation failed. The numeric values are stable (they may be logged or sent).
enum class StatusCode : uint8_t {
  kOk = 0,                  ///< Not an error.
  kInvalidArgument = 1,     ///< The caller's input is malformed, whatever the system state.
  kNotFound = 2,            ///< A named thing (instance, map, key) does not exist.
  kAlreadyExists = 3,       ///< A thing to be created already exists.
  kFailedPrecondition = 4,  ///< The system is not in a state that allows the operation.
  kUnavailable = 5,         ///< Transient: a peer or resource is unreachable; retrying may work.
  kDeadlineExceeded = 6,    ///< The operation did not finish in time.
  kResourceExhausted = 7,   ///< A bounded resource (queue, pool, memory) is full.
  kDataLoss = 8,            ///< State was lost or corrupted beyond recovery.
  kInternal = 9,            ///< An invariant the caller could not have caused was broken.
  kUnimplemented = 10,      ///< The operation is not supported (yet).
};

/// The canonical upper-case name of `code`, e.g. "INVALID_ARGUMENT"; "UNKNOWN" for values
/// outside the enum (possible after decoding a newer peer's status).
constexpr std::string_view StatusCodeName(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << StatusCodeName(code);
}

/// The outcome of an operation: OK, or an error code with a human-readable message.
class [[nodiscard]] Status {
 public:
  /// An OK status.
  Status() noexcept = default;

  /// A status with `code` and `message`. An OK code drops the message: OK is always just OK.
  Status(StatusCode code, std::string_view message) : code_(code) {
    if (code != StatusCode::kOk) message_.assign(message);
  }

  /// True when the operation succeeded.
  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  /// The error message; empty for OK.
  const std::string& message() const noexcept { return message_; }

  /// "OK", or "<CODE>: <message>" such as "INVALID_ARGUMENT: bad port" (no ": " when the
  /// message is empty).
  std::string ToString() const {
    std::string s(StatusCodeName(code_));
    if (!message_.empty()) s.append(": ").append(message_);
    return s;
  }

  /// Explicitly discards the status, for the rare call whose failure genuinely does not matter.
  void IgnoreError() const noexcept {}

  friend bool operator==(const Status& a, const Status& b) noexcept {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

  friend std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// An OK status.
inline Status OkStatus() noexcept { return Status(); }

// Factories, one per error code: `return s6::NotFoundError("no instance 7");`.
/// The caller's input is malformed.
inline Status InvalidArgumentError(std::string_view msg) {
  return Status(StatusCode::kInvalidArgument, msg);
}
/// A named thing does not exist.
inline Status NotFoundError(std::string_view msg) { return Status(StatusCode::kNotFound, msg); }
/// A thing to be created already exists.
inline Status AlreadyExistsError(std::string_view msg) {
  return Status(StatusCode::kAlreadyExists, msg);
}
/// The system is not in a state that allows the operation.
inline Status FailedPreconditionError(std::string_view msg) {
  return Status(StatusCode::kFailedPrecondition, msg);
}
/// A peer or resource is (transiently) unreachable.
inline Status UnavailableError(std::string_view msg) {
  return Status(StatusCode::kUnavailable, msg);
}
/// The operation did not finish in time.
inline Status DeadlineExceededError(std::string_view msg) {
  return Status(StatusCode::kDeadlineExceeded, msg);
}
/// A bounded resource is full.
inline Status ResourceExhaustedError(std::string_view msg) {
  return Status(StatusCode::kResourceExhausted, msg);
}
/// State was lost or corrupted.
inline Status DataLossError(std::string_view msg) { return Status(StatusCode::kDataLoss, msg); }
/// An internal invariant was broken.
inline Status InternalError(std::string_view msg) { return Status(StatusCode::kInternal, msg); }
/// The operation is not supported.
inline Status UnimplementedError(std::string_view msg) {
  return Status(StatusCode::kUnimplemented, msg);
}

/// Either a value of type T or the non-OK Status that explains its absence.
///
/// Accessing the value of an error StatusOr is a checked failure (abort), as is constructing a
/// StatusOr from an OK Status (there would be neither a value nor an error). T may be move-only.
template <typename T>
class [[nodiscard]] StatusOr {
  static_assert(!std::is_reference_v<T>, "StatusOr<T&> is not supported; use a pointer");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "StatusOr<Status> is ambiguous");

  template <typename U>
  static constexpr bool kIsValueArg =
      std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, StatusOr> &&
      !std::is_same_v<std::remove_cvref_t<U>, Status> &&
      !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>;

 public:
  using value_type = T;

  /// An error. `status` must not be OK (checked).
  StatusOr(const Status& status) : status_(status) { CheckNotOk(); }        // NOLINT: implicit
  StatusOr(Status&& status) : status_(std::move(status)) { CheckNotOk(); }  // NOLINT: implicit

  /// A value, converted from anything T can be built from (implicit when the conversion is).
  template <typename U = T>
  requires kIsValueArg<U>
  explicit(!std::is_convertible_v<U&&, T>) StatusOr(U&& value)  // NOLINT: implicit
      : value_(std::in_place, std::forward<U>(value)) {}

  /// A value constructed in place from `args`.
  template <typename... Args>
  explicit StatusOr(std::in_place_t, Args&&... args)
      : value_(std::in_place, std::forward<Args>(args)...) {}

  StatusOr(const StatusOr&) = default;
  StatusOr(StatusOr&&) = default;
  StatusOr& operator=(const StatusOr&) = default;
  StatusOr& operator=(StatusOr&&) = default;

  /// True when a value is present.
  bool ok() const noexcept { return status_.ok(); }

  /// OK when a value is present, else the error.
  const Status& status() const& noexcept { return status_; }
  Status status() && { return std::move(status_); }

  /// The value. Aborts, reporting the caller's file:line and the error, when there is none.
  const T& value(SourceLocation loc = SourceLocation::Current()) const& {
    CheckOk(loc);
    return *value_;
  }
  T& value(SourceLocation loc = SourceLocation::Current()) & {
    CheckOk(loc);
    return *value_;
  }
  T&& value(SourceLocation loc = SourceLocation::Current()) && {
    CheckOk(loc);
    return std::move(*value_);
  }

  /// The value, or `fallback` when there is none.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// The value; checked like value() (the failure names this header rather than the caller).
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void CheckNotOk() const {
    S6_CHECK(!status_.ok()) << "StatusOr constructed from an OK status (no value, no error)";
  }
  void CheckOk(const SourceLocation& loc) const {
    if (!status_.ok()) [[unlikely]] {
      check_internal::CheckFailure(loc.file, loc.line, "StatusOr::value() called on an error")
              .stream()
          << status_;
    }
  }

  Status status_;  // OK exactly when value_ holds a value
  std::optional<T> value_;
};

namespace status_internal {
inline const Status& StatusOf(const Status& s) noexcept { return s; }
inline Status StatusOf(Status&& s) noexcept { return std::move(s); }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) noexcept {
  return s.status();
}
template <typename T>
Status StatusOf(StatusOr<T>&& s) {
  return std::move(s).status();
}
}  // namespace status_internal

}  // namespace s6

#define S6_STATUS_INTERNAL_CONCAT_IMPL(a, b) a##b
#define S6_STATUS_INTERNAL_CONCAT(a, b) S6_STATUS_INTERNAL_CONCAT_IMPL(a, b)

/// Evaluates `expr` (a Status or a StatusOr) once and returns its error from the enclosing
/// function (which returns Status or any StatusOr) if it is not OK.
#define S6_RETURN_IF_ERROR(expr)                                                             \
  do {                                                                                       \
    if (auto&& s6_status_internal_result_ = (expr); !s6_status_internal_result_.ok())        \
        [[unlikely]] {                                                                       \
      return ::s6::status_internal::StatusOf(                                                \
          ::std::forward<decltype(s6_status_internal_result_)>(s6_status_internal_result_)); \
    }                                                                                        \
  } while (false)

/// Evaluates `expr` (a StatusOr<T>) once; on error returns its status from the enclosing
/// function, otherwise move-assigns the value to `lhs`, which may be a declaration:
/// `S6_ASSIGN_OR_RETURN(auto table, SlotTable::Initial(ids));`. `lhs` must not contain
/// unparenthesised commas; `expr` may. Expands to several statements, so it cannot be the
/// unbraced body of an `if`; at most one per line.
#define S6_ASSIGN_OR_RETURN(lhs, ...)                                                              \
  S6_STATUS_INTERNAL_ASSIGN_OR_RETURN(S6_STATUS_INTERNAL_CONCAT(s6_status_internal_or_, __LINE__), \
                                      lhs, __VA_ARGS__)
#define S6_STATUS_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, ...) \
  auto tmp = (__VA_ARGS__);                                \
  if (!tmp.ok()) [[unlikely]] {                            \
    return ::std::move(tmp).status();                      \
  }                                                        \
  lhs = ::std::move(tmp).value()
