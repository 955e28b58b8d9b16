// SPDX-License-Identifier: Apache-2.0
// Theory of operation: see rules.h. This file holds the splitting of rule text into logical
// rules, header fields and options (rule_header.cc parses addresses, ports and variables), and
// RuleConverter, which
// replays snort2lua's buffer bookkeeping (a "sticky buffer" string and selector insertion,
// dt_rule.cc set_curr_options_buffer and resolve_pcre_buffer_options) while the typed options
// are built by rule_options.cc. A rule either converts completely or is skipped with one
// reason; the converter never leaves a partial rule behind.
#include "rules.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "classification.h"
#include "rule_options.h"

namespace snort {
namespace {

using ruleopt::Bad;
using ruleopt::IsSpace;
using ruleopt::SplitTrim;
using ruleopt::Trim;

// ------------------------------------------------------------------------------------------
// Rule text → logical rules → header + raw options
// ------------------------------------------------------------------------------------------

struct LogicalLine {
  uint32_t line = 0;
  std::string text;
  bool commented = false;
};

bool StartsWithAction(std::string_view s) {
  for (std::string_view a :
       {"alert", "log", "pass", "drop", "reject", "sdrop", "activate", "dynamic"}) {
    if (s.size() > a.size() && s.substr(0, a.size()) == a && IsSpace(s[a.size()])) return true;
  }
  return false;
}

// Joins backslash-continued lines; keeps rule lines (and, when asked, commented rules).
std::vector<LogicalLine> ReadLogicalLines(std::string_view text, bool uncomment,
                                          std::vector<LogicalLine>* others) {
  std::vector<LogicalLine> out;
  uint32_t lineno = 0;
  size_t pos = 0;
  LogicalLine cur;
  bool continuing = false;
  // A continuation on the last line ends the rule with the text (one more empty line).
  while (pos < text.size() || continuing) {
    std::string_view line;
    if (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      ++lineno;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!continuing) {
      cur = LogicalLine{lineno, "", false};
    }
    const bool cont = !line.empty() && line.back() == '\\';
    if (cont) line.remove_suffix(1);
    cur.text += line;
    continuing = cont;
    if (continuing) continue;
    std::string_view t = Trim(cur.text);
    if (t.empty()) continue;
    if (t.front() == '#') {
      if (!uncomment) continue;
      while (!t.empty() && (t.front() == '#' || IsSpace(t.front()))) t.remove_prefix(1);
      // Prose comments ("# alert on ...") are not rules: a rule has "(...)" at its end.
      if (!StartsWithAction(t) || t.back() != ')' || t.find('(') == std::string_view::npos)
        continue;
      out.push_back({cur.line, std::string(t), true});
      continue;
    }
    if (StartsWithAction(t)) {
      out.push_back({cur.line, std::string(t), false});
    } else if (others) {
      others->push_back({cur.line, std::string(t), false});
    }
  }
  return out;
}

struct RawOption {
  std::string key;
  std::string value;
  bool has_value = false;
};

s6::StatusOr<std::vector<RawOption>> SplitOptions(std::string_view body) {
  std::vector<RawOption> out;
  size_t i = 0;
  const size_t n = body.size();
  while (true) {
    while (i < n && IsSpace(body[i])) ++i;
    if (i >= n) break;
    size_t k = i;
    while (i < n && body[i] != ':' && body[i] != ';') ++i;
    RawOption o;
    o.key = std::string(Trim(body.substr(k, i - k)));
    if (o.key.empty()) return Bad("empty option name");
    for (char c : o.key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
        return Bad("bad option name '" + o.key + "'");
      }
    }
    if (i >= n || body[i] == ';') {
      ++i;
      out.push_back(std::move(o));
      continue;
    }
    ++i;  // ':'
    size_t v = i;
    bool in_quote = false;
    const bool raw = o.key == "pcre";  // Snort 3 reads pcre up to ';' ignoring quotes
    while (i < n) {
      char c = body[i];
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '"' && !raw) in_quote = !in_quote;
      if (c == ';' && !in_quote) break;
      ++i;
    }
    if (in_quote) return Bad("unterminated string in option '" + o.key + "'");
    o.value = std::string(Trim(body.substr(v, std::min(i, n) - v)));
    o.has_value = true;
    ++i;
    out.push_back(std::move(o));
  }
  return out;
}

s6::StatusOr<std::vector<std::string_view>> SplitHeader(std::string_view h) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && IsSpace(h[i])) ++i;
    if (i >= h.size()) break;
    size_t s = i;
    int depth = 0;
    while (i < h.size() && (depth > 0 || !IsSpace(h[i]))) {
      if (h[i] == '[') ++depth;
      if (h[i] == ']') --depth;
      ++i;
    }
    if (depth != 0) return Bad("unbalanced '[' in rule header");
    out.push_back(h.substr(s, i - s));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// RuleConverter: snort2lua + Snort 3 option parsing for one rule
// ------------------------------------------------------------------------------------------

// A Snort 3 option after conversion. Buffer selectors carry only their name (which may be a
// snort2lua placeholder until resolved).
struct ConvOpt {
  std::string name;
  std::optional<Option> opt;
};

std::optional<Buffer> BufferFromName(std::string_view n) {
  for (int i = 0; i < static_cast<int>(Buffer::kCount); ++i) {
    if (BufferName(static_cast<Buffer>(i)) == n) return static_cast<Buffer>(i);
  }
  return std::nullopt;
}

std::optional<std::string> ContentBufferModifier(std::string_view key) {
  if (key == "rawbytes") return std::string("raw_data");
  static constexpr std::string_view kHttp[] = {
      "http_client_body", "http_cookie", "http_raw_cookie", "http_header",    "http_raw_header",
      "http_method",      "http_uri",    "http_raw_uri",    "http_stat_code", "http_stat_msg"};
  for (std::string_view h : kHttp) {
    if (key == h) return std::string(h);
  }
  return std::nullopt;
}

bool IsContentModifier(std::string_view key) {
  return key == "nocase" || key == "offset" || key == "depth" || key == "distance" ||
         key == "within" || key == "fast_pattern" || ContentBufferModifier(key).has_value();
}

// Options Snort 3 (or this port) cannot evaluate: the rule is skipped as unsupported.
bool IsKnownUnsupported(std::string_view key) {
  static constexpr std::string_view kList[] = {"dce_iface",
                                               "dce_opnum",
                                               "dce_stub_data",
                                               "asn1",
                                               "sameip",
                                               "stream_size",
                                               "stream_reassemble",
                                               "ipopts",
                                               "fragoffset",
                                               "tos",
                                               "rpc",
                                               "cvs",
                                               "ftpbounce",
                                               "gtp_type",
                                               "gtp_info",
                                               "gtp_version",
                                               "modbus_func",
                                               "modbus_unit",
                                               "modbus_data",
                                               "dnp3_func",
                                               "dnp3_ind",
                                               "dnp3_obj",
                                               "dnp3_data",
                                               "byte_math",
                                               "http_encode",
                                               "file_type",
                                               "activates",
                                               "activated_by",
                                               "count",
                                               "logto",
                                               "session",
                                               "resp",
                                               "react",
                                               "replace",
                                               "threshold",
                                               "protected_content",
                                               "pkt_data_raw",
                                               "appid"};
  return std::find(std::begin(kList), std::end(kList), key) != std::end(kList);
}

class RuleConverter {
 public:
  RuleConverter(Rule* rule, RuleSet* set) : rule_(rule), set_(set) {}

  // Converts all options; a non-OK status names why the rule is skipped.
  s6::Status Convert(const std::vector<RawOption>& raw) {
    for (const RawOption& o : raw) {
      if (in_content_ && IsContentModifier(o.key)) {
        S6_RETURN_IF_ERROR(ContentModifier(o));
        continue;
      }
      S6_RETURN_IF_ERROR(FinishPendingContent());
      S6_RETURN_IF_ERROR(One(o));
    }
    S6_RETURN_IF_ERROR(FinishPendingContent());
    S6_RETURN_IF_ERROR(ResolvePcreBuffers());
    for (ConvOpt& c : opts_) {
      if (c.opt) {
        rule_->options.push_back(std::move(*c.opt));
        continue;
      }
      auto b = BufferFromName(c.name);
      if (!b) return s6::UnimplementedError("buffer " + c.name);
      rule_->options.push_back(BufferSelect{*b});
    }
    if (!have_sid_ || rule_->sid == 0) return Bad("rule has no sid");
    return s6::OkStatus();
  }

  const std::vector<std::string>& services_text() const { return services_; }

 private:
  // dt_rule.cc Rule::set_curr_options_buffer.
  void SetCurrOptionsBuffer(const std::string& b, bool add_option) {
    if ((sticky_.empty() && b != "pkt_data") || (!sticky_.empty() && sticky_ != b)) {
      ConvOpt sel{b, std::nullopt};
      if (add_option || opts_.empty())
        opts_.push_back(std::move(sel));
      else
        opts_.insert(opts_.end() - 1, std::move(sel));
      sticky_ = b;
    }
  }

  Content& PendingContent() { return std::get<Content>(*opts_.back().opt); }

  s6::Status ContentModifier(const RawOption& o) {
    if (auto buf = ContentBufferModifier(o.key)) {
      if (content_buffer_set_) return Bad("content has two buffer modifiers (" + o.key + ")");
      SetCurrOptionsBuffer(*buf, false);
      content_buffer_set_ = true;
      return s6::OkStatus();
    }
    return ruleopt::ApplyContentModifier(o.key, o.value, vars_, &PendingContent());
  }

  s6::Status FinishPendingContent() {
    if (!in_content_) return s6::OkStatus();
    in_content_ = false;
    if (!content_buffer_set_) SetCurrOptionsBuffer("pkt_data", false);
    // The content may no longer be last when a selector was inserted before it.
    for (auto it = opts_.rbegin(); it != opts_.rend(); ++it) {
      if (it->opt && std::holds_alternative<Content>(*it->opt)) {
        return ruleopt::FinishContent(&std::get<Content>(*it->opt));
      }
    }
    return s6::OkStatus();
  }

  template <typename T>
  s6::Status Push(std::string name, s6::StatusOr<T> v) {
    if (!v.ok()) return v.status();
    opts_.push_back({std::move(name), Option(std::move(*v))});
    return s6::OkStatus();
  }

  s6::Status Range(const RawOption& o, RangeTest::Field f, std::string text, int64_t hi) {
    auto r = ruleopt::ParseRange(text, 0, hi);
    if (!r.ok()) return Bad(o.key + ": " + r.status().message());
    RangeTest t;
    t.field = f;
    t.range = *r;
    opts_.push_back({o.key, Option(t)});
    return s6::OkStatus();
  }

  static std::string LtGtInclusive(std::string s) {
    size_t p = s.find("<>");
    if (p != std::string::npos) s.insert(p + 1, "=");
    return s;
  }

  s6::Status One(const RawOption& o) {
    const std::string& k = o.key;
    const std::string& v = o.value;
    if (k == "msg") {
      auto m = ruleopt::DecodeQuoted(v, nullptr);
      if (!m.ok()) return Bad("msg: " + m.status().message());
      rule_->msg = *m;
    } else if (k == "sid" || k == "gid" || k == "rev" || k == "priority") {
      char* end = nullptr;
      std::string s(v);
      unsigned long n = std::strtoul(s.c_str(), &end, 10);
      if (s.empty() || *end || n > 0xFFFFFFFFul) return Bad(k + ": bad number '" + s + "'");
      if (k == "sid")
        rule_->sid = static_cast<uint32_t>(n), have_sid_ = true;
      else if (k == "gid")
        rule_->gid = static_cast<uint32_t>(n);
      else if (k == "rev")
        rule_->rev = static_cast<uint32_t>(n);
      else
        rule_->priority = static_cast<uint32_t>(n);
    } else if (k == "classtype") {
      rule_->classtype = std::string(v);
      // Snort 3 set_classtype: a known class sets the priority (last writer wins).
      if (auto c = FindClassification(v)) rule_->priority = c->priority;
    } else if (k == "reference") {
      rule_->references.push_back(ruleopt::UnescapeUnquoted(v));
    } else if (k == "metadata") {
      return Metadata(v);
    } else if (k == "content" || k == "uricontent") {
      auto c = ruleopt::ParseContent(v);
      if (!c.ok()) return Bad(k + ": " + c.status().message());
      content_buffer_set_ = false;
      if (k == "uricontent") {
        SetCurrOptionsBuffer("http_uri", true);
        content_buffer_set_ = true;
      }
      opts_.push_back({"content", Option(std::move(*c))});
      in_content_ = true;
    } else if (IsContentModifier(k)) {
      return Bad("'" + k + "' without a preceding content");
    } else if (k == "pcre") {
      auto p = ruleopt::ParsePcre(v);
      if (!p.ok()) return p.status();
      opts_.push_back({"pcre", Option(std::move(p->pcre))});
      SetCurrOptionsBuffer(p->buffer, false);
    } else if (k == "file_data") {
      if (!v.empty() && v != "mime") return Bad("file_data: unknown argument '" + v + "'");
      opts_.push_back({"file_data", std::nullopt});
      sticky_.clear();  // rule_file_data.cc: reset_sticky
    } else if (k == "pkt_data") {
      opts_.push_back({"pkt_data", std::nullopt});  // rule_unchanged: sticky not touched
    } else if (k == "urilen") {
      auto args = SplitTrim(v, ',');
      if (args.empty() || args[0].empty() || args.size() > 2) return Bad("urilen: bad argument");
      S6_RETURN_IF_ERROR(
          Range(o, RangeTest::Field::kBufferLen, LtGtInclusive(std::string(args[0])), 65535));
      if (args.size() == 2 && args[1] != "raw" && args[1] != "norm") return Bad("urilen: " + v);
      SetCurrOptionsBuffer(args.size() == 2 && args[1] == "norm" ? "http_uri" : "http_raw_uri",
                           false);
    } else if (k == "dsize") {
      return Range(o, RangeTest::Field::kDsize, LtGtInclusive(v), 65535);
    } else if (k == "ttl") {
      return Range(o, RangeTest::Field::kTtl, ruleopt::ConvertTtl(v), 255);
    } else if (k == "itype") {
      return Range(o, RangeTest::Field::kItype, v, 255);
    } else if (k == "icode") {
      return Range(o, RangeTest::Field::kIcode, v, 255);
    } else if (k == "icmp_id") {
      return Range(o, RangeTest::Field::kIcmpId, v, 65535);
    } else if (k == "icmp_seq") {
      return Range(o, RangeTest::Field::kIcmpSeq, v, 65535);
    } else if (k == "id") {
      return Range(o, RangeTest::Field::kIpId, v, 65535);
    } else if (k == "seq") {
      return Range(o, RangeTest::Field::kTcpSeq, v, 0xFFFFFFFFLL);
    } else if (k == "ack") {
      return Range(o, RangeTest::Field::kTcpAck, v, 0xFFFFFFFFLL);
    } else if (k == "window") {
      return Range(o, RangeTest::Field::kTcpWindow, v, 65535);
    } else if (k == "bufferlen") {
      auto args = SplitTrim(v, ',');
      if (args.empty() || args.size() > 2 || (args.size() == 2 && args[1] != "relative")) {
        return Bad("bufferlen: bad argument");
      }
      S6_RETURN_IF_ERROR(Range(o, RangeTest::Field::kBufferLen, std::string(args[0]), 65535));
      std::get<RangeTest>(*opts_.back().opt).relative = args.size() == 2;
    } else if (k == "isdataat") {
      bool rawbytes = false;
      auto d = ruleopt::ParseIsDataAt(v, vars_, &rawbytes);
      if (!d.ok()) return d.status();
      opts_.push_back({"isdataat", Option(*d)});
      if (rawbytes) SetCurrOptionsBuffer("raw_data", false);
    } else if (k == "byte_test") {
      return Push("byte_test", ruleopt::ParseByteTest(v, vars_));
    } else if (k == "byte_jump") {
      return Push("byte_jump", ruleopt::ParseByteJump(v, vars_));
    } else if (k == "byte_extract") {
      return Push("byte_extract", ruleopt::ParseByteExtract(v, &vars_));
    } else if (k == "flow") {
      auto f = ruleopt::ParseFlow(v);
      if (!f.ok()) return f.status();
      // ips_flow.cc flow_ctor: ICMP rules can only use the frag options.
      if (rule_->header.protocol == Protocol::kIcmp && !(f->only_frag || f->no_frag)) {
        return Bad("Cannot check flow connection for ICMP traffic");
      }
      opts_.push_back({"flow", Option(*f)});
    } else if (k == "flowbits") {
      return FlowbitsOpt(v);
    } else if (k == "flags") {
      return Push("flags", ruleopt::ParseFlags(v));
    } else if (k == "fragbits") {
      return Push("fragbits", ruleopt::ParseFragBits(v));
    } else if (k == "ip_proto") {
      return Push("ip_proto", ruleopt::ParseIpProto(v));
    } else if (k == "detection_filter") {
      auto d = ruleopt::ParseDetectionFilter(v);
      if (!d.ok()) return d.status();
      rule_->detection_filter = *d;
    } else if (k == "ssl_state") {
      return Push("ssl_state", ruleopt::ParseSslState(v));
    } else if (k == "ssl_version") {
      return Push("ssl_version", ruleopt::ParseSslVersion(v));
    } else if (k == "sip_method") {
      return Push("sip_method", ruleopt::ParseSipMethod(v));
    } else if (k == "sip_stat_code") {
      return Push("sip_stat_code", ruleopt::ParseSipStatCode(v));
    } else if (k == "sip_header" || k == "sip_body") {
      if (!v.empty()) return Bad(k + " takes no argument");
      opts_.push_back({k, std::nullopt});  // rule_unchanged: sticky not touched
    } else if (k == "base64_decode") {
      have_base64_decode_ = true;
      return Push("base64_decode", ruleopt::ParseBase64Decode(v));
    } else if (k == "base64_data") {
      if (!v.empty()) return Bad("base64_data takes no argument");
      if (!have_base64_decode_)
        return Bad("base64_decode needs to be specified before base64_data");
      opts_.push_back({"base64_data", std::nullopt});
    } else if (k == "tag") {
      // Tagging only logs extra packets after an alert; alerts are unaffected.
    } else if (IsKnownUnsupported(k)) {
      return s6::UnimplementedError(k);
    } else {
      return s6::UnimplementedError(k);
    }
    return s6::OkStatus();
  }

  s6::Status FlowbitsOpt(std::string_view v) {
    auto spec = ruleopt::ParseFlowbits(v);
    if (!spec.ok()) return spec.status();
    Flowbits f;
    f.op = spec->op;
    f.any = spec->any;
    for (const std::string& name : spec->names) {
      auto it = std::find(set_->flowbit_names.begin(), set_->flowbit_names.end(), name);
      if (it == set_->flowbit_names.end()) {
        if (set_->flowbit_names.size() >= 65535) return Bad("too many flowbits");
        set_->flowbit_names.push_back(name);
        it = set_->flowbit_names.end() - 1;
      }
      f.ids.push_back(static_cast<uint16_t>(it - set_->flowbit_names.begin()));
    }
    opts_.push_back({"flowbits", Option(std::move(f))});
    return s6::OkStatus();
  }

  // rule_metadata.cc: "key value" entries; service collects, engine drops the rule.
  s6::Status Metadata(std::string_view v) {
    for (std::string_view entry : SplitTrim(v, ',')) {
      if (entry.empty()) continue;
      size_t sp = entry.find_first_of(" \t");
      std::string_view key = entry.substr(0, sp);
      std::string_view val =
          sp == std::string_view::npos ? std::string_view() : Trim(entry.substr(sp));
      if (key == "service") {
        if (!val.empty()) services_.emplace_back(val);
      } else if (key == "engine") {
        return s6::UnimplementedError("metadata engine");
      } else if (key == "soid") {
        return s6::UnimplementedError("metadata soid");
      } else if (key != "rule-flushing") {
        rule_->metadata.emplace_back(entry);
      }
    }
    return s6::OkStatus();
  }

  // dt_rule.cc Rule::resolve_pcre_buffer_options.
  s6::Status ResolvePcreBuffers() {
    bool sip = false;
    for (const std::string& s : services_) sip |= s.find("sip") != std::string::npos;
    std::string curr;
    for (size_t i = 0; i < opts_.size();) {
      ConvOpt& o = opts_[i];
      if (o.opt) {
        ++i;
        continue;
      }
      const std::string name = o.name;
      if (name == "pcre_P_option_body" || name == "pcre_H_option_header") {
        std::string nb = name == "pcre_P_option_body" ? (sip ? "sip_body" : "http_client_body")
                                                      : (sip ? "sip_header" : "http_header");
        opts_.erase(opts_.begin() + static_cast<std::ptrdiff_t>(i));
        if (curr != nb) {
          curr = nb;
          opts_.insert(opts_.begin() + static_cast<std::ptrdiff_t>(i), ConvOpt{nb, std::nullopt});
          ++i;
        }
      } else if (name == "http_header" || name == "http_client_body" || name == "sip_header" ||
                 name == "sip_body") {
        if (curr == name) {
          opts_.erase(opts_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          curr = name;
          ++i;
        }
      } else {
        curr = name;
        ++i;
      }
    }
    return s6::OkStatus();
  }

  Rule* rule_;
  RuleSet* set_;
  std::vector<ConvOpt> opts_;
  std::string sticky_;
  bool in_content_ = false;
  bool content_buffer_set_ = false;
  bool have_sid_ = false;
  bool have_base64_decode_ = false;
  ruleopt::ByteVarNames vars_;
  std::vector<std::string> services_;
};

// fp_utils.cc validate_services, for the buffers this port knows: every http_* buffer is
// published by http_inspect and http2_inspect; file_data by the inspectors listed, in the
// order of Snort's plugin map (sorted by plugin name).
void AssignServices(const std::vector<std::string>& declared, Rule* r) {
  static constexpr std::string_view kHttp[] = {"http2", "http"};
  static constexpr std::string_view kFileData[] = {"netbios-ssn", "dcerpc", "ftp-data", "http2",
                                                   "http",        "imap",   "pop3",     "smtp"};
  for (const std::string& s : declared) {
    if (std::find(r->services.begin(), r->services.end(), s) == r->services.end()) {
      r->services.push_back(s);
    }
  }
  std::optional<Buffer> multi;  // a buffer several inspectors publish (last one wins)
  std::string single;           // sip_header / sip_body: only the sip inspector
  std::string guess;            // first non-buffer option named after a service (sip_, ssl_)
  for (const Option& o : r->options) {
    if (const auto* b = std::get_if<BufferSelect>(&o)) {
      if (IsHttpBuffer(b->buffer) || b->buffer == Buffer::kFileData) multi = b->buffer;
      if (b->buffer == Buffer::kSipHeader || b->buffer == Buffer::kSipBody) single = "sip";
    } else if (guess.empty()) {
      if (std::holds_alternative<SipMethod>(o) || std::holds_alternative<SipStatCode>(o))
        guess = "sip";
      if (std::holds_alternative<SslCheck>(o)) guess = "ssl";
    }
  }
  if (!multi && single.empty() && guess.empty()) return;
  r->service_only = true;
  if (!r->services.empty()) return;
  if (!single.empty()) {
    r->services.push_back(single);
  } else if (multi) {
    if (*multi == Buffer::kFileData) {
      for (auto s : kFileData) r->services.emplace_back(s);
    } else {
      for (auto s : kHttp) r->services.emplace_back(s);
    }
  } else {
    r->services.push_back(guess);
  }
}

s6::StatusOr<RuleHeader> ParseHeader(std::string_view h, const Variables& vars) {
  auto toks = SplitHeader(h);
  if (!toks.ok()) return toks.status();
  if (toks->size() != 7)
    return Bad("rule header needs 7 fields, found " + std::to_string(toks->size()));
  const auto& t = *toks;
  RuleHeader r;
  if (t[0] == "alert")
    r.action = Action::kAlert;
  else if (t[0] == "log")
    r.action = Action::kLog;
  else if (t[0] == "pass")
    r.action = Action::kPass;
  else if (t[0] == "drop")
    r.action = Action::kDrop;
  else if (t[0] == "reject")
    r.action = Action::kReject;
  else if (t[0] == "sdrop")
    r.action = Action::kSdrop;
  else
    return s6::UnimplementedError("action " + std::string(t[0]));
  if (t[1] == "tcp")
    r.protocol = Protocol::kTcp;
  else if (t[1] == "udp")
    r.protocol = Protocol::kUdp;
  else if (t[1] == "icmp")
    r.protocol = Protocol::kIcmp;
  else if (t[1] == "ip")
    r.protocol = Protocol::kIp;
  else
    return s6::UnimplementedError("protocol " + std::string(t[1]));
  if (t[4] == "<>")
    r.bidirectional = true;
  else if (t[4] != "->")
    return Bad("bad direction '" + std::string(t[4]) + "'");
  auto sip = ParseIpSet(t[2], vars);
  if (!sip.ok()) return Bad("source address: " + sip.status().message());
  auto sp = ParsePortSet(t[3], vars);
  if (!sp.ok()) return Bad("source port: " + sp.status().message());
  auto dip = ParseIpSet(t[5], vars);
  if (!dip.ok()) return Bad("destination address: " + dip.status().message());
  auto dp = ParsePortSet(t[6], vars);
  if (!dp.ok()) return Bad("destination port: " + dp.status().message());
  r.src_ip = std::move(*sip);
  r.src_ports = std::move(*sp);
  r.dst_ip = std::move(*dip);
  r.dst_ports = std::move(*dp);
  return r;
}

uint32_t FindSid(std::string_view text) {
  size_t p = text.find("sid:");
  while (p != std::string_view::npos) {
    if (p == 0 || text[p - 1] == ';' || text[p - 1] == '(' || IsSpace(text[p - 1])) {
      return static_cast<uint32_t>(
          std::strtoul(std::string(text.substr(p + 4, 12)).c_str(), nullptr, 10));
    }
    p = text.find("sid:", p + 1);
  }
  return 0;
}

// Parses one rule; on failure fills *reason (groupable) and returns the message.
s6::Status ParseOneRule(const LogicalLine& l, std::string_view file, const Variables& vars,
                        RuleSet* set, Rule* out) {
  std::string_view t = l.text;
  size_t open = t.find('(');
  if (open == std::string_view::npos) return Bad("rule has no options");
  std::string_view tail = Trim(t.substr(open + 1));
  if (tail.empty() || tail.back() != ')') return Bad("rule options not closed by ')'");
  auto header = ParseHeader(t.substr(0, open), vars);
  if (!header.ok()) return header.status();
  auto raw = SplitOptions(tail.substr(0, tail.size() - 1));
  if (!raw.ok()) return raw.status();
  out->header = std::move(*header);
  out->file = std::string(file);
  out->line = l.line;
  // Convert against a copy of the flowbit table: a skipped rule must not add names.
  RuleSet scratch;
  scratch.flowbit_names = set->flowbit_names;
  RuleConverter conv(out, &scratch);
  S6_RETURN_IF_ERROR(conv.Convert(*raw));
  AssignServices(conv.services_text(), out);
  set->flowbit_names = std::move(scratch.flowbit_names);
  return s6::OkStatus();
}

void Skip(LoadReport* report, std::string_view file, const LogicalLine& l, uint32_t sid,
          const s6::Status& st) {
  if (!report) return;
  SkippedRule s;
  s.file = std::string(file);
  s.line = l.line;
  s.sid = sid;
  const bool unsupported = st.code() == s6::StatusCode::kUnimplemented;
  s.reason = unsupported ? "unsupported option " + st.message() : "error: " + st.message();
  std::ostringstream m;
  m << file << ":" << l.line << ": ";
  if (sid) m << "sid " << sid << ": ";
  m << (unsupported ? "unsupported option '" + st.message() + "'" : st.message())
    << "; rule skipped";
  s.message = m.str();
  report->warnings.push_back(s.message);
  report->skipped_rules.push_back(std::move(s));
  ++report->skipped;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Public API
// ------------------------------------------------------------------------------------------

std::string_view BufferName(Buffer b) {
  switch (b) {
    case Buffer::kPktData:
      return "pkt_data";
    case Buffer::kRawData:
      return "raw_data";
    case Buffer::kFileData:
      return "file_data";
    case Buffer::kHttpUri:
      return "http_uri";
    case Buffer::kHttpRawUri:
      return "http_raw_uri";
    case Buffer::kHttpHeader:
      return "http_header";
    case Buffer::kHttpRawHeader:
      return "http_raw_header";
    case Buffer::kHttpClientBody:
      return "http_client_body";
    case Buffer::kHttpMethod:
      return "http_method";
    case Buffer::kHttpCookie:
      return "http_cookie";
    case Buffer::kHttpRawCookie:
      return "http_raw_cookie";
    case Buffer::kHttpStatCode:
      return "http_stat_code";
    case Buffer::kHttpStatMsg:
      return "http_stat_msg";
    case Buffer::kSipHeader:
      return "sip_header";
    case Buffer::kSipBody:
      return "sip_body";
    case Buffer::kBase64Data:
      return "base64_data";
    case Buffer::kCount:
      break;
  }
  return "?";
}

bool IsHttpBuffer(Buffer b) { return b >= Buffer::kHttpUri && b <= Buffer::kHttpStatMsg; }

bool IsRelative(const Option& o) {
  if (const auto* c = std::get_if<Content>(&o)) return c->relative;
  if (const auto* p = std::get_if<Pcre>(&o)) return p->relative;
  if (const auto* t = std::get_if<ByteTest>(&o)) return t->data.relative;
  if (const auto* j = std::get_if<ByteJump>(&o)) return j->data.relative;
  if (const auto* e = std::get_if<ByteExtract>(&o)) return e->data.relative;
  if (const auto* d = std::get_if<IsDataAt>(&o)) return d->relative;
  if (const auto* r = std::get_if<RangeTest>(&o)) return r->relative;
  if (const auto* b = std::get_if<Base64Decode>(&o)) return b->relative;
  return false;
}

bool Range::Eval(int64_t v) const {
  switch (op) {
    case Op::kEq:
      return v == max;
    case Op::kNot:
      return v != max;
    case Op::kLt:
      return v < max;
    case Op::kLe:
      return v <= max;
    case Op::kGt:
      return v > min;
    case Op::kGe:
      return v >= min;
    case Op::kLg:
      return min < v && v < max;
    case Op::kLeg:
      return min <= v && v <= max;
  }
  return false;
}

std::string LoadReport::Summary() const {
  return std::to_string(loaded) + " rules loaded, " + std::to_string(skipped) + " skipped";
}

void AppendRules(std::string_view text, std::string_view file, const Variables& vars,
                 const ParseOptions& opts, RuleSet* set, LoadReport* report) {
  std::vector<LogicalLine> others;
  for (const LogicalLine& l : ReadLogicalLines(text, opts.uncomment_rules, &others)) {
    Rule rule;
    s6::Status st = ParseOneRule(l, file, vars, set, &rule);
    if (!st.ok()) {
      Skip(report, file, l, rule.sid ? rule.sid : FindSid(l.text), st);
      continue;
    }
    // parse_rule.cc mergeDuplicateOtn: same gid:sid keeps the higher revision (the later one
    // on a tie).
    auto dup = std::find_if(set->rules.begin(), set->rules.end(),
                            [&](const Rule& r) { return r.gid == rule.gid && r.sid == rule.sid; });
    if (dup != set->rules.end()) {
      if (report) {
        report->warnings.push_back(std::string(file) + ":" + std::to_string(l.line) + ": " +
                                   std::to_string(rule.gid) + ":" + std::to_string(rule.sid) +
                                   " duplicates a previous rule");
      }
      if (rule.rev >= dup->rev) *dup = std::move(rule);
      continue;
    }
    set->rules.push_back(std::move(rule));
    if (report) ++report->loaded;
  }
  if (report) {
    for (const LogicalLine& l : others) {
      report->warnings.push_back(std::string(file) + ":" + std::to_string(l.line) +
                                 ": not a rule; ignored");
    }
  }
}

RuleSet ParseRules(std::string_view text, std::string_view file, const Variables& vars,
                   const ParseOptions& opts, LoadReport* report) {
  RuleSet set;
  AppendRules(text, file, vars, opts, &set, report);
  return set;
}

s6::StatusOr<RuleSet> LoadRules(const std::string& path, const Variables& vars,
                                const ParseOptions& opts, LoadReport* report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return s6::NotFoundError("cannot open rules file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return s6::DataLossError("cannot read rules file " + path);
  return ParseRules(ss.str(), path, vars, opts, report);
}

}  // namespace snort
