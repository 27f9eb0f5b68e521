/*
 * batch.c — rsk_sample_batch: each row's offsets checked against the batch's buffers, then one step per row. A
 * decode loop's rows usually share every parameter but seed, step and mu, so a row whose parameter slots hold the
 * previous checked row's bits reuses that row's checked parameters and re-checks only those three; a row whose every
 * input slot but those three holds the last drawn row's bits also reuses its checked offsets (one compare pass).
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

/* The last row drawn (status RSK_OK) through the checks: its input slots' bits and the offsets they gave. */
typedef struct {
  uint64_t bits[RSK_IO_LEN];
  uint32_t valid, count;
  uint64_t at, bias_at;
  int64_t mask_word;
} drawn_row;

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

/* OR of the bit differences of slots [from, to) between io and bits (constant bounds: unrolled). */
static inline uint64_t slots_diff(const double *io, const uint64_t *bits, uint32_t from, uint32_t to) {
  uint64_t diff = 0;
  for (uint32_t i = from; i < to; i++) diff |= bits_of(io[i]) ^ bits[i];
  return diff;
}

/* Whether row io holds the drawn row's bits in every input slot but mu, seed and step: then it passes the same offset
 * and config checks, against the same batch buffers. */
static int same_row(const drawn_row *d, const double *io) {
  uint64_t diff = slots_diff(io, d->bits, RSK_IO_TEMPERATURE, RSK_IO_MIROSTAT_MU) |
                  slots_diff(io, d->bits, RSK_IO_REPEAT_PENALTY, RSK_IO_SEED_LO) |
                  slots_diff(io, d->bits, RSK_IO_ISA, RSK_IO_MASK_AT + 1) |
                  slots_diff(io, d->bits, RSK_IO_TOKENS_AT, RSK_IO_ADVANCE + 1);
  return d->valid && diff == 0;
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

/* A row through every check (its offsets against the batch's buffers, then its parameters) and its step; a drawn row
 * becomes `last`, whose offsets the next rows with the same input slots reuse. */
static int32_t checked_row(checked_config *config, drawn_row *last, const float *x, uint32_t n_vocab, uint32_t words,
                           const uint32_t *masks, uint32_t n_masks, const int32_t *tokens, uint32_t n_tokens,
                           const float *bias, uint32_t n_bias, double *row, double *work, uint32_t n_work) {
  int64_t at = slot(row, RSK_IO_TOKENS_AT, 0, n_tokens), count = slot(row, RSK_IO_N_TOKENS, 0, RSK_MAX_TOKENS);
  int64_t bias_at = slot(row, RSK_IO_BIAS_AT, 0, n_bias), recent = slot(row, RSK_IO_N_RECENT, 0, RSK_MAX_TOKENS);
  double mask_at = row[RSK_IO_MASK_AT], advance = row[RSK_IO_ADVANCE];
  int64_t mask_word = mask_at < 0.0 ? -1 : slot(row, RSK_IO_MASK_AT, 0, n_masks);
  if (at < 0 || count < 0 || bias_at < 0 || recent < 0 || recent > count || (mask_at >= 0.0 && mask_word < 0) ||
      !(mask_at == mask_at) || !(advance == 0.0 || advance == 1.0))
    return RSK_E_PARAM;
  if ((uint64_t)at + (uint64_t)count > n_tokens || (uint64_t)bias_at + (uint64_t)(count - recent) > n_bias ||
      (mask_word >= 0 && (uint64_t)mask_word + words > n_masks) ||
      (uint64_t)n_work * 8u < rsk_layout_bytes(n_vocab, (uint32_t)count))
    return RSK_E_BUFFER;
  const uint32_t *mask = mask_word >= 0 ? masks + mask_word : 0;
  int32_t status = sample_batch_row(config, x, n_vocab, mask, tokens ? tokens + at : 0, (uint32_t)count,
                                    bias ? bias + bias_at : 0, (uint32_t)(count - recent), row, work);
  last->valid = status == RSK_OK;
  for (uint32_t i = 0; i < RSK_IO_LEN; i++) last->bits[i] = bits_of(row[i]);
  last->count = (uint32_t)count, last->at = (uint64_t)at;
  last->bias_at = (uint64_t)bias_at, last->mask_word = mask_word;
  return status;
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
  drawn_row last = {.valid = 0}; /* every field zero: same_row reads its bits */
  config.valid = 0;
  for (uint32_t r = 0; r < n_rows; r++) {
    double *row = io + (uint64_t)r * RSK_IO_LEN;
    int32_t status = RSK_OK;
    if (same_row(&last, row)) { /* the usual decode batch: only mu, seed and step differ from the last drawn row */
      const float *x = logits + (uint64_t)r * row_stride;
      const uint32_t *mask = last.mask_word >= 0 ? masks + last.mask_word : 0;
      status = rsk_read_step(row, &config.p);
      if (status == RSK_OK)
        status = rsk_sample_checked(&config.p, config.scan, x, n_vocab, mask, tokens ? tokens + last.at : 0, last.count,
                                    bias ? bias + last.bias_at : 0, row, work);
    } else {
      status = checked_row(&config, &last, logits + (uint64_t)r * row_stride, n_vocab, words, masks, n_masks, tokens,
                           n_tokens, bias, n_bias, row, work, n_work);
    }
    if (status == RSK_OK && row[RSK_IO_ADVANCE] == 1.0) {
      row[RSK_IO_STEP] += 1.0;
      row[RSK_IO_MIROSTAT_MU] = row[RSK_IO_MU_NEXT];
    }
    row[RSK_IO_STATUS] = (double)status;
    failed += status != RSK_OK;
  }
  return failed;
}
