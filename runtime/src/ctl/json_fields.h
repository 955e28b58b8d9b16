// SPDX-License-Identifier: Apache-2.0
// File: ctl/json_fields.h
//
// Reading fields out of JSON written by other processes (instance stats files, s6-trafgen's
// reports and replies), with every missing or mistyped field accounted for.
//
// Theory of operation
// -------------------
// s6ctl reads JSON it did not write, from processes that may be older, newer or half-way
// through a change of their output. A field that is missing or of the wrong type must neither
// crash s6ctl nor turn silently into a plausible value, so JsonFields reads each field by its
// path ("packets.received": keys, never positions or text matches), returns a neutral default
// (0, or an empty object) when it cannot, and records why in problems(). The caller decides
// what a problem means: the live table shows what it has, the summary reports problems as
// errors of the run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace s6::ctl {

/// JSON as s6ctl keeps it: objects keep their members in the order written.
using Json = nlohmann::ordered_json;

class JsonFields {
 public:
  /// Reads from `root` (borrowed); `source` names it in problems ("instance 2 stats").
  JsonFields(const Json& root, std::string source) : root_(root), source_(std::move(source)) {}

  /// A non-negative integer (a float gauge is truncated); else 0.
  uint64_t Count(std::string_view path);
  /// Any number; else 0.
  double Number(std::string_view path);
  /// An object, copied; else an empty object.
  Json Object(std::string_view path);
  /// A string; else empty.
  std::string String(std::string_view path);
  /// The member at `path` if present (any type), else nullptr; never a problem.
  const Json* Find(std::string_view path) const;

  /// "SOURCE: missing a.b", "SOURCE: a.b is a string, want a count", ... in reading order.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const Json* Want(std::string_view path, bool ok(const Json&), const char* want);

  const Json& root_;
  std::string source_;
  std::vector<std::string> problems_;
};

}  // namespace s6::ctl
