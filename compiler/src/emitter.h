// SPDX-License-Identifier: Apache-2.0
// Turns a FileModel into the text of `stem.s6.h` and `stem.s6.cc`.
//
// Theory of operation: emission is a pure function of the model (no clock, no paths, no
// iteration over unordered containers), so the same input always gives identical bytes. The
// header declares specialisations of s6::Codec / s6::Stub / s6::Skeleton / s6::TypeInfo; the
// source file defines them. Codecs delegate element encoding to the templates in s6/codec.h.
#pragma once

#include <string>

#include "model.h"

namespace s6c {

inline constexpr const char* kVersion = "0.1.0";

struct GeneratedFiles {
  std::string header;  // stem.s6.h
  std::string source;  // stem.s6.cc
};

GeneratedFiles Emit(const FileModel& model);

}  // namespace s6c
