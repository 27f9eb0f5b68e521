/* scan_avx2.c — scans with AVX2 (two 8-lane compares per 16 tokens). Built with -mavx2. */
#define SCAN_TABLE rsk_scan_avx2
#include <immintrin.h>
#include "internal.h"

static inline uint32_t cmp16(const float *p, __m256 t, const int pred_gt) {
  __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
  __m256 ma = pred_gt ? _mm256_cmp_ps(a, t, _CMP_GT_OQ) : _mm256_cmp_ps(a, t, _CMP_GE_OQ);
  __m256 mb = pred_gt ? _mm256_cmp_ps(b, t, _CMP_GT_OQ) : _mm256_cmp_ps(b, t, _CMP_GE_OQ);
  return (uint32_t)_mm256_movemask_ps(ma) | ((uint32_t)_mm256_movemask_ps(mb) << 8);
}
#define GT16(p, t) cmp16((p), _mm256_set1_ps(t), 1)
#define GE16(p, t) cmp16((p), _mm256_set1_ps(t), 0)
static inline uint32_t BAD16(const float *p) {
  __m256 inf = _mm256_set1_ps(RSK_INF);
  __m256 a = _mm256_cmp_ps(_mm256_loadu_ps(p), inf, _CMP_NLT_UQ);
  __m256 b = _mm256_cmp_ps(_mm256_loadu_ps(p + 8), inf, _CMP_NLT_UQ);
  return (uint32_t)_mm256_movemask_ps(a) | ((uint32_t)_mm256_movemask_ps(b) << 8);
}
static inline void APPLY16(float *p, uint32_t off) {
  const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  __m256 ninf = _mm256_set1_ps(-RSK_INF);
  __m256i lo = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)(off & 0xFF)), lanes), lanes);
  __m256i hi = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)(off >> 8)), lanes), lanes);
  _mm256_maskstore_ps(p, lo, ninf);
  _mm256_maskstore_ps(p + 8, hi, ninf);
}
/* Unordered "not <= t" / "not < t" over 4 vectors: true for passing lanes, NaN and +inf; all zero means skip. */
static inline int SKIP32(const float *p, float t, int ge) {
  __m256 tv = _mm256_set1_ps(t), any = _mm256_setzero_ps();
  for (int k = 0; k < 32; k += 8)
    any = _mm256_or_ps(any, ge ? _mm256_cmp_ps(_mm256_loadu_ps(p + k), tv, _CMP_NLT_UQ)
                               : _mm256_cmp_ps(_mm256_loadu_ps(p + k), tv, _CMP_NLE_UQ));
  return _mm256_testz_ps(any, any);
}
#define SCAN_EXPV
#define SCAN_KTH
#define SCAN_FIRST_MIN
#include "scan_body.h"

/* first_min_any for n <= 64 without a branch per key: the smallest non-NaN key by vector min over sixteen registers
 * of 4 (NaN read as +inf there), then the first lane equal to it (NaN and lanes past n, NaN too, never are; ±0
 * compare equal, as `<` treats them). */
static uint32_t first_min(const double *key, uint32_t n) {
  if (n > 64) return first_min_any(key, n);
  const __m256d inf = _mm256_set1_pd(RSK_INF), nan = _mm256_set1_pd(__builtin_nan(""));
  const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
  __m256d v[16], mn = inf;
  for (uint32_t j = 0; j < 16; j++) {
    __m256i live = _mm256_cmpgt_epi64(_mm256_set1_epi64x((int64_t)n - 4 * j), lane); /* lanes below n */
    v[j] = _mm256_blendv_pd(nan, _mm256_maskload_pd(key + 4 * j, live), _mm256_castsi256_pd(live));
    mn = _mm256_min_pd(mn, _mm256_blendv_pd(v[j], inf, _mm256_cmp_pd(v[j], v[j], _CMP_UNORD_Q)));
  }
  mn = _mm256_min_pd(mn, _mm256_permute2f128_pd(mn, mn, 1));
  mn = _mm256_min_pd(mn, _mm256_permute_pd(mn, 5));
  for (uint32_t j = 0; j < 16; j++) {
    uint32_t hit = (uint32_t)_mm256_movemask_pd(_mm256_cmp_pd(v[j], mn, _CMP_EQ_OQ));
    if (hit) return 4 * j + (uint32_t)__builtin_ctz(hit);
  }
  return first_min_any(key, n); /* unreachable for valid input (a key that is not NaN) */
}

/* Keys >= c (sign bit flipped back) among eight registers of 8: the compares packed to bytes, two byte masks. */
__attribute__((target("popcnt"))) static inline uint32_t count_ge(const void *regs, uint32_t c) {
  const __m256i *r = (const __m256i *)regs;
  const __m256i cv = _mm256_set1_epi32((int32_t)((c ^ 0x80000000u) - 1u)); /* key >= c <=> key > c - 1 (c > 0) */
  __m256i a = _mm256_packs_epi32(_mm256_cmpgt_epi32(r[0], cv), _mm256_cmpgt_epi32(r[1], cv));
  __m256i b = _mm256_packs_epi32(_mm256_cmpgt_epi32(r[2], cv), _mm256_cmpgt_epi32(r[3], cv));
  __m256i d = _mm256_packs_epi32(_mm256_cmpgt_epi32(r[4], cv), _mm256_cmpgt_epi32(r[5], cv));
  __m256i e = _mm256_packs_epi32(_mm256_cmpgt_epi32(r[6], cv), _mm256_cmpgt_epi32(r[7], cv));
  uint32_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_packs_epi16(a, b));
  uint32_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_packs_epi16(d, e));
  return (uint32_t)_mm_popcnt_u64((uint64_t)lo | (uint64_t)hi << 32);
}

/* scan_body.h's kth_key: up to 64 keys in eight registers (padding below every threshold), two bits per round. */
__attribute__((target("popcnt"))) static int32_t kth_key(const int32_t *key, uint32_t n, uint32_t k, uint32_t *ge) {
  if (n > 64) return kth_any(key, n, k, ge);
  int32_t padded[64];
  for (uint32_t i = 0; i < 64; i++) padded[i] = i < n ? key[i] : INT32_MIN; /* below every candidate threshold */
  __m256i r[8];
  for (uint32_t j = 0; j < 8; j++) r[j] = _mm256_loadu_si256((const __m256i *)(padded + 8 * j));
  return kth_rounds(r, n, k, ge, count_ge);
}

/* rsk_exp (math.c) on 4 lanes, the same operations in the same order (no FMA), so the same bits (as scan_avx512.c's
 * 8-lane version); a lane outside [-708, 709] sends its block to the scalar rsk_exp. */
static void expv(const double *x, double sub, double *out, uint32_t n) {
  const __m256d vsub = _mm256_set1_pd(sub), shift = _mm256_set1_pd(6755399441055744.0);
  static const double c[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                             1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d v = _mm256_sub_pd(_mm256_loadu_pd(x + i), vsub);
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(v, _mm256_set1_pd(-708.0), _CMP_GE_OQ), _mm256_cmp_pd(v, _mm256_set1_pd(709.0), _CMP_LE_OQ));
    if (_mm256_movemask_pd(ok) != 0xF) {
      for (int l = 0; l < 4; l++) out[i + l] = rsk_exp(x[i + l] - sub);
      continue;
    }
    __m256d t = _mm256_add_pd(_mm256_mul_pd(v, _mm256_set1_pd(1.44269504088896338700e+00)), shift);
    __m256d kd = _mm256_sub_pd(t, shift);
    __m256i k = _mm256_sub_epi64(_mm256_castpd_si256(t), _mm256_castpd_si256(shift)); /* t = 1.5 * 2^52 + k */
    __m256d r = _mm256_sub_pd(_mm256_sub_pd(v, _mm256_mul_pd(kd, _mm256_set1_pd(6.93147180369123816490e-01))),
                              _mm256_mul_pd(kd, _mm256_set1_pd(1.90821492927058770002e-10)));
    __m256d p = _mm256_set1_pd(1.0 / 6227020800.0);
    for (int j = 0; j < 13; j++) p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(c[j]));
    __m256d scale = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(k, _mm256_set1_epi64x(1023)), 52));
    _mm256_storeu_pd(out + i, _mm256_mul_pd(p, scale));
  }
  for (; i < n; i++) out[i] = rsk_exp(x[i] - sub);
}
