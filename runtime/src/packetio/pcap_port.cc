// SPDX-License-Identifier: Apache-2.0
#include "packetio/pcap_port.h"

#include <s6/net.h>

#include <pcap/pcap.h>
#include <sys/time.h>

#include <cstring>
#include <utility>

namespace s6::packetio {

PcapPort::PcapPort(std::string name, std::size_t buffers)
    : name_(std::move(name)), pool_(buffers, 65536) {}

PcapPort::~PcapPort() {
  if (out_ != nullptr) pcap_dump_close(out_);
  if (dead_ != nullptr) pcap_close(dead_);
  if (in_ != nullptr) pcap_close(in_);
}

StatusOr<std::unique_ptr<PcapPort>> PcapPort::Open(std::string name, const std::string& in_path,
                                                   const std::string& out_path,
                                                   std::size_t buffers) {
  std::unique_ptr<PcapPort> port(new PcapPort(std::move(name), buffers));
  char err[PCAP_ERRBUF_SIZE] = {};
  int dlt = DLT_EN10MB;
  if (!in_path.empty()) {
    port->in_ = pcap_open_offline(in_path.c_str(), err);
    if (port->in_ == nullptr) return InvalidArgumentError("cannot read '" + in_path + "': " + err);
    dlt = pcap_datalink(port->in_);
    const StatusOr<net::LinkLayer> link = net::LinkLayerFor(dlt);
    if (!link.ok()) return InvalidArgumentError("'" + in_path + "': " + link.status().message());
    if (link->skip != 0) {
      // The port hands NFs frames as they are on the file and writes them back the same way;
      // a link header in front (SLL, loopback) has no place in a Packet.
      return InvalidArgumentError("'" + in_path + "': link type " + std::to_string(dlt) +
                                  " has a " + std::to_string(link->skip) +
                                  "-byte link header; a pcap port takes Ethernet or raw IP "
                                  "(the offline runner, s6::host::OfflineMain, takes it)");
    }
    port->ethernet_ = link->ethernet;
  }
  if (!out_path.empty()) {
    port->dead_ = pcap_open_dead(dlt, 65535);
    port->out_ = pcap_dump_open(port->dead_, out_path.c_str());
    if (port->out_ == nullptr) {
      return InvalidArgumentError("cannot write '" + out_path + "': " + pcap_geterr(port->dead_));
    }
  }
  return port;
}

std::size_t PcapPort::Receive(std::span<Packet*> out) {
  std::size_t n = 0;
  while (n < out.size() && !at_end()) {
    Packet* p = pool_.Get();
    if (p == nullptr) {
      ++stats_.rx_no_buffer;
      break;
    }
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    const int rc = pcap_next_ex(in_, &h, &d);
    if (rc != 1) {
      pool_.Put(p);
      eof_ = rc == PCAP_ERROR_BREAK || rc == PCAP_ERROR;  // end of file, or a broken file
      if (!eof_) break;                                   // 0: nothing yet (live only)
      break;
    }
    if (h->caplen == 0 || h->caplen > p->capacity) {
      pool_.Put(p);
      ++stats_.rx_invalid;
      continue;
    }
    std::memcpy(p->data, d, h->caplen);
    p->len = h->caplen;
    p->ethernet = ethernet_;
    ++stats_.rx_packets;
    stats_.rx_bytes += p->len;
    out[n++] = p;
  }
  return n;
}

std::size_t PcapPort::Transmit(std::span<Packet* const> pkts) {
  for (Packet* p : pkts) {
    if (out_ != nullptr) {
      pcap_pkthdr h{};
      ::gettimeofday(&h.ts, nullptr);
      h.caplen = p->len;
      h.len = p->len;
      pcap_dump(reinterpret_cast<u_char*>(out_), &h, p->data);
    }
    ++stats_.tx_packets;
    stats_.tx_bytes += p->len;
    pool_.Put(p);
  }
  return pkts.size();
}

void PcapPort::Release(Packet* pkt) { pool_.Put(pkt); }

Packet* PcapPort::Allocate(uint32_t len) {
  if (len > pool_.buffer_bytes()) return nullptr;
  Packet* p = pool_.Get();
  if (p != nullptr) {
    p->len = len;
    p->ethernet = ethernet_;
  }
  return p;
}

PortStats PcapPort::stats() const {
  PortStats s = stats_;
  s.buffers_in_use = pool_.in_use();
  return s;
}

}  // namespace s6::packetio
