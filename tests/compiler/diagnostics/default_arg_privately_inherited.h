// A protected member of a privately inherited base is private in the class: a helper derived
// from the class can't reach it either (found by the generated corpus).
#pragma once

#include <s6/object.h>

#include <cstdint>

namespace t {

struct Steps {
 protected:
  static constexpr int64_t kStep = 6;
};

class Counter : public s6::MultiWriter, private Steps {
 public:
  void add(int64_t n = kStep);  // expected-error {{the default argument of 'n' names 't::Steps::kStep', which is private there (declared private, or inherited privately)}}
  int64_t total = 0;

 private:
  S6_STATE(Counter);
};

}  // namespace t
