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
#include "scan_body.h"
