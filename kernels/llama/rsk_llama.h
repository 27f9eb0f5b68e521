/*
 * rsk_llama: a thin C shim over libllama so that only buffers, i32/u32/f32 and opaque handles cross the FFI
 * boundary (llama.h passes model/context params, batches and token-data arrays by value, which neither
 * bun:ffi nor Deno.dlopen can express). libllama is opened at run time with dlopen, so RSK_LLAMA_LIB can point
 * at any compatible build without recompiling the shim.
 *
 * Status convention: functions returning int32_t return >= 0 on success and < 0 on failure; handles are NULL
 * on failure. After a failure, rsk_llama_last_error() has llama.cpp's own last error message.
 */
#ifndef RSK_LLAMA_H
#define RSK_LLAMA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsk_llama_model rsk_llama_model;
typedef struct rsk_llama_context rsk_llama_context;
typedef struct rsk_llama_sampler rsk_llama_sampler;

/* Opens libllama (NUL-terminated path), registers the ggml backends found next to it and initialises
 * llama.cpp. Idempotent: later calls with any path return 0 without reopening. verbose != 0 forwards all of
 * llama.cpp's logs to stderr; otherwise only the last error is kept for rsk_llama_last_error. */
int32_t rsk_llama_open(const char *libllama_path, int32_t verbose);

/* Copies the last error (dlopen failure or llama.cpp ERROR log line) into buf, NUL-terminated; returns its length. */
int32_t rsk_llama_last_error(char *buf, int32_t buf_len);

/* Loads a GGUF model on the CPU (n_gpu_layers is passed through; 0 keeps every layer on the CPU). */
rsk_llama_model *rsk_llama_model_load(const char *path, int32_t n_gpu_layers);
void rsk_llama_model_free(rsk_llama_model *model);

/* Fills out[0..7] = n_vocab, bos, eos, n_ctx_train, add_bos, n_embd, n_layer, has_chat_template; returns 8. */
int32_t rsk_llama_model_info(const rsk_llama_model *model, int32_t *out, int32_t out_len);

/* 1 when token ends generation (EOS, EOT, <|im_end|>, ...), else 0. */
int32_t rsk_llama_is_eog(const rsk_llama_model *model, int32_t token);

/* Tokenizes text_len bytes of UTF-8; returns the token count, or -(needed) when tokens_max is too small. */
int32_t rsk_llama_tokenize(const rsk_llama_model *model, const char *text, int32_t text_len, int32_t *tokens,
                           int32_t tokens_max, int32_t add_special, int32_t parse_special);

/* Writes the token's bytes (not NUL-terminated, possibly a partial UTF-8 sequence); returns the byte count or
 * -(needed) when buf is too small. special != 0 renders control tokens as their text. */
int32_t rsk_llama_token_to_piece(const rsk_llama_model *model, int32_t token, char *buf, int32_t buf_len,
                                 int32_t special);

/* Applies a chat template to n_msg messages packed as NUL-terminated strings "role\0content\0role\0content\0...".
 * tmpl: a NUL-terminated template, or "" for the model's own. Returns the full prompt length in bytes (may
 * exceed buf_len: call again with a bigger buffer), or < 0 when the template is unsupported. */
int32_t rsk_llama_chat_apply(const rsk_llama_model *model, const char *tmpl, const char *messages, int32_t n_msg,
                             int32_t add_assistant, char *buf, int32_t buf_len);

/* A context with n_seq_max independent sequences sharing one KV cache of n_ctx cells; n_batch caps the
 * tokens of one decode step. n_threads <= 0 lets llama.cpp choose. */
rsk_llama_context *rsk_llama_context_new(rsk_llama_model *model, int32_t n_ctx, int32_t n_batch,
                                         int32_t n_seq_max, int32_t n_threads);
void rsk_llama_context_free(rsk_llama_context *ctx);

/* Fills out[0..3] = n_ctx, n_ctx_seq (cells one sequence may use), n_batch, n_seq_max; returns 4. */
int32_t rsk_llama_context_info(const rsk_llama_context *ctx, int32_t *out, int32_t out_len);

/* One llama_decode over n tokens: token[i] at position pos[i] of sequence seq[i], logits wanted where
 * output[i] != 0. Returns llama_decode's status (0 ok, 1 no KV slot, < 0 error). */
int32_t rsk_llama_decode(rsk_llama_context *ctx, const int32_t *token, const int32_t *pos, const int32_t *seq,
                         const int32_t *output, int32_t n);

/* rsk_llama_decode_poll: the decode handed to the decode thread is still running / none was handed. */
#define RSK_LLAMA_DECODE_RUNNING (-1000)
#define RSK_LLAMA_DECODE_NONE (-1001)

/* The same decode run on the context's own thread (started on first use), so that the caller's thread stays free:
 * returns 0 once handed over (or -1 for n outside 1..n_batch, -2 when a decode is in flight). Until
 * rsk_llama_decode_poll has returned its status, the context must not be used but to poll or free it (free waits
 * for the decode to end). */
int32_t rsk_llama_decode_begin(rsk_llama_context *ctx, const int32_t *token, const int32_t *pos,
                               const int32_t *seq, const int32_t *output, int32_t n);

/* 1 while the decode rsk_llama_decode_begin handed over is running on the context's thread, else 0. */
int32_t rsk_llama_decode_running(rsk_llama_context *ctx);

/* llama_decode's status for the decode rsk_llama_decode_begin handed over, once it has ended (the context is then
 * free for the next one); RSK_LLAMA_DECODE_RUNNING before, RSK_LLAMA_DECODE_NONE when none was handed over. */
int32_t rsk_llama_decode_poll(rsk_llama_context *ctx);

/* The logits of the decode's outputs, contiguous rows of n_vocab floats in batch order (valid until the next
 * decode). Read in place. */
float *rsk_llama_logits(rsk_llama_context *ctx);

/* Readies the last decode's logits (llama.cpp reorders split outputs on access) and returns 1 when they start
 * where rsk_llama_logits last pointed, 0 when the buffer moved: callers keep one view and re-fetch only then. */
int32_t rsk_llama_logits_stable(rsk_llama_context *ctx);

/* Removes every KV cell of sequence seq (the sequence can be reused from position 0). Returns 1 on success. */
int32_t rsk_llama_seq_rm(rsk_llama_context *ctx, int32_t seq);

/* llama.cpp's own sampler chains, for side-by-side benchmarks against rsk's kernels:
 * kind 0 greedy; 1 top-k (params[0]) -> top-p (params[1]) -> temperature (params[2]) -> dist;
 * 2 min-p (params[0]) -> temperature (params[1]) -> dist; 3 temperature (params[0]) -> mirostat v2 (tau
 * params[1], eta params[2]). The chain is reused across calls (mirostat keeps its state). */
rsk_llama_sampler *rsk_llama_sampler_new(int32_t kind, const float *params, int32_t n_params, uint32_t seed,
                                         int32_t n_vocab);
/* Runs the chain over n_vocab logits (read, not modified) and returns the chosen token, or -1. */
int32_t rsk_llama_sampler_sample(rsk_llama_sampler *sampler, const float *logits, int32_t n_vocab);
void rsk_llama_sampler_free(rsk_llama_sampler *sampler);

/* llama.cpp's grammar sampler (llama_sampler_init_grammar) over `model`'s vocabulary, for the grammar benchmark:
 * GBNF text and root rule name, NUL-terminated. NULL with rsk_llama_last_error set when llama.cpp refuses it. */
rsk_llama_sampler *rsk_llama_grammar_new(const rsk_llama_model *model, const char *grammar, const char *root);
/* One mask computation as llama.cpp does it: the grammar applied to all n_vocab candidates; allowed[id] = 1 for
 * the tokens it keeps, 0 for the others. Returns how many it keeps, or -1. */
int32_t rsk_llama_grammar_apply(rsk_llama_sampler *sampler, const float *logits, int32_t n_vocab, float *allowed);
/* Advances a sampler by `token` (for a grammar: the token must be allowed, llama.cpp aborts otherwise). */
void rsk_llama_sampler_accept(rsk_llama_sampler *sampler, int32_t token);

#ifdef __cplusplus
}
#endif

#endif
