// SPDX-License-Identifier: Apache-2.0
#include "method_analyzer.h"

#include "clang/AST/Attr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Lex/Lexer.h"
#include "s6/descriptor.h"
#include "s6/hash.h"

namespace s6c {
namespace {

using clang::QualType;
using clang::SourceLocation;

// Whether an expression names class members (or `this`).
class MemberRefFinder : public clang::RecursiveASTVisitor<MemberRefFinder> {
 public:
  bool VisitDeclRefExpr(clang::DeclRefExpr* e) {
    if (e->getDecl()->isCXXClassMember()) found = true;
    return true;
  }
  bool VisitCXXThisExpr(clang::CXXThisExpr*) {
    found = true;
    return true;
  }
  bool found = false;
};

}  // namespace

std::string ExactSignature(const clang::CXXMethodDecl* md) {
  std::string s = md->getNameAsString() + "(";
  for (const clang::ParmVarDecl* p : md->parameters()) {
    if (p != *md->param_begin()) s += ",";
    s += p->getType().getCanonicalType().getAsString();
  }
  return s + ")" + (md->isConst() ? " const" : "");
}

uint32_t MethodId(const std::string& signature) {
  uint32_t id = static_cast<uint32_t>(s6::HashString("s6.method:" + signature));
  return id == 0 ? 1 : id;  // 0 is never a valid method id
}

void MethodAnalyzer::Analyze(const clang::CXXMethodDecl* md, std::vector<MethodModel>& out,
                             std::vector<const clang::CXXRecordDecl*>& deps, bool& ok) {
  MethodModel m;
  m.name = md->getNameAsString();
  m.is_const = md->isConst();
  const auto* fpt = md->getType()->getAs<clang::FunctionProtoType>();
  m.is_noexcept = fpt != nullptr && fpt->isNothrow();
  m.is_deprecated = md->isDeprecated();
  const Annotations a = ReadAnnotations(md, m, ok);
  if (!CheckAnnotations(md, m, a)) ok = false;
  const bool returns_void = md->getReturnType()->isVoidType();
  m.flags = (m.is_const ? s6::kMethodConst : 0u) | (a.stale ? s6::kMethodStale : 0u) |
            (a.untether ? s6::kMethodUntether : 0u) | (returns_void ? 0u : s6::kMethodReturnsValue);

  // Shippability: every parameter and the result must have a codec.
  Shipping shipping;
  const SourceLocation loc = md->getLocation();
  if (md->isVariadic()) shipping.problems.push_back({loc, "variadic methods can't be shipped"});
  if (md->getRefQualifier() != clang::RQ_None) {
    shipping.problems.push_back({loc, "ref-qualified methods can't be shipped"});
  }
  const std::string normalized_params = AnalyzeParams(md, m, shipping);
  AnalyzeReturn(md, m, shipping);
  m.declared_return = ac_.Spell(md->getReturnType());
  m.signature = m.name + "(" + normalized_params + ")" + (m.is_const ? " const" : "");
  m.exact_signature = ExactSignature(md);
  if (!shipping.problems.empty()) {
    if (multi_writer_) {
      for (const auto& [l, msg] : shipping.problems) ac_.Error(l, msg);
      ok = false;
      return;
    }
    m.shippable = false;
    m.flags |= s6::kMethodLocalOnly;
  } else {
    deps.insert(deps.end(), shipping.deps.begin(), shipping.deps.end());
  }
  m.id = MethodId(m.signature);
  m.decl_order = static_cast<unsigned>(out.size());
  out.push_back(std::move(m));
}

MethodAnalyzer::Annotations MethodAnalyzer::ReadAnnotations(const clang::CXXMethodDecl* md,
                                                            MethodModel& m, bool& ok) {
  Annotations a;
  for (const clang::AnnotateAttr* attr : md->specific_attrs<clang::AnnotateAttr>()) {
    if (attr->getAnnotation() == "s6.untether") a.untether = true;
    if (attr->getAnnotation() != "s6.stale") continue;
    a.stale = true;
    if (attr->args_size() == 0) continue;  // S6_STALE: no bound on the age
    const clang::Expr* e = *attr->args_begin();
    llvm::Optional<llvm::APSInt> v = e->getIntegerConstantExpr(ac_.ast());
    if (!v || v->isNegative() || v->isZero() || v->getActiveBits() > 31) {
      ac_.Error(e->getExprLoc(), "S6_STALE_MS needs a positive integer constant (milliseconds)");
      ok = false;
    } else {
      m.stale_max_age_ms = static_cast<uint32_t>(v->getZExtValue());
    }
  }
  return a;
}

bool MethodAnalyzer::CheckAnnotations(const clang::CXXMethodDecl* md, const MethodModel& m,
                                      const Annotations& a) {
  bool ok = true;
  auto error = [&](const std::string& msg) {
    ac_.Error(md->getLocation(), msg);
    ok = false;
  };
  if (md->isVirtual()) error(kVirtualMessage);
  if ((a.stale || a.untether) && !multi_writer_) {
    error(std::string(a.stale ? "S6_STALE" : "S6_UNTETHER") + " on '" + m.name +
          "' has no meaning in SingleWriter class '" + state_class_->getName().str() +
          "' (its methods always run locally); remove it or make the class a "
          "MultiWriter");
  }
  if (a.stale && a.untether) error("'" + m.name + "' can't be both S6_STALE and S6_UNTETHER");
  const bool returns_void = md->getReturnType()->isVoidType();
  // With both annotations the return-type rules contradict each other; one error is enough.
  if (a.untether && !a.stale && !returns_void) {
    error("S6_UNTETHER method '" + m.name +
          "' must return void (its caller does not wait "
          "for a result), but returns '" +
          ac_.Describe(md->getReturnType()) + "'");
  }
  if (a.stale && !m.is_const) {
    error("S6_STALE method '" + m.name + "' must be const (a cached copy may answer it)");
  }
  if (a.stale && !a.untether && returns_void) {
    error("S6_STALE method '" + m.name + "' returns void; a stale read must return a value");
  }
  return ok;
}

// What a parameter of type `t` carries: without reference and cv, down to an array's
// elements (`const T (&)[N]` carries a `T[N]`).
QualType MethodAnalyzer::ValueType(QualType t) const {
  clang::Qualifiers quals;
  return ac_.ast().getUnqualifiedArrayType(t.getNonReferenceType(), quals);
}

std::string MethodAnalyzer::AnalyzeParams(const clang::CXXMethodDecl* md, MethodModel& m,
                                          Shipping& shipping) {
  std::string normalized;
  unsigned index = 0;
  for (const clang::ParmVarDecl* p : md->parameters()) {
    ParamModel pm;
    pm.name = p->getName().str();
    pm.spelled_type = ac_.Spell(p->getType());
    pm.value_type = ac_.Spell(ValueType(p->getType()));
    const std::string pname = pm.name.empty() ? "#" + std::to_string(index + 1) : pm.name;
    const std::string norm = AnalyzeParamType(p, pname, shipping);
    AnalyzeDefaultArg(p, pname, pm, shipping);
    if (index++ != 0) normalized += ",";
    normalized += norm;
    m.params.push_back(std::move(pm));
  }
  return normalized;
}

std::string MethodAnalyzer::AnalyzeParamType(const clang::ParmVarDecl* p, const std::string& pname,
                                             Shipping& shipping) {
  const QualType pt = p->getType();
  if (pt->isLValueReferenceType() && !pt.getNonReferenceType().isConstQualified()) {
    shipping.problems.push_back(
        {p->getLocation(), "parameter '" + pname +
                               "' is a non-const reference; a remote "
                               "call can't write back into the caller's variable (return the "
                               "value instead)"});
    return pt.getCanonicalType().getAsString();
  }
  const QualType decayed = ValueType(pt);
  TypeMapper::Failure failure;
  auto node = records_.types().Map(decayed, shipping.deps, failure);
  if (node) return node->Normalized();
  shipping.problems.push_back({p->getLocation(), "parameter '" + pname + "' of type '" +
                                                     ac_.Describe(pt) +
                                                     "' can't be shipped: " + failure.why});
  if (failure.child != nullptr && multi_writer_) records_.ReportProblems(failure.child);
  return pt.getCanonicalType().getAsString();
}

void MethodAnalyzer::AnalyzeDefaultArg(const clang::ParmVarDecl* p, const std::string& pname,
                                       ParamModel& pm, Shipping& shipping) {
  if (!p->hasDefaultArg() || p->hasUnparsedDefaultArg() || p->hasUninstantiatedDefaultArg()) {
    return;
  }
  const clang::CharSourceRange range =
      clang::CharSourceRange::getTokenRange(p->getDefaultArgRange());
  pm.default_arg = clang::Lexer::getSourceText(range, ac_.sm(), ac_.ast().getLangOpts()).str();
  // The stub lives outside the class: a default that names class members can't be copied.
  MemberRefFinder finder;
  finder.TraverseStmt(const_cast<clang::Expr*>(p->getDefaultArg()));
  if (finder.found || pm.default_arg.empty()) {
    shipping.problems.push_back(
        {p->getLocation(), "the default argument of '" + pname +
                               "' refers to class members; the stub can't evaluate it "
                               "(use a namespace-scope constant)"});
  }
}

void MethodAnalyzer::AnalyzeReturn(const clang::CXXMethodDecl* md, MethodModel& m,
                                   Shipping& shipping) {
  const QualType rt = md->getReturnType();
  if (rt->isVoidType()) {
    m.return_type = "void";
    return;
  }
  const SourceLocation loc = md->getLocation();
  if (rt->isReferenceType()) {
    shipping.problems.push_back({loc, "'" + m.name + "' returns a reference ('" + ac_.Describe(rt) +
                                          "'); a remote call can only return a value"});
  } else {
    TypeMapper::Failure failure;
    if (!records_.types().Map(rt.getUnqualifiedType(), shipping.deps, failure)) {
      shipping.problems.push_back({loc, "'" + m.name + "' returns '" + ac_.Describe(rt) +
                                            "', which can't be shipped: " + failure.why});
      if (failure.child != nullptr && multi_writer_) records_.ReportProblems(failure.child);
    }
  }
  m.return_type = ac_.Spell(rt.getNonReferenceType().getUnqualifiedType());
}

}  // namespace s6c
