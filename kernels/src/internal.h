/* internal.h — declarations shared by the kernel translation units (not part of the ABI). */
#ifndef RSK_INTERNAL_H
#define RSK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define RSK_INF (__builtin_inff())

/* One instruction set's implementation of the vocabulary-wide scans; everything else is scalar C. */
typedef struct rsk_scan {
  /* Keeps in a min-heap (hid, hval) the best `cap` tokens (value desc, id asc) that are allowed by
   * `mask` (NULL: all) and > -inf; returns how many; sets *bad when any logit is NaN or +inf. */
  uint32_t (*top)(const float *x, uint32_t n, const uint32_t *mask, uint32_t cap, int32_t *hid, float *hval,
                  uint32_t *bad);
  /* Writes, ascending, the ids of allowed tokens with x >= t (t finite); returns how many; sets *bad. */
  uint32_t (*ge)(const float *x, uint32_t n, const uint32_t *mask, float t, int32_t *ids, uint32_t *bad);
  /* x[i] = -inf where the mask bit is 0. */
  void (*apply)(float *x, uint32_t n, const uint32_t *mask);
  /* Estimates Σ 2^d, d = (x - m) c <= 0, over the allowed tokens > -inf: blocks of 16 with a token >= `near` add
   * a precise estimate e (d clamped to [-125, 0]) to sums[0] and e·|d| to sums[1]; the other blocks add a cheap
   * one (a float between 2^d and 1.0616 * 2^d, d clamped at -125) to sums[2]. The first index of every precise
   * block (and of a head or tail under 16, always precise) goes to blocks[(*n_blocks)++], ascending (room: n / 16 + 2).
   * chunk_max: NULL, or what this table's argmax wrote there for the same x, n and mask (a block whose allowed tokens
   * are all below `near` may then count as cheap even if a masked-out one is not). Bounds: sample.c, mirostat_fast. */
  void (*sumexp)(const float *x, uint32_t n, const uint32_t *mask, float m, float c, float near,
                 const float *chunk_max, double *sums, int32_t *blocks, uint32_t *n_blocks);
  /* The k-th largest of key[0..n) (1 <= k < n), or a t with exactly k keys >= t (integer counting: the same on
   * every instruction set); *ge = how many keys are >= the answer. */
  int32_t (*kth)(const int32_t *key, uint32_t n, uint32_t k, uint32_t *ge);
  /* key[i] = rsk_float_key(x[i]); returns bit 0 when a logit is NaN or +inf, bit 1 when one is NaN or -inf. */
  uint32_t (*keys)(const float *x, uint32_t n, int32_t *key);
  /* Ids (ascending) and values (as double) of every x[i] >= t, no mask, x free of NaN and +inf; returns how many. */
  uint32_t (*ge_take)(const float *x, uint32_t n, float t, int32_t *ids, double *vals);
  /* cp = softmax(cv) over n >= 1 logits: max by rsk_max4, cp[i] = rsk_exp(cv[i] - max) bit for bit (SIMD lanes run
   * rsk_exp's operations in its order), Σ by rsk_sum4, one reciprocal and a multiplication per token (the same bits
   * on every table); returns the max, *sum = Σ. */
  double (*softmax)(const double *cv, uint32_t n, double *cp, double *sum);
  /* Index of the first smallest key of key[0..n) that is not NaN (at least one is not; keys may be +inf). */
  uint32_t (*first_min)(const double *key, uint32_t n);
  /* top with cap 1: the first index of the largest allowed x > -inf (n when there is none); sets *bad as top does.
   * A table whose sumexp reads chunk ranges writes them to chunk_max (unless NULL; room: 2 (n / 1024 + 2) floats). */
  uint32_t (*argmax)(const float *x, uint32_t n, const uint32_t *mask, float *chunk_max, uint32_t *bad);
} rsk_scan;

/* Σ a[0..n) in the kernels' fixed blocked order: four running sums over i mod 4 (ascending i), then
 * (s0 + s1) + (s2 + s3). Four short dependency chains instead of one long one (SIMD-friendly); ffi/reference/chain.ts
 * sums in the same order, so native, WASM and TS keep the same bits. */
static inline double rsk_sum4(const double *restrict a, uint32_t n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) s0 += a[i], s1 += a[i + 1], s2 += a[i + 2], s3 += a[i + 3];
  if (i < n) s0 += a[i++];
  if (i < n) s1 += a[i++];
  if (i < n) s2 += a[i];
  return (s0 + s1) + (s2 + s3);
}

/* max a[0..n) (n >= 1, no NaN) over four lanes: the same value in any order, with a quarter of the dependent chain. */
static inline double rsk_max4(const double *restrict a, uint32_t n) {
  double m0 = a[0], m1 = a[0], m2 = a[0], m3 = a[0];
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = a[i] > m0 ? a[i] : m0, m1 = a[i + 1] > m1 ? a[i + 1] : m1;
    m2 = a[i + 2] > m2 ? a[i + 2] : m2, m3 = a[i + 3] > m3 ? a[i + 3] : m3;
  }
  for (; i < n; i++) m0 = a[i] > m0 ? a[i] : m0;
  m0 = m1 > m0 ? m1 : m0, m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

/* Order-preserving signed key of a float that is not NaN: a < b <=> key(a) < key(b), and -0 and +0 share one key. */
static inline int32_t rsk_float_key(float f) {
  int32_t b;
  f += 0.0f; /* -0 -> +0 (round to nearest), every other value unchanged */
  __builtin_memcpy(&b, &f, 4);
  return b ^ (int32_t)((uint32_t)(b >> 31) >> 1); /* negative: flip all but the sign bit (branch-free) */
}

extern const rsk_scan rsk_scan_scalar;
#if defined(__x86_64__)
extern const rsk_scan rsk_scan_avx2;
extern const rsk_scan rsk_scan_avx512;
#endif
#if defined(__wasm__)
extern const rsk_scan rsk_scan_wasm128;
#endif

/* The scan table for an RSK_ISA_* value (RSK_ISA_AUTO: the best this CPU has); NULL if unavailable. */
const rsk_scan *rsk_scan_for(int32_t isa);

/* Deterministic libm-free exp/log (same bits natively and in wasm; < 2 ulp). */
double rsk_exp(double x);
double rsk_log(double x);
/* Philox4x32-10 (Random123) on c[0..4) in place, key (k0, k1): inline, so a row's draw costs no call or array copy. */
static inline void rsk_philox(uint32_t c[4], uint32_t k0, uint32_t k1) {
  uint32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
  for (int round = 0; round < 10; round++) {
    if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
    uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1, c3 = (uint32_t)p0;
  }
  c[0] = c0, c[1] = c1, c[2] = c2, c[3] = c3;
}

/* Uniform [0, 1) from Philox4x32-10 keyed by the seed, counter = step: 53 random bits, 27 from c[0], 26 from c[1]. */
static inline double rsk_u01(uint32_t seed_lo, uint32_t seed_hi, uint64_t step) {
  uint32_t c[4] = {(uint32_t)step, (uint32_t)(step >> 32), 0, 0};
  rsk_philox(c, seed_lo, seed_hi);
  return ((double)(c[0] >> 5) * 67108864.0 + (double)(c[1] >> 6)) * (1.0 / 9007199254740992.0);
}

/* A row's numeric parameters, read from its io slots. */
typedef struct {
  double temp, top_p, min_p, typical_p, tau, eta, mu, rp, freq, pres;
  uint32_t top_k, min_keep, mirostat, n_recent, seed_lo, seed_hi, isa;
  uint64_t step;
} rsk_params;

/* Checks and reads the io inputs of a step over V tokens with T token entries; RSK_OK or RSK_E_PARAM. */
int32_t rsk_read_params(const double *io, uint32_t V, uint32_t T, rsk_params *p);
/* Reads and checks the inputs a decode loop changes from row to row (mu, seed, step; p->mirostat already read). */
int32_t rsk_read_step(const double *io, rsk_params *p);
/* Bytes of `work` a step over V tokens with T token entries carves. */
uint64_t rsk_layout_bytes(uint32_t V, uint32_t T);
/* One step for validated buffers: reads io's inputs, writes its outputs (final distribution left in work). */
int32_t rsk_sample_row(const float *logits, uint32_t n_vocab, const uint32_t *mask, const int32_t *tokens,
                       uint32_t n_tokens, const float *bias, uint32_t n_bias, double *io, double *work);
/* rsk_sample_row after its checks: p read from io and consistent with the tokens, scan = rsk_scan_for(p->isa). */
int32_t rsk_sample_checked(const rsk_params *p, const rsk_scan *scan, const float *logits, uint32_t n_vocab,
                           const uint32_t *mask, const int32_t *tokens, uint32_t n_tokens, const float *bias, double *io,
                           double *work);

/* Heap helpers over (value, id) pairs ordered "worse first": lower value, then higher id. */
void rsk_heap_push(int32_t *hid, float *hval, uint32_t *size, int32_t id, float v);
void rsk_heap_replace_top(int32_t *hid, float *hval, uint32_t size, int32_t id, float v);

/* Sorts perm[0..n) ascending by (key[perm], id[perm]). */
void rsk_sort_perm(int32_t *perm, uint32_t n, const double *key, const int32_t *id);
/* Reorders perm[0..n) so that its first m entries are the m smallest by (key, id), sorted. */
void rsk_select_perm(int32_t *perm, uint32_t n, uint32_t m, const double *key, const int32_t *id);
/* Sorts ints ascending. */
void rsk_sort_i32(int32_t *a, uint32_t n);
/* Sorts doubles ascending (no NaN). */
void rsk_sort_f64(double *a, uint32_t n);

#endif
