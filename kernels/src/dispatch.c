/* dispatch.c — instruction-set selection (decided once per process), mask kernels, and ABI helpers. */
#include "internal.h"
#include "rsk.h"

#if defined(__x86_64__)
/* The only mutable global: the best ISA, written once before any call by the loader (constructor). */
static int32_t best_isa = RSK_ISA_SCALAR;
__attribute__((constructor)) static void pick_isa(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) best_isa = RSK_ISA_AVX512;
  else if (__builtin_cpu_supports("avx2")) best_isa = RSK_ISA_AVX2;
}
#elif defined(__wasm__)
static const int32_t best_isa = RSK_ISA_WASM128;
#else
static const int32_t best_isa = RSK_ISA_SCALAR;
#endif

const rsk_scan *rsk_scan_for(int32_t isa) {
  if (isa == RSK_ISA_AUTO) isa = best_isa;
  switch (isa) {
  case RSK_ISA_SCALAR: return &rsk_scan_scalar;
#if defined(__x86_64__)
  case RSK_ISA_AVX2: return best_isa >= RSK_ISA_AVX2 ? &rsk_scan_avx2 : 0;
  case RSK_ISA_AVX512: return best_isa >= RSK_ISA_AVX512 ? &rsk_scan_avx512 : 0;
#endif
#if defined(__wasm__)
  case RSK_ISA_WASM128: return &rsk_scan_wasm128;
#endif
  default: return 0;
  }
}

int32_t rsk_isa(void) { return best_isa; }
int32_t rsk_abi_version(void) { return RSK_ABI_VERSION; }
int32_t rsk_noop(int32_t x) { return x; }

static uint32_t words_for(uint32_t n_vocab) { return (n_vocab >> 5) + ((n_vocab & 31) != 0); }

int32_t rsk_mask_apply(float *logits, uint32_t n_vocab, const uint32_t *mask, uint32_t n_words) {
  if (n_vocab == 0 || n_vocab > RSK_MAX_VOCAB) return RSK_E_VOCAB;
  if (!logits || !mask || n_words < words_for(n_vocab)) return RSK_E_BUFFER;
  rsk_scan_for(RSK_ISA_AUTO)->apply(logits, n_vocab, mask);
  return RSK_OK;
}

int32_t rsk_mask_and(uint32_t *dst, const uint32_t *a, const uint32_t *b, uint32_t n_words) {
  if (n_words && (!dst || !a || !b)) return RSK_E_BUFFER;
  for (uint32_t i = 0; i < n_words; i++) dst[i] = a[i] & b[i];
  return RSK_OK;
}

int32_t rsk_mask_or(uint32_t *dst, const uint32_t *a, const uint32_t *b, uint32_t n_words) {
  if (n_words && (!dst || !a || !b)) return RSK_E_BUFFER;
  for (uint32_t i = 0; i < n_words; i++) dst[i] = a[i] | b[i];
  return RSK_OK;
}

int32_t rsk_mask_count(const uint32_t *mask, uint32_t n_words, uint32_t n_vocab) {
  if (n_vocab == 0 || n_vocab > RSK_MAX_VOCAB) return RSK_E_VOCAB;
  uint32_t full = n_vocab >> 5, rest = n_vocab & 31;
  if (!mask || n_words < words_for(n_vocab)) return RSK_E_BUFFER;
  int32_t count = 0;
  for (uint32_t i = 0; i < full; i++) count += __builtin_popcount(mask[i]);
  if (rest) count += __builtin_popcount(mask[full] & ((1u << rest) - 1u));
  return count;
}
