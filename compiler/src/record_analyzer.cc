// SPDX-License-Identifier: Apache-2.0
#include "record_analyzer.h"

#include "clang/AST/DeclTemplate.h"
#include "llvm/Support/Path.h"

namespace s6c {
namespace {

using clang::CXXRecordDecl;

// The alias S6_STATE(C) declares inside a record, or nullptr.
const clang::TypedefNameDecl* StateTag(const CXXRecordDecl* rd) {
  for (const clang::Decl* d : rd->decls()) {
    const auto* alias = llvm::dyn_cast<clang::TypedefNameDecl>(d);
    if (alias != nullptr && alias->getName() == "S6StateTag_") return alias;
  }
  return nullptr;
}

}  // namespace

const RecordInfo& RecordAnalyzer::Analyze(const CXXRecordDecl* rd_in) {
  const CXXRecordDecl* rd = rd_in->getDefinition();
  RecordInfo& info = Info(rd_in);
  if (info.done || rd == nullptr || in_progress_.count(rd) != 0) {
    if (rd == nullptr && !info.done) {
      info.done = true;
      info.problems.push_back(
          {rd_in->getLocation(), "'" + ac_.Qualified(rd_in) + "' is incomplete", nullptr});
    }
    return info;
  }
  in_progress_.insert(rd);
  RecordInfo result;
  result.model.qualified_name = ac_.Qualified(rd);
  result.file = ac_.FileOf(rd);
  result.runtime_provided = ac_.IsRuntimeProvided(rd);
  const clang::TypedefNameDecl* state_tag = StateTag(rd);
  // A runtime-provided record is not an s6c input and generated code never touches its
  // members (the runtime's codec does): only its fields' types matter, for the schema.
  if (!result.runtime_provided) CheckDeclaration(rd, state_tag, result);
  if (result.problems.empty()) {
    const bool any_access = state_tag != nullptr || result.runtime_provided;
    MapBases(rd, any_access, result);
    MapFields(rd, any_access, result);
  }
  in_progress_.erase(rd);
  RecordInfo& out = Info(rd_in);  // re-fetch: the map may have grown
  out = std::move(result);
  out.done = true;
  return out;
}

void RecordAnalyzer::CheckDeclaration(const CXXRecordDecl* rd,
                                      const clang::TypedefNameDecl* state_tag, RecordInfo& info) {
  const std::string& name = info.model.qualified_name;
  const clang::SourceManager& sm = ac_.sm();
  auto problem = [&](clang::SourceLocation loc, std::string message) {
    info.problems.push_back({loc, std::move(message), nullptr});
  };
  if (rd->isUnion()) {
    problem(rd->getLocation(),
            "unions can't be encoded field-wise (which member is "
            "live is unknown); use separate fields");
  } else if (rd->getIdentifier() == nullptr) {
    problem(rd->getLocation(), "anonymous structs can't be encoded; give the type a name");
  } else if (rd->isLocalClass() != nullptr || rd->isInAnonymousNamespace()) {
    problem(rd->getLocation(),
            "'" + name + "' has internal linkage; state types must be nameable from other files");
  } else if (inputs_.count(info.file) == 0 &&
             sm.isInSystemHeader(sm.getExpansionLoc(rd->getLocation()))) {
    problem(rd->getLocation(),
            "'" + name + "' comes from a system header and is not a supported state type");
  } else if (inputs_.count(info.file) == 0) {
    problem(rd->getLocation(), "'" + name + "' is defined in '" +
                                   llvm::sys::path::filename(info.file).str() +
                                   "', which is not an s6c input; add that header to the s6c "
                                   "command (s6_add_objects HEADERS) so it gets a codec");
  }
  // A wrong class name in S6_STATE(...) is an easy copy-paste mistake.
  if (state_tag != nullptr) {
    const CXXRecordDecl* named = state_tag->getUnderlyingType()->getAsCXXRecordDecl();
    if (named == nullptr || named->getCanonicalDecl() != rd->getCanonicalDecl()) {
      problem(state_tag->getLocation(), "S6_STATE names '" +
                                            ac_.Describe(state_tag->getUnderlyingType()) +
                                            "' but is inside '" + name + "'");
    }
  }
}

void RecordAnalyzer::MapBases(const CXXRecordDecl* rd, bool has_state, RecordInfo& info) {
  RecordModel& model = info.model;
  for (const clang::CXXBaseSpecifier& base : rd->bases()) {
    const CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
    if (IsS6Base(b)) continue;
    if (base.isVirtual()) {
      info.problems.push_back(
          {base.getBeginLoc(), "virtual base classes are not supported", nullptr});
      continue;
    }
    if (base.getAccessSpecifier() != clang::AS_public && !has_state) {
      info.problems.push_back({base.getBeginLoc(),
                               "non-public base '" + ac_.Describe(base.getType()) + "' of '" +
                                   model.qualified_name + "' needs S6_STATE(" +
                                   rd->getName().str() + ") in the class",
                               nullptr});
      continue;
    }
    TypeMapper::Failure failure;
    auto node = types_.Map(base.getType(), info.deps, failure);
    if (!node) {
      info.problems.push_back({base.getBeginLoc(),
                               "base '" + ac_.Describe(base.getType()) + "': " + failure.why,
                               failure.child});
      continue;
    }
    model.bases.push_back(node->name);
    model.schema += "base " + node->name + ";";
  }
}

void RecordAnalyzer::MapFields(const CXXRecordDecl* rd, bool has_state, RecordInfo& info) {
  RecordModel& model = info.model;
  for (const clang::FieldDecl* f : rd->fields()) {
    const std::string fname = f->getName().str();
    if (fname.empty()) {
      info.problems.push_back(
          {f->getLocation(), "anonymous struct or union members can't be encoded; name the member",
           nullptr});
      continue;
    }
    if (f->getAccess() != clang::AS_public && !has_state) {
      info.problems.push_back({f->getLocation(),
                               "'" + model.qualified_name + "' has non-public field '" + fname +
                                   "'; add S6_STATE(" + rd->getName().str() +
                                   ") inside the class so generated code can read it",
                               nullptr});
      continue;
    }
    TypeMapper::Failure failure;
    auto node = types_.Map(f->getType(), info.deps, failure);
    if (!node) {
      const std::string message =
          failure.child != nullptr
              ? "'" + ac_.Qualified(failure.child) + "' is used by field '" + fname + "' here"
              : "field '" + fname + "' has unsupported type '" + ac_.Describe(f->getType()) +
                    "': " + failure.why;
      info.problems.push_back({f->getLocation(), message, failure.child});
      continue;
    }
    model.fields.push_back({fname, *node, f->isBitField()});
    model.schema += "field " + fname + ":" + node->Normalized() + ";";
  }
}

void RecordAnalyzer::ReportProblems(const CXXRecordDecl* rd) {
  if (!reported_.insert(rd).second) return;
  for (const Problem& p : Info(rd).problems) {
    if (p.child != nullptr) {
      ReportProblems(p.child);
      ac_.Note(p.loc, p.message);
    } else {
      ac_.Error(p.loc, p.message);
    }
  }
}

void RecordAnalyzer::CollectSchema(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
                                   std::string& out) {
  if (!seen.insert(rd->getCanonicalDecl()).second) return;
  const RecordInfo& info = Info(rd);
  out += "record " + info.model.qualified_name + "{" + info.model.schema + "}\n";
  for (const CXXRecordDecl* d : info.deps) CollectSchema(d, seen, out);
}

void RecordAnalyzer::Order(const CXXRecordDecl* rd, std::set<const CXXRecordDecl*>& seen,
                           std::vector<const CXXRecordDecl*>& out) {
  rd = rd->getDefinition();
  if (!seen.insert(rd->getCanonicalDecl()).second || Info(rd).runtime_provided) return;
  for (const CXXRecordDecl* d : Info(rd).deps) Order(d, seen, out);
  out.push_back(rd);
}

}  // namespace s6c
