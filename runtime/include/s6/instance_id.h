// SPDX-License-Identifier: Apache-2.0
// File: s6/instance_id.h
//
// The identity of one NF instance (process) in a cluster, shared by the key space (slot
// owners), the transport (peers) and the controller. A strong type, so that instance ids can't
// be mixed up with slot numbers or other 32-bit values. Ids are assigned by the controller and
// need not be contiguous: instance 7 may join after instance 2 left. Encoded as a u32.
#pragma once

#include <cstdint>
#include <ostream>

namespace s6 {

enum class InstanceId : uint32_t {};

/// The numeric value of `id` (for logs, wire formats and maps keyed by integers).
constexpr uint32_t ToUint(InstanceId id) noexcept { return static_cast<uint32_t>(id); }

inline std::ostream& operator<<(std::ostream& os, InstanceId id) { return os << ToUint(id); }

}  // namespace s6
