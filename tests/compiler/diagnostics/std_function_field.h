// std::function holds code and captured pointers.
#pragma once

#include <s6/object.h>

#include <functional>

class Flow : public s6::SingleWriter {
 public:
  std::function<void()> callback;  // expected-error {{field 'callback' has unsupported type 'std::function<void ()>': std::function holds code and pointers}}
};
