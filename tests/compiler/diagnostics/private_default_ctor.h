// Misuse: the runtime must be able to default-construct a state class.
#include <cstdint>

#include <s6/object.h>

class Flow : public s6::SingleWriter {  // expected-error {{needs a public, non-deleted default constructor}}
 public:
  explicit Flow(uint32_t first) : packets_(first) {}

 private:
  Flow() = default;
  uint32_t packets_ = 0;
  S6_STATE(Flow);
};
