/* scan_wasm128.c — scans with WebAssembly SIMD128 (four 4-lane compares per 16 tokens). */
#define SCAN_TABLE rsk_scan_wasm128
#include <wasm_simd128.h>
#include "internal.h"

static inline uint32_t bits4(v128_t m) { return (uint32_t)wasm_i32x4_bitmask(m); }
static inline uint32_t GT16(const float *p, float t) {
  v128_t tv = wasm_f32x4_splat(t);
  return bits4(wasm_f32x4_gt(wasm_v128_load(p), tv)) | bits4(wasm_f32x4_gt(wasm_v128_load(p + 4), tv)) << 4 |
         bits4(wasm_f32x4_gt(wasm_v128_load(p + 8), tv)) << 8 | bits4(wasm_f32x4_gt(wasm_v128_load(p + 12), tv)) << 12;
}
static inline uint32_t GE16(const float *p, float t) {
  v128_t tv = wasm_f32x4_splat(t);
  return bits4(wasm_f32x4_ge(wasm_v128_load(p), tv)) | bits4(wasm_f32x4_ge(wasm_v128_load(p + 4), tv)) << 4 |
         bits4(wasm_f32x4_ge(wasm_v128_load(p + 8), tv)) << 8 | bits4(wasm_f32x4_ge(wasm_v128_load(p + 12), tv)) << 12;
}
/* NaN or +inf <=> !(v < +inf). */
static inline uint32_t BAD16(const float *p) {
  v128_t inf = wasm_f32x4_splat(RSK_INF);
  return (bits4(wasm_f32x4_lt(wasm_v128_load(p), inf)) | bits4(wasm_f32x4_lt(wasm_v128_load(p + 4), inf)) << 4 |
          bits4(wasm_f32x4_lt(wasm_v128_load(p + 8), inf)) << 8 |
          bits4(wasm_f32x4_lt(wasm_v128_load(p + 12), inf)) << 12) ^ 0xFFFFu;
}
static inline void APPLY16(float *p, uint32_t off) {
  for (int l = 0; l < 16; l++)
    if ((off >> l) & 1u) p[l] = -RSK_INF;
}
/* All 32 lanes <= t (or < t), ordered: false for NaN and +inf, so those blocks are never skipped. */
static inline int SKIP32(const float *p, float t, int ge) {
  v128_t tv = wasm_f32x4_splat(t), below = wasm_i32x4_splat(-1);
  for (int k = 0; k < 32; k += 4) {
    v128_t v = wasm_v128_load(p + k);
    below = wasm_v128_and(below, ge ? wasm_f32x4_lt(v, tv) : wasm_f32x4_le(v, tv));
  }
  return wasm_i32x4_all_true(below);
}
#include "scan_body.h"
