// SPDX-License-Identifier: Apache-2.0
#include "analyzer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/QualTypeNames.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "paths.h"
#include "s6/descriptor.h"
#include "s6/hash.h"

namespace s6c {
namespace {

using clang::CXXRecordDecl;
using clang::QualType;
using clang::SourceLocation;

// One reason why a record can't be encoded. When `child` is set, the cause is inside that
// record (its own problems are reported where they are) and this is the use site.
struct Problem {
  SourceLocation loc;
  std::string message;
  const CXXRecordDecl* child = nullptr;
};

struct RecordInfo {
  bool done = false;
  std::vector<Problem> problems;
  RecordModel model;
  std::vector<const CXXRecordDecl*> deps;  // records whose codecs this one's codec uses
  std::string file;                        // real path of the defining file
};

bool IsS6Base(const CXXRecordDecl* rd) {
  if (rd == nullptr) return false;
  const std::string n = rd->getQualifiedNameAsString();
  return n == "s6::SingleWriter" || n == "s6::MultiWriter";
}

// Which s6 bases `rd` derives from, directly or not: bit 1 SingleWriter, bit 2 MultiWriter.
unsigned S6Kinds(const CXXRecordDecl* rd) {
  if (rd == nullptr || !rd->hasDefinition()) return 0;
  unsigned kinds = 0;
  for (const auto& base : rd->getDefinition()->bases()) {
    const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
    if (b == nullptr) continue;
    const std::string n = b->getQualifiedNameAsString();
    if (n == "s6::SingleWriter") kinds |= 1;
    if (n == "s6::MultiWriter") kinds |= 2;
    kinds |= S6Kinds(b);
  }
  return kinds;
}

constexpr const char* kVirtualMessage =
    "state classes can't have virtual methods: objects move between instances as data, "
    "without a vtable";

// The alias S6_STATE(C) declares inside a record, or nullptr.
const clang::TypedefNameDecl* StateTag(const CXXRecordDecl* rd) {
  for (const clang::Decl* d : rd->decls()) {
    const auto* alias = llvm::dyn_cast<clang::TypedefNameDecl>(d);
    if (alias != nullptr && alias->getName() == "S6StateTag_") return alias;
  }
  return nullptr;
}

std::string IntName(unsigned bits, bool is_signed) {
  return (is_signed ? "i" : "u") + std::to_string(bits);
}

class Analyzer {
 public:
  Analyzer(clang::ASTContext& ctx, std::string input_path, const std::set<std::string>& inputs)
      : ctx_(ctx),
        sm_(ctx.getSourceManager()),
        diags_(ctx.getDiagnostics()),
        input_path_(std::move(input_path)),
        inputs_(inputs) {
    policy_ = ctx.getPrintingPolicy();
    policy_.SuppressUnwrittenScope = true;
    policy_.SuppressScope = false;
    policy_.FullyQualifiedName = true;
  }

  FileModel Run();

 private:
  // ---- diagnostics ----
  void Error(SourceLocation loc, const std::string& msg) {
    const unsigned id = diags_.getCustomDiagID(clang::DiagnosticsEngine::Error, "%0");
    diags_.Report(loc, id) << msg;
  }
  void Note(SourceLocation loc, const std::string& msg) {
    const unsigned id = diags_.getCustomDiagID(clang::DiagnosticsEngine::Note, "%0");
    diags_.Report(loc, id) << msg;
  }
  // Reports the problems of `rd` (once per record), following children to their causes.
  void ReportProblems(const CXXRecordDecl* rd) {
    if (!reported_.insert(rd).second) return;
    for (const Problem& p : Info(rd).problems) {
      if (p.child != nullptr) {
        ReportProblems(p.child);
        Note(p.loc, p.message);
      } else {
        Error(p.loc, p.message);
      }
    }
  }

  // ---- names and types ----
  std::string Qualified(const clang::NamedDecl* d) const { return d->getQualifiedNameAsString(); }
  std::string Spell(QualType t) const {
    return clang::TypeName::getFullyQualifiedName(t, ctx_, policy_, /*WithGlobalNsPrefix=*/true);
  }
  std::string Describe(QualType t) const { return t.getAsString(ctx_.getPrintingPolicy()); }
  std::string FileOf(const clang::Decl* d) const {
    const SourceLocation loc = sm_.getExpansionLoc(d->getLocation());
    const clang::FileEntry* fe = sm_.getFileEntryForID(sm_.getFileID(loc));
    return fe == nullptr ? std::string() : RealPath(fe->getName());
  }

  RecordInfo& Info(const CXXRecordDecl* rd) { return records_[rd->getCanonicalDecl()]; }
  const RecordInfo& AnalyzeRecord(const CXXRecordDecl* rd);
  // Maps a type to its normalised node. On failure returns nullopt and sets `why` (and `child`
  // when the cause is inside a user record).
  std::optional<TypeNode> MapType(QualType t, std::vector<const CXXRecordDecl*>& deps,
                                  std::string& why, const CXXRecordDecl*& child);
  std::optional<TypeNode> MapStd(const clang::ClassTemplateSpecializationDecl* sd,
                                 const std::string& name, std::vector<const CXXRecordDecl*>& deps,
                                 std::string& why, const CXXRecordDecl*& child);

  void CollectSchema(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
                     std::string& out);
  std::optional<StateClassModel> AnalyzeStateClass(const CXXRecordDecl* rd, bool multi_writer);
  void AnalyzeMethod(const CXXRecordDecl* rd, const clang::CXXMethodDecl* md, bool multi_writer,
                     std::vector<MethodModel>& out, std::vector<const CXXRecordDecl*>& deps,
                     bool& ok);
  void Order(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
             std::vector<const CXXRecordDecl*>& out);

  clang::ASTContext& ctx_;
  const clang::SourceManager& sm_;
  clang::DiagnosticsEngine& diags_;
  clang::PrintingPolicy policy_{clang::LangOptions()};
  std::string input_path_;
  const std::set<std::string>& inputs_;
  std::map<const CXXRecordDecl*, RecordInfo> records_;
  std::set<const CXXRecordDecl*> in_progress_;
  std::set<const CXXRecordDecl*> reported_;
};

std::optional<TypeNode> Analyzer::MapStd(const clang::ClassTemplateSpecializationDecl* sd,
                                         const std::string& name,
                                         std::vector<const CXXRecordDecl*>& deps, std::string& why,
                                         const CXXRecordDecl*& child) {
  const clang::TemplateArgumentList& targs = sd->getTemplateArgs();
  auto type_arg = [&](unsigned i) -> std::optional<TypeNode> {
    if (i >= targs.size() || targs[i].getKind() != clang::TemplateArgument::Type) {
      why = "unexpected template arguments of std::" + name;
      return std::nullopt;
    }
    return MapType(targs[i].getAsType(), deps, why, child);
  };
  TypeNode node;
  node.name = name;
  if (name == "basic_string") {
    if (targs.size() == 0 || targs[0].getKind() != clang::TemplateArgument::Type ||
        (!targs[0].getAsType()->isSpecificBuiltinType(clang::BuiltinType::Char_S) &&
         !targs[0].getAsType()->isSpecificBuiltinType(clang::BuiltinType::Char_U))) {
      why = "only std::string (of char) is supported";
      return std::nullopt;
    }
    node.kind = TypeKind::kString;
    node.name = "string";
    return node;
  }
  if (name == "vector" || name == "deque" || name == "list") {
    node.kind = TypeKind::kSequence;
    auto e = type_arg(0);
    if (!e) return std::nullopt;
    node.args.push_back(*e);
    return node;
  }
  if (name == "map" || name == "multimap" || name == "unordered_map") {
    node.kind = TypeKind::kMap;
    auto k = type_arg(0);
    if (!k) return std::nullopt;
    auto v = type_arg(1);
    if (!v) return std::nullopt;
    node.args = {*k, *v};
    return node;
  }
  if (name == "set" || name == "multiset" || name == "unordered_set") {
    node.kind = TypeKind::kSet;
    auto k = type_arg(0);
    if (!k) return std::nullopt;
    node.args.push_back(*k);
    return node;
  }
  if (name == "optional") {
    node.kind = TypeKind::kOptional;
    auto e = type_arg(0);
    if (!e) return std::nullopt;
    node.args.push_back(*e);
    return node;
  }
  if (name == "pair") {
    node.kind = TypeKind::kPair;
    auto a = type_arg(0);
    if (!a) return std::nullopt;
    auto b = type_arg(1);
    if (!b) return std::nullopt;
    node.args = {*a, *b};
    return node;
  }
  if (name == "tuple") {
    node.kind = TypeKind::kTuple;
    if (targs.size() == 1 && targs[0].getKind() == clang::TemplateArgument::Pack) {
      for (const clang::TemplateArgument& a : targs[0].pack_elements()) {
        auto e = MapType(a.getAsType(), deps, why, child);
        if (!e) return std::nullopt;
        node.args.push_back(*e);
      }
    }
    return node;
  }
  if (name == "array" || name == "bitset") {
    const unsigned extent_index = name == "array" ? 1 : 0;
    if (extent_index >= targs.size() ||
        targs[extent_index].getKind() != clang::TemplateArgument::Integral) {
      why = "unexpected template arguments of std::" + name;
      return std::nullopt;
    }
    node.extent = targs[extent_index].getAsIntegral().getZExtValue();
    if (name == "bitset") {
      node.kind = TypeKind::kBitset;
      return node;
    }
    node.kind = TypeKind::kStdArray;
    auto e = type_arg(0);
    if (!e) return std::nullopt;
    node.args.push_back(*e);
    return node;
  }
  if (name == "function" || name == "move_only_function") {
    why = "std::" + name + " holds code and pointers, which can't move between instances";
  } else if (name == "unique_ptr" || name == "shared_ptr" || name == "weak_ptr") {
    why = "std::" + name +
          " points into one instance's memory; store the value directly or in std::optional";
  } else if (name == "basic_string_view" || name == "span") {
    why = "std::" + name + " does not own its data; use std::string or std::vector";
  } else if (name == "atomic") {
    why = "std::atomic is not needed (an instance's data plane is single-threaded)";
  } else {
    why = "std::" + name + " is not a supported state type (see docs/programming-guide.md)";
  }
  return std::nullopt;
}

std::optional<TypeNode> Analyzer::MapType(QualType t, std::vector<const CXXRecordDecl*>& deps,
                                          std::string& why, const CXXRecordDecl*& child) {
  const QualType ct = t.getCanonicalType();
  if (ct.isConstQualified() || ct.isVolatileQualified()) {
    why = "'" + Describe(t) + "' is const or volatile; decoding must be able to assign it";
    return std::nullopt;
  }
  const clang::Type* ty = ct.getTypePtr();
  if (ty->isReferenceType()) {
    why = "references can't move between instances";
    return std::nullopt;
  }
  if (ty->isPointerType() || ty->isMemberPointerType() || ty->isNullPtrType()) {
    why = "raw pointers can't move between instances; store the value, or a key to look it up";
    return std::nullopt;
  }
  TypeNode node;
  if (const auto* bt = llvm::dyn_cast<clang::BuiltinType>(ty)) {
    if (bt->getKind() == clang::BuiltinType::Bool) {
      node.kind = TypeKind::kBool;
      node.name = "bool";
      return node;
    }
    if (bt->isInteger() && ctx_.getTypeSize(bt) <= 64) {
      node.kind = TypeKind::kInt;
      node.bits = static_cast<unsigned>(ctx_.getTypeSize(bt));
      node.is_signed = bt->isSignedInteger();
      return node;
    }
    if (bt->getKind() == clang::BuiltinType::Float || bt->getKind() == clang::BuiltinType::Double) {
      node.kind = TypeKind::kFloat;
      node.bits = static_cast<unsigned>(ctx_.getTypeSize(bt));
      return node;
    }
    why = "'" + Describe(t) + "' has no portable encoding";
    return std::nullopt;
  }
  if (const auto* et = llvm::dyn_cast<clang::EnumType>(ty)) {
    const clang::EnumDecl* ed = et->getDecl();
    node.kind = TypeKind::kEnum;
    node.name = Qualified(ed);
    if (!ed->isFixed()) {
      why = "enum '" + node.name + "' has no fixed underlying type; declare it as 'enum " +
            ed->getName().str() +
            " : <integer type>' so that every decoded value is a valid value of the enum";
      return std::nullopt;
    }
    const QualType ut = ed->getIntegerType();
    if (ut.isNull()) {
      why = "enum '" + node.name + "' is incomplete";
      return std::nullopt;
    }
    node.bits = static_cast<unsigned>(ctx_.getTypeSize(ut));
    node.is_signed = ut->isSignedIntegerType();
    return node;
  }
  if (const auto* at = llvm::dyn_cast<clang::ConstantArrayType>(ty)) {
    node.kind = TypeKind::kCArray;
    node.extent = at->getSize().getZExtValue();
    auto e = MapType(at->getElementType(), deps, why, child);
    if (!e) return std::nullopt;
    node.args.push_back(*e);
    return node;
  }
  if (ty->isArrayType()) {
    why = "arrays without a fixed size can't be encoded; use std::vector";
    return std::nullopt;
  }
  if (const CXXRecordDecl* rd = ty->getAsCXXRecordDecl()) {
    if (!rd->isInStdNamespace() && rd->getDeclContext()->getEnclosingNamespaceContext() &&
        sm_.isInSystemHeader(sm_.getExpansionLoc(rd->getLocation())) &&
        Qualified(rd).rfind("std::", 0) == 0) {
      // std::chrono::duration and friends: standard, but not in the supported set.
      why = "'" + Describe(t) + "' is not a supported state type (store its count as an integer)";
      return std::nullopt;
    }
    if (rd->isInStdNamespace()) {
      if (const auto* sd = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(rd)) {
        return MapStd(sd, rd->getName().str(), deps, why, child);
      }
      why = "std::" + rd->getName().str() + " is not a supported state type";
      return std::nullopt;
    }
    if (IsS6Base(rd) || rd->getQualifiedNameAsString().rfind("s6::", 0) == 0) {
      why = "'" + Describe(t) + "' is a runtime type, not state";
      return std::nullopt;
    }
    const RecordInfo& info = AnalyzeRecord(rd);
    if (!info.problems.empty()) {
      child = rd->getDefinition() != nullptr ? rd->getDefinition() : rd;
      why = "'" + Qualified(rd) + "' can't be encoded";
      return std::nullopt;
    }
    deps.push_back(rd->getDefinition());
    node.kind = TypeKind::kRecord;
    node.name = Qualified(rd);
    return node;
  }
  if (ty->isFunctionType()) {
    why = "functions can't be state";
  } else {
    why = "'" + Describe(t) + "' is not a supported state type";
  }
  return std::nullopt;
}

const RecordInfo& Analyzer::AnalyzeRecord(const CXXRecordDecl* rd_in) {
  const CXXRecordDecl* rd = rd_in->getDefinition();
  RecordInfo& info = Info(rd_in);
  if (info.done || rd == nullptr || in_progress_.count(rd) != 0) {
    if (rd == nullptr && !info.done) {
      info.done = true;
      info.problems.push_back(
          {rd_in->getLocation(), "'" + Qualified(rd_in) + "' is incomplete", nullptr});
    }
    return info;
  }
  in_progress_.insert(rd);
  std::vector<Problem> problems;
  RecordModel model;
  std::vector<const CXXRecordDecl*> deps;
  model.qualified_name = Qualified(rd);
  const std::string file = FileOf(rd);
  const clang::TypedefNameDecl* state_tag = StateTag(rd);
  const bool has_state = state_tag != nullptr;

  if (rd->isUnion()) {
    problems.push_back({rd->getLocation(),
                        "unions can't be encoded field-wise (which member is "
                        "live is unknown); use separate fields",
                        nullptr});
  } else if (rd->getIdentifier() == nullptr) {
    problems.push_back(
        {rd->getLocation(), "anonymous structs can't be encoded; give the type a name", nullptr});
  } else if (llvm::isa<clang::ClassTemplateSpecializationDecl>(rd)) {
    problems.push_back({rd->getLocation(),
                        "class template '" + model.qualified_name +
                            "' can't be encoded: s6c generates codecs for plain classes only",
                        nullptr});
  } else if (rd->isLocalClass() != nullptr || rd->isInAnonymousNamespace()) {
    problems.push_back({rd->getLocation(),
                        "'" + model.qualified_name +
                            "' has internal linkage; state types must be nameable from other files",
                        nullptr});
  } else if (inputs_.count(file) == 0 &&
             sm_.isInSystemHeader(sm_.getExpansionLoc(rd->getLocation()))) {
    problems.push_back({rd->getLocation(),
                        "'" + model.qualified_name +
                            "' comes from a system header and is not a supported state type",
                        nullptr});
  } else if (inputs_.count(file) == 0) {
    problems.push_back({rd->getLocation(),
                        "'" + model.qualified_name + "' is defined in '" +
                            llvm::sys::path::filename(file).str() +
                            "', which is not an s6c input; add that header to the s6c command "
                            "(s6_add_objects HEADERS) so it gets a codec",
                        nullptr});
  }
  // A wrong class name in S6_STATE(...) is an easy copy-paste mistake.
  if (state_tag != nullptr) {
    const CXXRecordDecl* named = state_tag->getUnderlyingType()->getAsCXXRecordDecl();
    if (named == nullptr || named->getCanonicalDecl() != rd->getCanonicalDecl()) {
      problems.push_back({state_tag->getLocation(),
                          "S6_STATE names '" + Describe(state_tag->getUnderlyingType()) +
                              "' but is inside '" + model.qualified_name + "'",
                          nullptr});
    }
  }
  if (problems.empty()) {
    for (const clang::CXXBaseSpecifier& base : rd->bases()) {
      const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
      if (IsS6Base(b)) continue;
      if (base.isVirtual()) {
        problems.push_back({base.getBeginLoc(), "virtual base classes are not supported", nullptr});
        continue;
      }
      if (base.getAccessSpecifier() != clang::AS_public && !has_state) {
        problems.push_back({base.getBeginLoc(),
                            "non-public base '" + Describe(base.getType()) + "' of '" +
                                model.qualified_name + "' needs S6_STATE(" + rd->getName().str() +
                                ") in the class",
                            nullptr});
        continue;
      }
      std::string why;
      const CXXRecordDecl* child = nullptr;
      auto node = MapType(base.getType(), deps, why, child);
      if (!node) {
        problems.push_back(
            {base.getBeginLoc(), "base '" + Describe(base.getType()) + "': " + why, child});
        continue;
      }
      model.bases.push_back(node->name);
      model.schema += "base " + node->name + ";";
    }
    for (const clang::FieldDecl* f : rd->fields()) {
      const std::string fname = f->getName().str();
      if (fname.empty()) {
        problems.push_back({f->getLocation(),
                            "anonymous struct or union members can't be encoded; name the member",
                            nullptr});
        continue;
      }
      if (f->getAccess() != clang::AS_public && !has_state) {
        problems.push_back({f->getLocation(),
                            "'" + model.qualified_name + "' has non-public field '" + fname +
                                "'; add S6_STATE(" + rd->getName().str() +
                                ") inside the class so generated code can read it",
                            nullptr});
        continue;
      }
      std::string why;
      const CXXRecordDecl* child = nullptr;
      auto node = MapType(f->getType(), deps, why, child);
      if (!node) {
        problems.push_back({f->getLocation(),
                            child != nullptr
                                ? "'" + Qualified(child) + "' is used by field '" + fname + "' here"
                                : "field '" + fname + "' has unsupported type '" +
                                      Describe(f->getType()) + "': " + why,
                            child});
        continue;
      }
      model.fields.push_back({fname, *node, f->isBitField()});
      model.schema += "field " + fname + ":" + node->Normalized() + ";";
    }
  }
  in_progress_.erase(rd);
  RecordInfo& out = Info(rd_in);  // re-fetch: the map may have grown
  out.done = true;
  out.problems = std::move(problems);
  out.model = std::move(model);
  out.deps = std::move(deps);
  out.file = file;
  return out;
}

void Analyzer::CollectSchema(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
                             std::string& out) {
  if (!seen.insert(rd->getCanonicalDecl()).second) return;
  const RecordInfo& info = Info(rd);
  out += "record " + info.model.qualified_name + "{" + info.model.schema + "}\n";
  for (const CXXRecordDecl* d : info.deps) CollectSchema(d, seen, out);
}

void Analyzer::AnalyzeMethod(const CXXRecordDecl* rd, const clang::CXXMethodDecl* md,
                             bool multi_writer, std::vector<MethodModel>& out,
                             std::vector<const CXXRecordDecl*>& deps, bool& ok) {
  const std::string cls = rd->getName().str();
  MethodModel m;
  m.name = md->getNameAsString();
  m.is_const = md->isConst();
  const auto* fpt = md->getType()->getAs<clang::FunctionProtoType>();
  m.is_noexcept = fpt != nullptr && fpt->isNothrow();
  bool stale = false;
  bool untether = false;
  for (const clang::AnnotateAttr* a : md->specific_attrs<clang::AnnotateAttr>()) {
    if (a->getAnnotation() == "s6.untether") untether = true;
    if (a->getAnnotation() != "s6.stale") continue;
    stale = true;
    if (a->args_size() == 0) continue;
    const clang::Expr* e = *a->args_begin();
    llvm::Optional<llvm::APSInt> v = e->getIntegerConstantExpr(ctx_);
    if (!v || v->isNegative() || v->isZero() || v->getActiveBits() > 31) {
      Error(e->getExprLoc(), "S6_STALE_MS needs a positive integer constant (milliseconds)");
      ok = false;
    } else {
      m.stale_max_age_ms = static_cast<uint32_t>(v->getZExtValue());
    }
  }
  const SourceLocation loc = md->getLocation();
  if (md->isVirtual()) {
    Error(loc, kVirtualMessage);
    ok = false;
  }
  if ((stale || untether) && !multi_writer) {
    Error(loc, std::string(stale ? "S6_STALE" : "S6_UNTETHER") + " on '" + m.name +
                   "' has no meaning in SingleWriter class '" + cls +
                   "' (its methods always run locally); remove it or make the class a "
                   "MultiWriter");
    ok = false;
  }
  if (stale && untether) {
    Error(loc, "'" + m.name + "' can't be both S6_STALE and S6_UNTETHER");
    ok = false;
  }
  const bool returns_void = md->getReturnType()->isVoidType();
  // With both annotations the return-type rules contradict each other; one error is enough.
  if (untether && !stale && !returns_void) {
    Error(loc, "S6_UNTETHER method '" + m.name +
                   "' must return void (its caller does not wait "
                   "for a result), but returns '" +
                   Describe(md->getReturnType()) + "'");
    ok = false;
  }
  if (stale && !m.is_const) {
    Error(loc, "S6_STALE method '" + m.name + "' must be const (a cached copy may answer it)");
    ok = false;
  }
  if (stale && !untether && returns_void) {
    Error(loc, "S6_STALE method '" + m.name + "' returns void; a stale read must return a value");
    ok = false;
  }
  m.flags = (m.is_const ? s6::kMethodConst : 0u) | (stale ? s6::kMethodStale : 0u) |
            (untether ? s6::kMethodUntether : 0u) | (returns_void ? 0u : s6::kMethodReturnsValue);

  // Shippability: every parameter and the result must have a codec.
  std::vector<std::pair<SourceLocation, std::string>> unshippable;
  std::vector<const CXXRecordDecl*> method_deps;
  std::string normalized_params;
  if (md->isVariadic()) unshippable.push_back({loc, "variadic methods can't be shipped"});
  if (md->getRefQualifier() != clang::RQ_None) {
    unshippable.push_back({loc, "ref-qualified methods can't be shipped"});
  }
  unsigned index = 0;
  for (const clang::ParmVarDecl* p : md->parameters()) {
    ParamModel pm;
    pm.name = p->getName().str();
    pm.spelled_type = Spell(p->getType());
    pm.value_type = Spell(p->getType().getNonReferenceType().getUnqualifiedType());
    QualType pt = p->getType();
    std::string norm;
    const std::string pname = pm.name.empty() ? "#" + std::to_string(index + 1) : pm.name;
    if (pt->isLValueReferenceType() && !pt.getNonReferenceType().isConstQualified()) {
      unshippable.push_back(
          {p->getLocation(), "parameter '" + pname +
                                 "' is a non-const reference; a remote "
                                 "call can't write back into the caller's variable (return the "
                                 "value instead)"});
      norm = pt.getCanonicalType().getAsString();
    } else {
      const QualType decayed = pt.getNonReferenceType().getUnqualifiedType();
      std::string why;
      const CXXRecordDecl* child = nullptr;
      auto node = MapType(decayed, method_deps, why, child);
      if (node) {
        norm = node->Normalized();
      } else {
        unshippable.push_back({p->getLocation(), "parameter '" + pname + "' of type '" +
                                                     Describe(pt) + "' can't be shipped: " + why});
        if (child != nullptr && multi_writer) ReportProblems(child);
        norm = pt.getCanonicalType().getAsString();
      }
    }
    if (p->hasDefaultArg() && !p->hasUnparsedDefaultArg() && !p->hasUninstantiatedDefaultArg()) {
      const clang::CharSourceRange range =
          clang::CharSourceRange::getTokenRange(p->getDefaultArgRange());
      pm.default_arg = clang::Lexer::getSourceText(range, sm_, ctx_.getLangOpts()).str();
      // The stub lives outside the class: a default that names class members can't be copied.
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
      } finder;
      finder.TraverseStmt(const_cast<clang::Expr*>(p->getDefaultArg()));
      if (finder.found || pm.default_arg.empty()) {
        unshippable.push_back(
            {p->getLocation(), "the default argument of '" + pname +
                                   "' refers to class members; the stub can't evaluate it "
                                   "(use a namespace-scope constant)"});
      }
    }
    if (index++ != 0) normalized_params += ",";
    normalized_params += norm;
    m.params.push_back(std::move(pm));
  }
  if (!returns_void) {
    const QualType rt = md->getReturnType();
    if (rt->isReferenceType()) {
      unshippable.push_back({loc, "'" + m.name + "' returns a reference ('" + Describe(rt) +
                                      "'); a remote call can only return a value"});
    } else {
      std::string why;
      const CXXRecordDecl* child = nullptr;
      if (!MapType(rt.getUnqualifiedType(), method_deps, why, child)) {
        unshippable.push_back({loc, "'" + m.name + "' returns '" + Describe(rt) +
                                        "', which can't be shipped: " + why});
        if (child != nullptr && multi_writer) ReportProblems(child);
      }
    }
    m.return_type = Spell(rt.getNonReferenceType().getUnqualifiedType());
  } else {
    m.return_type = "void";
  }
  m.declared_return = Spell(md->getReturnType());
  m.signature = m.name + "(" + normalized_params + ")" + (m.is_const ? " const" : "");
  if (!unshippable.empty()) {
    if (multi_writer) {
      for (const auto& [l, msg] : unshippable) Error(l, msg);
      ok = false;
      return;
    }
    m.shippable = false;
    m.flags |= s6::kMethodLocalOnly;
  } else {
    deps.insert(deps.end(), method_deps.begin(), method_deps.end());
  }
  uint32_t id = static_cast<uint32_t>(s6::HashString("s6.method:" + m.signature));
  if (id == 0) id = 1;
  m.id = id;
  m.decl_order = static_cast<unsigned>(out.size());
  out.push_back(std::move(m));
}

std::optional<StateClassModel> Analyzer::AnalyzeStateClass(const CXXRecordDecl* rd,
                                                           bool multi_writer) {
  bool ok = true;
  StateClassModel sc;
  sc.qualified_name = Qualified(rd);
  sc.multi_writer = multi_writer;
  if (const auto* ns = llvm::dyn_cast<clang::NamespaceDecl>(rd->getEnclosingNamespaceContext())) {
    sc.enclosing_namespace = ns->getQualifiedNameAsString();
  }
  if (rd->getDescribedClassTemplate() != nullptr) {
    Error(rd->getLocation(), "state class templates are not supported; derive a plain class");
    return std::nullopt;
  }
  // An implicit default constructor is deleted only for members this analysis rejects anyway
  // (references, const members); a declared one must be public and not deleted.
  bool default_constructible = rd->needsImplicitDefaultConstructor();
  for (const clang::CXXConstructorDecl* ctor : rd->ctors()) {
    if (ctor->isDefaultConstructor()) {
      default_constructible = !ctor->isDeleted() && ctor->getAccess() == clang::AS_public;
    }
  }
  if (!default_constructible) {
    Error(rd->getLocation(), "state class '" + sc.qualified_name +
                                 "' needs a public, non-deleted default constructor (the "
                                 "runtime creates objects and decodes state into them)");
    ok = false;
  }
  const RecordInfo& info = AnalyzeRecord(rd);
  if (!info.problems.empty()) {
    ReportProblems(rd);
    ok = false;
  }
  // Methods: this class's, then those of public non-s6 bases that are not hidden.
  std::vector<MethodModel> methods;
  std::vector<const CXXRecordDecl*> method_deps;
  std::set<std::string> names;
  std::vector<const CXXRecordDecl*> chain = {rd};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const CXXRecordDecl* c = chain[i];
    std::set<std::string> here;
    for (const clang::Decl* d : c->decls()) {
      if (const auto* ft = llvm::dyn_cast<clang::FunctionTemplateDecl>(d)) {
        if (ft->getAccess() == clang::AS_public && multi_writer && c == rd) {
          Error(ft->getLocation(),
                "member function templates can't be shipped to a "
                "MultiWriter home; write one method per type");
          ok = false;
        }
        continue;
      }
      const auto* md = llvm::dyn_cast<clang::CXXMethodDecl>(d);
      if (md == nullptr) continue;
      if (md->isVirtual() && c == rd && !md->isImplicit()) {
        // Reported for every virtual method, public or not.
        if (md->getAccess() != clang::AS_public || md->isStatic() ||
            llvm::isa<clang::CXXConstructorDecl>(md) || llvm::isa<clang::CXXDestructorDecl>(md)) {
          Error(md->getLocation(), kVirtualMessage);
          ok = false;
          continue;
        }
      }
      if (md->getAccess() != clang::AS_public || md->isStatic() || md->isImplicit() ||
          md->isDeleted() || llvm::isa<clang::CXXConstructorDecl>(md) ||
          llvm::isa<clang::CXXDestructorDecl>(md) || llvm::isa<clang::CXXConversionDecl>(md) ||
          md->isOverloadedOperator() || md->getIdentifier() == nullptr) {
        continue;
      }
      const std::string name = md->getNameAsString();
      if (names.count(name) != 0) continue;  // hidden by a derived class's method
      here.insert(name);
      AnalyzeMethod(rd, md, multi_writer, methods, method_deps, ok);
    }
    names.insert(here.begin(), here.end());
    for (const clang::CXXBaseSpecifier& base : c->bases()) {
      const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
      if (b != nullptr && !IsS6Base(b) && base.getAccessSpecifier() == clang::AS_public &&
          b->hasDefinition()) {
        chain.push_back(b->getDefinition());
      }
    }
  }
  if (rd->isPolymorphic()) {
    bool own_virtual = false;
    for (const clang::CXXMethodDecl* md : rd->methods()) {
      own_virtual |= md->isVirtual() && !md->isImplicit();
    }
    if (!own_virtual) {
      Error(rd->getLocation(),
            std::string(kVirtualMessage) + "; '" + sc.qualified_name + "' inherits them");
      for (const clang::CXXBaseSpecifier& base : rd->bases()) {
        const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
        if (b != nullptr && b->isPolymorphic()) {
          Note(base.getBeginLoc(), "from base '" + Describe(base.getType()) + "'");
        }
      }
    }
    ok = false;
  }
  std::sort(methods.begin(), methods.end(),
            [](const MethodModel& a, const MethodModel& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < methods.size(); ++i) {
    if (methods[i].id == methods[i - 1].id) {
      Error(rd->getLocation(), "method ids of '" + methods[i - 1].signature + "' and '" +
                                   methods[i].signature + "' collide; rename one of them");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;

  std::string schema =
      std::string(multi_writer ? "multi_writer " : "single_writer ") + sc.qualified_name + "\n";
  std::set<const CXXRecordDecl*> seen;
  CollectSchema(rd, seen, schema);
  for (const CXXRecordDecl* d : method_deps) CollectSchema(d, seen, schema);
  for (const MethodModel& m : methods) {
    schema += "method " + std::to_string(m.id) + " " + m.signature + " flags " +
              std::to_string(m.flags) + " age " + std::to_string(m.stale_max_age_ms) + "\n";
  }
  sc.schema_hash = s6::HashString(schema);
  sc.methods = std::move(methods);
  // Records used by method signatures need codecs too.
  Info(rd).deps.insert(Info(rd).deps.end(), method_deps.begin(), method_deps.end());
  return sc;
}

void Analyzer::Order(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
                     std::vector<const CXXRecordDecl*>& out) {
  rd = rd->getDefinition();
  if (!seen.insert(rd->getCanonicalDecl()).second) return;
  for (const CXXRecordDecl* d : Info(rd).deps) Order(d, seen, out);
  out.push_back(rd);
}

FileModel Analyzer::Run() {
  FileModel fm;
  fm.header_name = llvm::sys::path::filename(input_path_).str();
  fm.stem = llvm::sys::path::stem(input_path_).str();

  // One pass over the AST: records defined in this header (in declaration order), and state
  // class templates, which are errors (the record walk skips templates).
  struct Collector : clang::RecursiveASTVisitor<Collector> {
    bool InMainFile(const CXXRecordDecl* rd) const {
      return sm->isInMainFile(sm->getExpansionLoc(rd->getLocation()));
    }
    bool VisitCXXRecordDecl(CXXRecordDecl* rd) {
      if (rd->isThisDeclarationADefinition() && !rd->isImplicit() && !rd->isLambda() &&
          !llvm::isa<clang::ClassTemplateSpecializationDecl>(rd) &&
          !rd->getDescribedClassTemplate() && rd->getParentFunctionOrMethod() == nullptr &&
          InMainFile(rd)) {
        found.push_back(rd);
      }
      return true;
    }
    bool VisitClassTemplateDecl(clang::ClassTemplateDecl* td) {
      CXXRecordDecl* rd = td->getTemplatedDecl();
      if (rd->isThisDeclarationADefinition() && InMainFile(rd) && S6Kinds(rd) != 0) {
        state_templates.push_back(rd);
      }
      return true;
    }
    const clang::SourceManager* sm = nullptr;
    std::vector<CXXRecordDecl*> found;
    std::vector<CXXRecordDecl*> state_templates;
  } collector;
  collector.sm = &sm_;
  collector.TraverseDecl(ctx_.getTranslationUnitDecl());
  for (CXXRecordDecl* rd : collector.state_templates) {
    Error(rd->getLocation(), "state class templates are not supported; derive a plain class");
  }

  std::vector<const CXXRecordDecl*> state_records;
  for (const CXXRecordDecl* rd : collector.found) {
    const unsigned kinds = S6Kinds(rd);
    if (kinds == 0) continue;
    if (kinds == 3) {
      Error(rd->getLocation(), "'" + Qualified(rd) +
                                   "' derives from both s6::SingleWriter and s6::MultiWriter; "
                                   "pick one");
      continue;
    }
    if (auto sc = AnalyzeStateClass(rd, kinds == 2)) {
      fm.state_classes.push_back(std::move(*sc));
      state_records.push_back(rd);
    }
  }

  // Codecs: records reachable from state classes, plus every other encodable record here.
  std::set<const CXXRecordDecl*> seen;
  std::vector<const CXXRecordDecl*> ordered;
  for (const CXXRecordDecl* rd : state_records) Order(rd, seen, ordered);
  for (const CXXRecordDecl* rd : collector.found) {
    if (S6Kinds(rd) != 0) continue;
    const RecordInfo& info = AnalyzeRecord(rd);
    if (info.problems.empty()) {
      Order(rd, seen, ordered);
    } else {
      const Problem& p = info.problems.front();
      const clang::PresumedLoc ploc = sm_.getPresumedLoc(p.loc);
      fm.skipped.push_back(Qualified(rd) + " (line " + std::to_string(ploc.getLine()) +
                           "): " + p.message);
    }
  }
  std::set<std::string> dep_stems;
  for (const CXXRecordDecl* rd : ordered) {
    const RecordInfo& info = Info(rd);
    if (info.file == input_path_) {  // the driver passes the input's real path
      fm.records.push_back(info.model);
    } else {
      dep_stems.insert(llvm::sys::path::stem(info.file).str());
    }
  }
  fm.dependency_stems.assign(dep_stems.begin(), dep_stems.end());
  return fm;
}

}  // namespace

std::string TypeNode::Normalized() const {
  auto join = [this]() {
    std::string s;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i != 0) s += ",";
      s += args[i].Normalized();
    }
    return s;
  };
  switch (kind) {
    case TypeKind::kBool:
      return "bool";
    case TypeKind::kInt:
      return IntName(bits, is_signed);
    case TypeKind::kFloat:
      return "f" + std::to_string(bits);
    case TypeKind::kEnum:
      return "enum " + name + ":" + IntName(bits, is_signed);
    case TypeKind::kString:
      return "string";
    case TypeKind::kCArray:
      return join() + "[" + std::to_string(extent) + "]";
    case TypeKind::kStdArray:
      return "array<" + join() + "," + std::to_string(extent) + ">";
    case TypeKind::kBitset:
      return "bitset<" + std::to_string(extent) + ">";
    case TypeKind::kRecord:
      return "struct " + name;
    case TypeKind::kSequence:
    case TypeKind::kMap:
    case TypeKind::kSet:
    case TypeKind::kOptional:
    case TypeKind::kPair:
    case TypeKind::kTuple:
      return name + "<" + join() + ">";
  }
  return "?";
}

FileModel AnalyzeTranslationUnit(clang::ASTContext& ctx, const std::string& input_path,
                                 const std::set<std::string>& inputs) {
  return Analyzer(ctx, input_path, inputs).Run();
}

}  // namespace s6c
