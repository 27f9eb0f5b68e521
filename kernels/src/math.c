/* math.c — exp, log and the counter-based RNG's entry points (its rounds: internal.h, inlined where rows draw),
 * written out so native and wasm (-nostdlib) agree bit for bit. */
#include "internal.h"
#include "rsk.h"

static inline double bits_to_double(uint64_t b) {
  double d;
  __builtin_memcpy(&d, &b, sizeof d);
  return d;
}
static inline uint64_t double_to_bits(double d) {
  uint64_t b;
  __builtin_memcpy(&b, &d, sizeof b);
  return b;
}

#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00

/* exp: Cody–Waite reduction x = k ln2 + r, |r| <= ln2/2, then a degree-13 Taylor polynomial. */
double rsk_exp(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return RSK_INF;
  if (x < -745.1332191019412) return 0.0;
  const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
  double kd = (x * INV_LN2 + shift) - shift;
  int k = (int)kd;
  double r = (x - kd * LN2_HI) - kd * LN2_LO;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  if (k < -1021) { /* subnormal result: scale in two steps */
    return p * bits_to_double((uint64_t)(k + 1023 + 64) << 52) * bits_to_double((uint64_t)(1023 - 64) << 52);
  }
  if (k > 1023) return p * 2.0 * bits_to_double((uint64_t)(k - 1 + 1023) << 52);
  return p * bits_to_double((uint64_t)(k + 1023) << 52);
}

/* log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)) as an odd series. */
double rsk_log(double x) {
  if (x != x || x < 0.0) return 0.0 / 0.0;
  if (x == 0.0) return -RSK_INF;
  if (x == RSK_INF) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) { /* subnormal */
    x *= 18014398509481984.0;       /* 2^54 */
    e = -54;
  }
  uint64_t b = double_to_bits(x);
  e += (int)((b >> 52) & 0x7ff) - 1023;
  double m = bits_to_double((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  double f = (m - 1.0) / (m + 1.0);
  double f2 = f * f;
  double s = 1.0 / 23.0;
  s = s * f2 + 1.0 / 21.0;
  s = s * f2 + 1.0 / 19.0;
  s = s * f2 + 1.0 / 17.0;
  s = s * f2 + 1.0 / 15.0;
  s = s * f2 + 1.0 / 13.0;
  s = s * f2 + 1.0 / 11.0;
  s = s * f2 + 1.0 / 9.0;
  s = s * f2 + 1.0 / 7.0;
  s = s * f2 + 1.0 / 5.0;
  s = s * f2 + 1.0 / 3.0;
  s = s * f2 + 1.0;
  return (double)e * LN2_HI + ((double)e * LN2_LO + 2.0 * f * s);
}

int32_t rsk_philox4x32(const uint32_t *ctr, const uint32_t *key, uint32_t *out) {
  if (!ctr || !key || !out) return RSK_E_BUFFER;
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  rsk_philox(c, key[0], key[1]);
  for (int i = 0; i < 4; i++) out[i] = c[i];
  return RSK_OK;
}

double rsk_uniform(uint32_t seed_lo, uint32_t seed_hi, double step) {
  if (!(step >= 0.0 && step < 9007199254740992.0) || step != (double)(uint64_t)step) return -1.0;
  return rsk_u01(seed_lo, seed_hi, (uint64_t)step);
}
