// SPDX-License-Identifier: Apache-2.0
#include "prefilter.h"

#include <hs/hs.h>

namespace snort {

void Prefilter::DbFree::operator()(hs_database* db) const noexcept { hs_free_database(db); }
void Prefilter::ScratchFree::operator()(hs_scratch* s) const noexcept { hs_free_scratch(s); }

Prefilter::Prefilter(Prefilter&&) noexcept = default;
Prefilter& Prefilter::operator=(Prefilter&&) noexcept = default;
Prefilter::~Prefilter() = default;

s6::StatusOr<Prefilter> Prefilter::Build(const std::vector<Pattern>& patterns) {
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const Pattern& p : patterns) {
    if (p.bytes.empty()) continue;
    exprs.push_back(p.bytes.data());
    lens.push_back(p.bytes.size());
    flags.push_back(HS_FLAG_SINGLEMATCH | (p.nocase ? HS_FLAG_CASELESS : 0u));
    ids.push_back(p.id);
  }
  Prefilter f;
  f.size_ = exprs.size();
  if (exprs.empty()) return f;  // nothing to find: Scan reports nothing
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    const std::string why = err != nullptr && err->message != nullptr ? err->message : "unknown";
    const int at = err != nullptr ? err->expression : -1;
    hs_free_compile_error(err);
    return s6::InvalidArgumentError("hyperscan refused pattern " +
                                    (at >= 0 ? std::to_string(ids[size_t(at)]) : "?") + ": " + why);
  }
  f.db_.reset(db);
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    return s6::ResourceExhaustedError("hyperscan scratch space");
  }
  f.scratch_.reset(scratch);
  return f;
}

void Prefilter::Scan(std::string_view data, std::vector<uint32_t>* ids) const {
  if (!db_ || data.empty()) return;
  auto on_match = [](unsigned int id, unsigned long long, unsigned long long, unsigned int,
                     void* ctx) -> int {
    static_cast<std::vector<uint32_t>*>(ctx)->push_back(id);
    return 0;  // go on
  };
  hs_scan(db_.get(), data.data(), static_cast<unsigned>(data.size()), 0, scratch_.get(), on_match,
          ids);
}

}  // namespace snort
