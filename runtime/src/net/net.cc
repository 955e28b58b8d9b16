// SPDX-License-Identifier: Apache-2.0
#include <s6/net.h>

#include <pcap/pcap.h>

#include <charconv>

namespace s6::net {

std::string FormatTuple(const FiveTuple& t) {
  std::string proto;
  switch (t.proto) {
    case kProtoTcp:
      proto = "tcp";
      break;
    case kProtoUdp:
      proto = "udp";
      break;
    case kProtoIcmp:
      proto = "icmp";
      break;
    default:
      proto = "proto" + std::to_string(t.proto);
  }
  return proto + " " + FormatIpv4(t.src_ip) + ":" + std::to_string(t.src_port) + " > " +
         FormatIpv4(t.dst_ip) + ":" + std::to_string(t.dst_port);
}

StatusOr<LinkLayer> LinkLayerFor(int linktype) {
  switch (linktype) {
    case DLT_EN10MB:
      return LinkLayer{0, true, linktype};
    case DLT_RAW:  // 12 on most systems, 14 on some BSDs; LINKTYPE_RAW (101) in files
    case 14:
    case 101:
    case DLT_IPV4:
      return LinkLayer{0, false, linktype};
    case DLT_LINUX_SLL:
      return LinkLayer{16, false, linktype};
    case DLT_NULL:
    case DLT_LOOP:
      return LinkLayer{4, false, linktype};
    default: {
      const char* name = pcap_datalink_val_to_name(linktype);
      return InvalidArgumentError("link type " + std::to_string(linktype) + " (" +
                                  (name != nullptr ? name : "unknown") +
                                  ") is not supported (Ethernet, raw IP, Linux SLL, loopback are)");
    }
  }
}

std::string_view ParseErrorName(ParseError e) noexcept {
  switch (e) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kNotIpv4:
      return "not_ipv4";
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kBadHeader:
      return "bad_header";
    case ParseError::kBadChecksum:
      return "bad_checksum";
    case ParseError::kFragment:
      return "fragment";
    case ParseError::kShortL4:
      return "short_l4";
  }
  return "invalid";
}

ParseError ParseIpv4(std::span<const uint8_t> frame, bool ethernet, Ipv4Packet& out,
                     bool verify_checksum) noexcept {
  out = Ipv4Packet{};
  const uint8_t* f = frame.data();
  const std::size_t n = frame.size();
  std::size_t l3 = 0;
  if (ethernet) {
    if (n < 14) return ParseError::kTruncated;
    uint16_t type = Load16(f + 12);
    l3 = 14;
    if (type == kEtherTypeVlan) {
      if (n < 18) return ParseError::kTruncated;
      type = Load16(f + 16);
      l3 = 18;
    }
    if (type != kEtherTypeIpv4) return ParseError::kNotIpv4;
  }
  if (n < l3 + 20) return n <= l3 ? ParseError::kNotIpv4 : ParseError::kTruncated;
  const uint8_t* ip = f + l3;
  if ((ip[0] >> 4) != 4) return ParseError::kNotIpv4;
  const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
  const std::size_t total = Load16(ip + 2);
  if (ihl < 20 || total < ihl) return ParseError::kBadHeader;
  if (l3 + total > n) return ParseError::kTruncated;
  if (verify_checksum && InternetChecksum(ip, ihl) != 0) return ParseError::kBadChecksum;
  const uint16_t frag = Load16(ip + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  if ((frag & 0x1fff) != 0) return ParseError::kFragment;
  out.l3 = l3;
  out.l4 = l3 + ihl;
  out.l3_len = total;
  out.proto = ip[9];
  out.src = Load32(ip + 12);
  out.dst = Load32(ip + 16);
  out.first_fragment_of_many = more_fragments;
  const uint8_t* l4 = f + out.l4;
  const std::size_t l4_len = total - ihl;
  switch (out.proto) {
    case kProtoTcp: {
      if (l4_len < 20) return ParseError::kShortL4;
      const std::size_t doff = static_cast<std::size_t>(l4[12] >> 4) * 4;
      if (doff < 20 || doff > l4_len) return ParseError::kShortL4;
      out.sport = Load16(l4);
      out.dport = Load16(l4 + 2);
      out.tcp_flags = l4[13];
      break;
    }
    case kProtoUdp:
      if (l4_len < 8 || Load16(l4 + 4) < 8 || Load16(l4 + 4) > l4_len) return ParseError::kShortL4;
      out.sport = Load16(l4);
      out.dport = Load16(l4 + 2);
      break;
    case kProtoIcmp:
      if (l4_len < 8) return ParseError::kShortL4;
      out.icmp_type = l4[0];
      if (out.icmp_type == kIcmpEchoRequest || out.icmp_type == kIcmpEchoReply) {
        out.sport = Load16(l4 + 4);  // identifier
      }
      break;
    default:
      break;
  }
  return ParseError::kOk;
}

uint32_t PseudoHeaderSum(const Ipv4Packet& p) noexcept {
  uint8_t ph[12];
  Store32(ph, p.src);
  Store32(ph + 4, p.dst);
  ph[8] = 0;
  ph[9] = p.proto;
  Store16(ph + 10, static_cast<uint16_t>(p.l3_len - (p.l4 - p.l3)));
  return OnesSum(ph, sizeof ph);
}

bool ChecksumsValid(std::span<const uint8_t> frame, const Ipv4Packet& p) noexcept {
  const uint8_t* f = frame.data();
  if (InternetChecksum(f + p.l3, p.l4 - p.l3) != 0) return false;
  const std::size_t l4_len = p.l3_len - (p.l4 - p.l3);
  if (p.first_fragment_of_many) return true;  // the transport checksum covers other fragments
  switch (p.proto) {
    case kProtoTcp:
      return InternetChecksum(f + p.l4, l4_len, PseudoHeaderSum(p)) == 0;
    case kProtoUdp:
      if (Load16(f + p.l4 + 6) == 0) return true;
      return InternetChecksum(f + p.l4, l4_len, PseudoHeaderSum(p)) == 0;
    case kProtoIcmp:
      return InternetChecksum(f + p.l4, l4_len) == 0;
    default:
      return true;
  }
}

std::string FormatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

bool ParseIpv4Address(std::string_view s, uint32_t& out) noexcept {
  uint32_t v = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || next == p || octet > 255 || next - p > 3) return false;
    v = (v << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  if (p != end) return false;
  out = v;
  return true;
}

namespace {
constexpr uint32_t kCaptureTimeMagic = 0x53364354;  // "S6CT"
}  // namespace

void WriteCaptureTime(uint8_t* at, uint64_t capture_ns) noexcept {
  Store32(at, kCaptureTimeMagic);
  Store32(at + 4, static_cast<uint32_t>(capture_ns >> 32));
  Store32(at + 8, static_cast<uint32_t>(capture_ns));
}

uint64_t ReadCaptureTime(std::span<const uint8_t> frame) noexcept {
  // Only the tail is read: a frame without the block costs one comparison. Shorter than an
  // Ethernet and an IPv4 header plus the block, it cannot carry one.
  constexpr std::size_t kEthIpv4Headers = 14 + 20;
  if (frame.size() < kCaptureTimeBytes + kEthIpv4Headers) return 0;
  const uint8_t* at = frame.data() + frame.size() - kCaptureTimeBytes;
  if (Load32(at) != kCaptureTimeMagic) return 0;
  return (uint64_t{Load32(at + 4)} << 32) | Load32(at + 8);
}

}  // namespace s6::net
