/*
 * scan_body.h — the vocabulary-wide scans, written once and compiled per instruction set.
 * The including file defines SCAN_TABLE (the rsk_scan object's name) and three 16-lane primitives:
 *   GT16(p, t) / GE16(p, t): bitmask of lanes with p[l] > t / >= t (ordered: NaN never passes)
 *   BAD16(p):                bitmask of lanes that are NaN or +inf
 *   APPLY16(p, off):         p[l] = -inf for every lane bit set in `off`
 *   SKIP32(p, t, ge):        nonzero when no lane of the 32 can pass AND none is NaN/+inf: an unordered
 *                            "not <= t" (or "not < t") compare is true for passing lanes, NaN and +inf at once,
 *                            so most blocks cost one compare per vector and skip the per-lane bitmasks.
 * Tails shorter than 16 go through the scalar helpers below, so every table gives identical results.
 */
#include "internal.h"

static inline uint32_t tail_bits(const float *x, uint32_t n, float t, int ge, uint32_t *bad) {
  uint32_t bits = 0;
  for (uint32_t l = 0; l < n; l++) {
    float v = x[l];
    if (!(v < RSK_INF)) *bad = 1;
    if (ge ? v >= t : v > t) bits |= 1u << l;
  }
  return bits;
}

static inline uint32_t allow16(const uint32_t *mask, uint32_t i) {
  return mask ? (mask[i >> 5] >> (i & 16)) & 0xFFFFu : 0xFFFFu;
}

static inline void take(const float *x, uint32_t base, uint32_t hits, uint32_t cap, int32_t *hid, float *hval,
                        uint32_t *size, float *t) {
  while (hits) {
    uint32_t l = (uint32_t)__builtin_ctz(hits);
    hits &= hits - 1;
    float v = x[base + l];
    if (!(v > *t)) continue;
    if (*size < cap) rsk_heap_push(hid, hval, size, (int32_t)(base + l), v);
    else rsk_heap_replace_top(hid, hval, *size, (int32_t)(base + l), v);
    if (*size == cap) *t = hval[0];
  }
}

static uint32_t scan_top(const float *x, uint32_t n, const uint32_t *mask, uint32_t cap, int32_t *hid,
                         float *hval, uint32_t *bad) {
  uint32_t size = 0, i = 0, badbits = 0;
  float t = -RSK_INF;
  for (; i + 32 <= n; i += 32) {
    if (SKIP32(x + i, t, 0)) continue;
    uint32_t hits = (GT16(x + i, t) | (GT16(x + i + 16, t) << 16));
    badbits |= BAD16(x + i) | BAD16(x + i + 16);
    if (mask) hits &= mask[i >> 5];
    if (hits) take(x, i, hits, cap, hid, hval, &size, &t);
  }
  for (; i + 16 <= n; i += 16) {
    badbits |= BAD16(x + i);
    uint32_t hits = GT16(x + i, t) & allow16(mask, i);
    if (hits) take(x, i, hits, cap, hid, hval, &size, &t);
  }
  if (i < n) {
    uint32_t hits = tail_bits(x + i, n - i, t, 0, bad) & allow16(mask, i);
    take(x, i, hits, cap, hid, hval, &size, &t);
  }
  if (badbits) *bad = 1;
  return size;
}

static inline uint32_t emit(uint32_t base, uint32_t hits, int32_t *ids, uint32_t count) {
  while (hits) {
    ids[count++] = (int32_t)(base + (uint32_t)__builtin_ctz(hits));
    hits &= hits - 1;
  }
  return count;
}

static uint32_t scan_ge(const float *x, uint32_t n, const uint32_t *mask, float t, int32_t *ids, uint32_t *bad) {
  uint32_t count = 0, i = 0, badbits = 0;
  for (; i + 32 <= n; i += 32) {
    if (SKIP32(x + i, t, 1)) continue;
    uint32_t hits = (GE16(x + i, t) | (GE16(x + i + 16, t) << 16));
    badbits |= BAD16(x + i) | BAD16(x + i + 16);
    if (mask) hits &= mask[i >> 5];
    count = emit(i, hits, ids, count);
  }
  for (; i + 16 <= n; i += 16) {
    badbits |= BAD16(x + i);
    count = emit(i, GE16(x + i, t) & allow16(mask, i), ids, count);
  }
  if (i < n) count = emit(i, tail_bits(x + i, n - i, t, 1, bad) & allow16(mask, i), ids, count);
  if (badbits) *bad = 1;
  return count;
}

static void apply(float *x, uint32_t n, const uint32_t *mask) {
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint32_t off = ~allow16(mask, i) & 0xFFFFu;
    if (off) APPLY16(x + i, off);
  }
  for (; i < n; i++)
    if (!((mask[i >> 5] >> (i & 31)) & 1u)) x[i] = -RSK_INF;
}

const rsk_scan SCAN_TABLE = {scan_top, scan_ge, apply};
