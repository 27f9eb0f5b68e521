/*
 * batch.c — rsk_sample_batch: each row's offsets checked against the batch's buffers, then one step per row. A
 * decode loop's rows usually share every parameter but seed, step and mu, so a row whose parameter slots hold the
 * previous checked row's bits reuses that row's checked parameters and re-checks only those three.
 */
#include "internal.h"
#include "rsk.h"

/* Parameter slots rsk_read_params checks once per distinct configuration (everything it reads but mu, seed, step). */
static const int config_slots[] = {RSK_IO_TEMPERATURE, RSK_IO_TOP_K, RSK_IO_TOP_P, RSK_IO_MIN_P, RSK_IO_TYPICAL_P,
                                   RSK_IO_MIN_KEEP, RSK_IO_MIROSTAT, RSK_IO_MIROSTAT_TAU, RSK_IO_MIROSTAT_ETA,
                                   RSK_IO_REPEAT_PENALTY, RSK_IO_FREQUENCY_PENALTY, RSK_IO_PRESENCE_PENALTY,
                                   RSK_IO_N_RECENT, RSK_IO_ISA};
#define N_CONFIG (sizeof config_slots / sizeof config_slots[0])

/* The last row whose parameters passed rsk_read_params: its config slots' bits, token count and checked values (mu, seed
 * and step: the current row's, read by rsk_read_step). */
typedef struct {
  uint64_t bits[N_CONFIG];
  uint32_t n_tokens, valid;
  rsk_params p;
  const rsk_scan *scan;
} checked_config;

static uint32_t words_for(uint32_t V) { return (V >> 5) + ((V & 31) != 0); }

/* A row's integral io slot in [lo, hi] (an offset or count into a caller buffer), or -1. */
static int64_t slot(const double *io, int index, double lo, double hi) {
  double x = io[index];
  if (!(x >= lo && x <= hi) || x != (double)(int64_t)x) return -1;
  return (int64_t)x;
}

static uint64_t bits_of(double x) {
  uint64_t b;
  __builtin_memcpy(&b, &x, 8);
  return b;
}

/* Whether row io's config slots hold the checked config's bits (then they would pass the same checks). */
static int same_config(const checked_config *c, const double *io, uint32_t n_tokens) {
  uint64_t diff = c->n_tokens ^ n_tokens;
  for (uint32_t i = 0; i < N_CONFIG; i++) diff |= bits_of(io[config_slots[i]]) ^ c->bits[i];
  return c->valid && diff == 0;
}

/* rsk_sample_row's checks for a batch row (through the checked config when its slots match), then its step. */
static int32_t sample_batch_row(checked_config *c, const float *x, uint32_t V, const uint32_t *mask,
                                const int32_t *tokens, uint32_t n_tokens, const float *bias, uint32_t n_bias,
                                double *io, double *work) {
  if (same_config(c, io, n_tokens)) {
    if (rsk_read_step(io, &c->p) != RSK_OK) return RSK_E_PARAM; /* the config slots stay checked */
  } else {
    c->valid = 0;
    int32_t r = rsk_read_params(io, V, n_tokens, &c->p);
    if (r < 0) return r;
    if (n_bias != n_tokens - c->p.n_recent) return RSK_E_PARAM;
    if (!(c->scan = rsk_scan_for((int32_t)c->p.isa))) return RSK_E_ISA;
    for (uint32_t i = 0; i < N_CONFIG; i++) c->bits[i] = bits_of(io[config_slots[i]]);
    c->n_tokens = n_tokens, c->valid = 1;
  }
  return rsk_sample_checked(&c->p, c->scan, x, V, mask, tokens, n_tokens, bias, io, work);
}

int32_t rsk_sample_batch(const float *logits, uint32_t n_rows, uint32_t n_vocab, uint32_t row_stride,
                         const uint32_t *masks, uint32_t n_masks, const int32_t *tokens, uint32_t n_tokens,
                         const float *bias, uint32_t n_bias, double *io, uint32_t n_io, double *work,
                         uint32_t n_work) {
  if (n_vocab == 0 || n_vocab > RSK_MAX_VOCAB) return RSK_E_VOCAB;
  if (!io || (uint64_t)n_io < (uint64_t)n_rows * RSK_IO_LEN || !logits || !work || ((uintptr_t)work & 7u)) return RSK_E_BUFFER;
  if ((n_tokens && !tokens) || (n_bias && !bias) || (n_masks && !masks)) return RSK_E_BUFFER;
  uint32_t words = words_for(n_vocab);
  int32_t failed = 0;
  checked_config config;
  config.valid = 0;
  for (uint32_t r = 0; r < n_rows; r++) {
    double *row = io + (uint64_t)r * RSK_IO_LEN;
    int32_t status = RSK_OK;
    int64_t at = slot(row, RSK_IO_TOKENS_AT, 0, n_tokens), count = slot(row, RSK_IO_N_TOKENS, 0, RSK_MAX_TOKENS);
    int64_t bias_at = slot(row, RSK_IO_BIAS_AT, 0, n_bias), recent = slot(row, RSK_IO_N_RECENT, 0, RSK_MAX_TOKENS);
    double mask_at = row[RSK_IO_MASK_AT], advance = row[RSK_IO_ADVANCE];
    int64_t mask_word = mask_at < 0.0 ? -1 : slot(row, RSK_IO_MASK_AT, 0, n_masks);
    if (at < 0 || count < 0 || bias_at < 0 || recent < 0 || recent > count || (mask_at >= 0.0 && mask_word < 0) ||
        !(mask_at == mask_at) || !(advance == 0.0 || advance == 1.0)) {
      status = RSK_E_PARAM;
    } else if ((uint64_t)at + (uint64_t)count > n_tokens || (uint64_t)bias_at + (uint64_t)(count - recent) > n_bias ||
               (mask_word >= 0 && (uint64_t)mask_word + words > n_masks) ||
               (uint64_t)n_work * 8u < rsk_layout_bytes(n_vocab, (uint32_t)count)) {
      status = RSK_E_BUFFER;
    } else {
      const float *x = logits + (uint64_t)r * row_stride;
      status = sample_batch_row(&config, x, n_vocab, mask_word >= 0 ? masks + mask_word : 0, tokens ? tokens + at : 0,
                                (uint32_t)count, bias ? bias + bias_at : 0, (uint32_t)(count - recent), row, work);
      if (status == RSK_OK && advance == 1.0) {
        row[RSK_IO_STEP] += 1.0;
        row[RSK_IO_MIROSTAT_MU] = row[RSK_IO_MU_NEXT];
      }
    }
    row[RSK_IO_STATUS] = (double)status;
    failed += status != RSK_OK;
  }
  return failed;
}
