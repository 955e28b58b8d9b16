// SPDX-License-Identifier: Apache-2.0
// Construct: nested and recursive records, a class nested in a state class, inheritance from a
// plain struct and from another state class, records used only as keys, a record type from
// another input header (keys.h), empty records.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <s6/object.h>

#include "keys.h"

namespace t {

struct Tree {  // recursive through a container
  std::string label;
  std::vector<Tree> children;
  friend bool operator==(const Tree&, const Tree&) = default;
};

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};

struct Stats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  friend bool operator==(const Stats&, const Stats&) = default;
};

class Base : public s6::MultiWriter {
 public:
  uint32_t base_value() const { return base_; }
  void set_base(uint32_t v) { base_ = v; }
  friend bool operator==(const Base&, const Base&) = default;

 protected:
  uint32_t base_ = 0;
  S6_STATE(Base);
};

class Derived : public Base, public Stats {
 public:
  struct Slot {  // nested record with private fields
   public:
    Slot() = default;
    explicit Slot(int32_t v) : value_(v) {}
    int32_t value() const { return value_; }
    friend bool operator==(const Slot&, const Slot&) = default;

   private:
    int32_t value_ = 0;
    S6_STATE(Slot);
  };

  void put(const FlowId& id, const Slot& s) { slots_[id] = s; }
  int32_t get(const FlowId& id) const {
    auto it = slots_.find(id);
    return it == slots_.end() ? -1 : it->second.value();
  }
  Tree tree;  // public field
  friend bool operator==(const Derived&, const Derived&) = default;

 private:
  std::map<FlowId, Slot> slots_;
  Empty empty_;
  std::vector<Empty> empties_;
  S6_STATE(Derived);
};

class Holder : public s6::SingleWriter {  // holds another state class by value
 public:
  Derived inner;
  friend bool operator==(const Holder&, const Holder&) = default;
};

}  // namespace t
