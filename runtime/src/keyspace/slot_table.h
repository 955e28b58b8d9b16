// SPDX-License-Identifier: Apache-2.0
// File: keyspace/slot_table.h
//
// The DSO key space: which instance is the home of a key.
//
// Theory of operation
// -------------------
// What. Every key of every map hashes (s6/hash.h, over the map id and the key's canonical bytes)
// to a 64-bit value; SlotOf() folds that to one of a fixed number of slots (kDefaultSlots =
// 4096, any power of two up to kMaxSlots); a SlotTable maps each slot to its home instance. The
// controller computes tables, ships them to every instance (and the traffic steerer) with the
// s6 codec, and drives the switch from version v to v+1 (DESIGN.md §6).
//
// Why slots and not `hash % N`. With `hash % N` (the original S6) a change of N re-homes almost
// every key: (N-1)/N of them. With a slot table the number of slots never changes, only their
// owners do, and Rebalance() moves as few slots as balance allows: scaling N -> N+1 moves
// exactly the ~S/(N+1) slots the newcomer receives, scaling N -> N-1 exactly the departed
// instance's slots. Slots are the unit of migration too (a moved slot's directory and
// MultiWriter objects follow it), so fewer moved slots means less state in flight.
//
// Invariants of a (non-empty) SlotTable, checked on construction and on decode:
//   - version() >= 1; every table derived by Rebalance() has its parent's version + 1;
//   - slot_count() is a power of two in [1, kMaxSlots];
//   - instances() is sorted, without duplicates, non-empty, and every slot's owner is in it
//     (a member may own no slot when there are more members than slots);
//   - tables from Initial() and Rebalance() are balanced: any two members own a number of
//     slots that differs by at most one;
//   - the table is a pure function of its inputs (member *set*, slot count, parent table), so
//     the controller, a restarted controller and tests all compute the same table.
// A SlotTable is an immutable value: new versions are new objects, which makes it safe to keep
// the old and the new table side by side during a switch.
#pragma once

#include <bit>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <s6/bytes.h>
#include <s6/check.h>
#include <s6/codec.h>
#include <s6/instance_id.h>
#include <s6/status.h>

namespace s6::keyspace {

// Instance ids are shared with the transport and the controller (s6/instance_id.h).
using ::s6::InstanceId;
using ::s6::ToUint;

/// The default number of slots in the key space: enough that one slot is a small fraction of
/// the state even with dozens of instances, small enough that a table is 16 KiB on the wire.
inline constexpr uint32_t kDefaultSlots = 4096;

/// The largest slot count a table may have (bounds the memory a decoded table can claim).
inline constexpr uint32_t kMaxSlots = uint32_t{1} << 20;

/// True for the slot counts a table may have: powers of two in [1, kMaxSlots].
constexpr bool IsValidSlotCount(uint32_t slot_count) noexcept {
  return slot_count <= kMaxSlots && std::has_single_bit(slot_count);
}

/// The slot of a key with hash `key_hash` in a key space of `slot_count` slots (a power of two).
///
/// Multiply-shift ("Fibonacci hashing"): the hash is multiplied by 2^64/phi and the slot is the
/// top log2(slot_count) bits of the product. The top bits of the product depend on every bit of
/// the hash, and they are not the low bits that local hash tables use for their buckets: with
/// `hash % slot_count` all keys homed at one instance would share their low bits and crowd into
/// a fraction of that instance's buckets. The 128-bit form `(x * slot_count) >> 64` is the same
/// top-bits extraction without a special case for slot_count == 1.
///
/// Part of the wire contract: every instance and the traffic steerer must agree on it, so its
/// values must never change.
constexpr uint32_t SlotOf(uint64_t key_hash, uint32_t slot_count) noexcept {
  constexpr uint64_t kGoldenRatio = 0x9e3779b97f4a7c15ull;  // odd, so the multiply is a bijection
  const uint64_t mixed = key_hash * kGoldenRatio;
  return static_cast<uint32_t>((static_cast<unsigned __int128>(mixed) * slot_count) >> 64);
}

/// One slot changing home between two tables: what the migration driver has to move.
struct SlotMove {
  uint32_t slot = 0;
  InstanceId from{};  ///< Owner in the older table.
  InstanceId to{};    ///< Owner in the newer table.
  friend bool operator==(const SlotMove&, const SlotMove&) = default;
};

/// A versioned map from slots to home instances. See the theory of operation above.
class SlotTable {
 public:
  /// The empty table (version 0, no slots, no members): a placeholder before the first table is
  /// known, or a target to decode into. Not usable for lookups, Rebalance() or encoding.
  SlotTable() = default;

  /// Version 1 of a key space of `slot_count` slots over `members`: member i (in ascending id
  /// order) owns a contiguous range of floor or ceil(slot_count / N) slots, the first
  /// slot_count % N members getting the larger share. The result depends only on the member
  /// set, not on the order of `members`. InvalidArgument if `members` is empty or has
  /// duplicates, or `slot_count` is not a power of two in [1, kMaxSlots].
  static StatusOr<SlotTable> Initial(std::vector<InstanceId> members,
                                     uint32_t slot_count = kDefaultSlots);

  /// A table with explicit contents, for tables that are not derived by Rebalance() (failover
  /// promotions, tests). Validates every invariant except balance: InvalidArgument if version
  /// is 0, the slot count (owners.size()) is invalid, members are empty or duplicated, or an
  /// owner is not a member. `members` may be in any order.
  static StatusOr<SlotTable> FromOwners(uint64_t version, std::vector<InstanceId> members,
                                        std::vector<InstanceId> owners);

  /// The next version of this table, over `new_members`, balanced with minimal movement:
  ///   - every member's share is floor or ceil(slot_count / N); the ceil shares go first to the
  ///     members that already own more than the floor (giving one of them the larger share
  ///     saves exactly one move), ties broken by more slots owned, then lower id;
  ///   - a staying member keeps its lowest-numbered slots up to its share; slots of departed
  ///     members and slots above a share are the only ones that move, to the members below their
  ///     share (ascending id, each filled with the lowest freed slots).
  /// This moves the fewest slots any balanced table can (see slot_table.cc). Growing a balanced
  /// table by one member moves only the newcomer's slots; shrinking it by one moves only the
  /// departed member's slots. Same validation as Initial(); FailedPrecondition on an empty
  /// table.
  StatusOr<SlotTable> Rebalance(std::vector<InstanceId> new_members) const;

  /// 0 for the empty table; 1 for Initial(); parent + 1 for Rebalance().
  uint64_t version() const noexcept { return version_; }
  uint32_t slot_count() const noexcept { return static_cast<uint32_t>(owners_.size()); }
  /// True for the default-constructed placeholder.
  bool empty() const noexcept { return owners_.empty(); }

  /// The home instance of `slot` (checked: slot < slot_count()).
  InstanceId owner(uint32_t slot) const {
    S6_CHECK_LT(slot, owners_.size()) << "slot table v" << version_;
    return owners_[slot];
  }

  /// The home instance of the key whose hash is `key_hash`: owner(SlotOf(key_hash, ...)).
  InstanceId HomeOf(uint64_t key_hash) const {
    S6_CHECK(!owners_.empty()) << "lookup in the empty slot table";
    return owners_[SlotOf(key_hash, slot_count())];
  }

  /// The members, sorted ascending without duplicates. Every owner is a member; a member owns
  /// no slot only when there are more members than slots.
  const std::vector<InstanceId>& instances() const noexcept { return members_; }

  /// True when `id` is a member of this table.
  bool IsMember(InstanceId id) const noexcept;

  /// The slots `id` owns, ascending (empty for a non-member).
  std::vector<uint32_t> SlotsOwnedBy(InstanceId id) const;

  /// How many slots `id` owns.
  uint32_t CountOwnedBy(InstanceId id) const noexcept;

  /// A one-line summary for logs: "SlotTable{v2, 4096 slots, 3:2048 9:2048}".
  std::string DebugString() const;

  friend bool operator==(const SlotTable&, const SlotTable&) = default;

 private:
  friend struct ::s6::Codec<SlotTable>;

  uint64_t version_ = 0;
  std::vector<InstanceId> members_;  // sorted, unique
  std::vector<InstanceId> owners_;   // indexed by slot
};

/// The slots whose owner differs between `from` and `to`, ascending by slot. Both tables must
/// have the same slot count (checked): the key space is never resized.
std::vector<SlotMove> Diff(const SlotTable& from, const SlotTable& to);

}  // namespace s6::keyspace

namespace s6 {

/// Wire form of a slot table (little-endian, as every s6 codec):
///   u64 version | u32 slot_count | u32 member_count | member_count x u32 id (strictly
///   ascending) | slot_count x u32 owner id
/// Decode rejects (returns false) truncated input, version 0, a slot count that is not a power
/// of two in [1, kMaxSlots], an empty, unsorted or duplicated member list and owners that are
/// not members; it never allocates more than the input can back. Encoding the empty table is
/// a checked error.
template <>
struct Codec<keyspace::SlotTable> {
  /// One member owning one slot: 8 + 4 + 4 + 4 + 4.
  static constexpr std::size_t kMinSize = 24;
  static void Encode(ByteWriter& w, const keyspace::SlotTable& t);
  static bool Decode(ByteReader& r, keyspace::SlotTable& t);
};

}  // namespace s6
