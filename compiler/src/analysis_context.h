// SPDX-License-Identifier: Apache-2.0
// What every part of the analysis shares: the Clang context, diagnostics, and how names and
// types are spelled.
//
// Theory of operation: the analysis is split by responsibility (analyzer: state classes and the
// file; record_analyzer: which records can be encoded; type_mapper: types to TypeNodes;
// method_analyzer: methods and their annotations). All of them report through Clang's
// DiagnosticsEngine and spell names the same way, so those few operations live here, once,
// and each part holds a reference to one AnalysisContext per translation unit.
#pragma once

#include <map>
#include <string>

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/PrettyPrinter.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"

namespace s6c {

/// True for s6::SingleWriter and s6::MultiWriter themselves.
bool IsS6Base(const clang::CXXRecordDecl* rd);

/// Which s6 bases `rd` derives from, directly or not: bit 1 SingleWriter, bit 2 MultiWriter.
unsigned S6Kinds(const clang::CXXRecordDecl* rd);

class AnalysisContext {
 public:
  explicit AnalysisContext(clang::ASTContext& ctx);

  clang::ASTContext& ast() const { return ctx_; }
  const clang::SourceManager& sm() const { return sm_; }

  /// Reports an s6c error or note at `loc` (shown as file:line:col: error: msg).
  void Error(clang::SourceLocation loc, const std::string& msg) const;
  void Note(clang::SourceLocation loc, const std::string& msg) const;

  /// "ns::Outer::Inner".
  std::string Qualified(const clang::NamedDecl* d) const { return d->getQualifiedNameAsString(); }
  /// The fully qualified spelling generated code uses: "const ::std::string &".
  std::string Spell(clang::QualType t) const;
  /// The spelling diagnostics use, as the user wrote it.
  std::string Describe(clang::QualType t) const;
  /// Real path of the file that defines `d` (empty when it has none).
  std::string FileOf(const clang::Decl* d) const;

  /// True for a runtime-provided leaf type such as s6::net::FiveTuple: a record in namespace s6
  /// (or one nested in it) with an explicit specialization of s6::Codec in a runtime header (the
  /// directory of the header that declares s6::Codec). State may hold it like a user record; s6c
  /// generates no codec for it (the runtime's is used) and describes its fields in schema hashes,
  /// so a change to the struct changes the hash. This is the only place that decides it: every
  /// other s6:: type is refused as a runtime type.
  bool IsRuntimeProvided(const clang::CXXRecordDecl* rd) const;

 private:
  clang::ASTContext& ctx_;
  const clang::SourceManager& sm_;
  clang::DiagnosticsEngine& diags_;
  clang::PrintingPolicy policy_;
  mutable std::map<const clang::CXXRecordDecl*, bool> runtime_provided_;  // by canonical decl
};

}  // namespace s6c
