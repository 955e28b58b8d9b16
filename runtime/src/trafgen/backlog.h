// SPDX-License-Identifier: Apache-2.0
// File: trafgen/backlog.h
//
// The bounded per-link queue of built frames that s6-trafgen keeps in front of each link, so an
// instance that is briefly slow (its memif ring full, e.g. while thousands of new flows start)
// delays packets instead of losing them.
//
// Theory of operation: a ring of `capacity` fixed-size slots (frame bytes plus what accounting
// needs: length, generation time, whether a probe is in it). A port's Transmit takes ownership
// of every buffer it is given and frees what the device refuses, so a refused packet cannot be
// kept as a device buffer: the frame lives here, and a device buffer is filled from the slot
// only for a transmit attempt; what the link accepts leaves the head, what it refuses stays
// for the next attempt, always in FIFO order (a flow's packets are never reordered by a
// retry). Only a full backlog refuses a new frame. The slot memory is allocated on the first
// push, so a declared link that never carries traffic costs nothing. DrainBacklog is that
// transmit attempt on any Port; a device accepts a prefix of a burst, so the accepted frames
// are exactly the oldest ones. Single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <s6/check.h>
#include "packetio/port.h"

namespace s6::trafgen {

class FrameBacklog {
 public:
  struct Frame {
    uint8_t* data = nullptr;  ///< slot_bytes of storage
    uint32_t len = 0;
    uint64_t tx_ns = 0;  ///< when the packet was generated (its probe's send time)
    bool probed = true;
  };

  FrameBacklog(std::size_t capacity, uint32_t slot_bytes)
      : capacity_(capacity), slot_bytes_(slot_bytes) {
    S6_CHECK(capacity > 0 && slot_bytes > 0);
  }

  /// A slot at the tail to build the next frame into (the caller fills data, len, tx_ns,
  /// probed), or nullptr when the backlog is full.
  Frame* PushBack() {
    if (size_ == capacity_) return nullptr;
    if (frames_.empty()) {
      storage_.resize(capacity_ * slot_bytes_);
      frames_.resize(capacity_);
      for (std::size_t i = 0; i < capacity_; ++i) frames_[i].data = &storage_[i * slot_bytes_];
    }
    Frame& f = frames_[(head_ + size_) % capacity_];
    f.len = 0;
    f.tx_ns = 0;
    f.probed = true;
    ++size_;
    high_water_ = std::max(high_water_, size_);
    return &f;
  }
  /// The i-th frame from the head (0 = oldest); i < size().
  Frame& at(std::size_t i) {
    S6_CHECK(i < size_);
    return frames_[(head_ + i) % capacity_];
  }
  /// Removes the `n` oldest frames (n <= size()).
  void PopFront(std::size_t n) {
    S6_CHECK(n <= size_);
    head_ = (head_ + n) % capacity_;
    size_ -= n;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return capacity_; }
  uint32_t slot_bytes() const { return slot_bytes_; }
  /// The largest size() ever reached.
  std::size_t high_water() const { return high_water_; }

 private:
  std::size_t capacity_;
  uint32_t slot_bytes_;
  std::vector<uint8_t> storage_;
  std::vector<Frame> frames_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t high_water_ = 0;
};

struct DrainResult {
  std::size_t accepted = 0;        ///< frames the link took (gone from the backlog)
  std::size_t alloc_failures = 0;  ///< the port had no buffer to copy a frame into
};

/// Transmits up to `budget` frames from the head of `backlog` on `port`, in bursts, until the
/// link refuses one or the budget is spent. `on_accepted(frame)` runs for each frame the link
/// took, oldest first, before it leaves the backlog.
template <typename OnAccepted>
DrainResult DrainBacklog(FrameBacklog& backlog, packetio::Port& port, std::size_t budget,
                         OnAccepted&& on_accepted) {
  DrainResult r;
  Packet* burst[32];
  while (!backlog.empty() && budget > 0) {
    const std::size_t want = std::min({backlog.size(), std::size(burst), budget});
    std::size_t n = 0;
    for (; n < want; ++n) {
      const FrameBacklog::Frame& f = backlog.at(n);
      Packet* p = port.Allocate(f.len);
      if (p == nullptr) {
        ++r.alloc_failures;
        break;
      }
      std::memcpy(p->data, f.data, f.len);
      burst[n] = p;
    }
    if (n == 0) break;
    const std::size_t accepted = port.Transmit({burst, n});
    for (std::size_t j = 0; j < accepted; ++j) on_accepted(backlog.at(j));
    backlog.PopFront(accepted);
    r.accepted += accepted;
    budget -= accepted;
    if (accepted < n) break;  // the link is full for now
  }
  return r;
}

}  // namespace s6::trafgen
