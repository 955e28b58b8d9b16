// SPDX-License-Identifier: Apache-2.0
#include "emitter.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "s6/descriptor.h"

namespace s6c {
namespace {

std::string Global(const std::string& qualified) { return "::" + qualified; }

std::string Mangle(const std::string& qualified) {
  std::string out;
  for (char c : qualified) out += (c == ':') ? '_' : c;
  return out;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32 "u", v);
  return buf;
}

std::string Hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64 "ull", v);
  return buf;
}

std::string FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {s6::kMethodConst, "kMethodConst"},         {s6::kMethodStale, "kMethodStale"},
      {s6::kMethodUntether, "kMethodUntether"},   {s6::kMethodReturnsValue, "kMethodReturnsValue"},
      {s6::kMethodLocalOnly, "kMethodLocalOnly"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += " | ";
    out += name;
  }
  return out.empty() ? "0u" : out;
}

std::string FieldType(const RecordModel& r, const FieldModel& f) {
  return "decltype(" + Global(r.qualified_name) + "::" + f.name + ")";
}

// Name of the generated helper that evaluates a default argument, in the namespace of the class
// that declares the method.
std::string DefaultHelper(const StateClassModel& sc, const MethodModel& m, std::size_t param) {
  // The state class's name within that namespace (its whole name when it lives elsewhere: a
  // base's namespace may serve several state classes); a nested name (Outer::State) is written
  // with each name's length before it (1Outer5State), so two classes of one name nested in
  // different classes get different helpers, and no top-level class (a name cannot start with a
  // digit) can take the same spelling.
  const std::string prefix = m.default_namespace.empty() ? "" : m.default_namespace + "::";
  std::string cls = sc.qualified_name.rfind(prefix, 0) == 0
                        ? sc.qualified_name.substr(prefix.size())
                        : sc.qualified_name;
  if (cls.find("::") != std::string::npos) {
    std::string encoded;
    for (size_t at = 0; at <= cls.size();) {
      const size_t end = std::min(cls.find("::", at), cls.size());
      encoded += std::to_string(end - at) + cls.substr(at, end - at);
      at = end + 2;
    }
    cls = encoded;
  }
  return "s6_default_" + cls + "_" + m.name + "_" + std::to_string(m.decl_order) + "_" +
         std::to_string(param);
}

std::string DefaultHelperRef(const StateClassModel& sc, const MethodModel& m, std::size_t param) {
  std::string ref = (m.default_namespace.empty() ? "" : Global(m.default_namespace)) +
                    "::" + DefaultHelper(sc, m, param);
  if (m.params[param].default_in_class) {
    for (std::size_t i = 1; i < m.default_scopes.size(); ++i) ref += "::s6_scope";
    ref += "::s6_value";
  }
  return ref + "()";
}

// One default argument's helper. A default is written in the class; the stub lives in namespace
// s6. Most defaults name only what the class's namespace has, and become a function there. One
// that names what only the class's scope finds (a nested type, a static member) is evaluated in
// a static function of a struct derived from the class, nested in structs derived from the
// classes enclosing it, where unqualified lookup visits the same scopes in the same order.
std::string DefaultHelperDefinition(const StateClassModel& sc, const MethodModel& m,
                                    std::size_t i) {
  const ParamModel& p = m.params[i];
  const std::string name = DefaultHelper(sc, m, i);
  if (!p.default_in_class) {
    return "inline " + p.value_type + " " + name + "() { return " + p.default_arg + "; }\n";
  }
  std::string open;
  std::string close;
  for (std::size_t k = 0; k < m.default_scopes.size(); ++k) {
    const std::string indent(2 * k, ' ');
    open += indent + "struct " + (k == 0 ? name : "s6_scope") + " : " +
            Global(m.default_scopes[k]) + " {\n";
    close = indent + "};\n" + close;
  }
  const std::string indent(2 * m.default_scopes.size(), ' ');
  return open + indent + "static " + p.value_type + " s6_value() { return " + p.default_arg +
         "; }\n" + close;
}

// The helpers of a state class's default arguments, in the namespaces of the classes that
// declare its methods.
void EmitDefaultHelpers(const StateClassModel& sc, std::string& h) {
  std::vector<std::pair<std::string, std::string>> blocks;  // namespace, helpers
  for (const MethodModel& m : sc.methods) {
    if (!m.shippable) continue;
    for (std::size_t i = 0; i < m.params.size(); ++i) {
      if (m.params[i].default_arg.empty()) continue;
      auto block = std::find_if(blocks.begin(), blocks.end(),
                                [&](const auto& b) { return b.first == m.default_namespace; });
      if (block == blocks.end()) block = blocks.emplace(blocks.end(), m.default_namespace, "");
      block->second += DefaultHelperDefinition(sc, m, i);
    }
  }
  if (blocks.empty()) return;
  h += "// Default arguments of " + sc.qualified_name + "'s methods, for its stub.\n";
  for (const auto& [ns, body] : blocks) {
    h += ns.empty() ? body + "\n"
                    : "namespace " + ns + " {\n" + body + "}  // namespace " + ns + "\n\n";
  }
}

// "(const ::std::string & a0, int a1)" with optional names and defaults.
std::string ParamList(const StateClassModel& sc, const MethodModel& m, bool with_defaults,
                      bool generated_names) {
  std::string s = "(";
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    const ParamModel& p = m.params[i];
    if (i != 0) s += ", ";
    // A type whose declarator surrounds the name (a reference to an array) is written through
    // std::type_identity_t, where a name can follow it.
    const bool declarator = p.spelled_type.find_first_of("([") != std::string::npos;
    s += declarator ? "::std::type_identity_t<" + p.spelled_type + ">" : p.spelled_type;
    const std::string name = generated_names ? "a" + std::to_string(i) : p.name;
    if (!name.empty()) s += " " + name;
    if (with_defaults && !p.default_arg.empty()) s += " = " + DefaultHelperRef(sc, m, i);
  }
  return s + ")";
}

std::string MemberPointerType(const std::string& cls, const MethodModel& m) {
  std::string s = m.declared_return + " (" + cls + "::*)(";
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    if (i != 0) s += ", ";
    s += m.params[i].spelled_type;
  }
  s += ")";
  if (m.is_const) s += " const";
  if (m.is_noexcept) s += " noexcept";
  return s;
}

void EmitCodecDecl(const RecordModel& r, std::string& h) {
  const std::string t = Global(r.qualified_name);
  std::string min = "0";
  for (const std::string& b : r.bases) min += " + kMinEncodedSize<" + Global(b) + ">";
  for (const FieldModel& f : r.fields) min += " + kMinEncodedSize<" + FieldType(r, f) + ">";
  h += "template <>\nstruct Codec<" + t + "> {\n";
  h += "  static constexpr std::size_t kMinSize = " + min + ";\n";
  h += "  static void Encode(ByteWriter& w, const " + t + "& v);\n";
  h += "  static bool Decode(ByteReader& r, " + t + "& v);\n";
  h += "};\n\n";
}

void EmitCodecDef(const RecordModel& r, std::string& c) {
  const std::string t = Global(r.qualified_name);
  const bool empty = r.bases.empty() && r.fields.empty();
  c += "void Codec<" + t + ">::Encode(ByteWriter&" + (empty ? "" : " w") + ", const " + t + "&" +
       (empty ? "" : " v") + ") {\n";
  for (const std::string& b : r.bases) c += "  Codec<" + Global(b) + ">::Encode(w, v);\n";
  for (const FieldModel& f : r.fields) {
    c += "  Codec<" + FieldType(r, f) + ">::Encode(w, v." + f.name + ");\n";
  }
  c += "}\n\n";
  c += "bool Codec<" + t + ">::Decode(ByteReader&" + (empty ? "" : " r") + ", " + t + "&" +
       (empty ? "" : " v") + ") {\n";
  for (const std::string& b : r.bases) {
    c += "  if (!Codec<" + Global(b) + ">::Decode(r, v)) return false;\n";
  }
  for (const FieldModel& f : r.fields) {
    const std::string ft = FieldType(r, f);
    if (f.is_bitfield) {
      // A bit-field can't bind to a reference; decode a full value and reject values that the
      // field's width would silently truncate.
      c += "  {\n    " + ft + " tmp{};\n";
      c += "    if (!Codec<" + ft + ">::Decode(r, tmp)) return false;\n";
      c += "    v." + f.name + " = tmp;\n";
      c += "    if (v." + f.name + " != tmp) return r.Fail();\n  }\n";
    } else {
      c += "  if (!Codec<" + ft + ">::Decode(r, v." + f.name + ")) return false;\n";
    }
  }
  c += "  return true;\n}\n\n";
}

std::string MethodTable(const StateClassModel& sc) {
  return "kMethods_" + Mangle(sc.qualified_name);
}

void EmitStateDecl(const StateClassModel& sc, std::string& h) {
  const std::string t = Global(sc.qualified_name);
  h += "/// Stub for " + sc.qualified_name + ": ships each call through a RemoteCaller.\n";
  h += "template <>\nclass Stub<" + t + "> {\n public:\n";
  h += "  explicit Stub(RemoteCaller& caller) noexcept : caller_(caller) {}\n\n";
  std::vector<const MethodModel*> in_order;
  for (const MethodModel& m : sc.methods) in_order.push_back(&m);
  std::sort(in_order.begin(), in_order.end(), [](const MethodModel* a, const MethodModel* b) {
    return a->decl_order < b->decl_order;
  });
  for (const MethodModel* mp : in_order) {
    const MethodModel& m = *mp;
    if (!m.shippable) continue;
    h += "  " + m.return_type + " " + m.name + ParamList(sc, m, true, false) +
         (m.is_const ? " const" : "") + ";\n";
  }
  h += "\n private:\n  RemoteCaller& caller_;\n};\n\n";
  h += "template <>\nstruct Skeleton<" + t + "> {\n";
  h += "  static DispatchStatus Dispatch(" + t +
       "& obj, uint32_t method_id, ByteReader& args, ByteBuffer& reply);\n";
  h += "  /// Const methods only: for reads of a shared or cached copy.\n";
  h += "  static DispatchStatus DispatchConst(const " + t +
       "& obj, uint32_t method_id, ByteReader& args, ByteBuffer& reply);\n";
  h += "};\n\n";
  h += "template <>\nstruct TypeInfo<" + t + "> {\n";
  h += std::string("  static constexpr ObjectKind kKind = ObjectKind::") +
       (sc.multi_writer ? "kMultiWriter" : "kSingleWriter") + ";\n";
  h += "  static constexpr uint64_t kSchemaHash = " + Hex64(sc.schema_hash) + ";\n";
  h += "  static const TypeDescriptor& Descriptor();\n";
  h += "};\n\n";
}

void EmitDispatch(const StateClassModel& sc, bool const_only, std::string& c) {
  const std::string t = Global(sc.qualified_name);
  bool any = false;
  for (const MethodModel& m : sc.methods) any |= m.shippable && (!const_only || m.is_const);
  c += "DispatchStatus Skeleton<" + t +
       ">::" + (const_only ? "DispatchConst(const " : "Dispatch(") + t +
       (any ? "& obj, uint32_t method_id, ByteReader& args, ByteBuffer& reply) {\n"
            : "&, uint32_t, ByteReader&, ByteBuffer&) {\n");
  if (!any) {
    c += "  return DispatchStatus::kUnknownMethod;\n}\n\n";
    return;
  }
  c += "  switch (method_id) {\n";
  for (const MethodModel& m : sc.methods) {
    if (!m.shippable || (const_only && !m.is_const)) continue;
    c += "    case " + Hex32(m.id) + ":  // " + m.signature + "\n";
    // Shipping a [[deprecated]] method is not a use the user wrote: keep it from failing builds
    // with -Werror (GCC and Clang both honour these pragmas).
    if (m.is_deprecated) {
      c += "#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored "
           "\"-Wdeprecated-declarations\"\n";
    }
    c += "      return internal::Dispatch(obj, static_cast<" + MemberPointerType(t, m) + ">(&" + t +
         "::" + m.name + "), args, reply);\n";
    if (m.is_deprecated) c += "#pragma GCC diagnostic pop\n";
  }
  c += "    default:\n      return DispatchStatus::kUnknownMethod;\n  }\n}\n\n";
}

void EmitStateDef(const StateClassModel& sc, std::string& c) {
  const std::string t = Global(sc.qualified_name);
  const std::string table = MethodTable(sc);
  for (std::size_t i = 0; i < sc.methods.size(); ++i) {
    const MethodModel& m = sc.methods[i];
    if (!m.shippable) continue;
    c += m.return_type + " Stub<" + t + ">::" + m.name + ParamList(sc, m, false, true) +
         (m.is_const ? " const" : "") + " {\n";
    c += "  return internal::InvokeRemote<" + m.return_type + ">(caller_, " + table + "[" +
         std::to_string(i) + "]";
    for (std::size_t a = 0; a < m.params.size(); ++a) c += ", a" + std::to_string(a);
    c += ");\n}\n\n";
  }
  EmitDispatch(sc, false, c);
  EmitDispatch(sc, true, c);
  c += "const TypeDescriptor& TypeInfo<" + t + ">::Descriptor() {\n";
  c += "  static constexpr TypeDescriptor kDescriptor{\"" + sc.qualified_name + "\", kKind, " +
       "kSchemaHash, " +
       (sc.methods.empty() ? std::string("{}")
                           : "std::span<const MethodDescriptor>(" + table + ")") +
       "};\n  return kDescriptor;\n}\n\n";
}

void EmitMethodTable(const StateClassModel& sc, std::string& c) {
  if (sc.methods.empty()) return;
  c += "// Methods of " + sc.qualified_name + ", sorted by id.\n";
  c += "constexpr MethodDescriptor " + MethodTable(sc) + "[] = {\n";
  for (const MethodModel& m : sc.methods) {
    c += "    {" + Hex32(m.id) + ", " + FlagNames(m.flags) + ", " +
         std::to_string(m.stale_max_age_ms) + "u, \"" + m.name + "\", \"" + m.signature + "\"},\n";
  }
  c += "};\n\n";
}

}  // namespace

GeneratedFiles Emit(const FileModel& model) {
  GeneratedFiles out;
  std::string& h = out.header;
  std::string& c = out.source;
  const std::string banner = std::string("// Generated by s6c ") + kVersion + " from " +
                             model.header_name + ". Do not edit.\n";
  h += banner;
  h += "#pragma once\n\n#include <cstddef>\n#include <cstdint>\n\n";
  h += "#include <s6/call.h>\n#include <s6/codec.h>\n#include <s6/descriptor.h>\n\n";
  h += "#include \"" + model.header_name + "\"\n";
  for (const std::string& dep : model.dependency_stems) h += "#include \"" + dep + ".s6.h\"\n";
  if (!model.skipped.empty()) {
    h += "\n// Types in " + model.header_name + " without a codec (not used by any state class):\n";
    for (const std::string& s : model.skipped) h += "//   " + s + "\n";
  }
  h += "\n";
  for (const StateClassModel& sc : model.state_classes) EmitDefaultHelpers(sc, h);
  h += "namespace s6 {\n\n";
  for (const RecordModel& r : model.records) EmitCodecDecl(r, h);
  for (const StateClassModel& sc : model.state_classes) EmitStateDecl(sc, h);
  h += "}  // namespace s6\n";

  c += banner;
  c += "#include \"" + model.stem + ".s6.h\"\n\n#include <span>\n\nnamespace s6 {\n\n";
  bool any_table = false;
  for (const StateClassModel& sc : model.state_classes) any_table |= !sc.methods.empty();
  if (any_table) {
    c += "namespace {\n\n";
    for (const StateClassModel& sc : model.state_classes) EmitMethodTable(sc, c);
    c += "}  // namespace\n\n";
  }
  for (const RecordModel& r : model.records) EmitCodecDef(r, c);
  for (const StateClassModel& sc : model.state_classes) EmitStateDef(sc, c);
  c += "}  // namespace s6\n";
  return out;
}

}  // namespace s6c
