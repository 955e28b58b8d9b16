// SPDX-License-Identifier: Apache-2.0
// s6-codec-bench: encode/decode cost of s6c-generated codecs for a 64-byte and a 4 KiB state
// object, against memcpy of the same number of bytes, plus KeyHash of a 5-tuple.
//
// Buffers and decode targets are reused across iterations (ByteBuffer::clear keeps capacity,
// string decoding reuses the string's storage), so the loops measure the codec, not malloc.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <tuple>
#include <vector>

#include <s6/codec.h>
#include <s6/key.h>

#include "bench_objects.s6.h"

namespace {

static_assert(s6::kMinEncodedSize<bench::Obj64> == bench::Obj64::kEncodedSize,
              "Obj64 must encode to exactly 64 bytes");

template <typename Obj>
void EncodeLoop(benchmark::State& state) {
  Obj obj;
  obj.Fill(1);
  s6::ByteBuffer buf;
  buf.reserve(Obj::kEncodedSize);
  for (auto _ : state) {
    buf.clear();
    s6::ByteWriter w(buf);
    s6::Encode(w, obj);
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  if (buf.size() != Obj::kEncodedSize) state.SkipWithError("unexpected encoded size");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(buf.size()));
}

template <typename Obj>
void DecodeLoop(benchmark::State& state) {
  Obj src;
  src.Fill(1);
  const s6::ByteBuffer enc = s6::EncodeToBuffer(src);
  Obj obj;
  obj.Fill(2);  // the target already holds a value of the same shape, as on a real handover
  bool ok = true;
  for (auto _ : state) {
    s6::ByteReader r(enc);
    ok &= s6::Decode(r, obj) && r.AtEnd();
    benchmark::DoNotOptimize(&obj);
    benchmark::ClobberMemory();
  }
  if (!ok || obj.checksum() != src.checksum()) state.SkipWithError("decode failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(enc.size()));
}

template <std::size_t kBytes>
void MemcpyLoop(benchmark::State& state) {
  std::vector<uint8_t> src(kBytes, 0x5A);
  std::vector<uint8_t> dst(kBytes);
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    std::memcpy(dst.data(), src.data(), kBytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kBytes));
}

void BM_Codec_Encode64B(benchmark::State& state) { EncodeLoop<bench::Obj64>(state); }
void BM_Codec_Decode64B(benchmark::State& state) { DecodeLoop<bench::Obj64>(state); }
void BM_Codec_Encode4KiB(benchmark::State& state) { EncodeLoop<bench::Obj4K>(state); }
void BM_Codec_Decode4KiB(benchmark::State& state) { DecodeLoop<bench::Obj4K>(state); }
void BM_Memcpy64B(benchmark::State& state) { MemcpyLoop<64>(state); }
void BM_Memcpy4KiB(benchmark::State& state) { MemcpyLoop<4096>(state); }

// KeyHash of a 13-byte 5-tuple key (encode into an inline ByteBuffer, then HashBytes); the
// source port changes every iteration so nothing is hoisted out of the loop.
void BM_KeyHash_FiveTuple(benchmark::State& state) {
  std::tuple<uint32_t, uint32_t, uint16_t, uint16_t, uint8_t> key{0x0A000001u, 0xC0A80001u, 1024,
                                                                  443, 6};
  for (auto _ : state) {
    std::get<2>(key) = static_cast<uint16_t>(std::get<2>(key) + 1);
    benchmark::DoNotOptimize(s6::KeyHash(key, 0x5EED));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_Codec_Encode64B);
BENCHMARK(BM_Codec_Decode64B);
BENCHMARK(BM_Codec_Encode4KiB);
BENCHMARK(BM_Codec_Decode4KiB);
BENCHMARK(BM_Memcpy64B);
BENCHMARK(BM_Memcpy4KiB);
BENCHMARK(BM_KeyHash_FiveTuple);

}  // namespace
