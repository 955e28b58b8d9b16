// SPDX-License-Identifier: Apache-2.0
// Reading a capture file in tests: every frame as libpcap returns it, with its timestamp.
// (Tests that use it link libpcap.)
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace s6test {

struct CapturedFrame {
  std::vector<uint8_t> bytes;  ///< the captured bytes (caplen)
  uint64_t ts_ns = 0;          ///< the record's timestamp
  uint32_t wire_len = 0;       ///< the original length
};

/// Every frame of `path`, in file order; empty if libpcap cannot open it. `linktype`, when
/// given, receives the capture's DLT_ value.
inline std::vector<CapturedFrame> ReadCapture(const std::string& path, int* linktype = nullptr) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> p(pcap_open_offline(path.c_str(), err), pcap_close);
  std::vector<CapturedFrame> out;
  if (!p) return out;
  if (linktype != nullptr) *linktype = pcap_datalink(p.get());
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  while (pcap_next_ex(p.get(), &h, &d) == 1) {
    out.push_back({{d, d + h->caplen},
                   uint64_t(h->ts.tv_sec) * 1'000'000'000ull + uint64_t(h->ts.tv_usec) * 1000ull,
                   h->len});
  }
  return out;
}

/// Just the frames' bytes.
inline std::vector<std::vector<uint8_t>> ReadFrames(const std::string& path) {
  std::vector<std::vector<uint8_t>> out;
  for (CapturedFrame& f : ReadCapture(path)) out.push_back(std::move(f.bytes));
  return out;
}

}  // namespace s6test
