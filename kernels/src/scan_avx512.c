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
#include "scan_body.h"
