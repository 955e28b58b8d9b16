// Every struct used by a state class needs a generated codec, so the header defining it must
// be an s6c input too. The error points at the struct's definition in the other header.
#pragma once

#include <s6/object.h>

#include "support/non_input_types.h"

// expected-error@support/non_input_types.h:9 {{'Endpoint' is defined in 'non_input_types.h', which is not an s6c input}}

class Flow : public s6::SingleWriter {
 public:
  Endpoint source;  // expected-note {{'Endpoint' is used by field 'source' here}}
};
