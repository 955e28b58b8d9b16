// SPDX-License-Identifier: Apache-2.0
#include "analysis_context.h"

#include <vector>

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/QualTypeNames.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/Support/Path.h"
#include "paths.h"

namespace s6c {

namespace {

// The s6::Codec primary template, or nullptr when the translation unit doesn't declare it.
const clang::ClassTemplateDecl* FindCodecTemplate(clang::ASTContext& ctx) {
  for (const clang::NamedDecl* ns : ctx.getTranslationUnitDecl()->lookup(&ctx.Idents.get("s6"))) {
    const auto* nd = llvm::dyn_cast<clang::NamespaceDecl>(ns);
    if (nd == nullptr) continue;
    for (const clang::NamedDecl* d : nd->lookup(&ctx.Idents.get("Codec"))) {
      if (const auto* td = llvm::dyn_cast<clang::ClassTemplateDecl>(d)) return td;
    }
  }
  return nullptr;
}

// Whether code at namespace scope can name `d`: each class it is a member of, up to the
// namespace, declares it public.
bool NameableFromNamespace(const clang::NamedDecl* d) {
  for (;;) {
    const auto* parent = llvm::dyn_cast<clang::CXXRecordDecl>(d->getDeclContext());
    if (parent == nullptr) return true;
    if (d->getAccess() != clang::AS_public) return false;
    d = parent;
  }
}

// Whether `t`, as written (template arguments included), goes through an alias that code at
// namespace scope cannot name.
bool NamesHiddenAlias(clang::QualType t) {
  struct Finder : clang::RecursiveASTVisitor<Finder> {
    bool VisitTypedefType(clang::TypedefType* tt) {
      found = found || !NameableFromNamespace(tt->getDecl());
      return !found;
    }
    bool found = false;
  } finder;
  finder.TraverseType(t);
  return finder.found;
}

// `t` with every specialization of a class template rebuilt as written sugar, its argument
// packs flattened: the fully qualified printer qualifies the arguments of written sugar but not
// the elements of a canonical specialization's pack (a canonical std::tuple<std::string, P>
// came out as `::std::tuple<basic_string<char>, P>`).
clang::QualType Resugar(clang::ASTContext& ctx, clang::QualType t) {
  const clang::Qualifiers quals = t.getLocalQualifiers();
  const clang::Type* ty = t.getTypePtr();
  if (const auto* ref = llvm::dyn_cast<clang::LValueReferenceType>(ty)) {
    return ctx.getQualifiedType(ctx.getLValueReferenceType(Resugar(ctx, ref->getPointeeType())),
                                quals);
  }
  if (const auto* ref = llvm::dyn_cast<clang::RValueReferenceType>(ty)) {
    return ctx.getQualifiedType(ctx.getRValueReferenceType(Resugar(ctx, ref->getPointeeType())),
                                quals);
  }
  if (const auto* arr = llvm::dyn_cast<clang::ConstantArrayType>(ty)) {
    return ctx.getQualifiedType(
        ctx.getConstantArrayType(Resugar(ctx, arr->getElementType()), arr->getSize(), nullptr,
                                 arr->getSizeModifier(), arr->getIndexTypeCVRQualifiers()),
        quals);
  }
  const auto* spec =
      llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(ty->getAsCXXRecordDecl());
  if (spec == nullptr || !llvm::isa<clang::RecordType>(ty)) return t;
  std::vector<clang::TemplateArgument> args;
  auto add = [&](const clang::TemplateArgument& a) {
    args.push_back(a.getKind() == clang::TemplateArgument::Type
                       ? clang::TemplateArgument(Resugar(ctx, a.getAsType()))
                       : a);
  };
  for (const clang::TemplateArgument& a : spec->getTemplateArgs().asArray()) {
    if (a.getKind() == clang::TemplateArgument::Pack) {
      for (const clang::TemplateArgument& e : a.pack_elements()) add(e);
    } else {
      add(a);
    }
  }
  const clang::QualType sugar = ctx.getTemplateSpecializationType(
      clang::TemplateName(spec->getSpecializedTemplate()), args, clang::QualType(ty, 0));
  return ctx.getQualifiedType(sugar, quals);
}

}  // namespace

bool IsS6Base(const clang::CXXRecordDecl* rd) {
  if (rd == nullptr) return false;
  const std::string n = rd->getQualifiedNameAsString();
  return n == "s6::SingleWriter" || n == "s6::MultiWriter";
}

unsigned S6Kinds(const clang::CXXRecordDecl* rd) {
  if (rd == nullptr || !rd->hasDefinition()) return 0;
  unsigned kinds = 0;
  for (const auto& base : rd->getDefinition()->bases()) {
    const clang::CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
    if (b == nullptr) continue;
    const std::string n = b->getQualifiedNameAsString();
    if (n == "s6::SingleWriter") kinds |= 1;
    if (n == "s6::MultiWriter") kinds |= 2;
    kinds |= S6Kinds(b);
  }
  return kinds;
}

AnalysisContext::AnalysisContext(clang::ASTContext& ctx)
    : ctx_(ctx),
      sm_(ctx.getSourceManager()),
      diags_(ctx.getDiagnostics()),
      policy_(ctx.getPrintingPolicy()) {
  // Generated code is compiled far from the header: every name must be fully qualified.
  policy_.SuppressUnwrittenScope = true;
  policy_.SuppressScope = false;
  policy_.FullyQualifiedName = true;
}

void AnalysisContext::Error(clang::SourceLocation loc, const std::string& msg) const {
  const unsigned id = diags_.getCustomDiagID(clang::DiagnosticsEngine::Error, "%0");
  diags_.Report(loc, id) << msg;
}

void AnalysisContext::Note(clang::SourceLocation loc, const std::string& msg) const {
  const unsigned id = diags_.getCustomDiagID(clang::DiagnosticsEngine::Note, "%0");
  diags_.Report(loc, id) << msg;
}

std::string AnalysisContext::Spell(clang::QualType t) const {
  // Generated code lives outside the class: a type written with a private or protected member
  // alias of a class (e.g. a parameter `Id` where the class says `using Id = uint32_t;` under
  // `private:`) cannot be named there, so such a type is spelled without its sugar.
  if (NamesHiddenAlias(t)) t = Resugar(ctx_, t.getCanonicalType());
  // A deduced `auto` / `decltype(auto)` return type: the type it stands for, as written where
  // it was deduced (its sugar printed as is would garble the qualified name).
  if (const auto* dt = t->getAs<clang::DeducedType>(); dt != nullptr && dt->isDeduced()) {
    t = ctx_.getQualifiedType(dt->getDeducedType(), t.getLocalQualifiers());
  }
  return clang::TypeName::getFullyQualifiedName(t, ctx_, policy_, /*WithGlobalNsPrefix=*/true);
}

std::string AnalysisContext::Describe(clang::QualType t) const {
  return t.getAsString(ctx_.getPrintingPolicy());
}

std::string AnalysisContext::FileOf(const clang::Decl* d) const {
  const clang::SourceLocation loc = sm_.getExpansionLoc(d->getLocation());
  const clang::FileEntry* fe = sm_.getFileEntryForID(sm_.getFileID(loc));
  return fe == nullptr ? std::string() : RealPath(fe->getName());
}

bool AnalysisContext::IsRuntimeProvided(const clang::CXXRecordDecl* rd) const {
  rd = rd->getCanonicalDecl();
  if (auto it = runtime_provided_.find(rd); it != runtime_provided_.end()) return it->second;
  bool provided = false;
  const clang::ClassTemplateDecl* codec = FindCodecTemplate(ctx_);
  // Only the runtime's own namespace: a user type with a hand-written codec still needs s6c
  // (its schema, and codecs of the records it uses, come from the analysis).
  if (codec != nullptr && Qualified(rd).rfind("s6::", 0) == 0 && !IsS6Base(rd)) {
    // "A runtime header" is one in the directory that declares s6::Codec (s6/object.h), wherever
    // the runtime headers were found (the source tree or an installed prefix): a specialization
    // a user writes elsewhere does not make an s6:: type state.
    const std::string runtime_dir =
        llvm::sys::path::parent_path(FileOf(codec->getTemplatedDecl())).str() + "/";
    for (const clang::ClassTemplateSpecializationDecl* sd : codec->specializations()) {
      const clang::TemplateArgumentList& args = sd->getTemplateArgs();
      // Codec<T, void> for Codec<T>: only the first argument names the type.
      if (sd->getSpecializationKind() != clang::TSK_ExplicitSpecialization || args.size() == 0 ||
          args[0].getKind() != clang::TemplateArgument::Type) {
        continue;
      }
      const clang::CXXRecordDecl* arg = args[0].getAsType()->getAsCXXRecordDecl();
      if (arg != nullptr && arg->getCanonicalDecl() == rd &&
          FileOf(sd).rfind(runtime_dir, 0) == 0) {
        provided = true;
        break;
      }
    }
  }
  runtime_provided_[rd] = provided;
  return provided;
}

}  // namespace s6c
