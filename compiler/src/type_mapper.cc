// SPDX-License-Identifier: Apache-2.0
#include "type_mapper.h"

#include "llvm/Support/Casting.h"

namespace s6c {
namespace {

using clang::CXXRecordDecl;
using clang::QualType;

// std containers whose every template parameter that matters is a type: their kind and how
// many leading type arguments they encode (the rest are comparators, hashers, allocators).
struct StdTemplate {
  const char* name;
  TypeKind kind;
  unsigned type_args;
};

constexpr StdTemplate kStdTemplates[] = {
    {"vector", TypeKind::kSequence, 1},   {"deque", TypeKind::kSequence, 1},
    {"list", TypeKind::kSequence, 1},     {"map", TypeKind::kMap, 2},
    {"multimap", TypeKind::kMap, 2},      {"unordered_map", TypeKind::kMap, 2},
    {"set", TypeKind::kSet, 1},           {"multiset", TypeKind::kSet, 1},
    {"unordered_set", TypeKind::kSet, 1}, {"optional", TypeKind::kOptional, 1},
    {"pair", TypeKind::kPair, 2},
};

// Why std::`name` (not in the supported set) can't be state, in terms the user can act on.
std::string UnsupportedStdReason(const std::string& name) {
  if (name == "function" || name == "move_only_function") {
    return "std::" + name + " holds code and pointers, which can't move between instances";
  }
  if (name == "unique_ptr" || name == "shared_ptr" || name == "weak_ptr") {
    return "std::" + name +
           " points into one instance's memory; store the value directly or in std::optional";
  }
  if (name == "basic_string_view" || name == "span") {
    return "std::" + name + " does not own its data; use std::string or std::vector";
  }
  if (name == "atomic") {
    return "std::atomic is not needed (an instance's data plane is single-threaded)";
  }
  return "std::" + name + " is not a supported state type (see docs/programming-guide.md)";
}

bool IsCharString(const clang::TemplateArgumentList& targs) {
  return targs.size() != 0 && targs[0].getKind() == clang::TemplateArgument::Type &&
         (targs[0].getAsType()->isSpecificBuiltinType(clang::BuiltinType::Char_S) ||
          targs[0].getAsType()->isSpecificBuiltinType(clang::BuiltinType::Char_U));
}

}  // namespace

std::optional<TypeNode> TypeMapper::MapStd(const clang::ClassTemplateSpecializationDecl* sd,
                                           const std::string& name, Deps& deps, Failure& failure) {
  const clang::TemplateArgumentList& targs = sd->getTemplateArgs();
  // Maps template argument `i`, which must be a type, into node.args.
  auto push_type_arg = [&](TypeNode& node, unsigned i) {
    if (i >= targs.size() || targs[i].getKind() != clang::TemplateArgument::Type) {
      failure.why = "unexpected template arguments of std::" + name;
      return false;
    }
    auto e = Map(targs[i].getAsType(), deps, failure);
    if (e) node.args.push_back(*e);
    return e.has_value();
  };
  TypeNode node;
  node.name = name;
  if (name == "basic_string") {
    if (!IsCharString(targs)) {
      failure.why = "only std::string (of char) is supported";
      return std::nullopt;
    }
    node.kind = TypeKind::kString;
    node.name = "string";
    return node;
  }
  for (const StdTemplate& st : kStdTemplates) {
    if (name != st.name) continue;
    node.kind = st.kind;
    for (unsigned i = 0; i < st.type_args; ++i) {
      if (!push_type_arg(node, i)) return std::nullopt;
    }
    // The ordered containers' comparator decides the key order of the canonical encoding.
    if ((st.kind == TypeKind::kMap || st.kind == TypeKind::kSet) &&
        name.rfind("unordered_", 0) != 0 && st.type_args < targs.size()) {
      auto order = MapComparator(targs[st.type_args], node.args[0], name, failure);
      if (!order) return std::nullopt;
      node.order = *order;
    }
    return node;
  }
  if (name == "tuple") {
    node.kind = TypeKind::kTuple;
    if (targs.size() == 1 && targs[0].getKind() == clang::TemplateArgument::Pack) {
      for (const clang::TemplateArgument& a : targs[0].pack_elements()) {
        auto e = Map(a.getAsType(), deps, failure);
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
      failure.why = "unexpected template arguments of std::" + name;
      return std::nullopt;
    }
    node.extent = targs[extent_index].getAsIntegral().getZExtValue();
    node.kind = name == "bitset" ? TypeKind::kBitset : TypeKind::kStdArray;
    if (name == "array" && !push_type_arg(node, 0)) return std::nullopt;
    return node;
  }
  failure.why = UnsupportedStdReason(name);
  return std::nullopt;
}

std::optional<std::string> TypeMapper::MapComparator(const clang::TemplateArgument& arg,
                                                     const TypeNode& key,
                                                     const std::string& container,
                                                     Failure& failure) {
  const CXXRecordDecl* rd = arg.getKind() == clang::TemplateArgument::Type
                                ? arg.getAsType().getCanonicalType()->getAsCXXRecordDecl()
                                : nullptr;
  if (rd == nullptr || rd->isLambda()) {
    // A function pointer's order lives in its value, and a lambda's type has no stable name.
    failure.why = "the comparator of std::" + container +
                  " must be a named class type (its order is part of the encoding)";
    return std::nullopt;
  }
  // Template arguments of the comparator, normalised like state types where they are ones
  // (so the standard library's spelling doesn't leak in); void stands for the key.
  std::vector<std::string> args;
  bool ok = true;
  if (const auto* sd = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(rd)) {
    for (const clang::TemplateArgument& a : sd->getTemplateArgs().asArray()) {
      if (a.getKind() == clang::TemplateArgument::Type && a.getAsType()->isVoidType()) {
        args.push_back(key.Normalized());
        continue;
      }
      if (a.getKind() == clang::TemplateArgument::Type) {
        Deps scratch_deps;
        Failure scratch_failure;
        if (auto n = Map(a.getAsType(), scratch_deps, scratch_failure)) {
          args.push_back(n->Normalized());
          continue;
        }
      }
      ok = false;
      break;
    }
  }
  std::string spelled;
  if (!ok) {
    spelled = ac_.Describe(arg.getAsType().getCanonicalType());
  } else {
    spelled = rd->isInStdNamespace() ? rd->getName().str() : ac_.Qualified(rd);
    if (llvm::isa<clang::ClassTemplateSpecializationDecl>(rd)) {
      spelled += "<";
      for (std::size_t i = 0; i < args.size(); ++i) spelled += (i != 0 ? "," : "") + args[i];
      spelled += ">";
    }
  }
  // std::less<K> and std::less<> are the default order; spelled as before (nothing).
  if (rd->isInStdNamespace() && spelled == "less<" + key.Normalized() + ">") return "";
  return rd->isInStdNamespace() ? spelled : "cmp " + spelled;
}

std::optional<TypeNode> TypeMapper::MapBuiltin(QualType t, const clang::BuiltinType* bt,
                                               Failure& failure) {
  const clang::ASTContext& ctx = ac_.ast();
  TypeNode node;
  if (bt->getKind() == clang::BuiltinType::Bool) {
    node.kind = TypeKind::kBool;
    node.name = "bool";
    return node;
  }
  if (bt->isInteger() && ctx.getTypeSize(bt) <= 64) {
    node.kind = TypeKind::kInt;
    node.bits = static_cast<unsigned>(ctx.getTypeSize(bt));
    node.is_signed = bt->isSignedInteger();
    return node;
  }
  if (bt->getKind() == clang::BuiltinType::Float || bt->getKind() == clang::BuiltinType::Double) {
    node.kind = TypeKind::kFloat;
    node.bits = static_cast<unsigned>(ctx.getTypeSize(bt));
    return node;
  }
  failure.why = "'" + ac_.Describe(t) + "' has no portable encoding";
  return std::nullopt;
}

std::optional<TypeNode> TypeMapper::MapEnum(const clang::EnumType* et, Failure& failure) {
  const clang::EnumDecl* ed = et->getDecl();
  TypeNode node;
  node.kind = TypeKind::kEnum;
  node.name = ac_.Qualified(ed);
  // Without a fixed underlying type, some decoded integers would not be values of the enum.
  if (!ed->isFixed()) {
    failure.why = "enum '" + node.name + "' has no fixed underlying type; declare it as 'enum " +
                  ed->getName().str() +
                  " : <integer type>' so that every decoded value is a valid value of the enum";
    return std::nullopt;
  }
  const QualType ut = ed->getIntegerType();
  if (ut.isNull()) {
    failure.why = "enum '" + node.name + "' is incomplete";
    return std::nullopt;
  }
  node.bits = static_cast<unsigned>(ac_.ast().getTypeSize(ut));
  node.is_signed = ut->isSignedIntegerType();
  return node;
}

std::optional<TypeNode> TypeMapper::MapRecord(QualType t, const CXXRecordDecl* rd, Deps& deps,
                                              Failure& failure) {
  const clang::SourceManager& sm = ac_.sm();
  if (!rd->isInStdNamespace() && rd->getDeclContext()->getEnclosingNamespaceContext() &&
      sm.isInSystemHeader(sm.getExpansionLoc(rd->getLocation())) &&
      ac_.Qualified(rd).rfind("std::", 0) == 0) {
    // std::chrono::duration and friends: standard, but not in the supported set.
    failure.why =
        "'" + ac_.Describe(t) + "' is not a supported state type (store its count as an integer)";
    return std::nullopt;
  }
  if (rd->isInStdNamespace()) {
    if (const auto* sd = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(rd)) {
      return MapStd(sd, rd->getName().str(), deps, failure);
    }
    failure.why = "std::" + rd->getName().str() + " is not a supported state type";
    return std::nullopt;
  }
  // Runtime-provided leaves (s6::net::FiveTuple) continue as records: the record analyzer
  // describes their fields for the schema and emits no codec for them.
  if (IsS6Base(rd) ||
      (rd->getQualifiedNameAsString().rfind("s6::", 0) == 0 && !ac_.IsRuntimeProvided(rd))) {
    failure.why = "'" + ac_.Describe(t) + "' is a runtime type, not state";
    return std::nullopt;
  }
  // Codecs are generated per class definition, and a specialization has none in the input: the
  // use site is where this is decided and reported.
  if (const auto* sd = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(rd)) {
    failure.why = "'" + ac_.Describe(t) + "' is a specialization of class template '" +
                  ac_.Qualified(sd->getSpecializedTemplate()) +
                  "'; s6c generates codecs for plain classes only (use a plain struct)";
    return std::nullopt;
  }
  if (!records_.IsEncodable(rd)) {
    failure.child = rd->getDefinition() != nullptr ? rd->getDefinition() : rd;
    failure.why = "'" + ac_.Qualified(rd) + "' can't be encoded";
    return std::nullopt;
  }
  deps.push_back(rd->getDefinition());
  TypeNode node;
  node.kind = TypeKind::kRecord;
  node.name = ac_.Qualified(rd);
  return node;
}

std::optional<TypeNode> TypeMapper::Map(QualType t, Deps& deps, Failure& failure) {
  const QualType ct = t.getCanonicalType();
  if (ct.isConstQualified() || ct.isVolatileQualified()) {
    failure.why =
        "'" + ac_.Describe(t) + "' is const or volatile; decoding must be able to assign it";
    return std::nullopt;
  }
  const clang::Type* ty = ct.getTypePtr();
  if (ty->isReferenceType()) {
    failure.why = "references can't move between instances";
    return std::nullopt;
  }
  if (ty->isPointerType() || ty->isMemberPointerType() || ty->isNullPtrType()) {
    failure.why =
        "raw pointers can't move between instances; store the value, or a key to look it up";
    return std::nullopt;
  }
  if (const auto* bt = llvm::dyn_cast<clang::BuiltinType>(ty)) return MapBuiltin(t, bt, failure);
  if (const auto* et = llvm::dyn_cast<clang::EnumType>(ty)) return MapEnum(et, failure);
  if (const auto* at = llvm::dyn_cast<clang::ConstantArrayType>(ty)) {
    TypeNode node;
    node.kind = TypeKind::kCArray;
    node.extent = at->getSize().getZExtValue();
    auto e = Map(at->getElementType(), deps, failure);
    if (!e) return std::nullopt;
    node.args.push_back(*e);
    return node;
  }
  if (ty->isArrayType()) {
    failure.why = "arrays without a fixed size can't be encoded; use std::vector";
    return std::nullopt;
  }
  if (const CXXRecordDecl* rd = ty->getAsCXXRecordDecl()) return MapRecord(t, rd, deps, failure);
  if (ty->isFunctionType()) {
    failure.why = "functions can't be state";
  } else {
    failure.why = "'" + ac_.Describe(t) + "' is not a supported state type";
  }
  return std::nullopt;
}

}  // namespace s6c
