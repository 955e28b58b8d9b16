// A default that only the class's scope resolves is evaluated in a helper derived from the
// class; a final class can't lend its scope that way.
#pragma once

#include <s6/object.h>

#include <cstdint>

namespace t {

class Lamp final : public s6::MultiWriter {
 public:
  enum class Mode : uint8_t { kOff, kOn };
  void set(Mode m = Mode::kOn);  // expected-error {{the default argument of 'm' names members of 't::Lamp' as only its scope finds them, and it is final}}
  void dim(Mode m = ::t::Lamp::Mode::kOff);  // qualified from the namespace: fine

  Mode mode = Mode::kOff;
};

}  // namespace t
