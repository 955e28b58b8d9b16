// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <s6/cli.h>

namespace s6::cli {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits only, at least one, and no leading zero unless the number is 0: "010" is octal to
// some readers.
bool PlainDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

std::string WithUnit(const std::string& range, const std::string& unit) {
  return unit.empty() ? range : range + " " + unit;
}

std::string FormatReal(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64] = "";
  // The shortest spelling that reads back as v.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string OutOfRange(const std::string& text, const std::string& range, const std::string& unit) {
  return text + " is out of range (" + WithUnit(range, unit) + ")";
}

}  // namespace

std::string CheckCount(const std::string& text, uint64_t min, uint64_t max,
                       const std::string& unit) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (!PlainDigits(text)) {
    return Quoted(text) + " is not a whole decimal number (" + WithUnit(range, unit) + ")";
  }
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return OutOfRange(text, range, unit);
  }
  return end == text.data() + text.size() ? "" : Quoted(text) + " is not a whole decimal number";
}

std::string CheckInteger(const std::string& text, int64_t min, int64_t max,
                         const std::string& unit) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view digits = std::string_view(text).substr(negative ? 1 : 0);
  if (!PlainDigits(digits) || (negative && digits == "0")) {
    return Quoted(text) + " is not a whole decimal number (" + WithUnit(range, unit) + ")";
  }
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return OutOfRange(text, range, unit);
  }
  return end == text.data() + text.size() ? "" : Quoted(text) + " is not a whole decimal number";
}

std::string CheckReal(const std::string& text, double min, double max, const std::string& unit,
                      bool min_exclusive) {
  const std::string range = min_exclusive
                                ? "more than " + FormatReal(min) + ", up to " + FormatReal(max)
                                : FormatReal(min) + " to " + FormatReal(max);
  const std::string not_a_number =
      Quoted(text) + " is not a decimal number (" + WithUnit(range, unit) + ")";
  // [-]digits[.digits][e[+-]digits]
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  std::size_t int_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++int_digits;
  if (int_digits == 0) return not_a_number;
  if (int_digits > 1 && text[i - int_digits] == '0') return not_a_number;
  if (i < text.size() && text[i] == '.') {
    std::size_t frac = 0;
    for (++i; i < text.size() && IsDigit(text[i]); ++i) ++frac;
    if (frac == 0) return not_a_number;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exp = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) ++exp;
    if (exp == 0) return not_a_number;
  }
  if (i != text.size()) return not_a_number;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) ||
      (min_exclusive ? v <= min : v < min) || v > max) {
    return OutOfRange(text, range, unit);
  }
  return "";
}

CLI::Validator Count(uint64_t min, uint64_t max, const std::string& unit) {
  return CLI::Validator([=](std::string& s) { return CheckCount(s, min, max, unit); },
                        WithUnit(std::to_string(min) + ".." + std::to_string(max), unit));
}

CLI::Validator Integer(int64_t min, int64_t max, const std::string& unit) {
  return CLI::Validator([=](std::string& s) { return CheckInteger(s, min, max, unit); },
                        WithUnit(std::to_string(min) + ".." + std::to_string(max), unit));
}

CLI::Validator Real(double min, double max, const std::string& unit, bool min_exclusive) {
  return CLI::Validator(
      [=](std::string& s) { return CheckReal(s, min, max, unit, min_exclusive); },
      WithUnit((min_exclusive ? "(" : "[") + FormatReal(min) + ".." + FormatReal(max) + "]", unit));
}

}  // namespace s6::cli
