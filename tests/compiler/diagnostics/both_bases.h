// A state class is either moved to its user or stays home; it can't be both.
#pragma once

#include <s6/object.h>

#include <cstdint>

class Confused : public s6::SingleWriter, public s6::MultiWriter {  // expected-error {{'Confused' derives from both s6::SingleWriter and s6::MultiWriter}}
 public:
  uint32_t packets = 0;
};
