// SPDX-License-Identifier: Apache-2.0
// Construct: every supported standard container and vocabulary type as a field of a
// MultiWriter class, including empty ones and deep nesting.
#pragma once

#include <array>
#include <bitset>
#include <compare>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <s6/object.h>

namespace t {

struct Endpoint {
  uint32_t ip = 0;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

class Everything : public s6::MultiWriter {
 public:
  std::string name;
  std::vector<uint8_t> bytes;
  std::vector<std::string> words;
  std::vector<bool> bits;
  std::deque<int32_t> queue;
  std::list<double> samples;
  std::array<uint16_t, 4> ports{};
  std::array<std::string, 0> nothing{};
  std::map<std::string, int64_t> counters;
  std::multimap<uint32_t, std::string> multi;
  std::unordered_map<uint64_t, std::vector<uint32_t>> buckets;
  std::set<Endpoint> endpoints;
  std::multiset<int16_t> repeats;
  std::unordered_set<std::string> tags;
  std::bitset<13> small_bits;
  std::bitset<65536> used;
  std::optional<Endpoint> peer;
  std::optional<std::optional<int32_t>> maybe_maybe;
  std::pair<Endpoint, std::string> labeled;
  std::tuple<> empty_tuple;
  std::tuple<int8_t, std::string, std::array<uint8_t, 3>> mixed;
  std::vector<std::map<std::string, std::vector<std::optional<std::tuple<int, std::string>>>>> deep;

  void touch() { ++touches_; }
  uint64_t touches() const { return touches_; }
  friend bool operator==(const Everything&, const Everything&) = default;

 private:
  uint64_t touches_ = 0;
  S6_STATE(Everything);
};

}  // namespace t
