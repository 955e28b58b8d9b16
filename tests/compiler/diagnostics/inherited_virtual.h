// Misuse: a state class that inherits a virtual destructor from a plain base has a vtable too.
#include <cstdint>

#include <s6/object.h>

struct Polymorphic {
  virtual ~Polymorphic() = default;
};

// expected-error@+1 {{state classes can't have virtual methods}}
class Flow : public s6::SingleWriter, public Polymorphic {  // expected-note {{from base 'Polymorphic'}}
 public:
  uint32_t packets = 0;
};
