// SPDX-License-Identifier: Apache-2.0
// Pooled, fixed-size stacks for micro-threads.
//
// Theory of operation: every in-flight packet runs on its own micro-thread stack, so stacks are
// allocated and freed at packet rate. The pool keeps freed stacks on a free list and hands them
// out again (no mmap/munmap per packet). Each stack is one mmap'd region with a PROT_NONE guard
// page below it, so an overflow faults at once instead of corrupting a neighbour. The pool owns
// every stack it ever created and unmaps them all when destroyed; a stack must be returned
// before the pool goes away (S6_CHECKed).
#pragma once

#include <cstddef>
#include <vector>

#include <boost/context/stack_context.hpp>

namespace s6::uthread {

class StackPool {
 public:
  /// `stack_size` is rounded up to whole pages; at least 16 KiB.
  explicit StackPool(std::size_t stack_size);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  /// Creates stacks until `count` exist and writes the top `touch_bytes` of each new one, so a
  /// burst of micro-threads later finds them mapped: page faults are expensive on some VMs,
  /// and a burst of them stalls the data plane exactly when it is busiest.
  void Reserve(std::size_t count, std::size_t touch_bytes);

  boost::context::stack_context Allocate();
  void Deallocate(boost::context::stack_context& sctx) noexcept;

  std::size_t stack_size() const { return stack_size_; }
  /// Stacks created so far (in use + free).
  std::size_t created() const { return created_; }
  std::size_t in_use() const { return created_ - free_.size(); }

 private:
  std::size_t stack_size_;
  std::size_t page_size_;
  std::size_t created_ = 0;
  std::vector<void*> free_;  // bottoms of free mappings (guard page included)
  std::vector<void*> all_;   // every mapping, for unmapping
};

/// The StackAllocator Boost.Context expects, borrowing a StackPool. Optionally records the
/// stack it hands out (the scheduler tells AddressSanitizer about stack switches).
class PooledStackAllocator {
 public:
  PooledStackAllocator(StackPool& pool, boost::context::stack_context* record) noexcept
      : pool_(&pool), record_(record) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context sctx = pool_->Allocate();
    if (record_ != nullptr) *record_ = sctx;
    return sctx;
  }
  void deallocate(boost::context::stack_context& sctx) noexcept { pool_->Deallocate(sctx); }

 private:
  StackPool* pool_;                        // not owned
  boost::context::stack_context* record_;  // not owned; may be null
};

}  // namespace s6::uthread
