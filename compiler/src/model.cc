// SPDX-License-Identifier: Apache-2.0
#include "model.h"

namespace s6c {
namespace {

std::string IntName(unsigned bits, bool is_signed) {
  return (is_signed ? "i" : "u") + std::to_string(bits);
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
    case TypeKind::kMap:
    case TypeKind::kSet:
      return name + "<" + join() + (order.empty() ? "" : "," + order) + ">";
    case TypeKind::kSequence:
    case TypeKind::kOptional:
    case TypeKind::kPair:
    case TypeKind::kTuple:
      return name + "<" + join() + ">";
  }
  return "?";
}

}  // namespace s6c
