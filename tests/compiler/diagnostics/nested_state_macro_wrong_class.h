// Misuse: S6_STATE in a nested (non-state) struct must name that struct.
#include <cstdint>

#include <s6/object.h>

struct Other {};

struct Peer {
 private:
  uint32_t a_ = 0;
  S6_STATE(Other);  // expected-error {{S6_STATE names 'Other' but is inside 'Peer'}}
};

class Flow : public s6::SingleWriter {
 public:
  Peer peer;  // expected-note {{'Peer' is used by field 'peer' here}}
};
