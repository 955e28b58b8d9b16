// std::unique_ptr points into one instance's memory.
#pragma once

#include <s6/object.h>

#include <cstdint>
#include <memory>

class Flow : public s6::SingleWriter {
 public:
  std::unique_ptr<uint32_t> bytes;  // expected-error {{field 'bytes' has unsupported type 'std::unique_ptr<uint32_t>': std::unique_ptr points into one instance's memory}}
};
