// SPDX-License-Identifier: Apache-2.0
#include "uthread/stack_pool.h"

#include <s6/check.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define S6_UNPOISON_STACK(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define S6_UNPOISON_STACK(p, n) ((void)(p), (void)(n))
#endif

namespace s6::uthread {

StackPool::StackPool(std::size_t stack_size)
    : page_size_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
  if (stack_size < 16 * 1024) stack_size = 16 * 1024;
  stack_size_ = (stack_size + page_size_ - 1) / page_size_ * page_size_;
}

StackPool::~StackPool() {
  S6_CHECK(in_use() == 0) << "StackPool destroyed with " << in_use() << " stacks in use";
  for (void* p : all_) munmap(p, stack_size_ + page_size_);
}

boost::context::stack_context StackPool::Allocate() {
  void* base;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else {
    const std::size_t len = stack_size_ + page_size_;
    base =
        mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    if (mprotect(base, page_size_, PROT_NONE) != 0) {  // guard page at the low end
      munmap(base, len);
      throw std::bad_alloc();
    }
    all_.push_back(base);
    ++created_;
    free_.reserve(created_);  // so Deallocate (noexcept) never allocates
  }
  // A stack's last frames may have been abandoned by a switch rather than a return; with
  // AddressSanitizer their redzones would still be poisoned for the next micro-thread.
  S6_UNPOISON_STACK(static_cast<char*>(base) + page_size_, stack_size_);
  boost::context::stack_context sctx;
  sctx.size = stack_size_;
  sctx.sp = static_cast<char*>(base) + page_size_ + stack_size_;  // stacks grow down
  return sctx;
}

void StackPool::Reserve(std::size_t count, std::size_t touch_bytes) {
  touch_bytes = std::min(touch_bytes, stack_size_);
  std::vector<boost::context::stack_context> made;
  while (created_ < count) {
    made.push_back(Allocate());
    std::memset(static_cast<char*>(made.back().sp) - touch_bytes, 0, touch_bytes);
  }
  for (auto& sctx : made) Deallocate(sctx);
}

void StackPool::Deallocate(boost::context::stack_context& sctx) noexcept {
  void* base = static_cast<char*>(sctx.sp) - stack_size_ - page_size_;
  free_.push_back(base);
}

}  // namespace s6::uthread
