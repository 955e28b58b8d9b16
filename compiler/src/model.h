// SPDX-License-Identifier: Apache-2.0
// The typed intermediate model s6c builds from the AST and emits code from.
//
// Theory of operation: the analyzer turns each input header into a FileModel (records that get
// codecs, state classes with their methods). Everything the emitter needs is spelled out here as
// plain strings and numbers, so emission is a pure function of the model and output is
// deterministic. Types of fields and parameters are also normalised into `TypeNode` trees
// ("vector<u32>", "map<string,struct ns::Key>"): schema hashes and method ids hash those
// normalised forms, which do not depend on the standard library's spelling of its types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s6c {

enum class TypeKind {
  kBool,
  kInt,
  kFloat,
  kEnum,
  kString,
  kCArray,
  kStdArray,
  kSequence,  // vector, deque, list (name says which)
  kMap,       // map, multimap, unordered_map
  kSet,       // set, multiset, unordered_set
  kBitset,
  kOptional,
  kPair,
  kTuple,
  kRecord,
};

/// A supported type, normalised.
struct TypeNode {
  TypeKind kind = TypeKind::kBool;
  /// Container/record/enum name: "vector", "unordered_map", "ns::Key", ...
  std::string name;
  unsigned bits = 0;       // kInt/kFloat/kEnum: width in bits
  bool is_signed = false;  // kInt/kEnum
  uint64_t extent = 0;     // kCArray/kStdArray/kBitset
  std::vector<TypeNode> args;
  /// Ordered kMap/kSet: the comparator, normalised ("greater<u32>", "cmp ns::ByLength"), when
  /// it is not std::less of the key (nor std::less<>); empty for the default. The key order is
  /// part of the canonical encoding, so it is part of the schema.
  std::string order;

  /// The normalised spelling, e.g. "map<string,vector<i32>>" or "set<u32,greater<u32>>".
  std::string Normalized() const;
};

struct FieldModel {
  std::string name;
  TypeNode type;
  bool is_bitfield = false;
};

/// A record (struct/class) that gets a codec.
struct RecordModel {
  std::string qualified_name;      // "ns::Outer::Inner"
  std::vector<std::string> bases;  // qualified names of encoded bases, in order
  std::vector<FieldModel> fields;
  /// Normalised schema text of this record alone (bases and fields).
  std::string schema;
};

struct ParamModel {
  std::string name;          // as declared (may be empty)
  std::string spelled_type;  // as declared, fully qualified: "const ::std::string &"
  std::string default_arg;   // source text of the default argument, or empty
  std::string value_type;    // fully qualified type without reference and cv (for defaults)
  /// The default names something only the class's scope finds (a nested type or enumerator, a
  /// static member, a protected name): it is evaluated in a helper that derives from the class.
  bool default_in_class = false;
};

struct MethodModel {
  std::string name;
  std::string signature;  // normalised, e.g. "allocate(u64)" / "size() const"
  /// The C++ signature with canonical parameter types ("set(const long long &)"): it tells
  /// apart overloads whose normalised signatures are the same (reference kind, integer types of
  /// one width), and then makes their ids.
  std::string exact_signature;
  uint32_t id = 0;
  uint32_t flags = 0;  // s6::MethodFlag bits
  uint32_t stale_max_age_ms = 0;
  bool is_const = false;
  bool is_noexcept = false;
  bool is_deprecated = false;   // [[deprecated]]: the skeleton's use of it must not warn
  bool shippable = true;        // false: SingleWriter method kept out of stub/skeleton
  unsigned decl_order = 0;      // position in the class, for emitting the stub readably
  std::string return_type;      // fully qualified, without reference and cv
  std::string declared_return;  // fully qualified, as declared (for member pointer types)
  std::vector<ParamModel> params;
  /// Where default arguments are evaluated: the namespace of the class that declares the method
  /// (the state class or a base; "" for the global namespace) and, outermost first, the
  /// fully qualified names of that class's enclosing classes and of the class itself.
  std::string default_namespace;
  std::vector<std::string> default_scopes;
};

struct StateClassModel {
  std::string qualified_name;
  bool multi_writer = false;
  uint64_t schema_hash = 0;
  std::vector<MethodModel> methods;  // sorted by id
};

/// Everything generated for one input header.
struct FileModel {
  std::string stem;                            // "port_pool" for port_pool.h
  std::string header_name;                     // "port_pool.h", included by the generated header
  std::vector<std::string> dependency_stems;   // other inputs whose codecs we use
  std::vector<RecordModel> records;            // in dependency order
  std::vector<StateClassModel> state_classes;  // in declaration order
  std::vector<std::string> skipped;            // "ns::Helper: field 'p' is a raw pointer"
};

}  // namespace s6c
