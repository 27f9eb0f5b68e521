/*
 * rsk.h — public C ABI of the rsk sampler and mask kernels.
 *
 * Only pointers to caller-owned buffers and 32-bit ints / doubles cross this boundary (Bun and Deno
 * disagree on 64-bit integers and on pointers). No call allocates, keeps state, or aborts: every
 * entry point returns an int32 status (>= 0 success, < 0 one of RSK_E_*). Semantics: kernels/README.md.
 */
#ifndef RSK_H
#define RSK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RSK_ABI_VERSION 1 /* unchanged by additions (rsk_sample_batch, the batch io slots): a missing symbol fails the load */

/* Only the functions below are exported (the library is built with -fvisibility=hidden). */
#if defined(__wasm__)
#define RSK_API __attribute__((visibility("default"), used))
#else
#define RSK_API __attribute__((visibility("default")))
#endif

/* Status codes. */
#define RSK_OK 0
#define RSK_E_VOCAB (-1)     /* n_vocab == 0 or > RSK_MAX_VOCAB */
#define RSK_E_NONFINITE (-2) /* a logit is NaN or +inf (-inf is allowed and means "banned") */
#define RSK_E_PARAM (-3)     /* a parameter is out of range, NaN, or a token id is outside [0, n_vocab) */
#define RSK_E_EMPTY (-4)     /* every token is banned / masked / -inf: nothing can be drawn */
#define RSK_E_BUFFER (-5)    /* a buffer is too short or misaligned */
#define RSK_E_ISA (-6)       /* the requested instruction set is not available on this CPU */

#define RSK_MAX_VOCAB (1u << 24)
#define RSK_MAX_TOKENS (1u << 20) /* recent-window + logit-bias entries per call */

/* Instruction sets (the `isa` io slot and rsk_isa()). */
#define RSK_ISA_AUTO 0
#define RSK_ISA_SCALAR 1
#define RSK_ISA_AVX2 2
#define RSK_ISA_AVX512 3
#define RSK_ISA_WASM128 4

/* Layout of the `io` double array of rsk_sample (length >= RSK_IO_LEN). Inputs: */
#define RSK_IO_TEMPERATURE 0   /* <= 0: greedy (argmax, lowest id wins ties) */
#define RSK_IO_TOP_K 1         /* <= 0: off; > n_vocab: RSK_E_PARAM */
#define RSK_IO_TOP_P 2         /* >= 1: off */
#define RSK_IO_MIN_P 3         /* <= 0: off */
#define RSK_IO_TYPICAL_P 4     /* >= 1: off */
#define RSK_IO_MIN_KEEP 5      /* every truncating stage keeps at least this many tokens */
#define RSK_IO_MIROSTAT 6      /* 0: off, 2: Mirostat 2.0 (replaces top-k/typical/top-p/min-p) */
#define RSK_IO_MIROSTAT_TAU 7  /* target surprise (bits) */
#define RSK_IO_MIROSTAT_ETA 8  /* learning rate */
#define RSK_IO_MIROSTAT_MU 9   /* current mu (caller-kept state; start at 2*tau) */
#define RSK_IO_REPEAT_PENALTY 10
#define RSK_IO_FREQUENCY_PENALTY 11
#define RSK_IO_PRESENCE_PENALTY 12
#define RSK_IO_N_RECENT 13     /* tokens[0..n_recent) = recent window, tokens[n_recent..) = logit-bias ids */
#define RSK_IO_SEED_LO 14      /* seed, low 32 bits */
#define RSK_IO_SEED_HI 15      /* seed, high 32 bits */
#define RSK_IO_STEP 16         /* RNG counter: integer in [0, 2^53) */
#define RSK_IO_ISA 17          /* RSK_ISA_AUTO or a forced instruction set (tests, benchmarks) */
#define RSK_IO_MASK_AT 18      /* batch only: < 0 no mask, else the row's first word in `masks` */
/* Outputs: */
#define RSK_IO_TOKEN 20        /* drawn token id */
#define RSK_IO_PROB 21         /* its probability in the final distribution */
#define RSK_IO_MU_NEXT 22      /* Mirostat: mu after the update (else = input mu) */
#define RSK_IO_N_FINAL 23      /* size of the final distribution's support */
#define RSK_IO_UNIFORM 24      /* the uniform draw in [0, 1) used */
#define RSK_IO_FINAL_IDS 25    /* int32 index into `work` where the final ids start (ascending ids) */
#define RSK_IO_FINAL_PROBS 26  /* double index into `work` where the final probabilities start */
/* Batch only (rsk_sample_batch), inputs: */
#define RSK_IO_TOKENS_AT 27    /* the row's first entry in `tokens` (its recent window, then its bias ids) */
#define RSK_IO_N_TOKENS 28     /* the row's entries in `tokens` (recent + bias) */
#define RSK_IO_BIAS_AT 29      /* the row's first float in `bias` (it has n_tokens - n_recent) */
#define RSK_IO_ADVANCE 30      /* 1: on success write step + 1 and mu_next back into the row's inputs */
/* Batch only, outputs: */
#define RSK_IO_STATUS 19       /* the row's status (RSK_OK or RSK_E_*); the other outputs are valid when RSK_OK */
#define RSK_IO_MASS 31         /* sum of the row's final probabilities, summed again (a check: 1 within 1e-12) */
#define RSK_IO_LEN 32

/* Doubles of `work` rsk_sample needs for this vocabulary and number of tokens (recent + bias). */
RSK_API uint32_t rsk_work_len(uint32_t n_vocab, uint32_t n_tokens);

/*
 * One sampling step: logit bias -> bans (mask, -inf) -> penalties -> (greedy | mirostat 2 |
 * top-k -> typical -> top-p -> min-p -> temperature) -> softmax (double) -> counter-based draw.
 * mask: n_mask_words == 0 means "all allowed", else n_mask_words >= ceil(n_vocab / 32), bit i = token i allowed.
 * tokens: recent window then logit-bias ids; bias: n_bias floats, n_bias == n_tokens - io[RSK_IO_N_RECENT].
 * The final distribution (ids ascending, probabilities summing to 1) is left in `work` (see io outputs).
 * Returns RSK_OK or RSK_E_*.
 */
RSK_API int32_t rsk_sample(const float *logits, uint32_t n_vocab, const uint32_t *mask, uint32_t n_mask_words,
                   const int32_t *tokens, uint32_t n_tokens, const float *bias, uint32_t n_bias, double *io,
                   uint32_t n_io, double *work, uint32_t n_work);

/*
 * A batch of sampling steps in one call: row r reads logits + r * row_stride (n_vocab floats) and its own io
 * slice io + r * RSK_IO_LEN (every rsk_sample input, plus RSK_IO_MASK_AT / TOKENS_AT / N_TOKENS / BIAS_AT /
 * ADVANCE) and gets rsk_sample's outputs there, plus RSK_IO_STATUS and RSK_IO_MASS (RSK_IO_FINAL_IDS/PROBS are not
 * written: rows share `work`). Rows are independent: a bad row fails alone with its status. `masks` holds n_masks
 * words (a row's mask is ceil(n_vocab / 32) words from its RSK_IO_MASK_AT); n_io >= n_rows * RSK_IO_LEN;
 * n_work >= rsk_work_len(n_vocab, the largest row's n_tokens). Returns the number of rows whose status is not
 * RSK_OK (0: all drawn), or RSK_E_* when the batch itself is malformed (no row is then written).
 */
RSK_API int32_t rsk_sample_batch(const float *logits, uint32_t n_rows, uint32_t n_vocab, uint32_t row_stride,
                                 const uint32_t *masks, uint32_t n_masks, const int32_t *tokens, uint32_t n_tokens,
                                 const float *bias, uint32_t n_bias, double *io, uint32_t n_io, double *work,
                                 uint32_t n_work);

/* logits[i] = -inf for every token whose bit is 0. Returns RSK_OK or RSK_E_*. */
RSK_API int32_t rsk_mask_apply(float *logits, uint32_t n_vocab, const uint32_t *mask, uint32_t n_words);
/* dst = a & b (dst may alias a or b). */
RSK_API int32_t rsk_mask_and(uint32_t *dst, const uint32_t *a, const uint32_t *b, uint32_t n_words);
/* dst = a | b (dst may alias a or b). */
RSK_API int32_t rsk_mask_or(uint32_t *dst, const uint32_t *a, const uint32_t *b, uint32_t n_words);
/* Number of allowed tokens among the first n_vocab bits (>= 0), or RSK_E_*. */
RSK_API int32_t rsk_mask_count(const uint32_t *mask, uint32_t n_words, uint32_t n_vocab);

/* Philox4x32-10 block (Random123): out[0..4) for counter ctr[0..4) and key key[0..2). */
RSK_API int32_t rsk_philox4x32(const uint32_t *ctr, const uint32_t *key, uint32_t *out);
/* The uniform double in [0, 1) rsk_sample draws for (seed, step). */
RSK_API double rsk_uniform(uint32_t seed_lo, uint32_t seed_hi, double step);

/*
 * Grammar mask walk over a preorder token trie (src/grammar/trie.ts flattens it; src/grammar/walk.ts drives it).
 * nodes: (n_nodes + 1) * RSK_TRIE_NODE_WORDS ints; node i = [byte | depth << 8, index just past its subtree, first slot
 * in `ids` of the tokens ending at it]; the extra last node only closes the token slots. table: n_rows * 256 ints,
 * table[row * 256 + byte] = 0 unknown, < 0 refused, else next row + 1; flags[row] bit 0: the row completes the frame
 * being analysed (a refused byte below such a row records [node, skip) in `ranges`); bit 1 (RSK_WALK_FLAG_STOP): a
 * node whose byte leads to the row records [node, skip) in `ranges` and its subtree is not walked (the analysed
 * language ends there). Every other accepted node's tokens are OR-ed into `mask` (the caller clears it). cursor: RSK_WALK_STACK + max depth + 1 ints (slots below); start with
 * node 0, visited 0, ranges 0 and stack[0] = start row (| RSK_WALK_CUT when it completes the frame).
 * Returns RSK_WALK_DONE, RSK_WALK_NEED (fill table[cursor[STATE] * 256 + cursor[BYTE]] and call again),
 * RSK_WALK_LIMITED (more than cursor[LIMIT] nodes visited; 0 = no limit) or RSK_E_PARAM / RSK_E_BUFFER.
 */
#define RSK_TRIE_NODE_WORDS 3
#define RSK_WALK_NODE 0     /* in/out: next node to visit */
#define RSK_WALK_VISITED 1  /* in/out: nodes whose byte was looked up */
#define RSK_WALK_LIMIT 2    /* in: visit budget (0 = none) */
#define RSK_WALK_STATE 3    /* out (NEED): row of the missing transition */
#define RSK_WALK_BYTE 4     /* out (NEED): its byte */
#define RSK_WALK_RANGES 5   /* in/out: ints written to `ranges` (ranges mode: index of the current triple) */
#define RSK_WALK_MODE 6     /* in: RSK_WALK_MODE_ALL, or RSK_WALK_MODE_RANGES: `ranges` is an input of sorted, disjoint
                               [from, to, row] triples (n_ranges ints): only nodes in [from, to) are walked, entered
                               at `row` (the state of from's parent); nothing is recorded. Start with node = the first
                               from, stack[depth(from) - 1] = its row, cursor[RANGES] = 0 */
#define RSK_WALK_MODE_ALL 0
#define RSK_WALK_MODE_RANGES 1
#define RSK_WALK_STACK 8    /* stack[d]: row after d bytes of the current path, | RSK_WALK_CUT */
#define RSK_WALK_CUT (1 << 30)
#define RSK_WALK_FLAG_STOP 2
#define RSK_WALK_DONE 0
#define RSK_WALK_NEED 1
#define RSK_WALK_LIMITED 2
RSK_API int32_t rsk_trie_walk(const int32_t *nodes, uint32_t n_nodes, const int32_t *ids, uint32_t n_ids,
                              const int32_t *table, uint32_t n_rows, const int32_t *flags, int32_t *cursor,
                              uint32_t n_cursor, uint32_t *mask, uint32_t n_words, int32_t *ranges, uint32_t n_ranges);

/* Best instruction set this build selects on this CPU (RSK_ISA_*). */
RSK_API int32_t rsk_isa(void);
/* ABI version (RSK_ABI_VERSION): the FFI layer refuses a library built from other headers. */
RSK_API int32_t rsk_abi_version(void);
/* Returns x: the bare FFI call baseline for benchmarks. */
RSK_API int32_t rsk_noop(int32_t x);

#ifdef __cplusplus
}
#endif
#endif
