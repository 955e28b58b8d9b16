// SPDX-License-Identifier: Apache-2.0
// File: packetio/pcap_port.h
//
// A port backed by capture files (libpcap, no DPDK needed): Receive reads the input capture
// (pcap or pcapng) as fast as buffers allow, Transmit appends to the output capture. Ethernet
// and raw-IPv4 link types; anything else is refused at Open with the file and link type named.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <s6/status.h>
#include "packetio/buffer_pool.h"
#include "packetio/port.h"

struct pcap;
struct pcap_dumper;

namespace s6::packetio {

class PcapPort final : public Port {
 public:
  /// Opens `in_path` for reading (may be empty: nothing to receive) and `out_path` for writing
  /// (may be empty: transmitted packets are counted and discarded).
  static StatusOr<std::unique_ptr<PcapPort>> Open(std::string name, const std::string& in_path,
                                                  const std::string& out_path,
                                                  std::size_t buffers = 1024);
  ~PcapPort() override;

  /// True once the input capture is exhausted (or there is none).
  bool at_end() const { return in_ == nullptr || eof_; }

  const std::string& name() const override { return name_; }
  std::size_t Receive(std::span<Packet*> out) override;
  std::size_t Transmit(std::span<Packet* const> pkts) override;
  void Release(Packet* pkt) override;
  Packet* Allocate(uint32_t len) override;
  PortStats stats() const override;

 private:
  PcapPort(std::string name, std::size_t buffers);

  std::string name_;
  BufferPool pool_;
  pcap* in_ = nullptr;
  pcap* dead_ = nullptr;
  pcap_dumper* out_ = nullptr;
  bool ethernet_ = true;
  bool eof_ = false;
  PortStats stats_;
};

}  // namespace s6::packetio
