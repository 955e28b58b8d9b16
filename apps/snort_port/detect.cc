// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see detect.h. The evaluator is a direct reading of Snort 3:
//   * RuleEval::Node is detection_option_node_evaluate for a chain (one child per node): the
//     do/while retry loop, the "result" count (children that are done, which is not the same
//     as matched), skip_on_retry, and the leaf that records the match;
//   * content search, byte extraction and base64 decoding are in detect_primitives.cc;
//   * EvalPcre is ips_pcre.cc PcreOption::eval (subject starts at the cursor for R on the first
//     evaluation, then the whole buffer from the previous end);
//   * the other options follow their ips_*.cc eval().
// Snort's continuation of partial matches into the next PDU (Cursor::re_eval) is not modelled:
// every evaluation sees complete buffers.
#include "detect.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "detect_primitives.h"

namespace snort {

// PCRE2 programs and their match data, one per pcre option of the rule set.
struct Detector::Compiled {
  struct Program {
    pcre2_code* code = nullptr;
    pcre2_match_context* context = nullptr;
    pcre2_match_data* data = nullptr;
  };
  std::vector<Program> programs;

  ~Compiled() {
    for (Program& p : programs) {
      if (p.data) pcre2_match_data_free(p.data);
      if (p.context) pcre2_match_context_free(p.context);
      if (p.code) pcre2_code_free(p.code);
    }
  }
};

namespace {

using detect_internal::Base64DecodeInto;
using detect_internal::ByteTestCompare;
using detect_internal::Cursor;
using detect_internal::Extract;
using detect_internal::Find;
using detect_internal::RetryContent;
using detect_internal::SearchContent;
using detect_internal::UnfoldHeader;

// Snort 3 defaults (detection module): pcre_match_limit and pcre_match_limit_recursion.
constexpr uint32_t kPcreMatchLimit = 1500;
constexpr uint32_t kPcreDepthLimit = 1500;

enum class Eval { kNoMatch, kMatch, kNoAlert, kFailedBit };

bool IsContentType(const Option& o) {
  // Snort gives pcre the content option type (RULE_OPTION_TYPE_CONTENT) too.
  return std::holds_alternative<Content>(o) || std::holds_alternative<Pcre>(o);
}

// One evaluation of one rule.
class RuleEval {
 public:
  RuleEval(const Rule& rule, const std::vector<uint16_t>& chain,
           const std::vector<bool>& presence_only, const std::vector<int32_t>& pcre_slot,
           const std::vector<Detector::Compiled::Program>& programs, const Buffers& bufs,
           const PacketFacts& facts, const FlowBits& bits, uint64_t max_steps)
      : rule_(rule),
        chain_(chain),
        presence_only_(presence_only),
        pcre_slot_(pcre_slot),
        programs_(programs),
        bufs_(bufs),
        facts_(facts),
        bits_(bits),
        max_steps_(max_steps) {}

  void Run() {
    Cursor start;
    start.buffer = Buffer::kPktData;
    start.data = bufs_.pkt_data;
    Node(0, start);
  }

  bool matched() const { return matched_; }
  bool noalert() const { return leaf_noalert_; }
  bool exhausted() const { return exhausted_; }

 private:
  bool IsLeaf(size_t k) const { return k == chain_.size(); }
  const Option& At(size_t k) const { return rule_.options[chain_[k]]; }

  // detection_option_node_evaluate for chain element k; returns its "result" (1 = done).
  int Node(size_t k, const Cursor& in) {
    if (IsLeaf(k)) {
      matched_ = true;
      leaf_noalert_ = noalert_;
      return 1;
    }
    if (++steps_ > max_steps_) {
      exhausted_ = true;
      return 1;  // unwind without further retries
    }
    const Option& opt = At(k);
    Cursor cur = in;
    cur.delta = 0;  // Cursor's copy constructor drops the delta
    int result = 0;
    int child_last = 0;
    int loop = 0;
    bool cont = true;
    do {
      Eval r = EvalOption(k, opt, &cur);
      if (r == Eval::kNoMatch || r == Eval::kFailedBit) return result;
      const bool saved = noalert_;
      if (r == Eval::kNoAlert) noalert_ = true;
      const bool child_leaf = IsLeaf(k + 1);
      if (!(loop > 0 && SkipOnRetry(k, child_last, loop, &result))) {
        child_last = Node(k + 1, cur);
        if (child_leaf || child_last == 1) ++result;
      }
      if (result >= 1 || exhausted_) cont = false;
      noalert_ = saved;
      const bool child_relative = !child_leaf && IsRelative(At(k + 1));
      if (cont && r == Eval::kMatch && child_relative) {
        const uint32_t before_pos = cur.pos, before_delta = cur.delta;
        cont = Retry(opt, cur);
        // A pcre that matched the empty string at offset 0 leaves the cursor as it was; Snort
        // would spin on it forever. Stop instead.
        if (cont && std::holds_alternative<Pcre>(opt) && cur.delta == 0 && before_pos == cur.pos &&
            before_delta == 0) {
          cont = false;
        }
      } else {
        cont = false;
      }
      ++loop;
    } while (cont);
    return result;
  }

  // detection_options.cc skip_on_retry for a one-child node.
  bool SkipOnRetry(size_t k, int child_last, int loop, int* result) const {
    if (IsLeaf(k + 1)) return true;
    if (child_last == 1) return true;
    const Option& child = At(k + 1);
    if (!IsContentType(child)) return false;
    if (child_last != 0) return false;
    if (!IsRelative(child)) {
      if (loop == 1) ++*result;
      return true;
    }
    if (std::holds_alternative<BufferSelect>(At(k))) return false;
    if (const auto* c = std::get_if<Content>(&child)) {
      if (c->depth == 0 && !c->negated) {  // unbounded relative literal: fails again
        if (loop == 1) ++*result;
        return true;
      }
    }
    return false;
  }

  bool Retry(const Option& opt, const Cursor& cur) const {
    if (const auto* c = std::get_if<Content>(&opt)) return RetryContent(*c, cur);
    if (const auto* p = std::get_if<Pcre>(&opt)) return !(p->negated || p->anchored);
    return false;
  }

  Eval EvalOption(size_t k, const Option& opt, Cursor* cur) {
    if (const auto* b = std::get_if<BufferSelect>(&opt)) return SelectBuffer(b->buffer, cur);
    if (const auto* c = std::get_if<Content>(&opt)) {
      if (presence_only_[k]) {
        // A fast-pattern-only content the caller has not prefiltered: Snort's matcher would
        // have required it somewhere in the buffer; the cursor is not moved.
        return Find(cur->data, c->pattern, c->nocase) >= 0 ? Eval::kMatch : Eval::kNoMatch;
      }
      bool found = SearchContent(*c, vars_, cur);
      return (found != c->negated) ? Eval::kMatch : Eval::kNoMatch;
    }
    if (const auto* p = std::get_if<Pcre>(&opt)) return EvalPcre(*p, pcre_slot_for(k), cur);
    if (const auto* t = std::get_if<ByteTest>(&opt)) return EvalByteTest(*t, *cur);
    if (const auto* j = std::get_if<ByteJump>(&opt)) return EvalByteJump(*j, cur);
    if (const auto* e = std::get_if<ByteExtract>(&opt)) return EvalByteExtract(*e, cur);
    if (const auto* d = std::get_if<IsDataAt>(&opt)) return EvalIsDataAt(*d, *cur);
    if (const auto* r = std::get_if<RangeTest>(&opt)) return EvalRange(*r, *cur);
    if (const auto* f = std::get_if<Flow>(&opt)) return EvalFlow(*f);
    if (const auto* fb = std::get_if<Flowbits>(&opt)) return EvalFlowbits(*fb);
    if (const auto* fl = std::get_if<TcpFlags>(&opt)) return EvalFlags(*fl);
    if (const auto* fr = std::get_if<FragBits>(&opt)) return EvalFragBits(*fr);
    if (const auto* ip = std::get_if<IpProto>(&opt)) return EvalIpProto(*ip);
    if (const auto* ssl = std::get_if<SslCheck>(&opt)) return EvalSsl(*ssl);
    if (const auto* sm = std::get_if<SipMethod>(&opt)) return EvalSipMethod(*sm);
    if (const auto* sc = std::get_if<SipStatCode>(&opt)) return EvalSipStatCode(*sc);
    if (const auto* b64 = std::get_if<Base64Decode>(&opt)) return EvalBase64Decode(*b64, *cur);
    return Eval::kNoMatch;
  }

  int32_t pcre_slot_for(size_t k) const {
    return chain_[k] < pcre_slot_.size() ? pcre_slot_[chain_[k]] : -1;
  }

  Eval SelectBuffer(Buffer b, Cursor* cur) const {
    std::string_view d =
        b == Buffer::kBase64Data ? std::string_view(base64_.data(), base64_len_) : bufs_.Get(b);
    // http_* and file_data options fail on an empty buffer; pkt_data / raw_data never fail.
    if (d.empty() && b != Buffer::kPktData && b != Buffer::kRawData) return Eval::kNoMatch;
    cur->buffer = b;
    cur->data = d;
    cur->pos = 0;
    cur->delta = 0;
    return Eval::kMatch;
  }

  Eval EvalPcre(const Pcre& p, int32_t slot, Cursor* cur) const {
    if (slot < 0 || static_cast<size_t>(slot) >= programs_.size()) return Eval::kNoMatch;
    const auto& prog = programs_[static_cast<size_t>(slot)];
    const uint32_t pos = cur->delta;
    if (pos > cur->size()) return Eval::kNoMatch;
    uint32_t adj = 0;
    if (pos == 0 && p.relative) adj = cur->pos;
    if (adj > cur->size()) return Eval::kNoMatch;
    const uint32_t len = cur->size() - adj;
    if (pos > len) return Eval::kNoMatch;
    int rc = pcre2_match(prog.code, reinterpret_cast<PCRE2_SPTR>(cur->data.data() + adj), len, pos,
                         0, prog.data, prog.context);
    bool matched;
    int64_t found = -1;
    if (rc >= 0) {
      matched = true;
      found = static_cast<int64_t>(pcre2_get_ovector_pointer(prog.data)[1]);
    } else if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT ||
               rc == PCRE2_ERROR_DEPTHLIMIT) {
      matched = false;
    } else {
      return Eval::kNoMatch;  // any other PCRE error fails even an inverted pcre
    }
    if (p.negated) return matched ? Eval::kNoMatch : Eval::kMatch;
    if (!matched) return Eval::kNoMatch;
    if (found > 0) {
      cur->pos = static_cast<uint32_t>(found + adj);
      cur->delta = static_cast<uint32_t>(found + adj);
    }
    return Eval::kMatch;
  }

  Eval EvalByteTest(const ByteTest& t, const Cursor& cur) const {
    uint32_t cmp = t.value_var >= 0 ? vars_[static_cast<size_t>(t.value_var)] : t.value;
    int64_t offset =
        t.data.offset_var >= 0
            ? int64_t{static_cast<int32_t>(vars_[static_cast<size_t>(t.data.offset_var)])}
            : t.data.offset;
    uint32_t v = 0;
    if (Extract(t.data, offset, cur, &v) < 0) return Eval::kNoMatch;
    return ByteTestCompare(t.op, v, cmp, t.not_flag) ? Eval::kMatch : Eval::kNoMatch;
  }

  Eval EvalByteJump(const ByteJump& j, Cursor* cur) const {
    const int32_t offset = j.data.offset_var >= 0
                               ? static_cast<int32_t>(vars_[static_cast<size_t>(j.data.offset_var)])
                               : j.data.offset;
    const int32_t post = j.post_offset_var >= 0
                             ? static_cast<int32_t>(vars_[static_cast<size_t>(j.post_offset_var)])
                             : j.post_offset;
    const int64_t base = (j.data.relative ? int64_t{cur->pos} : 0) + offset;
    uint32_t jump = 0;
    int grabbed = 0;
    if (j.data.bytes) {
      grabbed = Extract(j.data, offset, *cur, &jump);
      if (grabbed < 0) return Eval::kNoMatch;
      if (j.multiplier) jump *= j.multiplier;
      if (j.align && (jump % 4) != 0) jump += 4 - (jump % 4);
    }
    uint32_t pos;
    if (j.from_beginning)
      pos = 0;
    else if (j.from_end)
      pos = cur->size();
    else
      pos = static_cast<uint32_t>(base + grabbed);  // wraps like Snort's unsigned math
    pos += jump + static_cast<uint32_t>(post);
    if (pos > cur->size()) return Eval::kNoMatch;
    cur->pos = pos;
    return Eval::kMatch;
  }

  Eval EvalByteExtract(const ByteExtract& e, Cursor* cur) {
    uint32_t v = 0;
    const int read = Extract(e.data, e.data.offset, *cur, &v);
    if (read < 0) return Eval::kNoMatch;
    v *= e.multiplier;
    if (e.align == 4 && (v % 4))
      v = v + 4 - (v % 4);
    else if (e.align == 2 && (v % 2))
      v = v + 2 - (v % 2);
    if (e.var >= 0 && e.var < kMaxByteVars) vars_[static_cast<size_t>(e.var)] = v;
    const uint32_t step = static_cast<uint32_t>(e.data.offset + read);
    const uint32_t pos = e.data.relative ? cur->pos + step : step;
    cur->pos = pos;
    return pos > cur->size() ? Eval::kNoMatch : Eval::kMatch;
  }

  Eval EvalIsDataAt(const IsDataAt& d, const Cursor& cur) const {
    const int64_t offset =
        d.offset_var >= 0 ? int64_t{static_cast<int32_t>(vars_[static_cast<size_t>(d.offset_var)])}
                          : d.offset;
    const int64_t p = (d.relative ? int64_t{cur.pos} : 0) + offset;
    const bool in = p >= 0 && p < int64_t{cur.size()};
    return (in != d.negated) ? Eval::kMatch : Eval::kNoMatch;
  }

  Eval EvalRange(const RangeTest& r, const Cursor& cur) const {
    int64_t v = 0;
    switch (r.field) {
      case RangeTest::Field::kDsize:
        if (facts_.rebuilt_stream && !facts_.pdu_start) return Eval::kNoMatch;
        v = facts_.dsize;
        break;
      case RangeTest::Field::kTtl:
        if (!facts_.is_ip) return Eval::kNoMatch;
        v = facts_.ttl;
        break;
      case RangeTest::Field::kItype:
        if (!facts_.has_icmp) return Eval::kNoMatch;
        v = facts_.icmp_type;
        break;
      case RangeTest::Field::kIcode:
        if (!facts_.has_icmp) return Eval::kNoMatch;
        v = facts_.icmp_code;
        break;
      case RangeTest::Field::kIcmpId:
      case RangeTest::Field::kIcmpSeq: {
        if (!facts_.has_icmp) return Eval::kNoMatch;
        const uint8_t t = facts_.icmp_type;  // echo / echo reply, ICMPv4 or ICMPv6
        if (t != 0 && t != 8 && t != 128 && t != 129) return Eval::kNoMatch;
        v = r.field == RangeTest::Field::kIcmpId ? facts_.icmp_id : facts_.icmp_seq;
        break;
      }
      case RangeTest::Field::kIpId:
        if (!facts_.is_ip) return Eval::kNoMatch;
        v = facts_.ip_id;
        break;
      case RangeTest::Field::kTcpSeq:
      case RangeTest::Field::kTcpAck:
      case RangeTest::Field::kTcpWindow:
        if (!facts_.has_tcp) return Eval::kNoMatch;
        v = r.field == RangeTest::Field::kTcpSeq   ? facts_.tcp_seq
            : r.field == RangeTest::Field::kTcpAck ? facts_.tcp_ack
                                                   : facts_.tcp_window;
        break;
      case RangeTest::Field::kBufferLen:
        v = r.relative ? int64_t{cur.size()} - std::min(cur.pos, cur.size()) : int64_t{cur.size()};
        break;
    }
    return r.range.Eval(v) ? Eval::kMatch : Eval::kNoMatch;
  }

  Eval EvalFlow(const Flow& f) const {
    if (f.established && !facts_.established) return Eval::kNoMatch;
    if (f.not_established && facts_.established) return Eval::kNoMatch;
    if (f.to_server && facts_.direction == FlowDirection::kFromServer) return Eval::kNoMatch;
    if (f.to_client && facts_.direction == FlowDirection::kFromClient) return Eval::kNoMatch;
    if (f.no_stream && facts_.rebuilt_stream) return Eval::kNoMatch;
    if (f.no_frag && facts_.rebuilt_frag) return Eval::kNoMatch;
    if (f.only_stream && !facts_.paf_payload) return Eval::kNoMatch;
    if (f.only_frag && !facts_.rebuilt_frag) return Eval::kNoMatch;
    return Eval::kMatch;
  }

  Eval EvalFlowbits(const Flowbits& f) const {
    if (!facts_.has_flow) return Eval::kNoMatch;
    auto is_set = [&] {
      if (f.any)
        return std::any_of(f.ids.begin(), f.ids.end(), [&](uint16_t i) { return bits_.Test(i); });
      return std::all_of(f.ids.begin(), f.ids.end(), [&](uint16_t i) { return bits_.Test(i); });
    };
    switch (f.op) {
      case Flowbits::Op::kIsSet:
        return is_set() ? Eval::kMatch : Eval::kFailedBit;
      case Flowbits::Op::kIsNotSet:
        return is_set() ? Eval::kFailedBit : Eval::kMatch;
      case Flowbits::Op::kNoAlert:
        return Eval::kNoAlert;
      default:
        return Eval::kMatch;  // setters are not in the chain
    }
  }

  Eval EvalFlags(const TcpFlags& f) const {
    if (!facts_.has_tcp) return Eval::kNoMatch;
    const uint8_t fl = facts_.tcp_flags & static_cast<uint8_t>(0xFF ^ f.mask);
    bool ok = false;
    switch (f.mode) {
      case TcpFlags::Mode::kExact:
        ok = f.flags == fl;
        break;
      case TcpFlags::Mode::kAll:
        ok = (f.flags & fl) == f.flags;
        break;
      case TcpFlags::Mode::kNot:
        ok = (f.flags & fl) == 0;
        break;
      case TcpFlags::Mode::kAny:
        ok = (f.flags & fl) != 0;
        break;
    }
    return ok ? Eval::kMatch : Eval::kNoMatch;
  }

  Eval EvalFragBits(const FragBits& f) const {
    if (!facts_.is_ip) return Eval::kNoMatch;
    const uint16_t b = facts_.frag_bits & 0xE000;
    bool ok = false;
    switch (f.mode) {
      case FragBits::Mode::kExact:
        ok = f.bits == b;
        break;
      case FragBits::Mode::kPlus:  // Snort 3 checks "any of" for '+' as well
      case FragBits::Mode::kAny:
        ok = (f.bits & b) != 0;
        break;
      case FragBits::Mode::kNot:
        ok = (f.bits & b) == 0;
        break;
    }
    return ok ? Eval::kMatch : Eval::kNoMatch;
  }

  // ips_ssl_state.cc / ips_ssl_version.cc.
  Eval EvalSsl(const SslCheck& c) const {
    if (!facts_.has_ssl) return Eval::kNoMatch;
    return ((c.flags & facts_.ssl_flags) ^ c.mask) ? Eval::kMatch : Eval::kNoMatch;
  }

  // ips_sip_method.cc: requests only, method compared upper-cased.
  Eval EvalSipMethod(const SipMethod& m) const {
    if (!facts_.has_sip || !facts_.has_flow || facts_.dsize == 0) return Eval::kNoMatch;
    if (facts_.sip_status_code != 0 || facts_.sip_method.empty()) return Eval::kNoMatch;
    std::string up(facts_.sip_method);
    for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const bool found = std::find(m.methods.begin(), m.methods.end(), up) != m.methods.end();
    return (m.negated != found) ? Eval::kMatch : Eval::kNoMatch;
  }

  // ips_sip_stat_code.cc: a code matches itself or its class digit.
  Eval EvalSipStatCode(const SipStatCode& c) const {
    if (!facts_.has_sip || !facts_.has_flow || facts_.dsize == 0) return Eval::kNoMatch;
    const uint16_t code = facts_.sip_status_code;
    if (code == 0) return Eval::kNoMatch;
    for (uint16_t want : c.codes) {
      if (want == code / 100 || want == code) return Eval::kMatch;
    }
    return Eval::kNoMatch;
  }

  // ips_base64.cc Base64DecodeOption::eval: sf_unfold_header, then sf_base64decode, into a
  // 64 KiB buffer (DECODE_BLEN) that base64_data selects.
  Eval EvalBase64Decode(const Base64Decode& d, const Cursor& cur) {
    constexpr size_t kDecodeBlen = 65535;
    if (base64_.size() < kDecodeBlen) base64_.resize(kDecodeBlen);  // allocated once, never moved
    base64_len_ = 0;
    const uint32_t start = d.relative ? std::min(cur.pos, cur.size()) : 0;
    const uint32_t size = cur.size() - start;
    if (d.offset >= size) return Eval::kNoMatch;
    std::string_view in = cur.data.substr(start + d.offset, size - d.offset);
    std::string unfolded = UnfoldHeader(in, kDecodeBlen);
    if (d.bytes && unfolded.size() > d.bytes) unfolded.resize(d.bytes);
    size_t n = 0;
    if (!Base64DecodeInto(unfolded, base64_.data(), kDecodeBlen, &n)) return Eval::kNoMatch;
    base64_len_ = n;
    return Eval::kMatch;
  }

  Eval EvalIpProto(const IpProto& p) const {
    const uint8_t v = facts_.ip_proto;
    bool ok = false;
    switch (p.op) {
      case IpProto::Op::kEq:
        ok = v == p.proto;
        break;
      case IpProto::Op::kNot:
        ok = v != p.proto;
        break;
      case IpProto::Op::kGt:
        ok = v > p.proto;
        break;
      case IpProto::Op::kLt:
        ok = v < p.proto;
        break;
    }
    return ok ? Eval::kMatch : Eval::kNoMatch;
  }

  const Rule& rule_;
  const std::vector<uint16_t>& chain_;  ///< option indexes, in evaluation order
  const std::vector<bool>& presence_only_;
  const std::vector<int32_t>& pcre_slot_;
  const std::vector<Detector::Compiled::Program>& programs_;
  const Buffers& bufs_;
  const PacketFacts& facts_;
  const FlowBits& bits_;
  const uint64_t max_steps_;
  std::array<uint32_t, kMaxByteVars> vars_{};
  std::vector<char> base64_;  ///< base64_decode output (Snort's per-packet alt buffer)
  size_t base64_len_ = 0;
  bool noalert_ = false;
  bool matched_ = false;
  bool leaf_noalert_ = false;
  bool exhausted_ = false;
  uint64_t steps_ = 0;
};

bool FlowbitsSetter(const Option& o) {
  const auto* f = std::get_if<Flowbits>(&o);
  return f && f->IsSetter();
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Buffers, flowbits, header
// ------------------------------------------------------------------------------------------

std::string_view Buffers::Get(Buffer b) const {
  switch (b) {
    case Buffer::kPktData:
      return pkt_data;
    case Buffer::kRawData:
      return raw_data;
    case Buffer::kFileData:
      return file_data;
    case Buffer::kHttpUri:
      return http_uri;
    case Buffer::kHttpRawUri:
      return http_raw_uri;
    case Buffer::kHttpHeader:
      return http_header;
    case Buffer::kHttpRawHeader:
      return http_raw_header;
    case Buffer::kHttpClientBody:
      return http_client_body;
    case Buffer::kHttpMethod:
      return http_method;
    case Buffer::kHttpCookie:
      return http_cookie;
    case Buffer::kHttpRawCookie:
      return http_raw_cookie;
    case Buffer::kHttpStatCode:
      return http_stat_code;
    case Buffer::kHttpStatMsg:
      return http_stat_msg;
    case Buffer::kSipHeader:
      return sip_header;
    case Buffer::kSipBody:
      return sip_body;
    case Buffer::kBase64Data:
      break;
    case Buffer::kCount:
      break;
  }
  return {};
}

bool FlowBits::Test(uint16_t id) const {
  const size_t w = id / 64;
  return w < words.size() && ((words[w] >> (id % 64)) & 1u);
}
void FlowBits::Set(uint16_t id) {
  const size_t w = id / 64;
  if (w >= words.size()) words.resize(w + 1, 0);
  words[w] |= uint64_t{1} << (id % 64);
}
void FlowBits::Clear(uint16_t id) {
  const size_t w = id / 64;
  if (w < words.size()) words[w] &= ~(uint64_t{1} << (id % 64));
}
void FlowBits::Toggle(uint16_t id) {
  if (Test(id))
    Clear(id);
  else
    Set(id);
}

void ApplyFlowbitOps(const std::vector<FlowbitOp>& ops, FlowBits* bits) {
  for (const FlowbitOp& op : ops) {
    for (uint16_t id : op.ids) {
      if (op.op == Flowbits::Op::kSet)
        bits->Set(id);
      else if (op.op == Flowbits::Op::kUnset)
        bits->Clear(id);
      else if (op.op == Flowbits::Op::kToggle)
        bits->Toggle(id);
    }
  }
}

bool HeaderMatches(const RuleHeader& h, const PacketHeader& p, bool check_ports) {
  if (h.protocol != Protocol::kIp && h.protocol != p.protocol) return false;
  const bool ports = check_ports && (h.protocol == Protocol::kTcp || h.protocol == Protocol::kUdp);
  auto one_way = [&](const std::array<uint8_t, 16>& s, uint16_t sp,
                     const std::array<uint8_t, 16>& d, uint16_t dp) {
    if (!h.src_ip.Contains(p.v6, s) || !h.dst_ip.Contains(p.v6, d)) return false;
    return !ports || (h.src_ports.Contains(sp) && h.dst_ports.Contains(dp));
  };
  if (one_way(p.src, p.src_port, p.dst, p.dst_port)) return true;
  return h.bidirectional && one_way(p.dst, p.dst_port, p.src, p.src_port);
}

// ------------------------------------------------------------------------------------------
// Fast pattern (fp_utils.cc get_fp_content / FpSelector, fp_create.cc)
// ------------------------------------------------------------------------------------------

std::optional<FastPatternInfo> FastPattern(const Rule& rule) {
  Buffer buffer = Buffer::kPktData;
  const Content* best = nullptr;
  size_t best_index = 0;
  Buffer best_buffer = Buffer::kPktData;
  for (size_t i = 0; i < rule.options.size(); ++i) {
    const Option& o = rule.options[i];
    if (const auto* b = std::get_if<BufferSelect>(&o)) {
      buffer = b->buffer;
      continue;
    }
    const auto* c = std::get_if<Content>(&o);
    if (!c) continue;
    // pmd_can_be_fp: http_raw_cookie and base64_data are CAT_SET_OTHER buffers; negated contents
    // only when absolute, unbounded and case-insensitive.
    if (buffer == Buffer::kHttpRawCookie || buffer == Buffer::kBase64Data || c->pattern.empty()) {
      continue;
    }
    if (c->negated && (c->relative || !c->nocase || c->offset || c->depth)) continue;
    bool better;
    if (!best)
      better = true;
    else if (c->fast_pattern)
      better = !best->fast_pattern;
    else if (best->fast_pattern)
      better = false;
    else if (!c->negated && best->negated)
      better = true;
    else if (c->negated && !best->negated)
      better = false;
    else
      better = c->pattern.size() > best->pattern.size();
    if (better) {
      best = c;
      best_index = i;
      best_buffer = buffer;
    }
  }
  if (!best) return std::nullopt;
  FastPatternInfo fp;
  fp.nocase = best->nocase;
  fp.negated = best->negated;
  fp.buffer = best_buffer;
  fp.option_index = best_index;
  fp.pattern = best->pattern;
  uint32_t fp_length = best->fp_length;
  if (best->negated) {
    fp_length = static_cast<uint32_t>(best->pattern.size());
  } else {
    if (best->fast_pattern && (best->fp_offset || best->fp_length)) {
      const size_t len = best->fp_length ? best->fp_length : best->pattern.size() - best->fp_offset;
      fp.pattern = best->pattern.substr(best->fp_offset, len);
    }
    if (fp.pattern.size() < best->pattern.size() || !fp_length) {
      fp_length = static_cast<uint32_t>(fp.pattern.size());
    }
  }
  // make_fast_pattern_only: the whole pattern, absolute, unbounded, case-insensitive, and the
  // next option of the rule is not relative.
  bool only = best->fp_offset == 0 && !(fp_length && best->pattern.size() != fp_length) &&
              !best->relative && !best->negated && best->offset == 0 && best->depth == 0 &&
              best->nocase;
  if (only && best_index + 1 < rule.options.size() && IsRelative(rule.options[best_index + 1])) {
    only = false;
  }
  fp.only = only;
  return fp;
}

// ------------------------------------------------------------------------------------------
// Detector
// ------------------------------------------------------------------------------------------

Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;
Detector::~Detector() = default;

s6::StatusOr<Detector> Detector::Create(RuleSet rules) {
  Detector d;
  d.compiled_ = std::make_unique<Compiled>();
  d.rules_ = std::move(rules);
  d.plans_.resize(d.rules_.rules.size());
  d.fast_patterns_.resize(d.rules_.rules.size());
  for (size_t r = 0; r < d.rules_.rules.size(); ++r) {
    const Rule& rule = d.rules_.rules[r];
    Plan& plan = d.plans_[r];
    auto fp = FastPattern(rule);
    d.fast_patterns_[r] = fp;
    plan.pcre_slot.assign(rule.options.size(), -1);
    for (size_t i = 0; i < rule.options.size() && i < 65535; ++i) {
      const Option& o = rule.options[i];
      if (FlowbitsSetter(o)) {
        plan.setters.push_back(static_cast<uint16_t>(i));
        continue;
      }
      const bool fp_only = fp && fp->only && fp->option_index == i;
      plan.chain_all.push_back(static_cast<uint16_t>(i));
      plan.presence_all.push_back(fp_only);
      if (!fp_only) {  // Snort leaves a fast-pattern-only content out of the tree
        plan.chain_fp.push_back(static_cast<uint16_t>(i));
        plan.presence_fp.push_back(false);
      }
      if (const auto* p = std::get_if<Pcre>(&o)) {
        Compiled::Program prog;
        int err = 0;
        PCRE2_SIZE off = 0;
        prog.code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p->regex.data()), p->regex.size(),
                                  p->compile_options, &err, &off, nullptr);
        if (!prog.code) {
          return s6::InvalidArgumentError("sid " + std::to_string(rule.sid) +
                                          ": pcre does not compile: " + p->source);
        }
        pcre2_jit_compile(prog.code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter
        prog.context = pcre2_match_context_create(nullptr);
        prog.data = pcre2_match_data_create_from_pattern(prog.code, nullptr);
        if (!prog.context || !prog.data) {
          d.compiled_->programs.push_back(prog);
          return s6::ResourceExhaustedError("pcre2 allocation failed");
        }
        if (!p->override_limits) {
          pcre2_set_match_limit(prog.context, kPcreMatchLimit);
          pcre2_set_depth_limit(prog.context, kPcreDepthLimit);
        }
        plan.pcre_slot[i] = static_cast<int32_t>(d.compiled_->programs.size());
        d.compiled_->programs.push_back(prog);
      }
    }
  }
  return d;
}

const FastPatternInfo* Detector::fast_pattern(size_t index) const {
  if (index >= fast_patterns_.size() || !fast_patterns_[index]) return nullptr;
  return &*fast_patterns_[index];
}

MatchResult Detector::Evaluate(size_t index, const Buffers& buffers, const PacketFacts& facts,
                               const FlowBits& bits, const EvalOptions& opts) const {
  MatchResult res;
  if (index >= rules_.rules.size()) return res;
  const Rule& rule = rules_.rules[index];
  const Plan& plan = plans_[index];
  const bool fp = opts.fast_pattern_matched;
  RuleEval ev(rule, fp ? plan.chain_fp : plan.chain_all, fp ? plan.presence_fp : plan.presence_all,
              plan.pcre_slot, compiled_->programs, buffers, facts, bits, opts.max_steps);
  ev.Run();
  res.budget_exhausted = ev.exhausted();
  if (!ev.matched()) return res;
  res.matched = true;
  res.noalert = ev.noalert();
  for (uint16_t s : plan.setters) {
    const auto& f = std::get<Flowbits>(rule.options[s]);
    res.flowbit_ops.push_back({f.op, f.ids});
  }
  return res;
}

}  // namespace snort
