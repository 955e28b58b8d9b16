// SPDX-License-Identifier: Apache-2.0
#include "objspace/wire.h"

namespace s6::objspace {

void EncodeObjectMessage(const ObjectMessage& m, ByteWriter& w) {
  w.PutUnsigned(m.req);
  w.PutUnsigned(ToUint(m.origin));
  w.PutUnsigned(m.hops);
  w.PutUnsigned(m.code);
  w.PutUnsigned(m.method);
  w.PutUnsigned(m.map);
  w.PutUnsigned(m.a);
  w.PutUnsigned(m.b);
  w.PutU32(static_cast<uint32_t>(m.key.size()));
  w.PutBytes(m.key.data(), m.key.size());
  w.PutU32(static_cast<uint32_t>(m.body.size()));
  w.PutBytes(m.body.data(), m.body.size());
}

bool DecodeObjectMessage(std::span<const uint8_t> payload, ObjectMessage& out) noexcept {
  ByteReader r(payload.data(), payload.size());
  uint32_t origin = 0;
  uint32_t key_len = 0;
  uint32_t body_len = 0;
  r.GetUnsigned(out.req);
  r.GetUnsigned(origin);
  r.GetUnsigned(out.hops);
  r.GetUnsigned(out.code);
  r.GetUnsigned(out.method);
  r.GetUnsigned(out.map);
  r.GetUnsigned(out.a);
  r.GetUnsigned(out.b);
  r.GetU32(key_len);
  if (!r.ok() || key_len > kMaxKeyBytes || key_len > r.remaining()) return false;
  const uint8_t* key = r.Take(key_len);
  r.GetU32(body_len);
  if (!r.ok() || body_len != r.remaining()) return false;
  const uint8_t* body = r.Take(body_len);
  if (!r.AtEnd()) return false;
  out.origin = static_cast<InstanceId>(origin);
  out.key = {key, key_len};
  out.body = {body, body_len};
  return true;
}

std::string_view ObjectMessageTypeName(uint16_t type) noexcept {
  switch (static_cast<ObjectMessageType>(type)) {
    case ObjectMessageType::kSwAcquire:
      return "sw_acquire";
    case ObjectMessageType::kSwRecall:
      return "sw_recall";
    case ObjectMessageType::kSwTransfer:
      return "sw_transfer";
    case ObjectMessageType::kSwGrant:
      return "sw_grant";
    case ObjectMessageType::kSwRemove:
      return "sw_remove";
    case ObjectMessageType::kMwCall:
      return "mw_call";
    case ObjectMessageType::kMwReply:
      return "mw_reply";
    case ObjectMessageType::kMwTouch:
      return "mw_touch";
    case ObjectMessageType::kMwTouchReply:
      return "mw_touch_reply";
    case ObjectMessageType::kSwHandback:
      return "sw_handback";
    case ObjectMessageType::kSwitched:
      return "switched";
    case ObjectMessageType::kSlotPull:
      return "slot_pull";
    case ObjectMessageType::kSlotData:
      return "slot_data";
  }
  return "unknown";
}

}  // namespace s6::objspace
