// SPDX-License-Identifier: Apache-2.0
// File: s6/cli.h
//
// Strict number options for CLI11, as every S6 tool reads them.
//
// Theory of operation: a number on a command line is read exactly as written or refused.
// Parsers disagree on signs, exponents, hex and octal prefixes, leading zeros, suffixes, spaces
// and trailing characters (one reads "-5" as a huge unsigned value, another "1e6" as 1), so
// these validators accept only plain decimal text — digits, a '-' where the range has negative
// values, and for real numbers a fraction and an exponent — and then check the value against
// the range the program can actually do. They run on the text before CLI11 converts it, so
// the conversion that follows can't read it any other way. A refusal is one line:
// "--flows: 0 is out of range (1 to 16777216 flows)". Use them on every numeric option:
//
//   app.add_option("--rate", rate, "packets per second")
//       ->check(s6::cli::Count(1, 100'000'000, "packets/s"));
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace s6::cli {

/// A whole number in [min, max] (`unit` names what it counts, for messages and --help).
CLI::Validator Count(uint64_t min, uint64_t max, const std::string& unit = "");

/// A whole number in [min, max] that may be negative.
CLI::Validator Integer(int64_t min, int64_t max, const std::string& unit = "");

/// A finite real number in [min, max], or in (min, max] with `min_exclusive` (a duration that
/// must be positive); written as digits with an optional fraction and exponent ("2.5", "1e3").
CLI::Validator Real(double min, double max, const std::string& unit = "",
                    bool min_exclusive = false);

/// The reason `text` is not a whole decimal number in [min, max], or empty when it is.
std::string CheckCount(const std::string& text, uint64_t min, uint64_t max,
                       const std::string& unit = "");
std::string CheckInteger(const std::string& text, int64_t min, int64_t max,
                         const std::string& unit = "");
/// The reason `text` is not a real number in the range, or empty when it is.
std::string CheckReal(const std::string& text, double min, double max, const std::string& unit = "",
                      bool min_exclusive = false);

}  // namespace s6::cli
