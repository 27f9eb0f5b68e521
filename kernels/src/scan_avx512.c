/* scan_avx512.c — scans with AVX-512F (one 16-lane compare into a mask register). Built with -mavx512f. */
#define SCAN_TABLE rsk_scan_avx512
#include <immintrin.h>
#include "internal.h"

#define GT16(p, t) ((uint32_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(p), _mm512_set1_ps(t), _CMP_GT_OQ))
#define GE16(p, t) ((uint32_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(p), _mm512_set1_ps(t), _CMP_GE_OQ))
#define BAD16(p) ((uint32_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(p), _mm512_set1_ps(RSK_INF), _CMP_NLT_UQ))
#define APPLY16(p, off) _mm512_mask_storeu_ps((p), (__mmask16)(off), _mm512_set1_ps(-RSK_INF))
/* Unordered "not <= t" / "not < t": true for passing lanes, NaN and +inf, so a zero mask means skip. */
static inline int SKIP32(const float *p, float t, int ge) {
  __m512 tv = _mm512_set1_ps(t), a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
  if (ge) return (_mm512_cmp_ps_mask(a, tv, _CMP_NLT_UQ) | _mm512_cmp_ps_mask(b, tv, _CMP_NLT_UQ)) == 0;
  return (_mm512_cmp_ps_mask(a, tv, _CMP_NLE_UQ) | _mm512_cmp_ps_mask(b, tv, _CMP_NLE_UQ)) == 0;
}
#define SCAN_SUMEXP
#define SCAN_EXPV
#define SCAN_KEYS
#define SCAN_KTH
#define SCAN_SOFTMAX
#define SCAN_FIRST_MIN
#define SCAN_ARGMAX
#include "scan_body.h"

/* Lanes [0, n - i) of the 16 starting at i. */
static inline __mmask16 lanes16(uint32_t i, uint32_t n) {
  return n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
}

/* Folds x[i..i + 16) (the `lanes` of it, the rest read as -inf) into *max where the mask allows (vmaxps returns its
 * second operand, the running max, for a NaN lane) and, unless min is NULL, every lane into *min; clears the *finite
 * lanes that are NaN or +inf (a masked compare: no mask-register OR per vector). Inlined with mask = 0 for the maskless
 * pass. */
static inline __attribute__((always_inline)) void max16(__m512 *max, __m512 *min, __mmask16 *finite, const float *x,
                                                          uint32_t i, __mmask16 lanes, const uint32_t *mask) {
  __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-RSK_INF), lanes, x + i);
  *finite = _mm512_mask_cmp_ps_mask(*finite, v, _mm512_set1_ps(RSK_INF), _CMP_LT_OQ);
  if (min) *min = _mm512_min_ps(v, *min);
  if (mask) v = _mm512_mask_mov_ps(_mm512_set1_ps(-RSK_INF), (__mmask16)allow16(mask, i), v);
  *max = _mm512_max_ps(v, *max);
}

/* The largest allowed value of x[from..to) (-inf if none), 64 lanes per step in four independent maxima; 0 in *bad
 * when a logit is NaN or +inf. Unless min_out is NULL, the smallest of all (masked-out ones too; -inf in a range that
 * does not fill its last 16) goes there. */
static inline __attribute__((always_inline)) float max_range(const float *x, uint32_t from, uint32_t to,
                                                               const uint32_t *mask, __mmask16 *bad, float *min_out) {
  __m512 m0 = _mm512_set1_ps(-RSK_INF), m1 = m0, m2 = m0, m3 = m0;
  __m512 l0 = _mm512_set1_ps(RSK_INF), l1 = l0, l2 = l0, l3 = l0;
  __m512 *n0 = min_out ? &l0 : 0, *n1 = min_out ? &l1 : 0, *n2 = min_out ? &l2 : 0, *n3 = min_out ? &l3 : 0;
  __mmask16 f0 = 0xFFFF, f1 = 0xFFFF, f2 = 0xFFFF, f3 = 0xFFFF;
  uint32_t i = from;
  for (; i + 64 <= to; i += 64) {
    max16(&m0, n0, &f0, x, i, 0xFFFF, mask);
    max16(&m1, n1, &f1, x, i + 16, 0xFFFF, mask);
    max16(&m2, n2, &f2, x, i + 32, 0xFFFF, mask);
    max16(&m3, n3, &f3, x, i + 48, 0xFFFF, mask);
  }
  for (; i < to; i += 16) max16(&m0, n0, &f0, x, i, lanes16(i, to), mask);
  *bad |= (__mmask16)~(f0 & f1 & f2 & f3);
  if (min_out) *min_out = _mm512_reduce_min_ps(_mm512_min_ps(_mm512_min_ps(l0, l1), _mm512_min_ps(l2, l3)));
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

/* Tokens before the first 64-byte boundary of x (< 16): loads split across cache lines make a pass over an L2-resident
 * vocabulary half again as slow, so maskless passes start their full vectors there (a mask's 16-bit groups need
 * blocks at multiples of 16). */
static inline uint32_t to_line(const float *x, uint32_t n, const uint32_t *mask) {
  uint32_t head = mask ? 0 : (uint32_t)((64 - ((uintptr_t)x & 63)) & 63) / 4;
  return head < n ? head : n;
}

/* Where the max and sum passes' chunks start: the head (tokens before x's first cache line; none under 64 tokens), then
 * 1024 tokens each, the last one taking a rest under 16 with it. */
static inline uint32_t chunk_start(const float *x, uint32_t n, const uint32_t *mask) {
  return n >= 64 ? to_line(x, n, mask) : 0;
}
static inline uint32_t chunk_end(uint32_t c, uint32_t n) { return n - c >= 1024 + 16 ? c + 1024 : n; }

/* The first chunk (chunk_start's) reaching the largest allowed value (n: none > -inf) and that value; *bad as top's.
 * chunk_max (unless NULL) gets every chunk's largest allowed value and smallest value (max_range's), the head's first. */
static inline __attribute__((always_inline)) uint32_t best_chunk(const float *x, uint32_t n, const uint32_t *mask,
                                                                   float *best, __mmask16 *bad, float *chunk_max) {
  uint32_t at = n, j = 0;
  for (uint32_t c = 0, end = chunk_start(x, n, mask); c < n; c = end, end = chunk_end(c, n), j += 2) {
    float top = max_range(x, c, end, mask, bad, chunk_max ? chunk_max + j + 1 : 0);
    if (chunk_max) chunk_max[j] = top;
    if (top > *best) *best = top, at = c;
  }
  return at;
}

/* scan_body.h's argmax as one max pass (the heap scan's compare-and-branch per block is twice as slow at V = 128k);
 * only the first chunk holding the max is read again, for its first index. Its chunk maxima spare scan_sumexp most
 * of its `near` tests. */
static uint32_t argmax(const float *x, uint32_t n, const uint32_t *mask, float *chunk_max, uint32_t *bad) {
  float best = -RSK_INF;
  __mmask16 nonfinite = 0;
  uint32_t at = mask ? best_chunk(x, n, mask, &best, &nonfinite, chunk_max)
                     : best_chunk(x, n, 0, &best, &nonfinite, chunk_max);
  if (nonfinite) *bad = 1;
  if (nonfinite || at == n) return n;
  for (uint32_t i = at;; i += 16) {
    __mmask16 live = lanes16(i, n) & (__mmask16)allow16(mask, i);
    __mmask16 hit = _mm512_mask_cmp_ps_mask(live, _mm512_maskz_loadu_ps(live, x + i), _mm512_set1_ps(best), _CMP_EQ_OQ);
    if (hit) return i + (uint32_t)__builtin_ctz(hit);
  }
}

/* scan_body.h's keys, 16 lanes at a time (masked tail). */
static uint32_t keys(const float *x, uint32_t n, int32_t *key) {
  const __m512 inf = _mm512_set1_ps(RSK_INF), ninf = _mm512_set1_ps(-RSK_INF), zero = _mm512_setzero_ps();
  uint32_t bad = 0, low = 0;
  for (uint32_t i = 0; i < n; i += 16) {
    __mmask16 m = lanes16(i, n);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    bad |= _mm512_mask_cmp_ps_mask(m, v, inf, _CMP_NLT_UQ);
    low |= _mm512_mask_cmp_ps_mask(m, v, ninf, _CMP_NGT_UQ);
    __m512i b = _mm512_castps_si512(_mm512_add_ps(v, zero)); /* -0 -> +0, as rsk_float_key */
    b = _mm512_xor_si512(b, _mm512_srli_epi32(_mm512_srai_epi32(b, 31), 1));
    _mm512_mask_storeu_epi32(key + i, m, b);
  }
  return (bad != 0) | (uint32_t)(low != 0) << 1;
}

/* scan_body.h's ge_take: each block's passing ids and values compressed into place (no per-token loop). */
__attribute__((target("popcnt"))) static uint32_t ge_take(const float *x, uint32_t n, float t, int32_t *ids,
                                                           double *vals) {
  const __m512 tv = _mm512_set1_ps(t);
  __m512i id = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; i += 16, id = _mm512_add_epi32(id, _mm512_set1_epi32(16))) {
    __mmask16 m = lanes16(i, n);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __mmask16 hit = _mm512_mask_cmp_ps_mask(m, v, tv, _CMP_GE_OQ);
    uint32_t h = (uint32_t)_mm_popcnt_u32(hit);
    __m512 c = _mm512_maskz_compress_ps(hit, v);
    _mm512_mask_storeu_epi32(ids + count, lanes16(0, h), _mm512_maskz_compress_epi32(hit, id));
    __mmask8 lo = h >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << h) - 1u);
    __mmask8 hi = h > 8 ? (__mmask8)((1u << (h - 8)) - 1u) : 0;
    _mm512_mask_storeu_pd(vals + count, lo, _mm512_cvtps_pd(_mm512_castps512_ps256(c)));
    __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c), 1));
    _mm512_mask_storeu_pd(vals + count + 8, hi, _mm512_cvtps_pd(upper));
    count += h;
  }
  return count;
}

/* Keys >= c (sign bit flipped back) among four registers of 16. */
__attribute__((target("popcnt"))) static inline uint32_t count_ge(const void *regs, uint32_t c) {
  const __m512i *r = (const __m512i *)regs, cv = _mm512_set1_epi32((int32_t)(c ^ 0x80000000u));
  uint64_t lo = (uint64_t)_mm512_cmpge_epi32_mask(r[0], cv) | (uint64_t)_mm512_cmpge_epi32_mask(r[1], cv) << 16;
  uint64_t hi = (uint64_t)_mm512_cmpge_epi32_mask(r[2], cv) | (uint64_t)_mm512_cmpge_epi32_mask(r[3], cv) << 16;
  return (uint32_t)_mm_popcnt_u64(lo | hi << 32);
}

/* scan_body.h's kth_key: up to 64 keys in four registers (padding below every threshold), two bits per round. */
__attribute__((target("popcnt"))) static int32_t kth_key(const int32_t *key, uint32_t n, uint32_t k, uint32_t *ge) {
  if (n > 64) return kth_any(key, n, k, ge);
  const __m512i lowest = _mm512_set1_epi32(INT32_MIN); /* below every candidate threshold (c > 0) */
  __m512i r[4];
  for (uint32_t j = 0; j < 4; j++)
    r[j] = _mm512_mask_loadu_epi32(lowest, 16 * j < n ? lanes16(16 * j, n) : 0, key + 16 * j);
  return kth_rounds(r, n, k, ge, count_ge);
}

/* Lanes of v inside exp_chains' range [-708, 709] (subnormal or overflowing results, NaN: the scalar rsk_exp). */
static inline __mmask8 exp8_ok(__m512d v) {
  return _mm512_cmp_pd_mask(v, _mm512_set1_pd(-708.0), _CMP_GE_OQ) & _mm512_cmp_pd_mask(v, _mm512_set1_pd(709.0), _CMP_LE_OQ);
}

/* rsk_exp (math.c) on v[0..chains) in place, its operations in its order (no FMA), so the same bits; each operation
 * runs across all the vectors before the next (their dependent chains overlap). Inlined with a constant `chains`. */
static inline __attribute__((always_inline)) void exp_chains(__m512d *v, const uint32_t chains) {
  static const double c[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                             1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  const __m512d shift = _mm512_set1_pd(6755399441055744.0);
  __m512d r[8], p[8];
  __m512i k[8];
  for (uint32_t j = 0; j < chains; j++) {
    __m512d t = _mm512_add_pd(_mm512_mul_pd(v[j], _mm512_set1_pd(1.44269504088896338700e+00)), shift);
    __m512d kd = _mm512_sub_pd(t, shift);
    k[j] = _mm512_sub_epi64(_mm512_castpd_si512(t), _mm512_castpd_si512(shift)); /* t = 1.5 * 2^52 + k */
    r[j] = _mm512_sub_pd(_mm512_sub_pd(v[j], _mm512_mul_pd(kd, _mm512_set1_pd(6.93147180369123816490e-01))),
                         _mm512_mul_pd(kd, _mm512_set1_pd(1.90821492927058770002e-10)));
    p[j] = _mm512_set1_pd(1.0 / 6227020800.0);
  }
  for (uint32_t i = 0; i < 13; i++)
    for (uint32_t j = 0; j < chains; j++) p[j] = _mm512_add_pd(_mm512_mul_pd(p[j], r[j]), _mm512_set1_pd(c[i]));
  for (uint32_t j = 0; j < chains; j++)
    v[j] = _mm512_mul_pd(p[j], _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(k[j], _mm512_set1_epi64(1023)),
                                                                      52)));
}

/* Lanes [0, len - 8 j) of vector j (none past len). */
static inline __mmask8 lanes8(uint32_t j, uint32_t len) {
  return 8 * j >= len ? 0 : len - 8 * j >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (len - 8 * j)) - 1u);
}

/* Loads x[0..len) - sub into v[0..chains) (idle lanes 0); 0 when a lane is outside exp_chains' range. */
static inline __attribute__((always_inline)) int load_exp_args(const double *x, double sub, uint32_t len, __m512d *v,
                                                                 const uint32_t chains) {
  const __m512d vsub = _mm512_set1_pd(sub);
  __mmask8 ok = 0xFF;
  for (uint32_t j = 0; j < chains; j++) {
    __mmask8 m = lanes8(j, len);
    v[j] = _mm512_maskz_mov_pd(m, _mm512_sub_pd(_mm512_maskz_loadu_pd(m, x + 8 * j), vsub));
    ok &= exp8_ok(v[j]);
  }
  return ok == 0xFF;
}

/* out[i] = rsk_exp(x[i] - sub) for i < len (1..64) on `chains` = ceil(len / 8) vectors at once; a lane out of range
 * sends the whole step to the scalar rsk_exp. */
static inline __attribute__((always_inline)) void exp_step(const double *x, double sub, double *out, uint32_t len,
                                                             const uint32_t chains) {
  __m512d v[8];
  if (!load_exp_args(x, sub, len, v, chains)) {
    for (uint32_t l = 0; l < len; l++) out[l] = rsk_exp(x[l] - sub);
    return;
  }
  exp_chains(v, chains);
  for (uint32_t j = 0; j < chains; j++) _mm512_mask_storeu_pd(out + 8 * j, lanes8(j, len), v[j]);
}

/* out[i] = rsk_exp(x[i] - sub), 64 lanes per step (a small vocabulary's row in one step: one chain's latency). */
static void expv(const double *x, double sub, double *out, uint32_t n) {
  for (uint32_t i = 0; i < n; i += 64) {
    uint32_t len = n - i < 64 ? n - i : 64;
    switch ((len + 7) / 8) {
    case 1: exp_step(x + i, sub, out + i, len, 1); break;
    case 2: exp_step(x + i, sub, out + i, len, 2); break;
    case 3: exp_step(x + i, sub, out + i, len, 3); break;
    case 4: exp_step(x + i, sub, out + i, len, 4); break;
    case 5: exp_step(x + i, sub, out + i, len, 5); break;
    case 6: exp_step(x + i, sub, out + i, len, 6); break;
    case 7: exp_step(x + i, sub, out + i, len, 7); break;
    default: exp_step(x + i, sub, out + i, len, 8); break;
    }
  }
}

/* softmax_any for n <= 64 in registers: the max, the exponentials, Σ in rsk_sum4's order (a 4-lane accumulator
 * adds each vector's halves in id order; idle lanes add +0, which leaves a sum of non-negative terms unchanged), the
 * scaling, one store. Returns 0 (nothing written) when a lane is outside exp_chains' range. */
static inline __attribute__((always_inline)) int softmax_step(const double *cv, uint32_t n, double *cp, double *sum,
                                                                double *max_out, const uint32_t chains) {
  __m512d v[8], mx = _mm512_set1_pd(-RSK_INF);
  for (uint32_t j = 0; j < chains; j++)
    mx = _mm512_mask_max_pd(mx, lanes8(j, n), mx, _mm512_maskz_loadu_pd(lanes8(j, n), cv + 8 * j));
  double max = _mm512_reduce_max_pd(mx); /* no NaN: the same value as rsk_max4 (±0 give the same exponentials) */
  if (!load_exp_args(cv, max, n, v, chains)) return 0;
  exp_chains(v, chains);
  __m256d acc = _mm256_setzero_pd();
  for (uint32_t j = 0; j < chains; j++) {
    v[j] = _mm512_maskz_mov_pd(lanes8(j, n), v[j]);
    acc = _mm256_add_pd(acc, _mm512_castpd512_pd256(v[j]));
    acc = _mm256_add_pd(acc, _mm512_extractf64x4_pd(v[j], 1));
  }
  double s[4];
  _mm256_storeu_pd(s, acc);
  double total = (s[0] + s[1]) + (s[2] + s[3]);
  __m512d inv = _mm512_set1_pd(1.0 / total);
  for (uint32_t j = 0; j < chains; j++) _mm512_mask_storeu_pd(cp + 8 * j, lanes8(j, n), _mm512_mul_pd(v[j], inv));
  *sum = total, *max_out = max;
  return 1;
}

/* rsk_scan.softmax: up to 64 logits in registers (softmax_step, inlined per vector count), else softmax_any. */
static double softmax(const double *cv, uint32_t n, double *cp, double *sum) {
  double max = 0.0;
  int done = 0;
  switch (n <= 64 ? (n + 7) / 8 : 0) {
  case 1: done = softmax_step(cv, n, cp, sum, &max, 1); break;
  case 2: done = softmax_step(cv, n, cp, sum, &max, 2); break;
  case 3: done = softmax_step(cv, n, cp, sum, &max, 3); break;
  case 4: done = softmax_step(cv, n, cp, sum, &max, 4); break;
  case 5: done = softmax_step(cv, n, cp, sum, &max, 5); break;
  case 6: done = softmax_step(cv, n, cp, sum, &max, 6); break;
  case 7: done = softmax_step(cv, n, cp, sum, &max, 7); break;
  case 8: done = softmax_step(cv, n, cp, sum, &max, 8); break;
  default: break;
  }
  return done ? max : softmax_any(cv, n, cp, sum);
}

static inline __m512d add_halves(__m512d acc, __m512 v) {
  acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

/* The constants of scan_sumexp's two estimates; k23 folds the exponent bias into the cheap estimate's FMA. */
typedef struct {
  __m512 m, c, near, c23, k23;
} sumexp_consts;

/* 2^24 = (-125 + 127) * 2^23: cheap16's d23 + 127 * 2^23 at the -125 floor. */
#define CHEAP_FLOOR 16777216.0f

/* fl(m * c23 - 127 * 2^23), rounded once (a fused multiply-subtract): cheap16 then needs no integer add. */
static inline __m512 cheap_k23(float m, float c23) {
  return _mm512_fmsub_ps(_mm512_set1_ps(m), _mm512_set1_ps(c23), _mm512_set1_ps(1065353216.0f));
}

/* The precise estimate of one block (x[i..i + 16), allowed lanes `keep`) into s (Σ e) and a (Σ e |d|). */
static inline void precise16(const sumexp_consts *k, __m512 v, __mmask16 keep, __m512d *s, __m512d *a) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 d = _mm512_mul_ps(_mm512_sub_ps(v, k->m), k->c);
  d = _mm512_min_ps(_mm512_max_ps(d, _mm512_set1_ps(-125.0f)), zero);
  keep &= _mm512_cmp_ps_mask(v, _mm512_set1_ps(-RSK_INF), _CMP_GT_OQ);
  __m512 r = _mm512_roundscale_ps(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 f = _mm512_sub_ps(d, r);
  __m512 p = _mm512_set1_ps(1.5403530393381606e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  __m512 e = _mm512_maskz_scalef_ps(keep, p, r);
  *s = add_halves(*s, e);
  *a = add_halves(*a, _mm512_mul_ps(e, _mm512_sub_ps(zero, d)));
}

/* The cheap estimate of 16 tokens: one FMA giving b = d * 2^23 + 127 * 2^23 (the float's bits, biased exponent and
 * mantissa), the floor and a conversion. b >= 2^24 is a float of integer value, so the conversion is exact (no
 * truncation); b's one rounding (< 2^5, as b < 2^30) and k23's (< 2^-24 (|m c| + 127) 2^23) stay inside the
 * (4 |m c| + 375) 2^-24 of d that sample.c's bound allows with c's own rounding (< 2^-24 (|m c| + 125)). No clamp at
 * 0 (scan_body.h's min): a token above m is masked out (its lane is never added) or above it by d's rounding only. */
static inline __attribute__((always_inline)) __m512 cheap16(const sumexp_consts *k, __m512 v, const int clamp) {
  __m512 b = _mm512_fmsub_ps(v, k->c23, k->k23);
  if (clamp) b = _mm512_max_ps(b, _mm512_set1_ps(CHEAP_FLOOR));
  return _mm512_castsi512_ps(_mm512_cvttps_epi32(b));
}

/* One block of 16 at i: precise (recorded in blocks) when a token is >= near, else cheap into *q. */
static inline void block16(const sumexp_consts *k, const float *x, uint32_t i, const uint32_t *mask, __m512d *s,
                           __m512d *a, __m512 *q, int32_t *blocks, uint32_t *n_blocks) {
  __m512 v = _mm512_loadu_ps(x + i);
  __mmask16 keep = (__mmask16)allow16(mask, i);
  if (_mm512_cmp_ps_mask(v, k->near, _CMP_GE_OQ)) {
    blocks[(*n_blocks)++] = (int32_t)i;
    precise16(k, v, keep, s, a);
  } else {
    *q = _mm512_mask_add_ps(*q, keep, *q, cheap16(k, v, 1));
  }
}

/* The cheap estimates of x[i..i + 64) (allowed lanes) into four accumulators; clamp 0 when no d falls below -125. */
static inline __attribute__((always_inline)) void cheap64(const sumexp_consts *k, const float *x, uint32_t i,
                                                            const uint32_t *mask, __m512 *q, const int clamp) {
  for (uint32_t j = 0; j < 4; j++) {
    __m512 e = cheap16(k, _mm512_loadu_ps(x + i + 16 * j), clamp);
    q[j] = _mm512_mask_add_ps(q[j], (__mmask16)allow16(mask, i + 16 * j), q[j], e);
  }
}

/* Whether cheap16's b of every value >= lo is >= its floor (the FMA is monotone in v: lo's own b decides). */
static inline int no_clamp_from(const sumexp_consts *k, float lo) {
  __m512 b = _mm512_fmsub_ps(_mm512_set1_ps(lo), k->c23, k->k23);
  return _mm512_cmp_ps_mask(b, _mm512_set1_ps(CHEAP_FLOOR), _CMP_GE_OQ) == 0xFFFF;
}

/* scan_body.h's sumexp with every block in registers; 64 tokens per step into four cheap accumulators (independent
 * chains) behind one `near` test on their max, as almost every block of a large vocabulary is cheap; a chunk whose
 * allowed tokens are all below `near` by chunk_max (argmax's, or NULL) skips the tests (its masked-out tokens are
 * never summed nor candidates, so a cheap block serves as well as a precise one). Without a mask the blocks start at
 * x's first cache line (the head before it is a precise block). FMA only rounds less than the bound in sample.c
 * allows for. */
static void scan_sumexp(const float *x, uint32_t n, const uint32_t *mask, float m, float c, float near,
                        const float *chunk_max, double *sums, int32_t *blocks, uint32_t *n_blocks) {
  const sumexp_consts k = {_mm512_set1_ps(m), _mm512_set1_ps(c), _mm512_set1_ps(near), _mm512_set1_ps(c * 8388608.0f),
                           cheap_k23(m, c * 8388608.0f)};
  __m512d s = _mm512_setzero_pd(), a = _mm512_setzero_pd(), q = _mm512_setzero_pd();
  uint32_t i = chunk_start(x, n, mask);
  if (i > 0) { /* the head before x's first cache line: a precise block of its own */
    blocks[(*n_blocks)++] = 0;
    precise16(&k, _mm512_maskz_loadu_ps(lanes16(0, i), x), lanes16(0, i), &s, &a);
  }
  for (uint32_t chunk = 1; i + 16 <= n; chunk++) { /* chunk_max[0..2) is the head's */
    /* float lanes, flushed to double every 1024 tokens (at most 64 terms each: error < 64 * 2^-24, in the bound) */
    __m512 q4[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    uint32_t end = chunk_end(i, n);
    if (chunk_max && chunk_max[2 * chunk] < near) { /* no allowed token near the max: every step cheap, no tests */
      if (no_clamp_from(&k, chunk_max[2 * chunk + 1]))
        for (; i + 64 <= end; i += 64) cheap64(&k, x, i, mask, q4, 0);
      for (; i + 64 <= end; i += 64) cheap64(&k, x, i, mask, q4, 1);
    }
    for (; i + 64 <= end; i += 64) {
      __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
      __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
      if (_mm512_cmp_ps_mask(_mm512_max_ps(_mm512_max_ps(v0, v1), _mm512_max_ps(v2, v3)), k.near, _CMP_GE_OQ)) {
        for (uint32_t j = 0; j < 4; j++) block16(&k, x, i + 16 * j, mask, &s, &a, &q4[j], blocks, n_blocks);
        continue;
      }
      cheap64(&k, x, i, mask, q4, 1);
    }
    for (; i + 16 <= end; i += 16) block16(&k, x, i, mask, &s, &a, &q4[0], blocks, n_blocks);
    q = add_halves(add_halves(add_halves(add_halves(q, q4[0]), q4[1]), q4[2]), q4[3]);
  }
  double lanes[8];
  _mm512_storeu_pd(lanes, s);
  for (int l = 0; l < 8; l++) sums[0] += lanes[l];
  _mm512_storeu_pd(lanes, a);
  for (int l = 0; l < 8; l++) sums[1] += lanes[l];
  _mm512_storeu_pd(lanes, q);
  for (int l = 0; l < 8; l++) sums[2] += lanes[l];
  if (i < n) blocks[(*n_blocks)++] = (int32_t)i;
  for (; i < n; i++) {
    float d, e = sumexp_term(x[i], m, c, mask ? (mask[i >> 5] >> (i & 31)) & 1u : 1u, &d);
    sums[0] += (double)e;
    sums[1] += (double)(e * -d);
  }
}

/* first_min_any for n <= 64 without a branch per key: the smallest non-NaN key by a masked min over eight vectors,
 * then the first lane equal to it (±0 compare equal, as `<` treats them in first_min_any). */
static uint32_t first_min(const double *key, uint32_t n) {
  if (n > 64) return first_min_any(key, n);
  __m512d v[8], mn = _mm512_set1_pd(RSK_INF);
  for (uint32_t j = 0; j < 8; j++) {
    __mmask8 m = lanes8(j, n);
    v[j] = _mm512_maskz_loadu_pd(m, key + 8 * j);
    mn = _mm512_mask_min_pd(mn, _mm512_mask_cmp_pd_mask(m, v[j], v[j], _CMP_ORD_Q), mn, v[j]);
  }
  __m512d least = _mm512_set1_pd(_mm512_reduce_min_pd(mn));
  for (uint32_t j = 0; j < 8; j++) {
    __mmask8 hit = _mm512_mask_cmp_pd_mask(lanes8(j, n), v[j], least, _CMP_EQ_OQ);
    if (hit) return 8 * j + (uint32_t)__builtin_ctz(hit);
  }
  return first_min_any(key, n); /* unreachable for valid input (a key that is not NaN) */
}
