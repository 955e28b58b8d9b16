// SPDX-License-Identifier: Apache-2.0
// Decides which records (structs and classes) can be encoded, and builds their RecordModels.
//
// Theory of operation: a record can be encoded when it is a plain, named, externally visible
// class defined in an s6c input, its non-public members are opened with S6_STATE, and every base
// and field maps to a TypeNode (type_mapper.h). A runtime-provided record
// (AnalysisContext::IsRuntimeProvided) is analysed only for its schema: its fields are described
// like any record's, so the schema hash follows the runtime's struct, but it gets no codec (the
// runtime has one) and so no declaration checks or generated-code access rules apply. Each record
// is analysed once and memoised by canonical declaration; a record being analysed counts as
// encodable to its own fields, so recursive types (a record holding a vector of itself) work.
// Problems are recorded, not reported: a record that is not encodable is an error only when a state
// class needs it, and a skipped helper otherwise (ReportProblems is the caller's choice). A problem
// whose cause is in another record points at that record (`child`), so the report shows the cause
// once, with a note at each use.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis_context.h"
#include "model.h"
#include "type_mapper.h"

namespace s6c {

/// One reason why a record can't be encoded. When `child` is set, the cause is inside that
/// record (its own problems are reported where they are) and this is the use site.
struct Problem {
  clang::SourceLocation loc;
  std::string message;
  const clang::CXXRecordDecl* child = nullptr;
};

struct RecordInfo {
  bool done = false;
  std::vector<Problem> problems;
  RecordModel model;
  std::vector<const clang::CXXRecordDecl*> deps;  // records whose codecs this one's codec uses
  std::string file;                               // real path of the defining file
  bool runtime_provided = false;                  // codec from the runtime: schema only
};

class RecordAnalyzer : public TypeMapper::RecordResolver {
 public:
  /// `inputs`: real paths of every header of this s6c run (only their records get codecs).
  RecordAnalyzer(const AnalysisContext& ac, const std::set<std::string>& inputs)
      : ac_(ac), inputs_(inputs) {}

  /// Analyses `rd` (once) and returns what is known about it.
  const RecordInfo& Analyze(const clang::CXXRecordDecl* rd);
  bool IsEncodable(const clang::CXXRecordDecl* rd) override { return Analyze(rd).problems.empty(); }
  /// The memo entry of `rd` (empty when it was never analysed).
  RecordInfo& Info(const clang::CXXRecordDecl* rd) { return records_[rd->getCanonicalDecl()]; }

  /// Reports the problems of `rd` as errors (once per record), following children to their
  /// causes and adding a note at each use.
  void ReportProblems(const clang::CXXRecordDecl* rd);
  /// Appends the schema lines of `rd` and the records it uses (each once, via `seen`) to `out`.
  void CollectSchema(const clang::CXXRecordDecl* rd, std::set<const clang::CXXRecordDecl*>& seen,
                     std::string& out);
  /// Appends `rd` to `out` after the records its codec uses (each once, via `seen`);
  /// runtime-provided records are left out (they get no codec).
  void Order(const clang::CXXRecordDecl* rd, std::set<const clang::CXXRecordDecl*>& seen,
             std::vector<const clang::CXXRecordDecl*>& out);

  /// The type mapper, resolving user records through this analyzer.
  TypeMapper& types() { return types_; }

 private:
  // Where and how `rd` is declared (union, template, internal linkage, not an input, ...).
  void CheckDeclaration(const clang::CXXRecordDecl* rd, const clang::TypedefNameDecl* state_tag,
                        RecordInfo& info);
  void MapBases(const clang::CXXRecordDecl* rd, bool has_state, RecordInfo& info);
  void MapFields(const clang::CXXRecordDecl* rd, bool has_state, RecordInfo& info);

  const AnalysisContext& ac_;
  const std::set<std::string>& inputs_;
  TypeMapper types_{ac_, *this};
  std::map<const clang::CXXRecordDecl*, RecordInfo> records_;
  std::set<const clang::CXXRecordDecl*> in_progress_;
  std::set<const clang::CXXRecordDecl*> reported_;
};

}  // namespace s6c
