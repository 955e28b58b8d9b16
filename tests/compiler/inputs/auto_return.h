// SPDX-License-Identifier: Apache-2.0
// Construct: methods with deduced return types (`auto`, `decltype(auto)`), returning a class
// template specialization, a plain alias and an expression's type. Generated code spells the
// deduced types; the stub returns what the direct call does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <s6/object.h>

namespace t {

class AutoReturn : public s6::MultiWriter {
 public:
  auto names() const { return std::vector<std::string>(n_, "n"); }
  auto count() const { return n_; }
  decltype(auto) twice() const { return uint64_t(n_) * 2; }
  void bump() { ++n_; }

 private:
  uint32_t n_ = 0;
  S6_STATE(AutoReturn);
};

}  // namespace t
