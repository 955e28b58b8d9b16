// SPDX-License-Identifier: Apache-2.0
// Construct: two state classes of the same name nested in different outer classes of one
// namespace, each with a method taking a default argument. Their generated default helpers
// (in the namespace) must not collide.
#pragma once

#include <cstdint>

#include <s6/object.h>

namespace t {

struct Left {
  class Counter : public s6::MultiWriter {
   public:
    void add(int64_t by = 1) { value_ += by; }
    int64_t value() const { return value_; }

   private:
    int64_t value_ = 0;
    S6_STATE(Counter);
  };
};

struct Right {
  class Counter : public s6::MultiWriter {
   public:
    void add(int64_t by = 10) { value_ += by; }
    int64_t value() const { return value_; }

   private:
    int64_t value_ = 0;
    S6_STATE(Counter);
  };
};

}  // namespace t
