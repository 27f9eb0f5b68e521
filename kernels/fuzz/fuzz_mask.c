/* libFuzzer harness for the mask kernels and the RNG entry points, with exactly-sized buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rsk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 12) return 0;
  uint32_t V, words, extra;
  memcpy(&V, data, 4), memcpy(&words, data + 4, 4), memcpy(&extra, data + 8, 4);
  V %= 5000, words %= 200;
  data += 12, size -= 12;
  float *logits = malloc((V ? V : 1) * sizeof(float));
  uint32_t *a = malloc((words ? words : 1) * 4), *b = malloc((words ? words : 1) * 4), *dst = malloc((words ? words : 1) * 4);
  for (uint32_t i = 0; i < V; i++) logits[i] = (float)i;
  for (uint32_t i = 0; i < words; i++) {
    a[i] = i * 4 + 4 <= size ? ((const uint32_t *)(const void *)data)[0] ^ (i * 2654435761u) : ~0u;
    b[i] = a[i] * 2246822519u;
  }
  int32_t applied = rsk_mask_apply(logits, V, a, words);
  int32_t count = rsk_mask_count(a, words, V);
  if ((applied == RSK_OK) != (count >= 0)) abort();
  if (applied == RSK_OK) {
    int32_t inf = 0;
    for (uint32_t i = 0; i < V; i++) inf += logits[i] == -__builtin_inff();
    if ((uint32_t)inf != V - (uint32_t)count) abort();
  }
  if (rsk_mask_and(dst, a, b, words) != RSK_OK || rsk_mask_or(dst, dst, b, words) != RSK_OK) abort();
  uint32_t ctr[4] = {V, words, extra, 0}, key[2] = {extra, V}, out[4];
  rsk_philox4x32(ctr, key, out);
  double step;
  memcpy(&step, ctr, 8);
  double u = rsk_uniform(extra, V, step);
  if (!(u == -1.0 || (u >= 0.0 && u < 1.0))) abort();
  free(logits), free(a), free(b), free(dst);
  return 0;
}
