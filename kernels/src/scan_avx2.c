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
#include "scan_body.h"

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
