// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <s6/object.h>

namespace consumer {
class Tally : public s6::MultiWriter {
 public:
  void add(const std::string& who) S6_UNTETHER { names_.push_back(who); }
  uint32_t count() const { return static_cast<uint32_t>(names_.size()); }

 private:
  std::vector<std::string> names_;
  S6_STATE(Tally);
};
}  // namespace consumer
