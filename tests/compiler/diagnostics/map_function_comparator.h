// An ordered container's comparator decides the order of its canonical encoding, so it must be
// a named class type: a function pointer's order lives in its value, which decoding cannot
// rebuild, and a lambda's type has no stable name to hash.
#pragma once

#include <s6/object.h>

#include <cstdint>
#include <map>

using KeyOrder = bool (*)(uint32_t, uint32_t);

class Index : public s6::SingleWriter {
 public:
  std::map<uint32_t, uint64_t, KeyOrder> by_key;  // expected-error {{the comparator of std::map must be a named class type (its order is part of the encoding)}}
};
