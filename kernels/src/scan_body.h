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

/* 2^d for d in [-125, 0]: d = k + f, |f| <= 1/2, degree-6 Taylor of e^(f ln 2) (relative error < 2e-6 in float). */
static inline float exp2_estimate(float d) {
  float k = (d + 12582912.0f) - 12582912.0f; /* round to nearest: 1.5 * 2^23 */
  float f = d - k;
  float p = 1.5403530393381606e-4f;
  p = p * f + 1.3333558146428443e-3f;
  p = p * f + 9.6181291076284772e-3f;
  p = p * f + 5.5504108664821580e-2f;
  p = p * f + 2.4022650695910071e-1f;
  p = p * f + 6.9314718055994531e-1f;
  p = p * f + 1.0f;
  uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
  float scale;
  __builtin_memcpy(&scale, &bits, 4);
  return p * scale;
}

/* One token's estimate, branch-free so the 16-lane loop vectorizes: 0 unless allowed and > -inf. */
static inline float sumexp_term(float v, float m, float c, uint32_t allow, float *d_out) {
  float d = (v - m) * c;
  d = d > -125.0f ? d : -125.0f; /* also NaN and -inf (never summed) */
  d = d < 0.0f ? d : 0.0f;       /* masked-out tokens above m (never summed) */
  float e = exp2_estimate(d);
  *d_out = d;
  return (allow & (v > -RSK_INF)) ? e : 0.0f;
}

/* Σ 2^d over one token, cheaply: the float with exponent k and mantissa f for d = k + f (Schraudolph), which is
 * between 2^d and 1.0616 * 2^d; d23 = d * 2^23 >= -125 * 2^23. */
static inline float cheap_exp2(float d23) {
  uint32_t bits = (uint32_t)((int32_t)d23 + (127 << 23));
  float e;
  __builtin_memcpy(&e, &bits, 4);
  return e;
}

#ifndef SCAN_SUMEXP
static void scan_sumexp(const float *x, uint32_t n, const uint32_t *mask, float m, float c, float near,
                        const float *chunk_max, double *sums, int32_t *blocks, uint32_t *n_blocks) {
  (void)chunk_max; /* this table's argmax records none */
  double s[16], a[16], q[16];
  uint32_t i = 0;
  float c23 = c * 8388608.0f, mc23 = m * c23;
  for (int l = 0; l < 16; l++) s[l] = a[l] = q[l] = -0.0; /* -0.0, the additive identity, is not a memset (wasm) */
  for (; i + 16 <= n; i += 16) {
    const float *p = x + i;
    uint32_t allow = allow16(mask, i);
    if (GE16(p, near)) { /* a token near the max: the precise estimate for all 16 */
      float e[16], d[16];
      blocks[(*n_blocks)++] = (int32_t)i;
      for (int l = 0; l < 16; l++) e[l] = sumexp_term(p[l], m, c, (allow >> l) & 1u, &d[l]);
      for (int l = 0; l < 16; l++) s[l] += (double)e[l];
      for (int l = 0; l < 16; l++) a[l] += (double)(e[l] * -d[l]);
      continue;
    }
    float e[16];
    for (int l = 0; l < 16; l++) {
      float d23 = p[l] * c23 - mc23;
      d23 = d23 > -1048576000.0f ? d23 : -1048576000.0f; /* -125 * 2^23; also -inf */
      d23 = d23 < 0.0f ? d23 : 0.0f;                     /* masked-out tokens above m */
      e[l] = (allow >> l) & 1u ? cheap_exp2(d23) : 0.0f;
    }
    for (int l = 0; l < 16; l++) q[l] += (double)e[l];
  }
  if (i < n) blocks[(*n_blocks)++] = (int32_t)i;
  for (; i < n; i++) {
    float d, e = sumexp_term(x[i], m, c, mask ? (mask[i >> 5] >> (i & 31)) & 1u : 1u, &d);
    s[i & 15] += (double)e;
    a[i & 15] += (double)(e * -d);
  }
  for (int l = 0; l < 16; l++) sums[0] += s[l], sums[1] += a[l], sums[2] += q[l];
}
#else
static void scan_sumexp(const float *x, uint32_t n, const uint32_t *mask, float m, float c, float near,
                        const float *chunk_max, double *sums, int32_t *blocks, uint32_t *n_blocks);
#endif

/* The k-th largest of key[0..n) (1 <= k < n), bit by bit from the top (32 counting passes at most, each a compare
 * per key the compiler vectorizes, no branch on the data); stops early, with a t below the k-th key, as soon as
 * exactly k keys are >= t. Either way the kept set is {key > t} plus the lowest-id keys equal to t up to k. */
static int32_t kth_any(const int32_t *restrict key, uint32_t n, uint32_t k, uint32_t *ge) {
  uint32_t t = 0, at_least = n; /* the answer with its sign bit flipped, built from the top bit down; keys >= it */
  for (int bit = 31; bit >= 0; bit--) {
    uint32_t c = t | (1u << bit);
    int32_t signed_c = (int32_t)(c ^ 0x80000000u);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) count += key[i] >= signed_c;
    if (count >= k) t = c, at_least = count;
    if (count == k) break;
  }
  *ge = at_least;
  return (int32_t)(t ^ 0x80000000u);
}

/* kth_any's search (the same answer) over keys held in registers (`regs`; count(regs, c) = how many are >= c with
 * its sign bit flipped back), deciding two bits per round: it counts for the next bit and for both outcomes of the
 * bit after it at once, three independent counts instead of two dependent ones (the search is latency-bound). */
static inline __attribute__((always_inline)) int32_t kth_rounds(const void *regs, uint32_t n, uint32_t k, uint32_t *ge,
                                                                 uint32_t (*count_ge)(const void *, uint32_t)) {
  uint32_t t = 0, at_least = n;
  for (int bit = 31; bit >= 0; bit -= 2) {
    uint32_t c = t | (1u << bit), count = count_ge(regs, c);
    if (bit == 0) { /* the last bit alone */
      if (count >= k) t = c, at_least = count;
      break;
    }
    uint32_t below = 1u << (bit - 1), if_set = count_ge(regs, c | below), if_clear = count_ge(regs, t | below);
    if (count >= k) t = c, at_least = count;
    if (count == k) break;
    uint32_t next = count >= k ? if_set : if_clear;
    if (next >= k) t |= below, at_least = next;
    if (next == k) break;
  }
  *ge = at_least;
  return (int32_t)(t ^ 0x80000000u);
}

#ifndef SCAN_KTH
static int32_t kth_key(const int32_t *key, uint32_t n, uint32_t k, uint32_t *ge) { return kth_any(key, n, k, ge); }
#else
static int32_t kth_key(const int32_t *key, uint32_t n, uint32_t k, uint32_t *ge);
#endif

#ifndef SCAN_KEYS
static uint32_t keys(const float *restrict x, uint32_t n, int32_t *restrict key) {
  uint32_t bad = 0, low = 0;
  for (uint32_t i = 0; i < n; i++) {
    float v = x[i];
    bad |= !(v < RSK_INF);
    low |= !(v > -RSK_INF);
    key[i] = rsk_float_key(v);
  }
  return bad | low << 1;
}

static uint32_t ge_take(const float *x, uint32_t n, float t, int32_t *ids, double *vals) {
  uint32_t unused = 0, count = scan_ge(x, n, 0, t, ids, &unused);
  for (uint32_t i = 0; i < count; i++) vals[i] = (double)x[ids[i]];
  return count;
}
#else
static uint32_t keys(const float *x, uint32_t n, int32_t *key);
static uint32_t ge_take(const float *x, uint32_t n, float t, int32_t *ids, double *vals);
#endif

#ifndef SCAN_EXPV
static void expv(const double *x, double sub, double *out, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) out[i] = rsk_exp(x[i] - sub);
}
#else
static void expv(const double *x, double sub, double *out, uint32_t n);
#endif

/* rsk_scan.softmax for any n: the table's expv between the scalar max and sums. */
static double softmax_any(const double *cv, uint32_t n, double *restrict cp, double *sum) {
  double max = rsk_max4(cv, n);
  expv(cv, max, cp, n);
  double s = rsk_sum4(cp, n), inv = 1.0 / s;
  for (uint32_t i = 0; i < n; i++) cp[i] *= inv;
  *sum = s;
  return max;
}

#ifndef SCAN_SOFTMAX
static double softmax(const double *cv, uint32_t n, double *cp, double *sum) { return softmax_any(cv, n, cp, sum); }
#else
static double softmax(const double *cv, uint32_t n, double *cp, double *sum);
#endif

/* rsk_scan.first_min for any n. */
static uint32_t first_min_any(const double *key, uint32_t n) {
  int32_t best = -1;
  double bk = RSK_INF;
  for (uint32_t j = 0; j < n; j++) {
    double v = key[j];
    if (v < bk || (best < 0 && v == v)) best = (int32_t)j, bk = v;
  }
  return (uint32_t)best;
}

#ifndef SCAN_FIRST_MIN
static uint32_t first_min(const double *key, uint32_t n) { return first_min_any(key, n); }
#else
static uint32_t first_min(const double *key, uint32_t n);
#endif

#ifndef SCAN_ARGMAX
static uint32_t argmax(const float *x, uint32_t n, const uint32_t *mask, float *chunk_max, uint32_t *bad) {
  (void)chunk_max; /* this table's sumexp reads none */
  int32_t id;
  float v;
  return scan_top(x, n, mask, 1, &id, &v, bad) ? (uint32_t)id : n;
}
#else
static uint32_t argmax(const float *x, uint32_t n, const uint32_t *mask, float *chunk_max, uint32_t *bad);
#endif

const rsk_scan SCAN_TABLE = {scan_top, scan_ge, apply, scan_sumexp, kth_key, keys, ge_take, softmax, first_min, argmax};
