// SPDX-License-Identifier: Apache-2.0
// Construct: a header that is an s6c input for its state class also declares a plain class with
// private and protected nested structs (its implementation details, e.g. a compiled plan). No
// code outside that class can name them, so s6c generates no codec for them (it lists them as
// skipped) instead of generating code that does not compile; its public nested struct, used by
// the state class, gets one.
#pragma once

#include <cstdint>
#include <vector>

#include <s6/object.h>

namespace t {

class Planner {
 public:
  struct Step {
    uint32_t op = 0;
    int64_t arg = 0;
  };
  int Run() const { return int(plans_.size() + cache_.size()); }

 protected:
  struct Cache {
    std::vector<uint16_t> slots;
  };

 private:
  struct Plan {
    std::vector<uint16_t> chain;
    struct Inner {
      bool on = false;
    } inner;
  };
  std::vector<Plan> plans_;
  std::vector<Cache> cache_;
};

class StepLog : public s6::SingleWriter {
 public:
  void Add(const Planner::Step& s) { steps_.push_back(s); }
  uint64_t size() const { return steps_.size(); }

 private:
  std::vector<Planner::Step> steps_;
  S6_STATE(StepLog);
};

}  // namespace t
