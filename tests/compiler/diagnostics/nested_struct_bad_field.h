// A problem inside a user struct is reported at its cause, with a note where the state class
// uses the struct.
#pragma once

#include <s6/object.h>

#include <cstdint>

struct Peer {
  uint32_t address = 0;
  Peer* next = nullptr;  // expected-error {{field 'next' has unsupported type 'Peer *': raw pointers can't move between instances}}
};

class Flow : public s6::SingleWriter {
 public:
  Peer peer;  // expected-note {{'Peer' is used by field 'peer' here}}
};
