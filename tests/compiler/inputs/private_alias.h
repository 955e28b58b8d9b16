// SPDX-License-Identifier: Apache-2.0
// Construct: public methods whose signatures use the class's private member aliases, directly
// and inside a container. Generated code (outside the class) cannot name the aliases, so it
// spells the types they stand for; the stub still reaches the methods. An alias of a variadic
// template (std::tuple) has its argument pack spelled element by element, each fully qualified
// (found by the generated corpus: tuple_param_spelling).
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <s6/object.h>

namespace t {

class Registry : public s6::MultiWriter {
 private:
  using Id = uint32_t;
  using Ids = std::vector<Id>;
  using Named = std::tuple<std::string, std::vector<Id>>;

 public:
  void put(Id id, const std::vector<Id>& more) {
    ids_.push_back(id);
    ids_.insert(ids_.end(), more.begin(), more.end());
  }
  Ids all() const { return ids_; }
  Id first() const { return ids_.empty() ? 0 : ids_.front(); }
  void name(Named n) { name_ = std::get<0>(n) + ":" + std::to_string(std::get<1>(n).size()); }
  std::string named() const { return name_; }

 private:
  Ids ids_;
  std::string name_;
  S6_STATE(Registry);
};

}  // namespace t
