// SPDX-License-Identifier: Apache-2.0
#include "method_analyzer.h"

#include "clang/AST/Attr.h"
#include "clang/AST/CXXInheritance.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Lex/Lexer.h"
#include "s6/descriptor.h"
#include "s6/hash.h"

namespace s6c {
namespace {

using clang::QualType;
using clang::SourceLocation;

// The declaration a type names (a class, enum, alias or template), or null.
const clang::NamedDecl* DeclOfType(const clang::Type* t) {
  if (t == nullptr) return nullptr;
  if (const auto* td = t->getAs<clang::TypedefType>()) return td->getDecl();
  if (const clang::TagDecl* tag = t->getAsTagDecl()) return tag;
  if (const auto* ts = t->getAs<clang::TemplateSpecializationType>()) {
    return ts->getTemplateName().getAsTemplateDecl();
  }
  return nullptr;
}

// Whether unqualified lookup must start inside a class to find `d`.
bool IsClassScoped(const clang::Decl* d) {
  for (const clang::DeclContext* c = d->getDeclContext(); c != nullptr; c = c->getParent()) {
    if (c->isRecord()) return true;
    if (c->isFileContext()) return false;
  }
  return false;
}

// What a default argument names, and so where it can be evaluated. Each name is judged by the
// first name lookup sees: the outermost qualifier when the name is qualified (`Outer::kScale`
// is found from the namespace, `Color::kRed` only from the class), the name itself otherwise.
class DefaultArgScan : public clang::RecursiveASTVisitor<DefaultArgScan> {
  using Base = clang::RecursiveASTVisitor<DefaultArgScan>;

 public:
  /// `scopes`: the class that declares the method and the classes enclosing it, whose scopes a
  /// class-scope helper borrows.
  explicit DefaultArgScan(std::vector<const clang::CXXRecordDecl*> scopes)
      : scopes_(std::move(scopes)) {}

  bool needs_class_scope = false;
  const clang::NamedDecl* private_name = nullptr;  // a member it names that is private there

  bool VisitDeclRefExpr(clang::DeclRefExpr* e) {
    Named(e->getDecl(), e->getQualifierLoc());
    return true;
  }
  bool VisitCXXThisExpr(clang::CXXThisExpr*) {
    needs_class_scope = true;  // an implicit member access in an unevaluated operand
    return true;
  }
  bool TraverseElaboratedTypeLoc(clang::ElaboratedTypeLoc tl) {
    if (!tl.getQualifierLoc()) return Base::TraverseElaboratedTypeLoc(tl);
    Named(DeclOfType(tl.getNamedTypeLoc().getTypePtr()), tl.getQualifierLoc());
    return Judged([&] { return Base::TraverseElaboratedTypeLoc(tl); });
  }
  bool VisitTagTypeLoc(clang::TagTypeLoc tl) {
    if (!judged_) Named(tl.getDecl(), {});
    return true;
  }
  bool VisitTypedefTypeLoc(clang::TypedefTypeLoc tl) {
    if (!judged_) Named(tl.getTypedefNameDecl(), {});
    return true;
  }
  // A qualifier's names are judged with the name they qualify; template arguments inside them
  // (`std::numeric_limits<Count>::max()`) are names of their own.
  bool TraverseNestedNameSpecifierLoc(clang::NestedNameSpecifierLoc q) {
    return Judged([&] { return Base::TraverseNestedNameSpecifierLoc(q); });
  }
  bool TraverseTemplateArgumentLoc(const clang::TemplateArgumentLoc& arg) {
    const bool saved = judged_;
    judged_ = false;
    const bool ok = Base::TraverseTemplateArgumentLoc(arg);
    judged_ = saved;
    return ok;
  }

 private:
  void Named(const clang::NamedDecl* d, clang::NestedNameSpecifierLoc qualifier) {
    if (d == nullptr) return;
    // Access: a private name can't be used outside its class; a protected one only from a class
    // derived from it.
    for (const clang::Decl* x = d; x != nullptr;) {
      const auto* ctx = llvm::dyn_cast<clang::Decl>(x->getDeclContext());
      if (ctx == nullptr ||
          !(llvm::isa<clang::CXXRecordDecl>(ctx) || llvm::isa<clang::EnumDecl>(ctx))) {
        break;
      }
      if ((x->getAccess() == clang::AS_private || OnlyPrivatelyInherited(ctx)) &&
          private_name == nullptr) {
        private_name = llvm::cast<clang::NamedDecl>(x);
      }
      if (x->getAccess() == clang::AS_protected) needs_class_scope = true;
      x = ctx;
    }
    const clang::NamedDecl* first = d;
    if (qualifier) {
      const clang::NestedNameSpecifier* q = qualifier.getNestedNameSpecifier();
      while (q->getPrefix() != nullptr) q = q->getPrefix();
      switch (q->getKind()) {
        case clang::NestedNameSpecifier::Global:
        case clang::NestedNameSpecifier::Namespace:
        case clang::NestedNameSpecifier::NamespaceAlias:
          return;
        case clang::NestedNameSpecifier::Super:
          needs_class_scope = true;
          return;
        default:
          first = DeclOfType(q->getAsType());
          break;
      }
    }
    if (first == nullptr || IsClassScoped(first)) needs_class_scope = true;
  }

  // Whether `ctx` is a base of the borrowed scopes reached only through private inheritance:
  // its members are then private in the class, out of a derived helper's reach.
  bool OnlyPrivatelyInherited(const clang::Decl* ctx) const {
    const auto* base = llvm::dyn_cast<clang::CXXRecordDecl>(ctx);
    if (base == nullptr) return false;
    bool inherited = false;
    for (const clang::CXXRecordDecl* scope : scopes_) {
      if (scope->getCanonicalDecl() == base->getCanonicalDecl()) return false;
      clang::CXXBasePaths paths(/*FindAmbiguities=*/true, /*RecordPaths=*/true,
                                /*DetectVirtual=*/false);
      if (!scope->isDerivedFrom(base, paths)) continue;
      inherited = true;
      for (const clang::CXXBasePath& path : paths) {
        if (path.Access == clang::AS_public || path.Access == clang::AS_protected) return false;
      }
    }
    return inherited;
  }

  // Traverses with the types met directly (not in template arguments) already judged.
  template <typename F>
  bool Judged(F traverse) {
    const bool saved = judged_;
    judged_ = true;
    const bool ok = traverse();
    judged_ = saved;
    return ok;
  }

  std::vector<const clang::CXXRecordDecl*> scopes_;
  bool judged_ = false;
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
  DefaultScope(md, m);
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
  const clang::CharSourceRange range = clang::Lexer::makeFileCharRange(
      clang::CharSourceRange::getTokenRange(p->getDefaultArgRange()), ac_.sm(),
      ac_.ast().getLangOpts());
  if (range.isValid()) {
    pm.default_arg = clang::Lexer::getSourceText(range, ac_.sm(), ac_.ast().getLangOpts()).str();
  }
  // A braced default (`= {}`) has its range start at the `=`.
  if (!pm.default_arg.empty() && pm.default_arg[0] == '=') {
    pm.default_arg.erase(0, pm.default_arg.find_first_not_of(" \t\n", 1));
  }
  if (pm.default_arg.empty()) {
    shipping.problems.push_back({p->getLocation(), "the default argument of '" + pname +
                                                       "' is only partly inside a macro; the "
                                                       "stub can't copy it (write it out, or make "
                                                       "the whole default one macro)"});
    return;
  }
  // The stub lives outside the class; the default is evaluated in a generated helper that sees
  // the names the class sees (see the emitter), which private names and final classes limit.
  std::vector<const clang::CXXRecordDecl*> scopes;
  for (const clang::DeclContext* c = p->getDeclContext()->getParent(); c->isRecord();
       c = c->getParent()) {
    scopes.push_back(llvm::cast<clang::CXXRecordDecl>(c));
  }
  DefaultArgScan scan(std::move(scopes));
  scan.TraverseStmt(const_cast<clang::Expr*>(p->getDefaultArg()));
  if (scan.private_name != nullptr) {
    shipping.problems.push_back(
        {p->getLocation(), "the default argument of '" + pname + "' names '" +
                               ac_.Qualified(scan.private_name) +
                               "', which is private there (declared private, or inherited "
                               "privately); the stub, generated outside the class, "
                               "can't use it (make it protected or public)"});
    return;
  }
  if (!scan.needs_class_scope) return;
  pm.default_in_class = true;
  const clang::CXXRecordDecl* final_class = nullptr;
  for (const clang::DeclContext* c = p->getDeclContext()->getParent(); c->isRecord();
       c = c->getParent()) {
    const auto* rd = llvm::cast<clang::CXXRecordDecl>(c);
    if (rd->hasAttr<clang::FinalAttr>() || rd->isUnion()) final_class = rd;
  }
  if (final_class != nullptr) {
    shipping.problems.push_back(
        {p->getLocation(), "the default argument of '" + pname + "' names members of '" +
                               ac_.Qualified(final_class) +
                               "' as only its scope finds them, and it is final or a union, so "
                               "the stub can't borrow its scope; qualify the names from the "
                               "namespace ('" +
                               ac_.Qualified(final_class) + "::...')"});
  }
}

// The scope default arguments of `md` are evaluated in (see MethodModel).
void MethodAnalyzer::DefaultScope(const clang::CXXMethodDecl* md, MethodModel& m) const {
  const clang::CXXRecordDecl* declaring = md->getParent();
  if (const auto* ns =
          llvm::dyn_cast<clang::NamespaceDecl>(declaring->getEnclosingNamespaceContext())) {
    m.default_namespace = ns->getQualifiedNameAsString();
  }
  for (const clang::DeclContext* c = declaring; c->isRecord(); c = c->getParent()) {
    m.default_scopes.insert(m.default_scopes.begin(),
                            ac_.Qualified(llvm::cast<clang::CXXRecordDecl>(c)));
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
