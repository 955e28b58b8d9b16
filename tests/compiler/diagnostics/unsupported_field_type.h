// Types without a portable encoding: long double, non-owning views and unions.
#pragma once

#include <s6/object.h>

#include <cstdint>
#include <string_view>

union Bits {  // expected-error {{unions can't be encoded field-wise}}
  uint32_t word;
  float real;
};

class Flow : public s6::SingleWriter {
 public:
  long double ratio = 0;  // expected-error {{field 'ratio' has unsupported type 'long double': 'long double' has no portable encoding}}
  std::string_view name;  // expected-error {{field 'name' has unsupported type 'std::string_view': std::basic_string_view does not own its data}}
  Bits bits;  // expected-note {{'Bits' is used by field 'bits' here}}
};
