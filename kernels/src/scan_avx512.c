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
#include "scan_body.h"

/* rsk_exp (math.c) on 8 lanes, the same operations in the same order (no FMA), so the same bits; v in [-708, 709]. */
static inline __m512d exp8(__m512d v) {
  const __m512d shift = _mm512_set1_pd(6755399441055744.0);
  __m512d t = _mm512_add_pd(_mm512_mul_pd(v, _mm512_set1_pd(1.44269504088896338700e+00)), shift);
  __m512d kd = _mm512_sub_pd(t, shift);
  __m512i k = _mm512_sub_epi64(_mm512_castpd_si512(t), _mm512_castpd_si512(shift)); /* t = 1.5 * 2^52 + k */
  __m512d r = _mm512_sub_pd(_mm512_sub_pd(v, _mm512_mul_pd(kd, _mm512_set1_pd(6.93147180369123816490e-01))),
                            _mm512_mul_pd(kd, _mm512_set1_pd(1.90821492927058770002e-10)));
  __m512d p = _mm512_set1_pd(1.0 / 6227020800.0);
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 479001600.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 39916800.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 3628800.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 362880.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 40320.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 5040.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 720.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 120.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 24.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0 / 6.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(0.5));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0));
  p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(1.0));
  __m512d scale = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(k, _mm512_set1_epi64(1023)), 52));
  return _mm512_mul_pd(p, scale);
}

/* Lanes of v inside exp8's range [-708, 709] (subnormal or overflowing results and NaN go to the scalar rsk_exp). */
static inline __mmask8 exp8_ok(__m512d v) {
  return _mm512_cmp_pd_mask(v, _mm512_set1_pd(-708.0), _CMP_GE_OQ) & _mm512_cmp_pd_mask(v, _mm512_set1_pd(709.0), _CMP_LE_OQ);
}

/* out[i] = rsk_exp(x[i] - sub): 32 lanes per step as four independent chains (the polynomial is a long dependent
 * chain; interleaving hides its latency), then 8, then a masked tail; a block with a lane out of range is scalar. */
static void expv(const double *x, double sub, double *out, uint32_t n) {
  const __m512d vsub = _mm512_set1_pd(sub);
  uint32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512d v0 = _mm512_sub_pd(_mm512_loadu_pd(x + i), vsub), v1 = _mm512_sub_pd(_mm512_loadu_pd(x + i + 8), vsub);
    __m512d v2 = _mm512_sub_pd(_mm512_loadu_pd(x + i + 16), vsub), v3 = _mm512_sub_pd(_mm512_loadu_pd(x + i + 24), vsub);
    if ((exp8_ok(v0) & exp8_ok(v1) & exp8_ok(v2) & exp8_ok(v3)) != 0xFF) {
      for (int l = 0; l < 32; l++) out[i + l] = rsk_exp(x[i + l] - sub);
      continue;
    }
    _mm512_storeu_pd(out + i, exp8(v0));
    _mm512_storeu_pd(out + i + 8, exp8(v1));
    _mm512_storeu_pd(out + i + 16, exp8(v2));
    _mm512_storeu_pd(out + i + 24, exp8(v3));
  }
  for (; i < n; i += 8) {
    __mmask8 m = n - i >= 8 ? 0xFF : (__mmask8)((1u << (n - i)) - 1u);
    __m512d v = _mm512_maskz_mov_pd(m, _mm512_sub_pd(_mm512_maskz_loadu_pd(m, x + i), vsub)); /* idle lanes: 0 */
    if (exp8_ok(v) != 0xFF) {
      for (uint32_t l = i; l < n && l < i + 8; l++) out[l] = rsk_exp(x[l] - sub);
      continue;
    }
    _mm512_mask_storeu_pd(out + i, m, exp8(v));
  }
}

static inline __m512d add_halves(__m512d acc, __m512 v) {
  acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

/* scan_body.h's sumexp with every block in registers: the cheap blocks (most of the vocabulary) cost one FMA, a
 * conversion and an integer add; FMA only rounds less than the bound in sample.c allows for. */
static void scan_sumexp(const float *x, uint32_t n, const uint32_t *mask, float m, float c, float near, double *sums,
                        int32_t *blocks, uint32_t *n_blocks) {
  const __m512 vm = _mm512_set1_ps(m), vc = _mm512_set1_ps(c), vnear = _mm512_set1_ps(near);
  const __m512 c23 = _mm512_set1_ps(c * 8388608.0f), mc23 = _mm512_set1_ps(m * (c * 8388608.0f));
  const __m512 floor23 = _mm512_set1_ps(-1048576000.0f), zero = _mm512_setzero_ps();
  const __m512i bias = _mm512_set1_epi32(127 << 23);
  __m512d s = _mm512_setzero_pd(), a = _mm512_setzero_pd(), q = _mm512_setzero_pd();
  uint32_t i = 0;
  while (i + 16 <= n) {
    __m512 cheap = zero; /* float lanes, flushed to double every 64 blocks (error < 64 * 2^-24, in the bound) */
    uint32_t end = n - i >= 1024 + 16 ? i + 1024 : n;
    for (; i + 16 <= end; i += 16) {
      __m512 v = _mm512_loadu_ps(x + i);
      __mmask16 keep = (__mmask16)allow16(mask, i);
      if (_mm512_cmp_ps_mask(v, vnear, _CMP_GE_OQ)) {
        blocks[(*n_blocks)++] = (int32_t)i;
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(v, vm), vc);
        d = _mm512_min_ps(_mm512_max_ps(d, _mm512_set1_ps(-125.0f)), zero);
        keep &= _mm512_cmp_ps_mask(v, _mm512_set1_ps(-RSK_INF), _CMP_GT_OQ);
        __m512 k = _mm512_roundscale_ps(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512 f = _mm512_sub_ps(d, k);
        __m512 p = _mm512_set1_ps(1.5403530393381606e-4f);
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
        __m512 e = _mm512_maskz_scalef_ps(keep, p, k);
        s = add_halves(s, e);
        a = add_halves(a, _mm512_mul_ps(e, _mm512_sub_ps(zero, d)));
        continue;
      }
      __m512 d23 = _mm512_min_ps(_mm512_max_ps(_mm512_fmsub_ps(v, c23, mc23), floor23), zero);
      __m512 e = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_cvttps_epi32(d23), bias));
      cheap = _mm512_mask_add_ps(cheap, keep, cheap, e);
    }
    q = add_halves(q, cheap);
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
