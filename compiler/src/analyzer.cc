// SPDX-License-Identifier: Apache-2.0
#include "analyzer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "analysis_context.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/Support/Path.h"
#include "method_analyzer.h"
#include "record_analyzer.h"
#include "s6/hash.h"

namespace s6c {
namespace {

using clang::CXXRecordDecl;

// The records a header defines, found in one pass over its AST.
struct MainFileRecords {
  std::vector<CXXRecordDecl*> records;          // plain records, in declaration order
  std::vector<CXXRecordDecl*> state_templates;  // class templates deriving from an s6 base
};

MainFileRecords CollectMainFileRecords(clang::ASTContext& ctx) {
  // State class templates are collected separately: they are errors, and the record walk skips
  // templates.
  struct Collector : clang::RecursiveASTVisitor<Collector> {
    bool InMainFile(const CXXRecordDecl* rd) const {
      return sm->isInMainFile(sm->getExpansionLoc(rd->getLocation()));
    }
    bool VisitCXXRecordDecl(CXXRecordDecl* rd) {
      if (rd->isThisDeclarationADefinition() && !rd->isImplicit() && !rd->isLambda() &&
          !llvm::isa<clang::ClassTemplateSpecializationDecl>(rd) &&
          !rd->getDescribedClassTemplate() && rd->getParentFunctionOrMethod() == nullptr &&
          InMainFile(rd)) {
        found.records.push_back(rd);
      }
      return true;
    }
    bool VisitClassTemplateDecl(clang::ClassTemplateDecl* td) {
      CXXRecordDecl* rd = td->getTemplatedDecl();
      if (rd->isThisDeclarationADefinition() && InMainFile(rd) && S6Kinds(rd) != 0) {
        found.state_templates.push_back(rd);
      }
      return true;
    }
    const clang::SourceManager* sm = nullptr;
    MainFileRecords found;
  } collector;
  collector.sm = &ctx.getSourceManager();
  collector.TraverseDecl(ctx.getTranslationUnitDecl());
  return std::move(collector.found);
}

// Whether code at namespace scope can name `rd`: every class it is nested in declares it (and
// each enclosing class) public.
bool NameableOutsideItsClass(const CXXRecordDecl* rd) {
  for (const clang::Decl* d = rd;;) {
    const auto* parent = llvm::dyn_cast<CXXRecordDecl>(d->getDeclContext());
    if (parent == nullptr) return true;
    if (d->getAccess() != clang::AS_public) return false;
    d = parent;
  }
}

class Analyzer {
 public:
  Analyzer(clang::ASTContext& ctx, std::string input_path, const std::set<std::string>& inputs)
      : ac_(ctx), records_(ac_, inputs), input_path_(std::move(input_path)) {}

  FileModel Run();

 private:
  std::optional<StateClassModel> AnalyzeStateClass(const CXXRecordDecl* rd, bool multi_writer);
  bool CheckDefaultConstructible(const CXXRecordDecl* rd, const std::string& name);
  // Methods: the class's own, then those of public non-s6 bases that are not hidden.
  bool CollectMethods(const CXXRecordDecl* rd, bool multi_writer, MethodAnalyzer& methods_of,
                      std::vector<MethodModel>& methods,
                      std::vector<const CXXRecordDecl*>& method_deps);
  bool CheckInheritedVirtuals(const CXXRecordDecl* rd, const std::string& name);
  bool CheckIdCollisions(const CXXRecordDecl* rd, const std::vector<MethodModel>& methods);
  uint64_t SchemaHash(const StateClassModel& sc, const CXXRecordDecl* rd,
                      const std::vector<MethodModel>& methods,
                      const std::vector<const CXXRecordDecl*>& method_deps);
  // Codecs: records reachable from state classes, plus every other encodable record here.
  void AddRecords(const MainFileRecords& found,
                  const std::vector<const CXXRecordDecl*>& state_records, FileModel& fm);

  AnalysisContext ac_;
  RecordAnalyzer records_;
  std::string input_path_;
};

bool Analyzer::CheckDefaultConstructible(const CXXRecordDecl* rd, const std::string& name) {
  // An implicit default constructor is deleted only for members this analysis rejects anyway
  // (references, const members); a declared one must be public and not deleted.
  bool default_constructible = rd->needsImplicitDefaultConstructor();
  for (const clang::CXXConstructorDecl* ctor : rd->ctors()) {
    if (ctor->isDefaultConstructor()) {
      default_constructible = !ctor->isDeleted() && ctor->getAccess() == clang::AS_public;
    }
  }
  if (default_constructible) return true;
  ac_.Error(rd->getLocation(), "state class '" + name +
                                   "' needs a public, non-deleted default constructor (the "
                                   "runtime creates objects and decodes state into them)");
  return false;
}

// Whether `md` is a method the state class offers: public, named, non-static, not special.
bool IsOfferedMethod(const clang::CXXMethodDecl* md) {
  return md->getAccess() == clang::AS_public && !md->isStatic() && !md->isImplicit() &&
         !md->isDeleted() && !llvm::isa<clang::CXXConstructorDecl>(md) &&
         !llvm::isa<clang::CXXDestructorDecl>(md) && !llvm::isa<clang::CXXConversionDecl>(md) &&
         !md->isOverloadedOperator() && md->getIdentifier() != nullptr;
}

bool Analyzer::CollectMethods(const CXXRecordDecl* rd, bool multi_writer,
                              MethodAnalyzer& methods_of, std::vector<MethodModel>& methods,
                              std::vector<const CXXRecordDecl*>& method_deps) {
  bool ok = true;
  std::set<std::string> names;    // declared by the classes walked so far: hide base methods
  std::set<std::string> exposed;  // names a walked class brings back with `using Base::name;`
  std::set<std::string> taken;    // exact signatures collected (a using does not bring those)
  std::vector<const CXXRecordDecl*> chain = {rd};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const CXXRecordDecl* c = chain[i];
    std::set<std::string> here;
    for (const clang::Decl* d : c->decls()) {
      if (const auto* ud = llvm::dyn_cast<clang::UsingDecl>(d)) {
        if (ud->getAccess() == clang::AS_public) exposed.insert(ud->getNameAsString());
        continue;
      }
      if (const auto* ft = llvm::dyn_cast<clang::FunctionTemplateDecl>(d)) {
        if (ft->getAccess() == clang::AS_public && multi_writer && c == rd) {
          ac_.Error(ft->getLocation(),
                    "member function templates can't be shipped to a "
                    "MultiWriter home; write one method per type");
          ok = false;
        }
        continue;
      }
      const auto* md = llvm::dyn_cast<clang::CXXMethodDecl>(d);
      if (md == nullptr) continue;
      // Virtual methods the method analysis would not see are reported here, public or not.
      if (md->isVirtual() && c == rd && !md->isImplicit() && !IsOfferedMethod(md)) {
        ac_.Error(md->getLocation(), kVirtualMessage);
        ok = false;
        continue;
      }
      if (!IsOfferedMethod(md)) continue;
      const std::string name = md->getNameAsString();
      const std::string exact = ExactSignature(md);
      // A base's method is hidden by a derived class's method of its name, unless a using-
      // declaration brings the name back; then only the one with the same signature stays hidden.
      if (names.count(name) != 0 && (exposed.count(name) == 0 || taken.count(exact) != 0)) {
        continue;
      }
      here.insert(name);
      taken.insert(exact);
      methods_of.Analyze(md, methods, method_deps, ok);
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
  return ok;
}

bool Analyzer::CheckInheritedVirtuals(const CXXRecordDecl* rd, const std::string& name) {
  if (!rd->isPolymorphic()) return true;
  bool own_virtual = false;
  for (const clang::CXXMethodDecl* md : rd->methods()) {
    own_virtual |= md->isVirtual() && !md->isImplicit();
  }
  // Own virtual methods are reported where they are declared (the method analysis or
  // CollectMethods).
  if (own_virtual) return false;
  ac_.Error(rd->getLocation(), std::string(kVirtualMessage) + "; '" + name + "' inherits them");
  for (const clang::CXXBaseSpecifier& base : rd->bases()) {
    const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
    if (b != nullptr && b->isPolymorphic()) {
      ac_.Note(base.getBeginLoc(), "from base '" + ac_.Describe(base.getType()) + "'");
    }
  }
  return false;
}

// Overloads whose normalised signatures are the same (`f(const T&)` and `f(T&&)`; `long` and
// `long long`) are all valid C++: their ids come from their exact signatures instead. Other
// methods keep ids that do not depend on how their types are spelled.
void DisambiguateOverloads(std::vector<MethodModel>& methods) {
  std::map<std::string, int> uses;
  for (const MethodModel& m : methods) ++uses[m.signature];
  for (MethodModel& m : methods) {
    if (uses[m.signature] > 1) m.id = MethodId(m.signature + " as " + m.exact_signature);
  }
}

bool Analyzer::CheckIdCollisions(const CXXRecordDecl* rd, const std::vector<MethodModel>& methods) {
  bool ok = true;
  for (std::size_t i = 1; i < methods.size(); ++i) {
    if (methods[i].id == methods[i - 1].id) {
      ac_.Error(rd->getLocation(), "method ids of '" + methods[i - 1].signature + "' and '" +
                                       methods[i].signature + "' collide; rename one of them");
      ok = false;
    }
  }
  return ok;
}

uint64_t Analyzer::SchemaHash(const StateClassModel& sc, const CXXRecordDecl* rd,
                              const std::vector<MethodModel>& methods,
                              const std::vector<const CXXRecordDecl*>& method_deps) {
  std::string schema =
      std::string(sc.multi_writer ? "multi_writer " : "single_writer ") + sc.qualified_name + "\n";
  std::set<const CXXRecordDecl*> seen;
  records_.CollectSchema(rd, seen, schema);
  for (const CXXRecordDecl* d : method_deps) records_.CollectSchema(d, seen, schema);
  for (const MethodModel& m : methods) {
    schema += "method " + std::to_string(m.id) + " " + m.signature + " flags " +
              std::to_string(m.flags) + " age " + std::to_string(m.stale_max_age_ms) + "\n";
  }
  return s6::HashString(schema);
}

std::optional<StateClassModel> Analyzer::AnalyzeStateClass(const CXXRecordDecl* rd,
                                                           bool multi_writer) {
  StateClassModel sc;
  sc.qualified_name = ac_.Qualified(rd);
  sc.multi_writer = multi_writer;
  if (rd->getDescribedClassTemplate() != nullptr) {
    ac_.Error(rd->getLocation(), "state class templates are not supported; derive a plain class");
    return std::nullopt;
  }
  bool ok = CheckDefaultConstructible(rd, sc.qualified_name);
  if (!records_.Analyze(rd).problems.empty()) {
    records_.ReportProblems(rd);
    ok = false;
  }
  std::vector<MethodModel> methods;
  std::vector<const CXXRecordDecl*> method_deps;
  MethodAnalyzer methods_of(ac_, records_, rd, multi_writer);
  ok &= CollectMethods(rd, multi_writer, methods_of, methods, method_deps);
  ok &= CheckInheritedVirtuals(rd, sc.qualified_name);
  DisambiguateOverloads(methods);
  std::sort(methods.begin(), methods.end(),
            [](const MethodModel& a, const MethodModel& b) { return a.id < b.id; });
  ok &= CheckIdCollisions(rd, methods);
  if (!ok) return std::nullopt;

  sc.schema_hash = SchemaHash(sc, rd, methods, method_deps);
  sc.methods = std::move(methods);
  // Records used by method signatures need codecs too.
  RecordInfo& info = records_.Info(rd);
  info.deps.insert(info.deps.end(), method_deps.begin(), method_deps.end());
  return sc;
}

void Analyzer::AddRecords(const MainFileRecords& found,
                          const std::vector<const CXXRecordDecl*>& state_records, FileModel& fm) {
  std::set<const CXXRecordDecl*> seen;
  std::vector<const CXXRecordDecl*> ordered;
  for (const CXXRecordDecl* rd : state_records) records_.Order(rd, seen, ordered);
  for (const CXXRecordDecl* rd : found.records) {
    if (S6Kinds(rd) != 0) continue;
    if (!seen.count(rd) && !NameableOutsideItsClass(rd)) {
      // A private or protected nested type of a plain class: code outside the class cannot
      // name it, and no state class uses it, so it gets no codec.
      const clang::PresumedLoc ploc = ac_.sm().getPresumedLoc(rd->getLocation());
      fm.skipped.push_back(ac_.Qualified(rd) + " (line " + std::to_string(ploc.getLine()) +
                           "): not accessible outside its class");
      continue;
    }
    const RecordInfo& info = records_.Analyze(rd);
    if (info.problems.empty()) {
      records_.Order(rd, seen, ordered);
    } else {
      const Problem& p = info.problems.front();
      const clang::PresumedLoc ploc = ac_.sm().getPresumedLoc(p.loc);
      fm.skipped.push_back(ac_.Qualified(rd) + " (line " + std::to_string(ploc.getLine()) +
                           "): " + p.message);
    }
  }
  std::set<std::string> dep_stems;
  for (const CXXRecordDecl* rd : ordered) {
    const RecordInfo& info = records_.Info(rd);
    if (info.file == input_path_) {  // the driver passes the input's real path
      fm.records.push_back(info.model);
    } else {
      dep_stems.insert(llvm::sys::path::stem(info.file).str());
    }
  }
  fm.dependency_stems.assign(dep_stems.begin(), dep_stems.end());
}

FileModel Analyzer::Run() {
  FileModel fm;
  fm.header_name = llvm::sys::path::filename(input_path_).str();
  fm.stem = llvm::sys::path::stem(input_path_).str();

  const MainFileRecords found = CollectMainFileRecords(ac_.ast());
  for (CXXRecordDecl* rd : found.state_templates) {
    ac_.Error(rd->getLocation(), "state class templates are not supported; derive a plain class");
  }
  std::vector<const CXXRecordDecl*> state_records;
  for (const CXXRecordDecl* rd : found.records) {
    const unsigned kinds = S6Kinds(rd);
    if (kinds == 0) continue;
    if (kinds == 3) {
      ac_.Error(rd->getLocation(), "'" + ac_.Qualified(rd) +
                                       "' derives from both s6::SingleWriter and s6::MultiWriter; "
                                       "pick one");
      continue;
    }
    if (auto sc = AnalyzeStateClass(rd, kinds == 2)) {
      fm.state_classes.push_back(std::move(*sc));
      state_records.push_back(rd);
    }
  }
  AddRecords(found, state_records, fm);
  return fm;
}

}  // namespace

FileModel AnalyzeTranslationUnit(clang::ASTContext& ctx, const std::string& input_path,
                                 const std::set<std::string>& inputs) {
  return Analyzer(ctx, input_path, inputs).Run();
}

}  // namespace s6c
