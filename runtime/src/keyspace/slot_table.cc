// SPDX-License-Identifier: Apache-2.0
// Slot tables: construction, minimal-movement rebalancing, diff and codec. See slot_table.h.
#include "keyspace/slot_table.h"

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace s6::keyspace {
namespace {

constexpr uint32_t kNotMember = UINT32_MAX;

std::string IdString(InstanceId id) { return std::to_string(ToUint(id)); }

Status ValidateSlotCount(uint64_t slot_count) {
  if (slot_count > kMaxSlots || !IsValidSlotCount(static_cast<uint32_t>(slot_count))) {
    return InvalidArgumentError("slot count " + std::to_string(slot_count) +
                                " is not a power of two in [1, " + std::to_string(kMaxSlots) + "]");
  }
  return OkStatus();
}

// Sorts `members` into the canonical order and rejects empty and duplicated member lists. The
// sort is what makes every factory independent of the order its caller listed the members in.
Status NormalizeMembers(std::vector<InstanceId>& members) {
  if (members.empty()) return InvalidArgumentError("a slot table needs at least one member");
  std::sort(members.begin(), members.end());
  const auto dup = std::adjacent_find(members.begin(), members.end());
  if (dup != members.end()) return InvalidArgumentError("duplicate instance id " + IdString(*dup));
  return OkStatus();
}

// Position of `id` in the sorted `members`, or kNotMember.
uint32_t IndexOf(const std::vector<InstanceId>& members, InstanceId id) {
  const auto it = std::lower_bound(members.begin(), members.end(), id);
  if (it == members.end() || *it != id) return kNotMember;
  return static_cast<uint32_t>(it - members.begin());
}

}  // namespace

StatusOr<SlotTable> SlotTable::Initial(std::vector<InstanceId> members, uint32_t slot_count) {
  S6_RETURN_IF_ERROR(ValidateSlotCount(slot_count));
  S6_RETURN_IF_ERROR(NormalizeMembers(members));
  const std::size_t n = members.size();
  const uint32_t base = static_cast<uint32_t>(slot_count / n);
  const std::size_t extra = slot_count % n;

  SlotTable t;
  t.version_ = 1;
  t.owners_.reserve(slot_count);
  for (std::size_t i = 0; i < n; ++i) {
    const uint32_t share = base + (i < extra ? 1 : 0);
    t.owners_.insert(t.owners_.end(), share, members[i]);
  }
  S6_CHECK_EQ(t.owners_.size(), slot_count);
  t.members_ = std::move(members);
  return t;
}

StatusOr<SlotTable> SlotTable::FromOwners(uint64_t version, std::vector<InstanceId> members,
                                          std::vector<InstanceId> owners) {
  if (version == 0) return InvalidArgumentError("slot table version 0 is reserved for 'none'");
  S6_RETURN_IF_ERROR(ValidateSlotCount(owners.size()));
  S6_RETURN_IF_ERROR(NormalizeMembers(members));
  for (std::size_t slot = 0; slot < owners.size(); ++slot) {
    if (IndexOf(members, owners[slot]) == kNotMember) {
      return InvalidArgumentError("slot " + std::to_string(slot) + " is owned by instance " +
                                  IdString(owners[slot]) + ", which is not a member");
    }
  }
  SlotTable t;
  t.version_ = version;
  t.members_ = std::move(members);
  t.owners_ = std::move(owners);
  return t;
}

// Why this is minimal. Let S slots be shared by N members, b = floor(S/N), e = S mod N: a
// balanced table gives exactly e members b+1 slots and the others b. A slot stays put only if
// its owner is a staying member that keeps it, and a member with quota q that owns c slots
// keeps at most min(c, q). So moved = S - sum over members of min(c_i, q_i), and the best
// balanced table maximises that sum. Raising one member's quota from b to b+1 adds
// min(c, b+1) - min(c, b), which is 1 if c > b and 0 otherwise, independently of the others;
// so handing the e larger quotas to members with c > b first is optimal, and keeping min(c, q)
// slots for every member attains the bound. The freed slots then go to the members below their
// quota; where exactly they go does not change the count.
//
// Consequences for the common cases, both pinned by tests: from a balanced table, a newcomer
// never makes an old member's quota exceed what it owns (so old members only give), and a
// departure never makes a quota fall below what a stayer owns (so stayers only receive).
StatusOr<SlotTable> SlotTable::Rebalance(std::vector<InstanceId> new_members) const {
  if (empty()) return FailedPreconditionError("cannot rebalance the empty slot table");
  S6_RETURN_IF_ERROR(NormalizeMembers(new_members));
  const std::size_t n = new_members.size();
  const uint32_t slots = slot_count();
  const uint32_t base = static_cast<uint32_t>(slots / n);
  const std::size_t extra = slots % n;

  // What each new member owns now (0 for newcomers); the owner of each slot as a member index.
  std::vector<uint32_t> owned(n, 0);
  std::vector<uint32_t> owner_index(slots);
  for (uint32_t s = 0; s < slots; ++s) {
    owner_index[s] = IndexOf(new_members, owners_[s]);
    if (owner_index[s] != kNotMember) ++owned[owner_index[s]];
  }

  // Quotas: the `extra` larger shares go to the members owning the most (ties: lower id, which
  // is what the stable sort over the id-sorted indices keeps).
  std::vector<uint32_t> by_owned(n);
  std::iota(by_owned.begin(), by_owned.end(), 0u);
  std::stable_sort(by_owned.begin(), by_owned.end(),
                   [&owned](uint32_t a, uint32_t b) { return owned[a] > owned[b]; });
  std::vector<uint32_t> quota(n, base);
  for (std::size_t i = 0; i < extra; ++i) ++quota[by_owned[i]];

  // Keep: each staying member keeps its lowest-numbered slots up to its quota. Everything else
  // (departed owners, slots above a quota) is freed, in ascending slot order.
  S6_CHECK_LT(version_, UINT64_MAX);
  SlotTable t;
  t.version_ = version_ + 1;
  t.owners_ = owners_;
  std::vector<uint32_t> kept(n, 0);
  std::vector<uint32_t> freed;
  for (uint32_t s = 0; s < slots; ++s) {
    const uint32_t i = owner_index[s];
    if (i != kNotMember && kept[i] < quota[i]) {
      ++kept[i];
    } else {
      freed.push_back(s);
    }
  }

  // Fill: members below their quota, in ascending id order, take the freed slots in order.
  std::size_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (; kept[i] < quota[i]; ++kept[i]) {
      S6_CHECK_LT(next, freed.size());
      t.owners_[freed[next++]] = new_members[i];
    }
  }
  // The quotas sum to `slots`, so every freed slot found a new owner.
  S6_CHECK_EQ(next, freed.size());
  t.members_ = std::move(new_members);
  return t;
}

bool SlotTable::IsMember(InstanceId id) const noexcept {
  return std::binary_search(members_.begin(), members_.end(), id);
}

std::vector<uint32_t> SlotTable::SlotsOwnedBy(InstanceId id) const {
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < slot_count(); ++s) {
    if (owners_[s] == id) slots.push_back(s);
  }
  return slots;
}

uint32_t SlotTable::CountOwnedBy(InstanceId id) const noexcept {
  return static_cast<uint32_t>(std::count(owners_.begin(), owners_.end(), id));
}

std::string SlotTable::DebugString() const {
  std::ostringstream os;
  os << "SlotTable{v" << version_ << ", " << slot_count() << " slots";
  std::vector<uint32_t> counts(members_.size(), 0);
  for (InstanceId o : owners_) ++counts[IndexOf(members_, o)];
  for (std::size_t i = 0; i < members_.size(); ++i) {
    os << (i == 0 ? ", " : " ") << members_[i] << ':' << counts[i];
  }
  os << '}';
  return os.str();
}

std::vector<SlotMove> Diff(const SlotTable& from, const SlotTable& to) {
  S6_CHECK_EQ(from.slot_count(), to.slot_count())
      << "diff between key spaces of different sizes (v" << from.version() << " -> v"
      << to.version() << ")";
  std::vector<SlotMove> moves;
  for (uint32_t s = 0; s < from.slot_count(); ++s) {
    if (from.owner(s) != to.owner(s)) moves.push_back({s, from.owner(s), to.owner(s)});
  }
  return moves;
}

}  // namespace s6::keyspace

namespace s6 {

using keyspace::InstanceId;
using keyspace::SlotTable;

void Codec<SlotTable>::Encode(ByteWriter& w, const SlotTable& t) {
  S6_CHECK(!t.empty()) << "encoding the empty slot table";
  w.buffer().reserve(w.size() + 16 + 4 * (t.members_.size() + t.owners_.size()));
  w.PutUnsigned(t.version_);
  w.PutU32(t.slot_count());
  internal::WriteCount(w, t.members_.size());
  for (InstanceId id : t.members_) w.PutU32(keyspace::ToUint(id));
  for (InstanceId id : t.owners_) w.PutU32(keyspace::ToUint(id));
}

bool Codec<SlotTable>::Decode(ByteReader& r, SlotTable& t) {
  uint64_t version;
  uint32_t slot_count;
  uint32_t member_count;
  if (!r.GetUnsigned(version) || !r.GetU32(slot_count)) return false;
  if (version == 0 || !keyspace::IsValidSlotCount(slot_count)) return r.Fail();
  if (!internal::ReadCount(r, 4, sizeof(InstanceId), member_count)) return false;
  if (member_count == 0) return r.Fail();

  std::vector<InstanceId> members(member_count);
  for (uint32_t i = 0; i < member_count; ++i) {
    uint32_t id;
    if (!r.GetU32(id)) return false;
    members[i] = InstanceId{id};
    // Strictly ascending: the canonical form, and it rules out duplicates.
    if (i > 0 && !(members[i - 1] < members[i])) return r.Fail();
  }

  // Check the bytes are there before allocating for them.
  if (r.remaining() / 4 < slot_count) return r.Fail();
  std::vector<InstanceId> owners(slot_count);
  for (uint32_t s = 0; s < slot_count; ++s) {
    uint32_t id;
    if (!r.GetU32(id)) return false;
    owners[s] = InstanceId{id};
    if (!std::binary_search(members.begin(), members.end(), owners[s])) return r.Fail();
  }

  t.version_ = version;
  t.members_ = std::move(members);
  t.owners_ = std::move(owners);
  return true;
}

}  // namespace s6
