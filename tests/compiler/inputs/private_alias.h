// SPDX-License-Identifier: Apache-2.0
// Construct: public methods whose signatures use the class's private member aliases, directly
// and inside a container. Generated code (outside the class) cannot name the aliases, so it
// spells the types they stand for; the stub still reaches the methods.
#pragma once

#include <cstdint>
#include <vector>

#include <s6/object.h>

namespace t {

class Registry : public s6::MultiWriter {
 private:
  using Id = uint32_t;
  using Ids = std::vector<Id>;

 public:
  void put(Id id, const std::vector<Id>& more) {
    ids_.push_back(id);
    ids_.insert(ids_.end(), more.begin(), more.end());
  }
  Ids all() const { return ids_; }
  Id first() const { return ids_.empty() ? 0 : ids_.front(); }

 private:
  Ids ids_;
  S6_STATE(Registry);
};

}  // namespace t
