// Runtime types are not state: a parsed packet's offsets describe one frame, a link layer one
// capture. The exception is a type the runtime gives a codec in its own headers
// (s6::net::FiveTuple, accepted below, also inside containers); a codec the user writes for
// another s6:: type does not make it state.
#pragma once

#include <s6/codec.h>
#include <s6/net.h>
#include <s6/object.h>

#include <map>
#include <vector>

template <>
struct s6::Codec<s6::net::LinkLayer> {
  static constexpr std::size_t kMinSize = 4;
  static void Encode(ByteWriter& w, const s6::net::LinkLayer& l) {
    Codec<uint32_t>::Encode(w, l.skip);
  }
  static bool Decode(ByteReader& r, s6::net::LinkLayer& l) {
    return Codec<uint32_t>::Decode(r, l.skip);
  }
};

class Flow : public s6::SingleWriter {
 public:
  s6::net::FiveTuple key;
  std::map<s6::net::FiveTuple, std::vector<s6::net::FiveTuple>> related;
  s6::net::Ipv4Packet parsed;  // expected-error {{field 'parsed' has unsupported type 's6::net::Ipv4Packet': 's6::net::Ipv4Packet' is a runtime type, not state}}
  std::vector<s6::net::LinkLayer> links;  // expected-error {{'s6::net::LinkLayer' is a runtime type, not state}}
};
