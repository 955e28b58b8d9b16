// A virtual operator or conversion is not offered as a method, but its vtable still can't
// travel with the object: it is reported where it is declared, not dropped.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Counter : public s6::MultiWriter {
 public:
  virtual bool operator<(const Counter& other) const;  // expected-error {{state classes can't have virtual methods}}
  virtual explicit operator bool() const;  // expected-error {{state classes can't have virtual methods}}

  uint64_t total = 0;
};
