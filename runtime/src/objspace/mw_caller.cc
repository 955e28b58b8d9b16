// SPDX-License-Identifier: Apache-2.0
// File: objspace/mw_caller.cc — see mw_caller.h.
#include "objspace/mw_caller.h"

#include <iterator>
#include <optional>
#include <utility>

#include <s6/check.h>

namespace s6::objspace {
namespace {

uthread::WaitKey ReplyWait(uint64_t req) { return {uthread::WaitKind::kReply, req}; }

}  // namespace

CallStatus MwCaller::Call(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                          const ByteBuffer& args, ByteBuffer& reply) {
  if (m.is_stale()) return StaleCall(home, k, m, args, reply);
  ObjectMessage msg;
  msg.origin = core_.self;
  msg.method = m.id;
  msg.map = k.map;
  msg.key = Bytes(k.bytes);
  msg.body = args.span();
  if (m.is_untether()) {
    core_.Send(home, ObjectMessageType::kMwCall, msg);  // req 0: no reply
    ++core_.stats.mw_untether_sent;
    return CallStatus::kQueued;
  }
  core_.RequireFiber("a strict call to a remote MultiWriter object");
  Pending p;
  p.kind = Pending::Kind::kCall;
  p.reply = &reply;
  msg.req = StartRequest(std::move(p));
  core_.Send(home, ObjectMessageType::kMwCall, msg);
  ++core_.stats.mw_strict_sent;
  Pending done;
  const CallStatus st = WaitRequest(msg.req, done);
  if (st != CallStatus::kOk) ++core_.stats.abandoned;
  return st;
}

MwTouchResult MwCaller::Touch(InstanceId home, const ObjectKey& k, const MapInfo& mi,
                              MwTouchOp op) {
  core_.RequireFiber("a MultiWriter get_or_create/lookup/remove at another instance");
  Pending p;
  p.kind = Pending::Kind::kTouch;
  ObjectMessage msg;
  msg.req = StartRequest(std::move(p));
  msg.origin = core_.self;
  msg.code = static_cast<uint8_t>(op);
  msg.map = k.map;
  msg.key = Bytes(k.bytes);
  core_.Send(home, ObjectMessageType::kMwTouch, msg);
  ++core_.stats.mw_touches_sent;
  Pending done;
  const CallStatus st = WaitRequest(msg.req, done);
  if (st != CallStatus::kOk || done.touch_result < static_cast<uint8_t>(MwTouchResult::kExisted) ||
      done.touch_result > static_cast<uint8_t>(MwTouchResult::kRemoved)) {
    ++core_.stats.abandoned;
    throw CallAbandoned("s6: MultiWriter map '" + mi.name + "': home did not answer",
                        st == CallStatus::kOk ? CallStatus::kBadReply : st);
  }
  return static_cast<MwTouchResult>(done.touch_result);
}

void MwCaller::OnMwReply(const ObjectMessage& m) {
  if (m.code > static_cast<uint8_t>(CallStatus::kBadReply)) {
    ++core_.stats.malformed;
    return;
  }
  CompletePending(m.req, static_cast<CallStatus>(m.code), m.body, 0);
}

void MwCaller::OnMwTouchReply(const ObjectMessage& m) {
  CompletePending(m.req, CallStatus::kOk, {}, m.code);
}

bool MwCaller::ExpireCall(uint64_t req) {
  auto it = pending_.find(req);
  if (it == pending_.end() || it->second.done) return false;
  ++core_.stats.call_timeouts;
  CompletePending(req, CallStatus::kUnreachable, {}, 0);
  return true;
}

uint64_t MwCaller::StartRequest(Pending p) {
  const uint64_t req = core_.NextRequestId();
  p.sent_ns = core_.Now();
  core_.AddDeadline(p.sent_ns, req, std::nullopt);
  pending_.emplace(req, std::move(p));
  return req;
}

CallStatus MwCaller::WaitRequest(uint64_t req, Pending& out) {
  try {
    for (;;) {
      auto it = pending_.find(req);
      S6_CHECK(it != pending_.end());
      if (it->second.done) break;
      core_.scheduler.Suspend(ReplyWait(req));
    }
  } catch (...) {
    pending_.erase(req);  // unwound: a late reply is counted and dropped
    throw;
  }
  auto node = pending_.extract(req);
  out = std::move(node.mapped());
  return out.status;
}

void MwCaller::CompletePending(uint64_t req, CallStatus status, std::span<const uint8_t> body,
                               uint8_t touch_result) {
  auto it = pending_.find(req);
  if (it == pending_.end() || it->second.done) {
    ++core_.stats.late_replies;
    return;
  }
  Pending& p = it->second;
  switch (p.kind) {
    case Pending::Kind::kCall:
      if (status == CallStatus::kOk) {
        p.reply->clear();
        p.reply->Append(body.data(), body.size());
      }
      break;
    case Pending::Kind::kTouch:
      p.touch_result = touch_result;
      break;
    case Pending::Kind::kStaleFill: {
      auto c = stale_.find(p.stale_key);
      if (c != stale_.end()) {
        StaleEntry& se = c->second;
        if (status == CallStatus::kOk) {
          se.reply.clear();
          se.reply.Append(body.data(), body.size());
          se.valid = true;
          se.filled_ns = p.sent_ns;
        }
        se.last_status = status;
        se.refreshing = false;
      }
      pending_.erase(it);
      core_.scheduler.Wake(ReplyWait(req));
      return;
    }
  }
  p.status = status;
  p.done = true;
  core_.scheduler.Wake(ReplyWait(req));
}

CallStatus MwCaller::StaleCall(InstanceId home, const ObjectKey& k, const MethodDescriptor& m,
                               const ByteBuffer& args, ByteBuffer& reply) {
  std::string ck;
  ck.reserve(16 + k.bytes.size() + args.size());
  ck.append(reinterpret_cast<const char*>(&k.map), sizeof k.map);
  ck.append(reinterpret_cast<const char*>(&m.id), sizeof m.id);
  const auto key_len = static_cast<uint32_t>(k.bytes.size());
  ck.append(reinterpret_cast<const char*>(&key_len), sizeof key_len);
  ck.append(k.bytes);
  ck.append(reinterpret_cast<const char*>(args.data()), args.size());
  const uint64_t bound_ns =
      uint64_t{m.stale_max_age_ms != 0 ? m.stale_max_age_ms : core_.options.default_stale_ms} *
      1'000'000;

  if (stale_.size() >= core_.options.max_stale_entries) {
    const uint64_t now = core_.Now();
    for (auto it = stale_.begin(); it != stale_.end();) {
      const StaleEntry& c = it->second;
      const bool old = !c.valid || now - c.filled_ns > 1'000'000'000ull;
      it = (!c.refreshing && old) ? stale_.erase(it) : std::next(it);
    }
  }

  bool missed = false;
  for (;;) {
    StaleEntry& c = stale_[ck];
    const uint64_t now = core_.Now();
    if (c.valid && now - c.filled_ns <= bound_ns) {
      if (!missed) ++core_.stats.mw_stale_hits;
      if (!c.refreshing && now - c.filled_ns > bound_ns / 2) {
        StartStaleFill(home, ck, c, k, m, args);  // ahead of expiry, in the background
      }
      reply = c.reply;
      return CallStatus::kOk;
    }
    if (!missed) {
      ++core_.stats.mw_stale_misses;
      missed = true;
    }
    core_.RequireFiber("a stale call whose cached result is missing or too old");
    if (!c.refreshing) StartStaleFill(home, ck, c, k, m, args);
    const uint64_t req = c.refresh_req;
    core_.scheduler.Suspend(ReplyWait(req));
    auto again = stale_.find(ck);
    if (again != stale_.end() && !again->second.refreshing &&
        again->second.last_status != CallStatus::kOk) {
      ++core_.stats.abandoned;
      return again->second.last_status;
    }
  }
}

void MwCaller::StartStaleFill(InstanceId home, const std::string& ck, StaleEntry& c,
                              const ObjectKey& k, const MethodDescriptor& m,
                              const ByteBuffer& args) {
  Pending p;
  p.kind = Pending::Kind::kStaleFill;
  p.stale_key = ck;
  const uint64_t req = StartRequest(std::move(p));
  c.refreshing = true;
  c.refresh_req = req;
  ObjectMessage msg;
  msg.req = req;
  msg.origin = core_.self;
  msg.method = m.id;
  msg.map = k.map;
  msg.key = Bytes(k.bytes);
  msg.body = args.span();
  core_.Send(home, ObjectMessageType::kMwCall, msg);
  ++core_.stats.mw_stale_refreshes;
}

}  // namespace s6::objspace
