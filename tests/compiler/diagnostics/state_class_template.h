// s6c generates code for concrete classes; it can't know which instantiations will exist.
#pragma once

#include <s6/object.h>

#include <cstdint>

template <typename T>
class Box : public s6::SingleWriter {  // expected-error {{state class templates are not supported}}
 public:
  T value{};
};
