// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the multi-pattern prefilter of the Snort port. Every rule contributes
// its fast pattern (one literal, case-sensitive or not); one Hyperscan literal database per
// inspection buffer finds, in a single pass over that buffer, which patterns occur — the rules
// worth verifying in full. Snort 3 and Suricata do the same with Hyperscan.
//
// Invariants: a pattern is reported at most once per Scan (HS_FLAG_SINGLEMATCH); the database
// is immutable once built and owned by one instance; the scratch space is per Prefilter, so a
// Prefilter is used by one thread (an instance's data-plane thread) — Scan is const but not
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <s6/status.h>

struct hs_database;
struct hs_scratch;

namespace snort {

class Prefilter {
 public:
  /// One literal: `id` is the caller's (e.g. a rule index), reported when `bytes` occurs.
  struct Pattern {
    uint32_t id = 0;
    std::string bytes;
    bool nocase = false;
  };

  /// Compiles `patterns` (empty ones are ignored). InvalidArgument if Hyperscan refuses them.
  static s6::StatusOr<Prefilter> Build(const std::vector<Pattern>& patterns);

  /// An empty prefilter: Scan finds nothing.
  Prefilter() = default;
  Prefilter(Prefilter&&) noexcept;
  Prefilter& operator=(Prefilter&&) noexcept;
  ~Prefilter();

  /// Appends to `ids` the id of every pattern that occurs in `data` (each once, any order).
  void Scan(std::string_view data, std::vector<uint32_t>* ids) const;

  std::size_t size() const noexcept { return size_; }

 private:
  struct DbFree {
    void operator()(hs_database* db) const noexcept;
  };
  struct ScratchFree {
    void operator()(hs_scratch* s) const noexcept;
  };

  std::unique_ptr<hs_database, DbFree> db_;
  std::unique_ptr<hs_scratch, ScratchFree> scratch_;
  std::size_t size_ = 0;
};

}  // namespace snort
