// SPDX-License-Identifier: Apache-2.0
// The Hyperscan prefilter: every pattern found once, case rules honoured, binary bytes and
// empty inputs handled.
#include "prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace snort {
namespace {

std::vector<uint32_t> Found(const Prefilter& f, std::string_view data) {
  std::vector<uint32_t> ids;
  f.Scan(data, &ids);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(PrefilterTest, ReportsEachPatternOnceWithItsCaseRule) {
  const s6::StatusOr<Prefilter> f = Prefilter::Build({{1, "GET ", false},
                                                      {2, "cmd.exe", true},
                                                      {3, std::string("\x00\x01\xff", 3), false},
                                                      {4, "", false},
                                                      {5, "/etc/passwd", false}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->size(), 4u);  // the empty pattern is ignored
  EXPECT_EQ(Found(*f, "GET /a/CMD.EXE?x GET /b"), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Found(*f, "get /"), (std::vector<uint32_t>{}));  // case-sensitive
  EXPECT_EQ(Found(*f, std::string("..\x00\x01\xff..", 7)), (std::vector<uint32_t>{3}));
  EXPECT_EQ(Found(*f, ""), (std::vector<uint32_t>{}));
}

TEST(PrefilterTest, AgreesWithANaiveSearchOnRandomData) {
  std::mt19937 rng(11);
  std::vector<Prefilter::Pattern> patterns;
  for (uint32_t i = 0; i < 300; ++i) {
    std::string p(2 + rng() % 5, 'a');
    for (char& c : p) c = char('a' + rng() % 4);
    patterns.push_back({i, p, i % 3 == 0});
  }
  const s6::StatusOr<Prefilter> f = Prefilter::Build(patterns);
  ASSERT_TRUE(f.ok());
  for (int round = 0; round < 50; ++round) {
    std::string data(200, 'a');
    for (char& c : data) c = char((rng() % 2 ? 'a' : 'A') + rng() % 5);
    std::vector<uint32_t> want;
    for (const auto& p : patterns) {
      std::string hay = data;
      std::string needle = p.bytes;
      if (p.nocase) {
        std::transform(hay.begin(), hay.end(), hay.begin(), ::tolower);
        std::transform(needle.begin(), needle.end(), needle.begin(), ::tolower);
      }
      if (hay.find(needle) != std::string::npos) want.push_back(p.id);
    }
    EXPECT_EQ(Found(*f, data), want) << data;
  }
}

TEST(PrefilterTest, NoPatternsFindsNothing) {
  const s6::StatusOr<Prefilter> f = Prefilter::Build({});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(Found(*f, "anything").empty());
}

}  // namespace
}  // namespace snort
