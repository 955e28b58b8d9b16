// SPDX-License-Identifier: Apache-2.0
// File: s6/check.h
//
// Invariant checks that stay on in release builds.
//
//   S6_CHECK(slot < slot_count) << "slot table v" << version;
//   S6_CHECK_EQ(reader.remaining(), 0u);
//   S6_DCHECK(IsSorted(members));              // debug builds only
//
// A failed check prints one line to stderr and aborts:
//
//   runtime/src/keyspace/slot_table.cc:42: check failed: a == b (3 vs 4): slot table v7
//
// Theory of operation: a check guards an invariant whose violation means the process can no
// longer be trusted (a corrupted slot table, a lost object). Continuing would spread the damage
// to other instances, so checks are never compiled out, and failing ones abort (leaving a core
// dump) rather than throw. S6_DCHECK is for checks too expensive for the data path; it is
// type-checked but not evaluated under NDEBUG. Expected errors (bad input, a peer going away)
// are not checks: they return s6::Status (s6/status.h).
//
// Implementation notes: the passing path is one predicted branch; everything else (formatting,
// the message stream) lives on the failure path. The comparison forms evaluate each operand
// exactly once, compare integers with std::cmp_* (so `S6_CHECK_EQ(v.size(), 3)` neither warns
// nor misbehaves on signedness) and print the operands when they can be streamed.
#pragma once

#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace s6 {

/// A call site's file and line, captured by a defaulted argument:
///   void Use(s6::SourceLocation where = s6::SourceLocation::Current());
/// (std::source_location does the same, but Clang 14, which s6c parses with, cannot provide it
/// with libstdc++ 12.)
struct SourceLocation {
  static constexpr SourceLocation Current(const char* file = __builtin_FILE(),
                                          int line = __builtin_LINE()) noexcept {
    return SourceLocation{file, line};
  }
  const char* file;
  int line;
};

}  // namespace s6

namespace s6::check_internal {

/// Collects a failed check's message and aborts when destroyed (at the end of the full
/// expression, after every streamed `<<` part has been appended).
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* what) {
    header_ << file << ':' << line << ": check failed: " << what;
  }
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  [[noreturn]] ~CheckFailure() {
    std::string line = header_.str();
    const std::string extra = message_.str();
    if (!extra.empty()) line.append(": ").append(extra);
    line.push_back('\n');
    // One write, so that the line is not interleaved with other output.
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    std::abort();
  }

  /// The stream for the optional context that follows the check: `S6_CHECK(x) << "context"`.
  std::ostream& stream() { return message_; }

 private:
  std::ostringstream header_;
  std::ostringstream message_;
};

/// Turns the streamed expression into void so both arms of the ?: in S6_CHECK agree. `&` binds
/// more loosely than `<<`, so the whole message is streamed first.
struct Voidify {
  void operator&(std::ostream&) const noexcept {}
};

template <typename T>
concept Streamable = requires(std::ostream& os, const T& v) {
  os << v;
};

/// Prints one operand of a failed comparison: small integer types as numbers (not raw
/// characters), enums without their own `<<` as their underlying value.
template <typename T>
void PrintOperand(std::ostream& os, const T& v) {
  if constexpr (std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char>) {
    os << static_cast<int>(v);
  } else if constexpr (Streamable<T>) {
    os << v;
  } else if constexpr (std::is_enum_v<T>) {
    PrintOperand(os, static_cast<std::underlying_type_t<T>>(v));
  }
}

template <typename T>
inline constexpr bool kPrintable = Streamable<T> || std::is_enum_v<T>;

/// Builds "<expr> (<a> vs <b>)", or just "<expr>" when an operand cannot be printed.
template <typename A, typename B>
std::string FormatFailure(const A& a, const B& b, const char* expr) {
  std::ostringstream os;
  os << expr;
  if constexpr (kPrintable<A> && kPrintable<B>) {
    os << " (";
    PrintOperand(os, a);
    os << " vs ";
    PrintOperand(os, b);
    os << ')';
  }
  return os.str();
}

/// Integers other than bool and character types compare by value (std::cmp_*), whatever their
/// signedness.
template <typename T>
concept PlainInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                       !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
                       !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

// One comparison function per operator. Each returns nothing when the check passes and the
// failure text otherwise; the optional is what the `while` in S6_INTERNAL_CHECK_OP tests.
#define S6_INTERNAL_DEFINE_CHECK_OP(name, op, cmp)                            \
  template <typename A, typename B>                                           \
  std::optional<std::string> name(const A& a, const B& b, const char* expr) { \
    bool pass;                                                                \
    if constexpr (PlainInteger<A> && PlainInteger<B>) {                       \
      pass = std::cmp(a, b);                                                  \
    } else {                                                                  \
      pass = a op b;                                                          \
    }                                                                         \
    if (pass) [[likely]]                                                      \
      return std::nullopt;                                                    \
    return FormatFailure(a, b, expr);                                         \
  }
S6_INTERNAL_DEFINE_CHECK_OP(CheckEq, ==, cmp_equal)
S6_INTERNAL_DEFINE_CHECK_OP(CheckNe, !=, cmp_not_equal)
S6_INTERNAL_DEFINE_CHECK_OP(CheckLt, <, cmp_less)
S6_INTERNAL_DEFINE_CHECK_OP(CheckLe, <=, cmp_less_equal)
#undef S6_INTERNAL_DEFINE_CHECK_OP

}  // namespace s6::check_internal

/// Aborts with "file:line: check failed: <cond>" unless `cond` holds. Always on. Accepts a
/// streamed message: `S6_CHECK(ok) << "while decoding " << name;` (only evaluated on failure).
#define S6_CHECK(cond)                           \
  (__builtin_expect(static_cast<bool>(cond), 1)) \
      ? static_cast<void>(0)                     \
      : ::s6::check_internal::Voidify() &        \
            ::s6::check_internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

// The `while` never loops: its body aborts. It exists to scope the failure text and to let the
// caller's `<<` message attach to the CheckFailure.
#define S6_INTERNAL_CHECK_OP(fn, op, a, b)                          \
  while (::std::optional<::std::string> s6_check_failure_ =         \
             ::s6::check_internal::fn((a), (b), #a " " #op " " #b)) \
  ::s6::check_internal::CheckFailure(__FILE__, __LINE__, s6_check_failure_->c_str()).stream()

/// Aborts unless `a == b`, printing both values when they can be streamed. Each operand is
/// evaluated once. Integers compare by value regardless of signedness.
#define S6_CHECK_EQ(a, b) S6_INTERNAL_CHECK_OP(CheckEq, ==, a, b)
/// Aborts unless `a != b`. See S6_CHECK_EQ.
#define S6_CHECK_NE(a, b) S6_INTERNAL_CHECK_OP(CheckNe, !=, a, b)
/// Aborts unless `a < b`. See S6_CHECK_EQ.
#define S6_CHECK_LT(a, b) S6_INTERNAL_CHECK_OP(CheckLt, <, a, b)
/// Aborts unless `a <= b`. See S6_CHECK_EQ.
#define S6_CHECK_LE(a, b) S6_INTERNAL_CHECK_OP(CheckLe, <=, a, b)

// Debug-only checks: under NDEBUG the condition is still compiled (so it cannot rot and its
// variables count as used) but never evaluated.
#ifdef NDEBUG
#define S6_DCHECK(cond) \
  while (false) S6_CHECK(cond)
#define S6_DCHECK_EQ(a, b) \
  while (false) S6_CHECK_EQ(a, b)
#define S6_DCHECK_NE(a, b) \
  while (false) S6_CHECK_NE(a, b)
#define S6_DCHECK_LT(a, b) \
  while (false) S6_CHECK_LT(a, b)
#define S6_DCHECK_LE(a, b) \
  while (false) S6_CHECK_LE(a, b)
#else
/// S6_CHECK in debug builds; compiled but not evaluated under NDEBUG.
#define S6_DCHECK(cond) S6_CHECK(cond)
#define S6_DCHECK_EQ(a, b) S6_CHECK_EQ(a, b)
#define S6_DCHECK_NE(a, b) S6_CHECK_NE(a, b)
#define S6_DCHECK_LT(a, b) S6_CHECK_LT(a, b)
#define S6_DCHECK_LE(a, b) S6_CHECK_LE(a, b)
#endif
