/* trie.c — the grammar mask walk: a preorder token trie walked through a byte transition table.
 *
 * The caller (src/grammar) owns the parser automaton, which is determinized lazily, so the table it passes may have
 * holes. The walk is resumable: at a hole it saves its position in `cursor`, names the missing (row, byte) and returns
 * RSK_WALK_NEED; the caller fills the entry and calls again. No allocation, no state outside the caller's buffers. */
#include <stddef.h>

#include "rsk.h"

#define NODE_WORDS RSK_TRIE_NODE_WORDS

int32_t rsk_trie_walk(const int32_t *nodes, uint32_t n_nodes, const int32_t *ids, uint32_t n_ids, const int32_t *table,
                      uint32_t n_rows, const int32_t *flags, int32_t *cursor, uint32_t n_cursor, uint32_t *mask,
                      uint32_t n_words, int32_t *ranges, uint32_t n_ranges) {
  if (!nodes || !cursor || n_cursor <= RSK_WALK_STACK + 1 || (n_ids && !ids) || (n_rows && (!table || !flags)) ||
      !mask || n_words == 0 || (n_ranges && !ranges))
    return RSK_E_BUFFER;
  if (n_nodes >= (1u << 30) || n_rows >= (1u << 24) || n_words > (RSK_MAX_VOCAB >> 5)) return RSK_E_PARAM;
  const uint32_t depth_cap = n_cursor - RSK_WALK_STACK, limit = (uint32_t)cursor[RSK_WALK_LIMIT];
  const uint32_t n_bits = n_words << 5;
  int32_t *stack = cursor + RSK_WALK_STACK;
  uint32_t i = (uint32_t)cursor[RSK_WALK_NODE], visited = (uint32_t)cursor[RSK_WALK_VISITED];
  uint32_t n_range = (uint32_t)cursor[RSK_WALK_RANGES];
  const int32_t only_ranges = cursor[RSK_WALK_MODE] == RSK_WALK_MODE_RANGES;
  if (only_ranges && n_range + 2 >= n_ranges) return RSK_E_PARAM;
  int32_t status = RSK_WALK_DONE;
  while (i < n_nodes) {
    if (limit && visited >= limit) {
      status = RSK_WALK_LIMITED;
      break;
    }
    const int32_t *node = nodes + (size_t)i * NODE_WORDS;
    const uint32_t byte = (uint32_t)node[0] & 255u, depth = (uint32_t)node[0] >> 8;
    if (depth == 0 || depth >= depth_cap) return RSK_E_PARAM;
    /* Ranges mode: past the current range, jump to the next one and enter it at its given row. */
    if (only_ranges && i >= (uint32_t)ranges[n_range + 1]) {
      n_range += 3;
      if (n_range + 2 >= n_ranges) break;
      const uint32_t first = (uint32_t)ranges[n_range], row = (uint32_t)ranges[n_range + 2];
      if (first >= n_nodes || row >= n_rows) return RSK_E_PARAM;
      const uint32_t d = (uint32_t)nodes[(size_t)first * NODE_WORDS] >> 8;
      if (d == 0 || d >= depth_cap) return RSK_E_PARAM;
      stack[d - 1] = (int32_t)row;
      i = first;
      continue;
    }
    const uint32_t from = (uint32_t)stack[depth - 1];
    const uint32_t row = from & ~(uint32_t)RSK_WALK_CUT;
    if (row >= n_rows) return RSK_E_PARAM;
    const int32_t next = table[(size_t)row * 256 + byte];
    if (next == 0) {
      cursor[RSK_WALK_STATE] = (int32_t)row;
      cursor[RSK_WALK_BYTE] = (int32_t)byte;
      status = RSK_WALK_NEED;
      break;
    }
    visited++;
    const uint32_t to = (uint32_t)next - 1; /* the next row when next > 0 */
    if (next > 0 && to >= n_rows) return RSK_E_PARAM;
    /* A refused byte, or a row that ends the analysed language: the subtree is skipped, and recorded below a row that
     * completes the frame, or always at a stop. */
    const int32_t stop = next > 0 && (flags[to] & RSK_WALK_FLAG_STOP) && !only_ranges;
    if (next < 0 || stop) {
      const uint32_t skip = (uint32_t)node[1];
      if (skip <= i || skip > n_nodes) return RSK_E_PARAM;
      if (stop || ((from & RSK_WALK_CUT) && !only_ranges)) {
        if (n_range + 2 > n_ranges) return RSK_E_BUFFER;
        ranges[n_range] = (int32_t)i;
        ranges[n_range + 1] = (int32_t)skip;
        n_range += 2;
      }
      i = skip;
      continue;
    }
    stack[depth] = (int32_t)(to | (from & RSK_WALK_CUT) | ((flags[to] & 1) ? RSK_WALK_CUT : 0));
    const uint32_t k0 = (uint32_t)node[2], k1 = (uint32_t)node[2 + NODE_WORDS];
    if (k0 > k1 || k1 > n_ids) return RSK_E_PARAM;
    /* Most nodes end zero or one token, unpredictably: the first token is or-ed in without a branch (bit 0 of
     * word 0 or-ed with 0 when there is none); more than one token at a node (rare) loops. */
    const uint32_t t = n_ids ? (uint32_t)ids[k0 < n_ids ? k0 : 0] : 0, has = k1 > k0;
    if (has && t >= n_bits) return RSK_E_PARAM;
    const uint32_t safe = t < n_bits ? t : 0;
    mask[safe >> 5] |= has << (safe & 31);
    for (uint32_t k = k0 + 1; k < k1; k++) {
      const uint32_t u = (uint32_t)ids[k];
      if (u >= n_bits) return RSK_E_PARAM;
      mask[u >> 5] |= 1u << (u & 31);
    }
    i++;
  }
  cursor[RSK_WALK_NODE] = (int32_t)i;
  cursor[RSK_WALK_VISITED] = (int32_t)visited;
  cursor[RSK_WALK_RANGES] = (int32_t)n_range;
  return status;
}
