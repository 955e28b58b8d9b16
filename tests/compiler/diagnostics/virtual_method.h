// State objects move between instances as plain data; a vtable pointer can't follow them.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  virtual void bump();  // expected-error {{state classes can't have virtual methods}}

  uint64_t total = 0;
};
