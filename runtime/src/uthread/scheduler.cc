// SPDX-License-Identifier: Apache-2.0
#include "uthread/scheduler.h"

#include <s6/check.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define S6_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S6_ASAN_FIBERS 1
#endif
#endif
#if defined(S6_ASAN_FIBERS)
#include <sanitizer/common_interface_defs.h>
#endif

namespace s6::uthread {
namespace {

// AddressSanitizer must be told about every stack switch, or it mistakes the fiber stacks for
// overflows of the thread's stack (e.g. while an exception unwinds).
void StartSwitch(void** fake_stack_save, const void* bottom, std::size_t size) {
#if defined(S6_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
void FinishSwitch(void* fake_stack, const void** old_bottom, std::size_t* old_size) {
#if defined(S6_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_size);
#else
  (void)fake_stack, (void)old_bottom, (void)old_size;
#endif
}
const void* StackBottom(const boost::context::stack_context& s) {
  return static_cast<const char*>(s.sp) - s.size;
}

// Thrown into a parked micro-thread when the scheduler is destroyed.
struct Unwind {};

// Programming errors (calling fiber-only methods outside a fiber, and the reverse).
void Require(bool ok, const char* what) { S6_CHECK(ok) << "scheduler misuse: " << what; }

}  // namespace

void Scheduler::List::PushBack(Fiber* f) {
  f->next = nullptr;
  if (tail == nullptr) {
    head = f;
  } else {
    tail->next = f;
  }
  tail = f;
  ++size;
}

Scheduler::Fiber* Scheduler::List::PopFront() {
  Fiber* f = head;
  if (f == nullptr) return nullptr;
  head = f->next;
  if (head == nullptr) tail = nullptr;
  f->next = nullptr;
  --size;
  return f;
}

Scheduler::Scheduler(Options options) : options_(options), stacks_(options.stack_size) {
  Require(options_.max_fibers > 0, "max_fibers must be positive");
  waits_.reserve(options_.max_fibers);
  if (options_.prewarm_stacks != 0) {
    stacks_.Reserve(std::min<std::size_t>(options_.prewarm_stacks, options_.max_fibers),
                    options_.prewarm_bytes);
  }
}

Scheduler::~Scheduler() {
  // Parked and ready micro-threads are unwound when their fiber records are destroyed.
  ready_ = List{};
  waits_.clear();
  // Unwind every live micro-thread while its record (and the std::function it runs) is alive.
  for (auto& f : fibers_) {
    for (int attempts = 0; !f->done && f->context && attempts < 16; ++attempts) {
      f->unwinding = true;
      Resume(f.get());
    }
  }
  fibers_.clear();
}

Scheduler::Fiber* Scheduler::NewFiber() {
  if (!free_fibers_.empty()) {
    Fiber* f = free_fibers_.back();
    free_fibers_.pop_back();
    return f;
  }
  fibers_.push_back(std::make_unique<Fiber>());
  free_fibers_.reserve(fibers_.size());
  return fibers_.back().get();
}

bool Scheduler::TrySpawn(std::function<void()> fn) {
  if (in_flight_ >= options_.max_fibers) {
    ++stats_.refused;
    return false;
  }
  Fiber* f = NewFiber();
  f->fn = std::move(fn);
  f->done = false;
  f->unwinding = false;
  f->context = boost::context::fiber(
      std::allocator_arg, PooledStackAllocator(stacks_, &f->stack),
      [this, f](boost::context::fiber&& caller) {
        FinishSwitch(nullptr, &loop_stack_bottom_, &loop_stack_size_);
        f->caller = std::move(caller);
        if (!f->unwinding) {
          try {
            f->fn();
          } catch (const Unwind&) {
            // the scheduler is going away
          } catch (const boost::context::detail::forced_unwind&) {
            throw;  // Boost.Context is destroying the fiber: let it finish
          } catch (...) {
            ++stats_.aborted;
          }
        }
        f->fn = nullptr;
        f->done = true;
        StartSwitch(nullptr, loop_stack_bottom_, loop_stack_size_);  // this stack is finished
        return std::move(f->caller);
      });
  ++in_flight_;
  ++stats_.spawned;
  if (in_flight_ > stats_.max_in_flight) stats_.max_in_flight = in_flight_;
  MakeReady(f);
  return true;
}

void Scheduler::MakeReady(Fiber* f) {
  ready_.PushBack(f);
  ++ready_count_;
}

void Scheduler::Resume(Fiber* f) {
  current_ = f;
  ++stats_.resumes;
  StartSwitch(&loop_fake_stack_, StackBottom(f->stack), f->stack.size);
  f->context = std::move(f->context).resume();
  FinishSwitch(loop_fake_stack_, nullptr, nullptr);
  current_ = nullptr;
  if (f->done) {
    --in_flight_;
    ++stats_.completed;
    free_fibers_.push_back(f);
  }
}

std::size_t Scheduler::RunReady() {
  Require(!InFiber(), "RunReady called from a micro-thread");
  // Only those ready now: work made ready meanwhile waits for the next call, so one busy
  // micro-thread that keeps yielding can't keep the loop from polling I/O.
  std::size_t budget = ready_count_;
  std::size_t resumed = 0;
  while (budget-- > 0) {
    Fiber* f = ready_.PopFront();
    if (f == nullptr) break;
    --ready_count_;
    Resume(f);
    ++resumed;
  }
  return resumed;
}

void Scheduler::SwitchToScheduler() {
  Fiber* f = current_;
  StartSwitch(&f->asan_fake_stack, loop_stack_bottom_, loop_stack_size_);
  f->caller = std::move(f->caller).resume();
  FinishSwitch(f->asan_fake_stack, &loop_stack_bottom_, &loop_stack_size_);
  if (f->unwinding) throw Unwind{};
}

void Scheduler::Suspend(WaitKey key) {
  Require(InFiber(), "Suspend called outside a micro-thread");
  auto it = waits_.find(key);
  if (it == waits_.end()) {
    if (!spare_nodes_.empty()) {
      WaitMap::node_type node = std::move(spare_nodes_.back());
      spare_nodes_.pop_back();
      node.key() = key;
      node.mapped() = List{};
      it = waits_.insert(std::move(node)).position;
    } else {
      it = waits_.emplace(key, List{}).first;
    }
  }
  it->second.PushBack(current_);
  ++stats_.suspends;
  SwitchToScheduler();
}

void Scheduler::Yield() {
  Require(InFiber(), "Yield called outside a micro-thread");
  MakeReady(current_);
  SwitchToScheduler();
}

std::size_t Scheduler::Wake(WaitKey key) {
  auto it = waits_.find(key);
  if (it == waits_.end()) return 0;
  std::size_t n = 0;
  while (Fiber* f = it->second.PopFront()) {
    MakeReady(f);
    ++n;
  }
  spare_nodes_.push_back(waits_.extract(it));
  return n;
}

bool Scheduler::WakeOne(WaitKey key) {
  auto it = waits_.find(key);
  if (it == waits_.end()) return false;
  MakeReady(it->second.PopFront());
  if (it->second.size == 0) spare_nodes_.push_back(waits_.extract(it));
  return true;
}

std::size_t Scheduler::waiting(WaitKey key) const {
  auto it = waits_.find(key);
  return it == waits_.end() ? 0 : it->second.size;
}

}  // namespace s6::uthread
