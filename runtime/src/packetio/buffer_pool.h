// SPDX-License-Identifier: Apache-2.0
// File: packetio/buffer_pool.h
//
// A fixed pool of packet buffers for the software ports (memory, pcap): one allocation at
// construction, then a free list. Each Packet's `handle` points back at its slot, so Release
// is O(1) and a packet from another pool is caught (S6_CHECK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <s6/check.h>
#include <s6/nf.h>

namespace s6::packetio {

class BufferPool {
 public:
  BufferPool(std::size_t count, std::size_t buffer_bytes)
      : buffer_bytes_(buffer_bytes), storage_(count * buffer_bytes), packets_(count) {
    free_.reserve(count);
    for (std::size_t i = count; i-- > 0;) {
      Packet& p = packets_[i];
      p.data = storage_.data() + i * buffer_bytes;
      p.capacity = static_cast<uint32_t>(buffer_bytes);
      p.handle = this;
      free_.push_back(&p);
    }
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// A free packet (len 0), or nullptr when the pool is empty.
  Packet* Get() {
    if (free_.empty()) return nullptr;
    Packet* p = free_.back();
    free_.pop_back();
    p->len = 0;
    return p;
  }
  void Put(Packet* p) {
    S6_CHECK(p != nullptr && p->handle == this) << "packet returned to the wrong pool";
    free_.push_back(p);
  }
  std::size_t buffer_bytes() const { return buffer_bytes_; }
  std::size_t in_use() const { return packets_.size() - free_.size(); }
  std::size_t size() const { return packets_.size(); }

 private:
  std::size_t buffer_bytes_;
  std::vector<uint8_t> storage_;
  std::vector<Packet> packets_;
  std::vector<Packet*> free_;
};

}  // namespace s6::packetio
