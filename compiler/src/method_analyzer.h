// SPDX-License-Identifier: Apache-2.0
// Turns one public method of a state class into a MethodModel: annotations, shippability,
// signature and id.
//
// Theory of operation: S6_STALE / S6_STALE_MS / S6_UNTETHER arrive as Clang annotate
// attributes ("s6.stale", "s6.untether") and are checked against the method's shape (const,
// returning a value or void) and the class kind. A method is shippable when every parameter and
// its result map to a TypeNode and nothing ties it to the caller (non-const references,
// variadics, ref-qualifiers, default arguments naming private members). A MultiWriter method
// must be shippable (calls may run at the object's home), so each reason is an error there; a
// SingleWriter method that is not shippable is kept, flagged local-only, and left out of the
// stub and skeleton. The id hashes the normalised signature, so it survives renaming
// parameters and respelling types, and changes when the wire format of the call does.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis_context.h"
#include "model.h"
#include "record_analyzer.h"

namespace s6c {

/// The error for a virtual method of a state class (also used for inherited virtuals).
inline constexpr const char* kVirtualMessage =
    "state classes can't have virtual methods: objects move between instances as data, "
    "without a vtable";

/// Analyses the methods of one state class.
/// `name(canonical parameter types) [const]`: what tells two C++ overloads apart.
std::string ExactSignature(const clang::CXXMethodDecl* md);

/// A method's id: a hash of its signature (never 0).
uint32_t MethodId(const std::string& signature);

class MethodAnalyzer {
 public:
  MethodAnalyzer(const AnalysisContext& ac, RecordAnalyzer& records,
                 const clang::CXXRecordDecl* state_class, bool multi_writer)
      : ac_(ac), records_(records), state_class_(state_class), multi_writer_(multi_writer) {}

  /// Analyses `md` (a public method of the state class or of one of its bases) and appends its
  /// model to `out`. Records the method's signature uses are appended to `deps` when it is
  /// shippable. Reports errors and clears `ok` on misuse; a MultiWriter method with an error
  /// is not appended.
  void Analyze(const clang::CXXMethodDecl* md, std::vector<MethodModel>& out,
               std::vector<const clang::CXXRecordDecl*>& deps, bool& ok);

 private:
  struct Annotations {
    bool stale = false;
    bool untether = false;
  };
  // Why a method can't be shipped, each at its location.
  struct Shipping {
    std::vector<std::pair<clang::SourceLocation, std::string>> problems;
    std::vector<const clang::CXXRecordDecl*> deps;
  };

  Annotations ReadAnnotations(const clang::CXXMethodDecl* md, MethodModel& m, bool& ok);
  // The annotation rules that depend on the method's shape and the class kind.
  bool CheckAnnotations(const clang::CXXMethodDecl* md, const MethodModel& m, const Annotations& a);
  // Fills m.params; returns the normalised parameter list ("u32,string").
  clang::QualType ValueType(clang::QualType t) const;
  std::string AnalyzeParams(const clang::CXXMethodDecl* md, MethodModel& m, Shipping& shipping);
  // The normalised type of one parameter (its canonical spelling when it can't be shipped).
  std::string AnalyzeParamType(const clang::ParmVarDecl* p, const std::string& pname,
                               Shipping& shipping);
  void AnalyzeDefaultArg(const clang::ParmVarDecl* p, const std::string& pname, ParamModel& pm,
                         Shipping& shipping);
  void DefaultScope(const clang::CXXMethodDecl* md, MethodModel& m) const;
  void AnalyzeReturn(const clang::CXXMethodDecl* md, MethodModel& m, Shipping& shipping);

  const AnalysisContext& ac_;
  RecordAnalyzer& records_;
  const clang::CXXRecordDecl* state_class_;
  bool multi_writer_;
};

}  // namespace s6c
