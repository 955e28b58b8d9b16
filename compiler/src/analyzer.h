// SPDX-License-Identifier: Apache-2.0
// Builds the FileModel of one input header from its Clang AST and reports misuse.
//
// Theory of operation: the analyzer visits every record defined in the main file. Records that
// derive from s6::SingleWriter / s6::MultiWriter are state classes: they, and every record
// reachable from their fields and shippable method signatures, must be encodable, and every
// problem is an error at the exact field, method or parameter (with a note at the use that made
// a nested record necessary). Other records of the main file get a codec when they are
// encodable (so they can be map keys) and are listed as skipped otherwise. Records are analysed
// once and memoised; recursive types are fine (a record may contain a vector of itself).
//
// The work is split by responsibility: this unit finds the records and checks state classes
// (constructor, virtuals, which methods they offer, id collisions, schema hash);
// record_analyzer.h decides which records can be encoded; type_mapper.h maps each type to a
// TypeNode; method_analyzer.h handles one method (annotations, shippability, id).
#pragma once

#include <set>
#include <string>

#include "model.h"

namespace clang {
class ASTContext;
}  // namespace clang

namespace s6c {

/// Analyses the translation unit whose main file is `input_path` (a real path, see paths.h).
/// `inputs` holds the real paths of all headers of this s6c run (records defined in them may be
/// used across headers). Reports problems through the context's DiagnosticsEngine; the model is
/// meaningful only when no error was reported.
FileModel AnalyzeTranslationUnit(clang::ASTContext& ctx, const std::string& input_path,
                                 const std::set<std::string>& inputs);

}  // namespace s6c
