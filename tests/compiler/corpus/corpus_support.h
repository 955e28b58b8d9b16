// SPDX-License-Identifier: Apache-2.0
// Checks shared by the drivers gen_corpus.py writes: field-wise comparison, the round trip,
// the descriptor's method table, and the failure count. Header-only; tests only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include <s6/codec.h>
#include <s6/descriptor.h>

namespace corpus {

inline const char* current_class = "";
inline int failures = 0;
inline long checks = 0;

inline void Check(bool ok, const char* what, const std::string& detail = "") {
  ++checks;
  if (ok) return;
  ++failures;
  if (failures <= 50) {
    std::fprintf(stderr, "CHECK FAILED: %s: %s %s\n", current_class, what, detail.c_str());
  }
}

// Equality, bitwise for floating point (so -0.0 and 0.0 differ), element-wise for C arrays.
template <typename T>
bool Same(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
  } else {
    return a == b;
  }
}

template <typename T, std::size_t N>
bool Same(const T (&a)[N], const T (&b)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (!Same(a[i], b[i])) return false;
  }
  return true;
}

inline bool SameBytes(const s6::ByteBuffer& a, const s6::ByteBuffer& b) {
  return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// encode -> decode is the identity (field by field, through Access::Diff); re-encoding gives
// the same bytes (same length for types with unordered containers); every strict prefix and a
// padded input are rejected.
template <typename Access, typename T>
void RoundTrip(const T& original, bool canonical, const char* what) {
  const s6::ByteBuffer bytes = s6::EncodeToBuffer(original);
  Check(bytes.size() >= s6::kMinEncodedSize<T>, what, "encoding shorter than kMinSize");
  T decoded{};
  if (!s6::DecodeExact(bytes, decoded)) {
    Check(false, what,
          "its own encoding does not decode (" + std::to_string(bytes.size()) + " bytes)");
    return;
  }
  std::string where;
  Check(Access::Diff(original, decoded, where), what, "decoded value differs at field " + where);
  const s6::ByteBuffer again = s6::EncodeToBuffer(decoded);
  if (canonical) {
    Check(SameBytes(bytes, again), what, "re-encoding differs");
  } else {
    Check(bytes.size() == again.size(), what, "re-encoding has another length");
  }
  for (std::size_t n = 0; n < bytes.size(); n += 1 + n / 16) {
    T partial{};
    Check(!s6::DecodeExact(bytes.data(), n, partial), what,
          "a prefix of " + std::to_string(n) + " bytes decodes");
  }
  s6::ByteBuffer padded = bytes;
  padded.Append("x", 1);
  T extra{};
  Check(!s6::DecodeExact(padded, extra), what, "a trailing byte is accepted");
}

struct ExpectedMethod {
  const char* name;
  uint32_t flags;
  uint32_t stale_ms;
};

// The descriptor lists exactly the expected interface (name, flags, bound per method), ids are
// non-zero, unique, sorted and found by FindMethod.
template <typename T>
void CheckDescriptor(s6::ObjectKind kind, std::initializer_list<ExpectedMethod> expected) {
  const s6::TypeDescriptor& d = s6::TypeInfo<T>::Descriptor();
  Check(d.kind == kind && s6::TypeInfo<T>::kKind == kind, "descriptor kind");
  Check(d.schema_hash == s6::TypeInfo<T>::kSchemaHash, "descriptor schema hash");
  constexpr uint32_t kMask = s6::kMethodConst | s6::kMethodStale | s6::kMethodUntether |
                             s6::kMethodReturnsValue | s6::kMethodLocalOnly;
  std::vector<std::string> got;
  std::vector<std::string> want;
  for (std::size_t i = 0; i < d.methods.size(); ++i) {
    const s6::MethodDescriptor& m = d.methods[i];
    got.push_back(std::string(m.name) + "/" + std::to_string(m.flags & kMask) + "/" +
                  std::to_string(m.stale_max_age_ms));
    Check(m.id != 0, "method id is 0", std::string(m.name));
    Check(i == 0 || d.methods[i - 1].id < m.id, "method ids sorted and unique",
          std::string(m.name));
    Check(d.FindMethod(m.id) == &m, "FindMethod", std::string(m.name));
  }
  for (const ExpectedMethod& e : expected) {
    want.push_back(std::string(e.name) + "/" + std::to_string(e.flags) + "/" +
                   std::to_string(e.stale_ms));
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) {
    std::string g;
    std::string w;
    for (const auto& s : got) g += s + " ";
    for (const auto& s : want) w += s + " ";
    Check(false, "descriptor method table (name/flags/stale_ms)",
          "got [" + g + "] want [" + w + "]");
  }
}

inline int Finish(const char* what, int classes) {
  std::printf("%s: %d classes, %ld checks, %d failed\n", what, classes, checks, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace corpus
