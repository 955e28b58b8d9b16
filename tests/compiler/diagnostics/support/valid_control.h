// Control case for the diagnostics runner: a valid header that s6c must accept (exit 0) and
// generate both outputs for. Lives in support/ so the runner does not treat it as a failing
// case.
#pragma once

#include <s6/object.h>

#include <cstdint>

struct Key {
  uint32_t address = 0;
  uint16_t port = 0;
};

class Counter : public s6::MultiWriter {
 public:
  void add(uint64_t n) S6_UNTETHER;
  uint64_t total() const S6_STALE_MS(10);
  uint64_t take(const Key& key);

 private:
  uint64_t total_ = 0;
  S6_STATE(Counter);
};

class Flow : public s6::SingleWriter {
 public:
  Key key;
  uint32_t packets = 0;
};
