// SPDX-License-Identifier: Apache-2.0
// Construct: the runtime-provided flow key s6::net::FiveTuple as a field, inside containers, as a
// map key, inside a user struct and in method signatures. s6c emits no codec for it (s6/net.h
// has the runtime's) and describes its fields in the schema hash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <s6/net.h>
#include <s6/object.h>

namespace t {

struct Conn {  // a user struct holding the runtime type
  s6::net::FiveTuple tuple;
  uint64_t bytes = 0;
  friend bool operator==(const Conn&, const Conn&) = default;
};

class FlowEntry : public s6::SingleWriter {
 public:
  const s6::net::FiveTuple& key() const { return key_; }
  void set_key(const s6::net::FiveTuple& k) { key_ = k; }
  void see(const s6::net::FiveTuple& k) { seen_.push_back(k); }
  const std::vector<s6::net::FiveTuple>& seen() const { return seen_; }
  friend bool operator==(const FlowEntry&, const FlowEntry&) = default;

 private:
  s6::net::FiveTuple key_;
  std::vector<s6::net::FiveTuple> seen_;
  S6_STATE(FlowEntry);
};

class FlowTable : public s6::MultiWriter {
 public:
  /// Counts `n` packets of flow `k` and returns its new total.
  uint32_t add(const s6::net::FiveTuple& k, uint32_t n) {
    last = k;
    return counts[k] += n;
  }
  /// The reply direction of the last flow added.
  s6::net::FiveTuple last_reversed() const { return last.Reversed(); }
  friend bool operator==(const FlowTable&, const FlowTable&) = default;

  s6::net::FiveTuple last;
  std::map<s6::net::FiveTuple, uint32_t> counts;
  std::optional<s6::net::FiveTuple> pinned;
  std::vector<Conn> conns;
};

}  // namespace t
