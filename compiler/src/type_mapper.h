// SPDX-License-Identifier: Apache-2.0
// Maps a Clang type to the model's normalised type description (TypeNode), or says why it
// can't be encoded.
//
// Theory of operation: the supported set is closed: bool, integers up to 64 bits, float and
// double, enums with a fixed underlying type, fixed-size C arrays, std::string and a fixed list
// of std containers (mapped by template name, so the standard library's internal spelling never
// leaks into schemas), user records, and the few runtime-provided records that have the
// runtime's own codec (AnalysisContext::IsRuntimeProvided: s6::net::FiveTuple). Everything else
// fails with a reason written for the user (pointers, views, std::function, ...). Whether a user
// record is encodable is not this class's business: it asks a RecordResolver (the record analyzer),
// which in turn maps the record's fields through this mapper; that mutual recursion is what makes
// nested state structs work. Each user record a mapped type relies on is appended to `deps`, so its
// codec is emitted first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis_context.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/Type.h"
#include "model.h"

namespace s6c {

class TypeMapper {
 public:
  /// Decides whether a user record (not std::, and not s6:: unless runtime-provided) can be
  /// encoded.
  class RecordResolver {
   public:
    virtual ~RecordResolver() = default;
    virtual bool IsEncodable(const clang::CXXRecordDecl* rd) = 0;
  };

  /// Why a type could not be mapped. `child` is set when the cause is inside that user record
  /// (its own problems are reported there; the mapped type is only the use site).
  struct Failure {
    std::string why;
    const clang::CXXRecordDecl* child = nullptr;
  };

  using Deps = std::vector<const clang::CXXRecordDecl*>;

  TypeMapper(const AnalysisContext& ac, RecordResolver& records) : ac_(ac), records_(records) {}

  /// The normalised node of `t`; nullopt with `failure` filled in when it can't be encoded.
  /// Records the node relies on are appended to `deps` (also when mapping fails part way).
  std::optional<TypeNode> Map(clang::QualType t, Deps& deps, Failure& failure);

 private:
  // A std:: class template specialisation, by template name ("vector", "map", ...).
  std::optional<TypeNode> MapStd(const clang::ClassTemplateSpecializationDecl* sd,
                                 const std::string& name, Deps& deps, Failure& failure);
  // The normalised comparator of an ordered container whose key maps to `key` ("" for
  // std::less of the key or std::less<>); nullopt with `failure` filled in when the order can't
  // be part of state.
  std::optional<std::string> MapComparator(const clang::TemplateArgument& arg, const TypeNode& key,
                                           const std::string& container, Failure& failure);
  std::optional<TypeNode> MapBuiltin(clang::QualType t, const clang::BuiltinType* bt,
                                     Failure& failure);
  std::optional<TypeNode> MapEnum(const clang::EnumType* et, Failure& failure);
  std::optional<TypeNode> MapRecord(clang::QualType t, const clang::CXXRecordDecl* rd, Deps& deps,
                                    Failure& failure);

  const AnalysisContext& ac_;
  RecordResolver& records_;
};

}  // namespace s6c
