// SPDX-License-Identifier: Apache-2.0
// File: s6/bytes.h
//
// Byte buffers for the wire: `ByteBuffer` (a growable byte vector with inline storage so that
// keys and small messages never touch the heap), `ByteWriter` (appends little-endian values) and
// `ByteReader` (a bounds-checked cursor whose failure is sticky).
//
// Theory of operation: everything that crosses an instance boundary is encoded through these
// three types, field by field, in an explicit byte order (little-endian). A reader never reads
// past its end: any short read marks it failed, later reads fail too, and callers check `ok()`
// once at the end. That is what lets an instance survive malformed messages.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

namespace s6 {

/// A contiguous, growable byte buffer with `kInline` bytes of inline storage.
class ByteBuffer {
 public:
  static constexpr std::size_t kInline = 120;

  ByteBuffer() noexcept = default;
  ByteBuffer(const ByteBuffer& other) { Append(other.data(), other.size()); }
  ByteBuffer(ByteBuffer&& other) noexcept { StealFrom(other); }
  ByteBuffer& operator=(const ByteBuffer& other) {
    if (this != &other) {
      clear();
      Append(other.data(), other.size());
    }
    return *this;
  }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
      FreeHeap();
      StealFrom(other);
    }
    return *this;
  }
  ~ByteBuffer() { FreeHeap(); }

  const uint8_t* data() const noexcept { return data_; }
  uint8_t* data() noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  std::span<const uint8_t> span() const noexcept { return {data_, size_}; }

  void reserve(std::size_t n) {
    if (n > capacity_) Grow(n);
  }

  /// Grows the buffer by `n` bytes and returns a pointer to the new (uninitialised) bytes.
  uint8_t* Extend(std::size_t n) {
    if (size_ + n > capacity_) Grow(size_ + n);
    uint8_t* p = data_ + size_;
    size_ += n;
    return p;
  }

  void Append(const void* p, std::size_t n) {
    if (n != 0) std::memcpy(Extend(n), p, n);
  }

  /// Shrinks the buffer to `n` bytes (n <= size()).
  void Truncate(std::size_t n) noexcept {
    if (n < size_) size_ = n;
  }

  friend bool operator==(const ByteBuffer& a, const ByteBuffer& b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }

 private:
  bool on_heap() const noexcept { return data_ != inline_; }
  void FreeHeap() noexcept {
    if (on_heap()) std::free(data_);
    data_ = inline_;
    capacity_ = kInline;
    size_ = 0;
  }
  void StealFrom(ByteBuffer& other) noexcept {
    if (other.on_heap()) {
      data_ = other.data_;
      capacity_ = other.capacity_;
      size_ = other.size_;
      other.data_ = other.inline_;
      other.capacity_ = kInline;
    } else {
      data_ = inline_;
      capacity_ = kInline;
      size_ = other.size_;
      if (size_ != 0) std::memcpy(inline_, other.inline_, size_);
    }
    other.size_ = 0;
  }
  void Grow(std::size_t need) {
    std::size_t cap = capacity_ * 2;
    if (cap < need) cap = need;
    auto* p = static_cast<uint8_t*>(on_heap() ? std::realloc(data_, cap) : std::malloc(cap));
    if (p == nullptr) throw std::bad_alloc();
    if (!on_heap() && size_ != 0) std::memcpy(p, inline_, size_);
    data_ = p;
    capacity_ = cap;
  }

  uint8_t* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kInline;
  uint8_t inline_[kInline];
};

namespace internal {
template <typename U>
constexpr U ToLittle(U v) noexcept {
  if constexpr (std::endian::native == std::endian::little || sizeof(U) == 1) {
    return v;
  } else if constexpr (sizeof(U) == 2) {
    return static_cast<U>(__builtin_bswap16(v));
  } else if constexpr (sizeof(U) == 4) {
    return static_cast<U>(__builtin_bswap32(v));
  } else {
    static_assert(sizeof(U) == 8);
    return static_cast<U>(__builtin_bswap64(v));
  }
}
}  // namespace internal

/// Appends values to a ByteBuffer in wire byte order (little-endian). Borrows the buffer.
class ByteWriter {
 public:
  explicit ByteWriter(ByteBuffer& out) noexcept : out_(out) {}

  /// Writes an unsigned integer of 1, 2, 4 or 8 bytes, little-endian.
  template <typename U>
  void PutUnsigned(U v) {
    static_assert(std::is_unsigned_v<U>);
    v = internal::ToLittle(v);
    std::memcpy(out_.Extend(sizeof v), &v, sizeof v);
  }
  void PutU8(uint8_t v) { *out_.Extend(1) = v; }
  void PutU32(uint32_t v) { PutUnsigned(v); }
  void PutBytes(const void* p, std::size_t n) { out_.Append(p, n); }
  uint8_t* Extend(std::size_t n) { return out_.Extend(n); }
  std::size_t size() const noexcept { return out_.size(); }
  ByteBuffer& buffer() noexcept { return out_; }

 private:
  ByteBuffer& out_;
};

/// A bounds-checked cursor over bytes it does not own. Failure is sticky: after the first short
/// or invalid read every later read fails, so callers may check `ok()` once at the end.
///
/// A reader also carries an allocation budget: decoders charge the memory a claimed element
/// count would make them allocate, so no input can make a decode allocate more than the budget
/// (a few bytes claiming millions of elements of a large or empty type fail instead).
class ByteReader {
 public:
  /// Default allocation budget: a fixed base plus a bounded amplification of the input size,
  /// so that N input bytes can never make a decode allocate more than ~1 MiB + 1024 * N.
  static constexpr std::size_t kBaseAllocationBudget = std::size_t{1} << 20;
  static constexpr std::size_t kMaxAmplification = 1024;

  ByteReader() noexcept = default;
  ByteReader(const uint8_t* p, std::size_t n) noexcept
      : p_(p), end_(p + n), budget_(kBaseAllocationBudget + kMaxAmplification * n) {}
  explicit ByteReader(std::span<const uint8_t> s) noexcept : ByteReader(s.data(), s.size()) {}
  explicit ByteReader(const ByteBuffer& b) noexcept : ByteReader(b.data(), b.size()) {}

  bool ok() const noexcept { return ok_; }
  /// True when every byte was consumed and nothing failed.
  bool AtEnd() const noexcept { return ok_ && p_ == end_; }
  std::size_t remaining() const noexcept { return ok_ ? static_cast<std::size_t>(end_ - p_) : 0; }
  /// Marks the reader failed (used by decoders that find an invalid value).
  bool Fail() noexcept {
    ok_ = false;
    return false;
  }

  template <typename U>
  bool GetUnsigned(U& v) noexcept {
    static_assert(std::is_unsigned_v<U>);
    const uint8_t* p = Take(sizeof(U));
    if (p == nullptr) return false;
    std::memcpy(&v, p, sizeof v);
    v = internal::ToLittle(v);
    return true;
  }
  bool GetU8(uint8_t& v) noexcept { return GetUnsigned(v); }
  bool GetU32(uint32_t& v) noexcept { return GetUnsigned(v); }
  bool GetBytes(void* out, std::size_t n) noexcept {
    if (n == 0) return ok_;
    const uint8_t* p = Take(n);
    if (p == nullptr) return false;
    if (n != 0) std::memcpy(out, p, n);
    return true;
  }
  /// Consumes `n` bytes and returns a pointer to them, or nullptr (and fails) if fewer remain.
  /// Never returns nullptr on success, even for n == 0 over an empty range.
  const uint8_t* Take(std::size_t n) noexcept {
    if (!ok_) return nullptr;
    if (n == 0) return p_ != nullptr ? p_ : kEmpty;  // an empty range may have no pointer
    if (static_cast<std::size_t>(end_ - p_) < n) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* p = p_;
    p_ += n;
    return p;
  }

  /// Charges `bytes` of memory a decoder is about to allocate; fails the reader beyond budget.
  bool ChargeAllocation(std::size_t bytes) noexcept {
    if (!ok_ || bytes > budget_) return Fail();
    budget_ -= bytes;
    return true;
  }
  std::size_t allocation_budget() const noexcept { return budget_; }
  void set_allocation_budget(std::size_t bytes) noexcept { budget_ = bytes; }

 private:
  static constexpr uint8_t kEmpty[1] = {0};

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  std::size_t budget_ = kBaseAllocationBudget;
  bool ok_ = true;
};

}  // namespace s6
