/*
 * libFuzzer harness for rsk_sample: arbitrary bytes become the vocabulary size, the io parameters (raw
 * doubles, so NaN/inf/huge values appear), the mask, the token window, the bias and the logits (raw floats).
 * Every buffer is malloc'ed at exactly its declared length so ASan catches any out-of-bounds access.
 * Differential: every instruction set this CPU has must return the same status, token and distribution, and
 * rsk_sample_batch must agree with rsk_sample on a row laid out plainly (a second row gets raw slot values).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rsk.h"

typedef struct {
  const uint8_t *p;
  size_t n;
} input;

static uint32_t take_u32(input *in, uint32_t fallback) {
  if (in->n < 4) return fallback;
  uint32_t v;
  memcpy(&v, in->p, 4);
  in->p += 4, in->n -= 4;
  return v;
}

static double take_param(input *in, double fallback) {
  if (in->n < 1) return fallback;
  uint8_t kind = *in->p++;
  in->n--;
  /* Mostly plausible values, sometimes raw bit patterns. */
  if (kind < 200) return (double)(kind % 64) / 8.0 - 1.0;
  if (in->n < 8) return fallback;
  double v;
  memcpy(&v, in->p, 8);
  in->p += 8, in->n -= 8;
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  uint32_t V = take_u32(&in, 1) % 3000; /* 0 allowed: must be RSK_E_VOCAB */
  uint32_t mask_words = take_u32(&in, 0) % 200;
  uint32_t n_recent = take_u32(&in, 0) % 64, n_bias = take_u32(&in, 0) % 16;
  double io[RSK_IO_LEN] = {0};
  for (int i = 0; i < 17; i++) io[i] = take_param(&in, 0.0);
  io[RSK_IO_N_RECENT] = (in.n & 1) ? io[RSK_IO_N_RECENT] : (double)n_recent;
  float *logits = malloc((V ? V : 1) * sizeof(float));
  uint32_t *mask = malloc((mask_words ? mask_words : 1) * sizeof(uint32_t));
  int32_t *tokens = malloc((n_recent + n_bias + 1) * sizeof(int32_t));
  float *bias = malloc((n_bias + 1) * sizeof(float));
  for (uint32_t i = 0; i < V; i++) {
    uint32_t bits = take_u32(&in, i * 2654435761u);
    memcpy(&logits[i], &bits, 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits >> 24) % 7) logits[i] = (float)(bits % 97) / 7.0f; /* keep some finite */
  }
  for (uint32_t i = 0; i < mask_words; i++) mask[i] = take_u32(&in, 0xffffffffu);
  for (uint32_t i = 0; i < n_recent + n_bias; i++) tokens[i] = (int32_t)(take_u32(&in, i) % (V + 2)) - 1;
  for (uint32_t i = 0; i < n_bias; i++) bias[i] = (float)take_param(&in, 0.5);
  uint32_t work_len = rsk_work_len(V, n_recent + n_bias);
  if (in.n & 2) work_len = work_len ? work_len - 1 : 0; /* too short must be RSK_E_BUFFER */
  double *work = malloc((work_len ? work_len : 1) * sizeof(double));

  int32_t first_status = 0;
  double first_out[8] = {0};
  for (int32_t isa = RSK_ISA_SCALAR; isa <= RSK_ISA_AVX512; isa++) {
    double run[RSK_IO_LEN];
    memcpy(run, io, sizeof run);
    run[RSK_IO_ISA] = isa;
    int32_t status = rsk_sample(logits, V, mask, mask_words, tokens, n_recent + n_bias, bias, n_bias, run,
                                RSK_IO_LEN, work, work_len);
    if (status == RSK_E_ISA) continue;
    double out[8] = {run[RSK_IO_TOKEN], run[RSK_IO_PROB], run[RSK_IO_N_FINAL], run[RSK_IO_MU_NEXT]};
    if (status == RSK_OK) {
      if (out[0] < 0 || out[0] >= V || !(out[1] > 0 && out[1] <= 1)) abort();
    }
    if (isa == RSK_ISA_SCALAR) {
      first_status = status;
      memcpy(first_out, out, sizeof out);
    } else if (status != first_status || (status == RSK_OK && memcmp(out, first_out, sizeof out) != 0)) {
      abort(); /* instruction sets disagree */
    }
  }
  /* Batch: row 0 = the same step with its buffers at offset 0 (row stride 0: both rows read the same logits); row 1
   * = raw bytes in the batch slots. */
  double rows[2 * RSK_IO_LEN];
  memcpy(rows, io, sizeof io);
  memcpy(rows + RSK_IO_LEN, io, sizeof io);
  rows[RSK_IO_ISA] = RSK_ISA_SCALAR;
  rows[RSK_IO_MASK_AT] = mask_words ? 0.0 : -1.0;
  rows[RSK_IO_TOKENS_AT] = 0.0, rows[RSK_IO_N_TOKENS] = (double)(n_recent + n_bias), rows[RSK_IO_BIAS_AT] = 0.0;
  rows[RSK_IO_ADVANCE] = 1.0;
  for (int slot = RSK_IO_MASK_AT; slot < RSK_IO_LEN; slot++) rows[RSK_IO_LEN + slot] = take_param(&in, 0.0);
  int32_t failed = rsk_sample_batch(logits, 2, V, 0, mask, mask_words, tokens, n_recent + n_bias, bias, n_bias, rows,
                                    2 * RSK_IO_LEN, work, work_len);
  if (failed > 2) abort();
  /* Comparable when the single call's own buffer checks pass (they run before its parameter checks). */
  int plain = io[RSK_IO_N_RECENT] == (double)n_recent && (mask_words == 0 || mask_words >= (V + 31) / 32) &&
              work_len >= rsk_work_len(V, n_recent + n_bias);
  if (failed >= 0 && plain) {
    double single[RSK_IO_LEN];
    memcpy(single, io, sizeof single);
    single[RSK_IO_ISA] = RSK_ISA_SCALAR;
    int32_t status = rsk_sample(logits, V, mask, mask_words, tokens, n_recent + n_bias, bias, n_bias, single,
                                RSK_IO_LEN, work, work_len);
    if (status != (int32_t)rows[RSK_IO_STATUS]) abort(); /* the batch row disagrees with the single call */
    if (status == RSK_OK && (rows[RSK_IO_TOKEN] != single[RSK_IO_TOKEN] || rows[RSK_IO_PROB] != single[RSK_IO_PROB])) abort();
  }
  free(logits), free(mask), free(tokens), free(bias), free(work);
  return 0;
}
