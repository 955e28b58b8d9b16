// SPDX-License-Identifier: Apache-2.0
#include "packetio/memory_port.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace s6::packetio {

MemoryPort::MemoryPort(std::string name, std::size_t buffers, std::size_t buffer_bytes,
                       std::size_t max_queued)
    : name_(std::move(name)), max_queued_(max_queued), pool_(buffers, buffer_bytes) {}

bool MemoryPort::Inject(std::span<const uint8_t> frame, bool ethernet) {
  std::lock_guard<std::mutex> l(mu_);
  if (frame.empty() || frame.size() > pool_.buffer_bytes()) {
    ++stats_.rx_invalid;
    return false;
  }
  if (in_.size() >= max_queued_) return false;
  in_.push_back({std::vector<uint8_t>(frame.begin(), frame.end()), ethernet});
  return true;
}

std::vector<std::vector<uint8_t>> MemoryPort::TakeTransmitted() {
  std::lock_guard<std::mutex> l(mu_);
  return std::exchange(out_, {});
}

std::size_t MemoryPort::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return in_.size();
}

std::size_t MemoryPort::Receive(std::span<Packet*> out) {
  std::lock_guard<std::mutex> l(mu_);
  std::size_t n = 0;
  while (n < out.size() && !in_.empty()) {
    Packet* p = pool_.Get();
    if (p == nullptr) {
      ++stats_.rx_no_buffer;  // frames wait in the queue
      break;
    }
    Frame& f = in_.front();
    std::memcpy(p->data, f.bytes.data(), f.bytes.size());
    p->len = static_cast<uint32_t>(f.bytes.size());
    p->ethernet = f.ethernet;
    in_.pop_front();
    ++stats_.rx_packets;
    stats_.rx_bytes += p->len;
    out[n++] = p;
  }
  return n;
}

std::size_t MemoryPort::Transmit(std::span<Packet* const> pkts) {
  std::lock_guard<std::mutex> l(mu_);
  for (Packet* p : pkts) {
    out_.emplace_back(p->data, p->data + p->len);
    ++stats_.tx_packets;
    stats_.tx_bytes += p->len;
    pool_.Put(p);
  }
  return pkts.size();
}

void MemoryPort::Release(Packet* pkt) {
  std::lock_guard<std::mutex> l(mu_);
  pool_.Put(pkt);
}

Packet* MemoryPort::Allocate(uint32_t len) {
  std::lock_guard<std::mutex> l(mu_);
  if (len > pool_.buffer_bytes()) return nullptr;
  Packet* p = pool_.Get();
  if (p != nullptr) p->len = len;
  return p;
}

PortStats MemoryPort::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  PortStats s = stats_;
  s.buffers_in_use = pool_.in_use();
  return s;
}

}  // namespace s6::packetio
