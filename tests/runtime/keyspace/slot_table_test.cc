// SPDX-License-Identifier: Apache-2.0
// Pins keyspace/slot_table.h: SlotOf (pinned values, range, spread of 5-tuple-like keys), the
// balance and determinism of Initial(), Rebalance()'s minimal movement (exactly the newcomer's
// slots on scale-out, exactly the departed member's on scale-in, and the brute-force optimum on
// arbitrary unbalanced tables), Diff(), and the codec (round trips, every truncated prefix and
// each malformed field rejected).
#include "keyspace/slot_table.h"

#include <s6/codec.h>
#include <s6/hash.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace s6::keyspace {
namespace {

std::vector<InstanceId> Ids(std::initializer_list<uint32_t> ids) {
  std::vector<InstanceId> out;
  for (uint32_t id : ids) out.push_back(InstanceId{id});
  return out;
}

// `n` non-contiguous ids: 5, 8, 11, ...
std::vector<InstanceId> SpreadIds(std::size_t n) {
  std::vector<InstanceId> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(InstanceId{static_cast<uint32_t>(5 + 3 * i)});
  return out;
}

SlotTable MustInitial(std::vector<InstanceId> members, uint32_t slots = kDefaultSlots) {
  StatusOr<SlotTable> t = SlotTable::Initial(std::move(members), slots);
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(t).value();
}

SlotTable MustRebalance(const SlotTable& from, std::vector<InstanceId> members) {
  StatusOr<SlotTable> t = from.Rebalance(std::move(members));
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(t).value();
}

std::map<InstanceId, uint32_t> Counts(const SlotTable& t) {
  std::map<InstanceId, uint32_t> counts;
  for (InstanceId id : t.instances()) counts[id] = 0;
  for (uint32_t s = 0; s < t.slot_count(); ++s) ++counts[t.owner(s)];
  return counts;
}

// Members are exactly `members` (as a set), every owner is one of them, counts differ by at
// most one, and the number of larger shares is slot_count % N.
void ExpectBalanced(const SlotTable& t, std::vector<InstanceId> members) {
  std::sort(members.begin(), members.end());
  EXPECT_EQ(t.instances(), members) << t.DebugString();
  const std::map<InstanceId, uint32_t> counts = Counts(t);
  ASSERT_EQ(counts.size(), members.size()) << "an owner is not a member: " << t.DebugString();
  const uint32_t floor_share = t.slot_count() / static_cast<uint32_t>(members.size());
  uint32_t ceil_count = 0;
  uint32_t total = 0;
  for (const auto& [id, count] : counts) {
    EXPECT_TRUE(count == floor_share || count == floor_share + 1)
        << "instance " << id << " owns " << count << " in " << t.DebugString();
    if (count == floor_share + 1) ++ceil_count;
    total += count;
    EXPECT_EQ(t.CountOwnedBy(id), count);
  }
  EXPECT_EQ(total, t.slot_count());
  EXPECT_EQ(ceil_count, t.slot_count() % members.size()) << t.DebugString();
}

// The changed slots, computed the obvious way.
std::vector<SlotMove> BruteDiff(const SlotTable& a, const SlotTable& b) {
  std::vector<SlotMove> moves;
  for (uint32_t s = 0; s < a.slot_count(); ++s) {
    if (a.owner(s) != b.owner(s)) moves.push_back({s, a.owner(s), b.owner(s)});
  }
  return moves;
}

// Rebalances `from` to `members` and checks everything that holds for any step: balanced,
// version + 1, Diff exact, and no more moves than the brute-force optimum (for small N).
SlotTable Step(const SlotTable& from, const std::vector<InstanceId>& members);

// The fewest slots any balanced table over `members` can move away from `from`, by trying
// every choice of which members get the larger share (small N only).
uint32_t BruteForceMinimalMoves(const SlotTable& from, std::vector<InstanceId> members) {
  std::sort(members.begin(), members.end());
  const uint32_t n = static_cast<uint32_t>(members.size());
  const uint32_t base = from.slot_count() / n;
  const uint32_t extra = from.slot_count() % n;
  std::vector<uint32_t> owned(n);
  for (uint32_t i = 0; i < n; ++i) owned[i] = from.CountOwnedBy(members[i]);
  uint32_t best_kept = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<uint32_t>(std::popcount(mask)) != extra) continue;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; ++i) kept += std::min(owned[i], base + ((mask >> i) & 1u));
    best_kept = std::max(best_kept, kept);
  }
  return from.slot_count() - best_kept;
}

SlotTable Step(const SlotTable& from, const std::vector<InstanceId>& members) {
  SlotTable to = MustRebalance(from, members);
  ExpectBalanced(to, members);
  EXPECT_EQ(to.version(), from.version() + 1);
  EXPECT_EQ(to.slot_count(), from.slot_count());
  const std::vector<SlotMove> diff = Diff(from, to);
  EXPECT_EQ(diff, BruteDiff(from, to));
  if (members.size() <= 12) {
    EXPECT_EQ(diff.size(), BruteForceMinimalMoves(from, members))
        << from.DebugString() << " -> " << to.DebugString();
  }
  return to;
}

// Scale-out by one: the newcomer receives exactly the moved slots, all from old members.
void ExpectScaleOutMovesOnlyToNewcomer(const SlotTable& from, const SlotTable& to,
                                       InstanceId newcomer) {
  const std::vector<SlotMove> diff = Diff(from, to);
  EXPECT_EQ(diff.size(), to.CountOwnedBy(newcomer)) << to.DebugString();
  for (const SlotMove& m : diff) {
    EXPECT_EQ(m.to, newcomer) << "slot " << m.slot << " moved between old members " << m.from
                              << " -> " << m.to;
    EXPECT_TRUE(from.IsMember(m.from));
  }
}

// Scale-in by one: exactly the departed member's slots move, none between stayers.
void ExpectScaleInMovesOnlyDeparted(const SlotTable& from, const SlotTable& to,
                                    InstanceId departed) {
  const std::vector<SlotMove> diff = Diff(from, to);
  EXPECT_EQ(diff.size(), from.CountOwnedBy(departed)) << from.DebugString();
  std::vector<uint32_t> moved_slots;
  for (const SlotMove& m : diff) {
    EXPECT_EQ(m.from, departed) << "slot " << m.slot << " moved between stayers " << m.from
                                << " -> " << m.to;
    moved_slots.push_back(m.slot);
  }
  EXPECT_EQ(moved_slots, from.SlotsOwnedBy(departed));
}

// ---- SlotOf ----------------------------------------------------------------------------------

// SlotOf is part of the wire contract (instances and the traffic steerer must agree). If one
// of these changes, every deployed placement changes with it.
TEST(SlotOfTest, PinnedValues) {
  EXPECT_EQ(SlotOf(0, 4096), 0u);
  EXPECT_EQ(SlotOf(1, 4096), 0x9e3u);  // the top 12 bits of the multiplier
  EXPECT_EQ(SlotOf(0x0123456789abcdefull, 4096),
            static_cast<uint32_t>((0x0123456789abcdefull * 0x9e3779b97f4a7c15ull) >> 52));
  EXPECT_EQ(SlotOf(~0ull, 1u << 20), static_cast<uint32_t>((~0ull * 0x9e3779b97f4a7c15ull) >> 44));
}

TEST(SlotOfTest, InRangeForEveryPowerOfTwoAndNested) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t h = rng();
    EXPECT_EQ(SlotOf(h, 1), 0u);
    for (uint32_t n = 2; n <= kMaxSlots; n *= 2) {
      const uint32_t s = SlotOf(h, n);
      ASSERT_LT(s, n);
      // Top-bits extraction: doubling the slot count splits every slot in two.
      ASSERT_EQ(s >> 1, SlotOf(h, n / 2));
    }
  }
}

TEST(SlotOfTest, UsesAllBitsNotJustTheLowOnes) {
  // Hashes that differ only above bit 12 would all land in one slot under `hash % 4096`.
  std::set<uint32_t> slots;
  for (uint64_t i = 0; i < 4096; ++i) slots.insert(SlotOf(i << 40, 4096));
  EXPECT_GT(slots.size(), 2048u);
  // And hashes differing only in their low bits spread too.
  slots.clear();
  for (uint64_t i = 0; i < 4096; ++i) slots.insert(SlotOf(i, 4096));
  EXPECT_GT(slots.size(), 2048u);
}

TEST(SlotOfTest, SpreadsSequentialFiveTuplesEvenly) {
  constexpr uint32_t kSlots = 4096;
  constexpr uint32_t kKeys = 1'000'000;
  std::vector<uint32_t> per_slot(kSlots, 0);
  uint8_t key[13];
  for (uint32_t i = 0; i < kKeys; ++i) {
    // src ip 10.x.y.z, dst ip 192.168.0.1, src port sequential, dst port 80, protocol TCP.
    const uint32_t src_ip = 0x0a000000u + (i >> 8);
    const uint32_t dst_ip = 0xc0a80001u;
    const uint16_t src_port = static_cast<uint16_t>(1024 + (i & 0xff));
    const uint16_t dst_port = 80;
    std::memcpy(key, &src_ip, 4);
    std::memcpy(key + 4, &dst_ip, 4);
    std::memcpy(key + 8, &src_port, 2);
    std::memcpy(key + 10, &dst_port, 2);
    key[12] = 6;
    ++per_slot[SlotOf(HashBytes(key, sizeof key), kSlots)];
  }
  const double mean = static_cast<double>(kKeys) / kSlots;
  const uint32_t max = *std::max_element(per_slot.begin(), per_slot.end());
  const uint32_t min = *std::min_element(per_slot.begin(), per_slot.end());
  EXPECT_LT(max / mean, 1.3) << "max " << max << " mean " << mean;
  EXPECT_GT(min / mean, 0.7) << "min " << min << " mean " << mean;
}

// ---- Initial ---------------------------------------------------------------------------------

TEST(SlotTableInitialTest, BalancedForOneToSeventeenMembers) {
  for (uint32_t slots : {1u, 2u, kDefaultSlots}) {
    for (std::size_t n = 1; n <= 17; ++n) {
      SCOPED_TRACE("slots " + std::to_string(slots) + " members " + std::to_string(n));
      const std::vector<InstanceId> members = SpreadIds(n);
      const SlotTable t = MustInitial(members, slots);
      EXPECT_EQ(t.version(), 1u);
      EXPECT_EQ(t.slot_count(), slots);
      EXPECT_FALSE(t.empty());
      ExpectBalanced(t, members);
    }
  }
}

TEST(SlotTableInitialTest, ContiguousRangesLargerSharesFirst) {
  const SlotTable t = MustInitial(Ids({30, 10, 20}), 8);  // shares 3, 3, 2 by ascending id
  const std::vector<InstanceId> expected = Ids({10, 10, 10, 20, 20, 20, 30, 30});
  for (uint32_t s = 0; s < 8; ++s) EXPECT_EQ(t.owner(s), expected[s]) << "slot " << s;
  EXPECT_EQ(t.SlotsOwnedBy(InstanceId{30}), (std::vector<uint32_t>{6, 7}));
  EXPECT_EQ(t.DebugString(), "SlotTable{v1, 8 slots, 10:3 20:3 30:2}");
}

TEST(SlotTableInitialTest, DeterministicAcrossMemberOrders) {
  std::vector<InstanceId> members = Ids({3, 4, 7, 9, 100});
  const SlotTable reference = MustInitial(members, 64);
  int permutations = 0;
  do {
    EXPECT_EQ(MustInitial(members, 64), reference);
    ++permutations;
  } while (std::next_permutation(members.begin(), members.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(SlotTableInitialTest, RejectsBadInput) {
  EXPECT_EQ(SlotTable::Initial({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SlotTable::Initial(Ids({1, 2, 1})).status(),
            InvalidArgumentError("duplicate instance id 1"));
  for (uint32_t bad : {0u, 3u, 4095u, 4097u, kMaxSlots * 2, 0x80000000u, 0xffffffffu}) {
    EXPECT_EQ(SlotTable::Initial(Ids({1}), bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(SlotTable::Initial(Ids({1}), kMaxSlots).ok());
}

TEST(SlotTableInitialTest, MoreMembersThanSlots) {
  const SlotTable t = MustInitial(SpreadIds(5), 2);
  ExpectBalanced(t, SpreadIds(5));
  EXPECT_EQ(t.instances().size(), 5u);  // members without slots are still members
  EXPECT_TRUE(t.IsMember(InstanceId{17}));
  EXPECT_TRUE(t.SlotsOwnedBy(InstanceId{17}).empty());
}

TEST(SlotTableTest, LookupsAgree) {
  const SlotTable t = MustInitial(Ids({2, 7, 11}));
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t h = rng();
    EXPECT_EQ(t.HomeOf(h), t.owner(SlotOf(h, t.slot_count())));
  }
  EXPECT_FALSE(t.IsMember(InstanceId{3}));
  EXPECT_TRUE(t.SlotsOwnedBy(InstanceId{3}).empty());
  EXPECT_EQ(t.CountOwnedBy(InstanceId{3}), 0u);
}

TEST(SlotTableDeathTest, OutOfRangeAndEmptyLookupsAbort) {
  const SlotTable t = MustInitial(Ids({1}), 16);
  EXPECT_DEATH((void)t.owner(16), "check failed: slot < owners_\\.size\\(\\) \\(16 vs 16\\)");
  const SlotTable empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.version(), 0u);
  EXPECT_DEATH((void)empty.HomeOf(1), "lookup in the empty slot table");
}

// ---- Rebalance -------------------------------------------------------------------------------

TEST(SlotTableRebalanceTest, OneTwoThreeTwoOne) {
  const SlotTable v1 = MustInitial(Ids({1}));
  const SlotTable v2 = Step(v1, Ids({1, 2}));
  ExpectScaleOutMovesOnlyToNewcomer(v1, v2, InstanceId{2});
  EXPECT_EQ(Diff(v1, v2).size(), 2048u);

  const SlotTable v3 = Step(v2, Ids({1, 2, 3}));
  ExpectScaleOutMovesOnlyToNewcomer(v2, v3, InstanceId{3});
  EXPECT_EQ(Diff(v2, v3).size(), 1365u);  // 4096 / 3, the newcomer's floor share

  const SlotTable v4 = Step(v3, Ids({1, 2}));
  ExpectScaleInMovesOnlyDeparted(v3, v4, InstanceId{3});

  const SlotTable v5 = Step(v4, Ids({1}));
  ExpectScaleInMovesOnlyDeparted(v4, v5, InstanceId{2});
  EXPECT_EQ(v5.version(), 5u);
  EXPECT_EQ(v5.CountOwnedBy(InstanceId{1}), 4096u);
}

TEST(SlotTableRebalanceTest, NonContiguousIds) {
  const SlotTable a = MustInitial(Ids({3, 9}));
  const SlotTable b = Step(a, Ids({3, 9, 4}));
  ExpectScaleOutMovesOnlyToNewcomer(a, b, InstanceId{4});
  EXPECT_EQ(b.instances(), Ids({3, 4, 9}));
  const SlotTable c = Step(b, Ids({9, 4}));
  ExpectScaleInMovesOnlyDeparted(b, c, InstanceId{3});
  EXPECT_EQ(c.version(), 3u);
}

TEST(SlotTableRebalanceTest, ScaleOutAndInByOneForManySizes) {
  for (uint32_t slots : {1u, 2u, 4u, 64u, 1024u, kDefaultSlots}) {
    for (std::size_t n = 1; n <= 17; ++n) {
      SCOPED_TRACE("slots " + std::to_string(slots) + " n " + std::to_string(n));
      const std::vector<InstanceId> members = SpreadIds(n);
      const SlotTable base = MustInitial(members, slots);
      // Out: a newcomer with an id below, between and above the others.
      for (uint32_t newcomer : {1u, 6u, 1000u}) {
        std::vector<InstanceId> grown = members;
        grown.push_back(InstanceId{newcomer});
        const SlotTable out = Step(base, grown);
        ExpectScaleOutMovesOnlyToNewcomer(base, out, InstanceId{newcomer});
        EXPECT_EQ(out.CountOwnedBy(InstanceId{newcomer}), slots / (n + 1));
      }
      // In: each member in turn leaves.
      if (n == 1) continue;
      for (std::size_t leave = 0; leave < n; ++leave) {
        std::vector<InstanceId> shrunk = members;
        shrunk.erase(shrunk.begin() + static_cast<std::ptrdiff_t>(leave));
        const SlotTable in = Step(base, shrunk);
        ExpectScaleInMovesOnlyDeparted(base, in, members[leave]);
      }
    }
  }
}

TEST(SlotTableRebalanceTest, RandomWalkStaysBalancedAndMinimal) {
  std::mt19937 rng(42);
  SlotTable t = MustInitial(Ids({1, 2, 3}), 256);
  std::set<uint32_t> members = {1, 2, 3};
  uint32_t next_id = 4;
  for (int step = 0; step < 200; ++step) {
    std::vector<uint32_t> current(members.begin(), members.end());
    const int action = static_cast<int>(rng() % 3);
    if (action == 0 || members.size() == 1) {
      members.insert(next_id++);  // ids only grow: never contiguous after a removal
    } else if (action == 1) {
      members.erase(current[rng() % current.size()]);
    } else {  // replace: one leaves, one joins in the same step
      members.erase(current[rng() % current.size()]);
      members.insert(next_id++);
    }
    std::vector<InstanceId> ids;
    for (uint32_t id : members) ids.push_back(InstanceId{id});
    std::shuffle(ids.begin(), ids.end(), rng);  // order must not matter
    const SlotTable prev = t;
    t = Step(prev, ids);
    ASSERT_EQ(t.version(), prev.version() + 1);
  }
}

TEST(SlotTableRebalanceTest, OptimalFromUnbalancedTables) {
  // Tables not made by Rebalance (failover promotions) may be arbitrarily skewed; Rebalance
  // must still move exactly the brute-force minimum.
  std::mt19937 rng(9);
  for (int trial = 0; trial < 300; ++trial) {
    const uint32_t slots = 1u << (rng() % 7);  // 1 .. 64
    const std::vector<InstanceId> pool = Ids({1, 2, 3, 4, 5, 6, 7, 8});
    std::vector<InstanceId> old_members(pool.begin(), pool.begin() + 1 + rng() % 5);
    std::vector<InstanceId> owners(slots);
    // Skewed: owner i with probability ~ 1 / (i + 1).
    for (InstanceId& o : owners) {
      o = old_members[std::min<std::size_t>(old_members.size() - 1,
                                            std::countr_zero(rng() | 1u << 30))];
    }
    StatusOr<SlotTable> from = SlotTable::FromOwners(7, old_members, owners);
    ASSERT_TRUE(from.ok()) << from.status();
    std::vector<InstanceId> new_members;
    for (InstanceId id : pool) {
      if (rng() % 2 == 0) new_members.push_back(id);
    }
    if (new_members.empty()) new_members.push_back(pool[rng() % pool.size()]);
    const SlotTable to = Step(*from, new_members);
    EXPECT_EQ(to.version(), 8u);
  }
}

TEST(SlotTableRebalanceTest, SameMembersMovesNothing) {
  const SlotTable a = MustInitial(Ids({4, 5, 6}));
  const SlotTable b = Step(a, Ids({6, 5, 4}));
  EXPECT_TRUE(Diff(a, b).empty());
  EXPECT_EQ(b.version(), 2u);
}

TEST(SlotTableRebalanceTest, DeterministicAcrossMemberOrders) {
  const SlotTable a = MustInitial(Ids({3, 9, 20}));
  std::vector<InstanceId> next = Ids({4, 9, 11, 20});
  const SlotTable reference = MustRebalance(a, next);
  do {
    EXPECT_EQ(MustRebalance(a, next), reference);
  } while (std::next_permutation(next.begin(), next.end()));
}

TEST(SlotTableRebalanceTest, RejectsBadInput) {
  const SlotTable a = MustInitial(Ids({1, 2}));
  EXPECT_EQ(a.Rebalance({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Rebalance(Ids({2, 3, 3})).status(), InvalidArgumentError("duplicate instance id 3"));
  EXPECT_EQ(SlotTable().Rebalance(Ids({1})).status().code(), StatusCode::kFailedPrecondition);
}

TEST(SlotTableRebalanceTest, FullReplacementMovesEverything) {
  const SlotTable a = MustInitial(Ids({1, 2}), 64);
  const SlotTable b = Step(a, Ids({3, 4}));
  EXPECT_EQ(Diff(a, b).size(), 64u);
}

// ---- Diff ------------------------------------------------------------------------------------

TEST(SlotTableDiffTest, ListsExactlyTheChangedSlotsInOrder) {
  const SlotTable a = MustInitial(Ids({1, 2}), 8);  // 1 1 1 1 2 2 2 2
  const SlotTable b = MustRebalance(a, Ids({1, 2, 3}));
  const std::vector<SlotMove> moves = Diff(a, b);
  EXPECT_EQ(moves, BruteDiff(a, b));
  ASSERT_EQ(moves.size(), 2u);  // shares 3 3 2: each old member gives its highest slot
  EXPECT_EQ(moves[0], (SlotMove{3, InstanceId{1}, InstanceId{3}}));
  EXPECT_EQ(moves[1], (SlotMove{7, InstanceId{2}, InstanceId{3}}));
  EXPECT_TRUE(Diff(a, a).empty());
  // The reverse diff undoes it.
  const std::vector<SlotMove> back = Diff(b, a);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], (SlotMove{3, InstanceId{3}, InstanceId{1}}));
}

TEST(SlotTableDiffDeathTest, DifferentSlotCountsAbort) {
  const SlotTable a = MustInitial(Ids({1}), 8);
  const SlotTable b = MustInitial(Ids({1}), 16);
  EXPECT_DEATH((void)Diff(a, b), "check failed: from\\.slot_count\\(\\) == to\\.slot_count\\(\\)");
}

// ---- FromOwners ------------------------------------------------------------------------------

TEST(SlotTableFromOwnersTest, ValidatesEverythingButBalance) {
  const StatusOr<SlotTable> skewed = SlotTable::FromOwners(3, Ids({2, 1}), Ids({1, 1, 1, 2}));
  ASSERT_TRUE(skewed.ok()) << skewed.status();
  EXPECT_EQ(skewed->instances(), Ids({1, 2}));
  EXPECT_EQ(skewed->CountOwnedBy(InstanceId{1}), 3u);
  EXPECT_EQ(SlotTable::FromOwners(0, Ids({1}), Ids({1})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SlotTable::FromOwners(1, Ids({1}), Ids({1, 1, 1})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SlotTable::FromOwners(1, Ids({1}), {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SlotTable::FromOwners(1, Ids({1, 1}), Ids({1})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SlotTable::FromOwners(1, Ids({1}), Ids({1, 5})).status(),
            InvalidArgumentError("slot 1 is owned by instance 5, which is not a member"));
}

// ---- Codec -----------------------------------------------------------------------------------

// A hand-built encoding, so that tests can write what Encode never would.
ByteBuffer RawTable(uint64_t version, uint32_t slot_count, const std::vector<uint32_t>& members,
                    const std::vector<uint32_t>& owners) {
  ByteBuffer b;
  ByteWriter w(b);
  w.PutUnsigned(version);
  w.PutU32(slot_count);
  w.PutU32(static_cast<uint32_t>(members.size()));
  for (uint32_t m : members) w.PutU32(m);
  for (uint32_t o : owners) w.PutU32(o);
  return b;
}

bool Decodes(const ByteBuffer& b) {
  SlotTable t;
  return DecodeExact(b, t);
}

TEST(SlotTableCodecTest, RoundTrips) {
  const SlotTable a = MustInitial(Ids({3, 9}));
  const SlotTable b = MustRebalance(a, Ids({3, 9, 4}));
  for (const SlotTable& t : {a, b, MustInitial(Ids({1}), 1), MustInitial(SpreadIds(5), 2)}) {
    const ByteBuffer bytes = EncodeToBuffer(t);
    EXPECT_EQ(bytes.size(), 16 + 4 * (t.instances().size() + t.slot_count()));
    SlotTable decoded;
    ASSERT_TRUE(DecodeExact(bytes, decoded));
    EXPECT_EQ(decoded, t);
    EXPECT_EQ(decoded.version(), t.version());
  }
  // The smallest table is kMinSize bytes.
  EXPECT_EQ(EncodeToBuffer(MustInitial(Ids({1}), 1)).size(), Codec<SlotTable>::kMinSize);
}

TEST(SlotTableCodecTest, ComposesWithOtherCodecs) {
  const std::vector<SlotTable> tables = {MustInitial(Ids({1, 2}), 16), MustInitial(Ids({7}), 4)};
  const ByteBuffer bytes = EncodeToBuffer(tables);
  std::vector<SlotTable> decoded;
  ASSERT_TRUE(DecodeExact(bytes, decoded));
  EXPECT_EQ(decoded, tables);
}

TEST(SlotTableCodecTest, MatchesTheDocumentedLayout) {
  const SlotTable t = *SlotTable::FromOwners(5, Ids({2, 8}), Ids({8, 2}));
  EXPECT_EQ(EncodeToBuffer(t), RawTable(5, 2, {2, 8}, {8, 2}));
}

TEST(SlotTableCodecTest, RejectsEveryTruncation) {
  const ByteBuffer bytes = EncodeToBuffer(MustRebalance(MustInitial(Ids({3, 9}), 64), Ids({4, 9})));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    SlotTable t;
    EXPECT_FALSE(DecodeExact(bytes.data(), n, t)) << "prefix of " << n << " bytes";
  }
  ByteBuffer longer = bytes;
  longer.Append("\0", 1);
  EXPECT_FALSE(Decodes(longer));  // trailing bytes
  EXPECT_TRUE(Decodes(bytes));
}

TEST(SlotTableCodecTest, RejectsMalformedFields) {
  EXPECT_TRUE(Decodes(RawTable(1, 4, {1, 2}, {1, 1, 2, 2})));
  // Slot count not a power of two, zero, or too large (with a matching owner list).
  EXPECT_FALSE(Decodes(RawTable(1, 3, {1}, {1, 1, 1})));
  EXPECT_FALSE(Decodes(RawTable(1, 0, {1}, {})));
  EXPECT_FALSE(Decodes(RawTable(1, kMaxSlots * 2, {1}, std::vector<uint32_t>(kMaxSlots * 2, 1))));
  // A huge slot count the input cannot back is refused before allocating.
  EXPECT_FALSE(Decodes(RawTable(1, kMaxSlots, {1}, {1, 1})));
  // Owner not a member.
  EXPECT_FALSE(Decodes(RawTable(1, 4, {1, 2}, {1, 1, 2, 3})));
  // Version 0 is "no table".
  EXPECT_FALSE(Decodes(RawTable(0, 4, {1, 2}, {1, 1, 2, 2})));
  // Members empty, unsorted or duplicated.
  EXPECT_FALSE(Decodes(RawTable(1, 1, {}, {1})));
  EXPECT_FALSE(Decodes(RawTable(1, 4, {2, 1}, {1, 1, 2, 2})));
  EXPECT_FALSE(Decodes(RawTable(1, 4, {1, 1, 2}, {1, 1, 2, 2})));
  // A member count larger than the input.
  ByteBuffer b;
  ByteWriter w(b);
  w.PutUnsigned(uint64_t{1});
  w.PutU32(1);
  w.PutU32(0xffffffffu);
  EXPECT_FALSE(Decodes(b));
}

TEST(SlotTableCodecTest, FailedDecodeLeavesAValidTable) {
  SlotTable t = MustInitial(Ids({1, 2}), 4);
  ByteBuffer bad = RawTable(1, 4, {1, 2}, {1, 1, 2, 3});
  ByteReader r(bad);
  EXPECT_FALSE(Decode(r, t));
  EXPECT_FALSE(r.ok());
  // Unspecified but valid: still usable and re-encodable.
  if (!t.empty()) (void)EncodeToBuffer(t);
}

TEST(SlotTableCodecDeathTest, EncodingTheEmptyTableAborts) {
  EXPECT_DEATH((void)EncodeToBuffer(SlotTable()), "encoding the empty slot table");
}

}  // namespace
}  // namespace s6::keyspace
