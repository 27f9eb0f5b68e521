/*
 * batch_bench.c — rsk_sample_batch at V = 64 without any JS: 256 rows staged once with RSK_IO_ADVANCE, the
 * per-row C cost (ns/row, and per-row instructions under callgrind, which is repeatable on a noisy box).
 * Not part of librsk (kernels/build.ts lists its units); it links the built library. From the repository root:
 *   cc -std=c11 -O2 -Ikernels/include kernels/src/batch_bench.c kernels/build/librsk.so -Wl,-rpath,$PWD/kernels/build \
 *     -o /tmp/batch_bench
 *   /tmp/batch_bench <chain> <runs> <isa>   chain: 0 top-k 40, 1 top-p 0.95, 2 top-k 40 → top-p 0.95 → temp 0.8,
 *                                           3 Mirostat 2.0, 4 greedy; isa: RSK_ISA_* (0 = the best this CPU has)
 *   valgrind --tool=callgrind /tmp/batch_bench 0 20 2   (valgrind has no AVX-512: force AVX2; subtract a 0-run)
 * The logits are bench/kernels.bench.ts's logitsLike(64) pattern (a normal-ish body and 8 strong tokens).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rsk.h"

enum { V = 64, ROWS = 256 };

static uint32_t lcg = 12345;
static double uniform01(void) {
  lcg = lcg * 1664525u + 1013904223u;
  return lcg / 4294967296.0;
}

int main(int argc, char **argv) {
  int chain = argc > 1 ? atoi(argv[1]) : 0, runs = argc > 2 ? atoi(argv[2]) : 1000, isa = argc > 3 ? atoi(argv[3]) : 0;
  static float logits[V * ROWS];
  static double io[ROWS * RSK_IO_LEN];
  float row[V];
  for (int i = 0; i < V; i++) row[i] = (float)((uniform01() + uniform01() + uniform01() - 1.5) * 6 - 2);
  for (int j = 0; j < 8; j++) row[(int)(uniform01() * V)] = (float)(14 + uniform01() * 4);
  for (int r = 0; r < ROWS; r++) {
    double *s = io + r * RSK_IO_LEN;
    memcpy(logits + r * V, row, sizeof row);
    s[RSK_IO_TEMPERATURE] = chain == 4 ? 0 : chain == 2 ? 0.8 : 1;
    s[RSK_IO_TOP_K] = chain == 0 || chain == 2 ? 40 : 0;
    s[RSK_IO_TOP_P] = chain == 1 || chain == 2 ? 0.95 : 1;
    s[RSK_IO_TYPICAL_P] = 1;
    s[RSK_IO_MIROSTAT] = chain == 3 ? 2 : 0;
    s[RSK_IO_MIROSTAT_TAU] = 5, s[RSK_IO_MIROSTAT_ETA] = 0.1, s[RSK_IO_MIROSTAT_MU] = 10;
    s[RSK_IO_REPEAT_PENALTY] = 1;
    s[RSK_IO_SEED_LO] = r, s[RSK_IO_ISA] = isa, s[RSK_IO_MASK_AT] = -1, s[RSK_IO_ADVANCE] = 1;
  }
  uint32_t n_work = rsk_work_len(V, 0);
  double *work = malloc((size_t)n_work * sizeof(double));
  if (!work) return 1;
  double checksum = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int run = 0; run < runs; run++) {
    int32_t failed = rsk_sample_batch(logits, ROWS, V, V, 0, 0, 0, 0, 0, 0, io, ROWS * RSK_IO_LEN, work, n_work);
    if (failed != 0) {
      fprintf(stderr, "rsk_sample_batch: %d\n", failed);
      return 1;
    }
    for (int r = 0; r < ROWS; r++) checksum += io[r * RSK_IO_LEN + RSK_IO_TOKEN];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / ((double)runs * ROWS);
  printf("chain %d isa %d: %.1f ns/row, %.2f M samples/s (token checksum %.0f)\n", chain, isa, ns, 1e3 / ns, checksum);
  free(work);
  return 0;
}
