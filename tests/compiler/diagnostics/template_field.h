// A field of a user class-template type is refused at the field, with the type as written
// (template arguments included), not at the template's definition in another header.
#pragma once

#include <s6/object.h>

#include <cstdint>

#include "support/box_template.h"

namespace t {

struct Holder {
  Box<int32_t, 4> box;  // expected-error {{field 'box' has unsupported type 'Box<int32_t, 4>': 'Box<int32_t, 4>' is a specialization of class template 't::Box'}}
};

class Store : public s6::MultiWriter, public Box<uint8_t, 2> {  // expected-error {{base 'Box<uint8_t, 2>': 'Box<uint8_t, 2>' is a specialization of class template 't::Box'}}
 public:
  Holder holder;  // expected-note {{'t::Holder' is used by field 'holder' here}}
};

}  // namespace t
