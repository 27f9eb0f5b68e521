/* libFuzzer harness for rsk_trie_walk: arbitrary nodes, ids, table, flags, cursor and ranges (both modes), every
 * buffer sized exactly to the counts passed, so ASan flags any read or write the kernel's checks should prevent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rsk.h"

static int32_t *take(const uint8_t **data, size_t *size, uint32_t n) {
  int32_t *out = malloc((n ? n : 1) * sizeof(int32_t));
  for (uint32_t i = 0; i < n; i++) {
    int32_t v = 0;
    if (*size >= 4) memcpy(&v, *data, 4), *data += 4, *size -= 4;
    out[i] = v;
  }
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 8) return 0;
  const uint32_t n_nodes = data[0] % 16, n_ids = data[1] % 8, n_rows = data[2] % 4, depth = 2 + data[3] % 6;
  const uint32_t n_words = data[4] % 3, n_ranges = data[5] % 10, mode = data[6] & 1, limit = data[7] % 32;
  data += 8, size -= 8;
  const uint32_t n_cursor = RSK_WALK_STACK + depth;
  int32_t *nodes = take(&data, &size, (n_nodes + 1) * RSK_TRIE_NODE_WORDS);
  int32_t *ids = take(&data, &size, n_ids);
  int32_t *table = take(&data, &size, n_rows * 256);
  int32_t *flags = take(&data, &size, n_rows);
  int32_t *cursor = take(&data, &size, n_cursor);
  int32_t *ranges = take(&data, &size, n_ranges);
  uint32_t *mask = (uint32_t *)take(&data, &size, n_words);
  cursor[RSK_WALK_MODE] = (int32_t)mode;
  cursor[RSK_WALK_LIMIT] = (int32_t)limit;
  cursor[RSK_WALK_NODE] = (int32_t)((uint32_t)cursor[RSK_WALK_NODE] % (n_nodes + 1));
  cursor[RSK_WALK_RANGES] = (int32_t)((uint32_t)cursor[RSK_WALK_RANGES] % (n_ranges + 1));
  for (int round = 0; round < 64; round++) {
    int32_t status = rsk_trie_walk(nodes, n_nodes, ids, n_ids, table, n_rows, flags, cursor, n_cursor,
                                   n_words ? mask : 0, n_words, n_ranges ? ranges : 0, n_ranges);
    if (status != RSK_WALK_NEED) break;
    /* Fill the asked-for hole as the caller would (with a refusal, so the walk makes progress). */
    const uint32_t row = (uint32_t)cursor[RSK_WALK_STATE], byte = (uint32_t)cursor[RSK_WALK_BYTE];
    if (row >= n_rows || byte > 255) abort();
    table[row * 256 + byte] = -1;
  }
  free(nodes), free(ids), free(table), free(flags), free(cursor), free(ranges), free(mask);
  return 0;
}
