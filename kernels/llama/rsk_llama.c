/*
 * rsk_llama: see rsk_llama.h. Compiled against the llama.h of the llama.cpp release that
 * @node-llama-cpp/linux-x64 ships (kernels/llama/build.ts extracts it from node-llama-cpp's source bundle).
 * libllama's functions are resolved with dlsym into one table, filled once by rsk_llama_open: the shim has no
 * link-time dependency on libllama, so any path (RSK_LLAMA_LIB) works.
 */
#define _GNU_SOURCE
#include "rsk_llama.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

#define LLAMA_FUNCTIONS(X)                                                                                        \
  X(llama_backend_init) X(llama_log_set) X(llama_model_default_params) X(llama_model_load_from_file)            \
  X(llama_model_free) X(llama_model_get_vocab) X(llama_vocab_n_tokens) X(llama_vocab_bos) X(llama_vocab_eos)    \
  X(llama_model_n_ctx_train) X(llama_vocab_get_add_bos) X(llama_model_n_embd) X(llama_model_n_layer)           \
  X(llama_model_chat_template) X(llama_vocab_is_eog) X(llama_tokenize) X(llama_token_to_piece)                 \
  X(llama_chat_apply_template) X(llama_context_default_params) X(llama_init_from_model) X(llama_free)          \
  X(llama_n_ctx) X(llama_n_ctx_seq) X(llama_n_batch) X(llama_n_seq_max) X(llama_batch_init)                   \
  X(llama_batch_free) X(llama_decode) X(llama_get_logits) X(llama_get_memory) X(llama_memory_seq_rm)         \
  X(llama_sampler_chain_default_params) X(llama_sampler_chain_init) X(llama_sampler_chain_add)                \
  X(llama_sampler_init_greedy) X(llama_sampler_init_dist) X(llama_sampler_init_top_k)                          \
  X(llama_sampler_init_top_p) X(llama_sampler_init_min_p) X(llama_sampler_init_temp)                           \
  X(llama_sampler_init_mirostat_v2) X(llama_sampler_apply) X(llama_sampler_accept) X(llama_sampler_free)    \
  X(llama_sampler_init_grammar)

/* The dispatch table: written once by rsk_llama_open, read-only afterwards. */
#define DECLARE_POINTER(name) static __typeof__(name) *p_##name;
LLAMA_FUNCTIONS(DECLARE_POINTER)

static void *libllama;
static int32_t log_verbose;
/* The last error line llama.cpp logged (or dlopen's message): turned into JS error messages. */
static char last_error[1024];

/* Appends one message to last_error ("; "-separated), so the root cause logged first stays visible. */
static void add_error(const char *text) {
  size_t used = strlen(last_error);
  if (used > 0 && used + 2 < sizeof last_error) {
    memcpy(last_error + used, "; ", 3);
    used += 2;
  }
  snprintf(last_error + used, sizeof last_error - used, "%s", text);
  size_t n = strlen(last_error);
  while (n > 0 && (last_error[n - 1] == '\n' || last_error[n - 1] == ' ')) last_error[--n] = '\0';
}

static void set_error(const char *text) {
  last_error[0] = '\0';
  add_error(text);
}

static void log_sink(enum ggml_log_level level, const char *text, void *user_data) {
  static enum ggml_log_level previous = GGML_LOG_LEVEL_NONE;
  (void)user_data;
  if (log_verbose) fputs(text, stderr);
  if (level == GGML_LOG_LEVEL_CONT) level = previous;
  else previous = level;
  if (level == GGML_LOG_LEVEL_ERROR) add_error(text);
}

int32_t rsk_llama_open(const char *libllama_path, int32_t verbose) {
  log_verbose = verbose;
  if (libllama) return 0;
  void *lib = dlopen(libllama_path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    set_error(why ? why : "dlopen failed");
    return -1;
  }
#define LOAD_POINTER(name)                                                    \
  p_##name = (__typeof__(name) *)dlsym(lib, #name);                           \
  if (!p_##name) {                                                            \
    snprintf(last_error, sizeof last_error, "%s: missing symbol %s", libllama_path, #name); \
    dlclose(lib);                                                             \
    return -2;                                                                \
  }
  LLAMA_FUNCTIONS(LOAD_POINTER)
  /* Builds with dynamically loaded backends (GGML_BACKEND_DL, as node-llama-cpp ships) register no CPU
   * backend until it is loaded from the library's folder; static builds lack the symbol and need nothing. */
  p_llama_log_set(log_sink, NULL);
  void (*load_backends)(const char *) = (void (*)(const char *))dlsym(lib, "ggml_backend_load_all_from_path");
  if (load_backends) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", libllama_path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = '\0';
    else snprintf(dir, sizeof dir, "./");
    load_backends(dir);
  }
  p_llama_backend_init();
  libllama = lib;
  return 0;
}

int32_t rsk_llama_last_error(char *buf, int32_t buf_len) {
  if (buf_len <= 0) return 0;
  snprintf(buf, (size_t)buf_len, "%s", last_error);
  return (int32_t)strlen(buf);
}

struct rsk_llama_model {
  struct llama_model *model;
  const struct llama_vocab *vocab;
};

rsk_llama_model *rsk_llama_model_load(const char *path, int32_t n_gpu_layers) {
  if (!libllama) {
    set_error("rsk_llama_open has not been called");
    return NULL;
  }
  last_error[0] = '\0';
  struct llama_model_params params = p_llama_model_default_params();
  params.n_gpu_layers = n_gpu_layers;
  struct llama_model *model = p_llama_model_load_from_file(path, params);
  if (!model) return NULL;
  rsk_llama_model *handle = calloc(1, sizeof *handle);
  if (!handle) {
    p_llama_model_free(model);
    set_error("out of memory");
    return NULL;
  }
  handle->model = model;
  handle->vocab = p_llama_model_get_vocab(model);
  return handle;
}

void rsk_llama_model_free(rsk_llama_model *model) {
  if (!model) return;
  p_llama_model_free(model->model);
  free(model);
}

int32_t rsk_llama_model_info(const rsk_llama_model *model, int32_t *out, int32_t out_len) {
  if (out_len < 8) return -1;
  out[0] = p_llama_vocab_n_tokens(model->vocab);
  out[1] = p_llama_vocab_bos(model->vocab);
  out[2] = p_llama_vocab_eos(model->vocab);
  out[3] = p_llama_model_n_ctx_train(model->model);
  out[4] = p_llama_vocab_get_add_bos(model->vocab) ? 1 : 0;
  out[5] = p_llama_model_n_embd(model->model);
  out[6] = p_llama_model_n_layer(model->model);
  out[7] = p_llama_model_chat_template(model->model, NULL) != NULL ? 1 : 0;
  return 8;
}

int32_t rsk_llama_is_eog(const rsk_llama_model *model, int32_t token) {
  return p_llama_vocab_is_eog(model->vocab, token) ? 1 : 0;
}

int32_t rsk_llama_tokenize(const rsk_llama_model *model, const char *text, int32_t text_len, int32_t *tokens,
                           int32_t tokens_max, int32_t add_special, int32_t parse_special) {
  return p_llama_tokenize(model->vocab, text, text_len, tokens, tokens_max, add_special != 0, parse_special != 0);
}

int32_t rsk_llama_token_to_piece(const rsk_llama_model *model, int32_t token, char *buf, int32_t buf_len,
                                 int32_t special) {
  return p_llama_token_to_piece(model->vocab, token, buf, buf_len, 0, special != 0);
}

int32_t rsk_llama_chat_apply(const rsk_llama_model *model, const char *tmpl, const char *messages, int32_t n_msg,
                             int32_t add_assistant, char *buf, int32_t buf_len) {
  const char *chosen = tmpl && tmpl[0] ? tmpl : p_llama_model_chat_template(model->model, NULL);
  if (!chosen) {
    set_error("the model has no chat template");
    return -1;
  }
  if (n_msg < 0) return -1;
  struct llama_chat_message *chat = calloc((size_t)(n_msg > 0 ? n_msg : 1), sizeof *chat);
  if (!chat) return -1;
  const char *cursor = messages;
  for (int32_t i = 0; i < n_msg; i++) {
    chat[i].role = cursor;
    cursor += strlen(cursor) + 1;
    chat[i].content = cursor;
    cursor += strlen(cursor) + 1;
  }
  int32_t n = p_llama_chat_apply_template(chosen, chat, (size_t)n_msg, add_assistant != 0, buf, buf_len);
  free(chat);
  if (n < 0) set_error("chat template not supported by llama_chat_apply_template");
  return n;
}

struct rsk_llama_context {
  struct llama_context *ctx;
  struct llama_batch batch;
  int32_t capacity;
  const float *last_logits;
  /* The decode thread (started by the first rsk_llama_decode_begin) and what it shares with the caller. */
  pthread_t worker;
  int32_t worker_started;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int32_t phase; /* DECODE_IDLE, DECODE_RUNNING or DECODE_DONE */
  int32_t status;
  int32_t stop;
};

enum { DECODE_IDLE, DECODE_RUNNING, DECODE_DONE };

rsk_llama_context *rsk_llama_context_new(rsk_llama_model *model, int32_t n_ctx, int32_t n_batch,
                                         int32_t n_seq_max, int32_t n_threads) {
  last_error[0] = '\0';
  if (n_ctx <= 0 || n_batch <= 0 || n_seq_max <= 0) {
    set_error("n_ctx, n_batch and n_seq_max must be positive");
    return NULL;
  }
  struct llama_context_params params = p_llama_context_default_params();
  params.n_ctx = (uint32_t)n_ctx;
  params.n_batch = (uint32_t)n_batch;
  params.n_ubatch = (uint32_t)n_batch;
  params.n_seq_max = (uint32_t)n_seq_max;
  if (n_threads > 0) {
    params.n_threads = n_threads;
    params.n_threads_batch = n_threads;
  }
  params.no_perf = true;
  struct llama_context *ctx = p_llama_init_from_model(model->model, params);
  if (!ctx) return NULL;
  rsk_llama_context *handle = calloc(1, sizeof *handle);
  if (!handle) {
    p_llama_free(ctx);
    set_error("out of memory");
    return NULL;
  }
  handle->ctx = ctx;
  handle->batch = p_llama_batch_init(n_batch, 0, 1);
  handle->capacity = n_batch;
  pthread_mutex_init(&handle->lock, NULL);
  pthread_cond_init(&handle->wake, NULL);
  return handle;
}

void rsk_llama_context_free(rsk_llama_context *ctx) {
  if (!ctx) return;
  if (ctx->worker_started) {
    /* The worker finishes a decode in flight before it sees stop. */
    pthread_mutex_lock(&ctx->lock);
    ctx->stop = 1;
    pthread_cond_signal(&ctx->wake);
    pthread_mutex_unlock(&ctx->lock);
    pthread_join(ctx->worker, NULL);
  }
  pthread_cond_destroy(&ctx->wake);
  pthread_mutex_destroy(&ctx->lock);
  p_llama_batch_free(ctx->batch);
  p_llama_free(ctx->ctx);
  free(ctx);
}

int32_t rsk_llama_context_info(const rsk_llama_context *ctx, int32_t *out, int32_t out_len) {
  if (out_len < 4) return -1;
  out[0] = (int32_t)p_llama_n_ctx(ctx->ctx);
  out[1] = (int32_t)p_llama_n_ctx_seq(ctx->ctx);
  out[2] = (int32_t)p_llama_n_batch(ctx->ctx);
  out[3] = (int32_t)p_llama_n_seq_max(ctx->ctx);
  return 4;
}

/* Copies the caller's batch into the context's llama_batch; 0, -1 when n is outside 1..n_batch, -2 when a decode
 * is in flight (its batch is in use). */
static int32_t fill_batch(rsk_llama_context *ctx, const int32_t *token, const int32_t *pos, const int32_t *seq,
                          const int32_t *output, int32_t n) {
  pthread_mutex_lock(&ctx->lock);
  int32_t phase = ctx->phase;
  pthread_mutex_unlock(&ctx->lock);
  if (phase != DECODE_IDLE) {
    set_error("a decode is already in flight on this context");
    return -2;
  }
  if (n <= 0 || n > ctx->capacity) {
    snprintf(last_error, sizeof last_error, "decode of %d tokens outside 1..n_batch (%d)", n, ctx->capacity);
    return -1;
  }
  last_error[0] = '\0';
  struct llama_batch *batch = &ctx->batch;
  for (int32_t i = 0; i < n; i++) {
    batch->token[i] = token[i];
    batch->pos[i] = pos[i];
    batch->n_seq_id[i] = 1;
    batch->seq_id[i][0] = seq[i];
    batch->logits[i] = output[i] != 0;
  }
  batch->n_tokens = n;
  return 0;
}

int32_t rsk_llama_decode(rsk_llama_context *ctx, const int32_t *token, const int32_t *pos, const int32_t *seq,
                         const int32_t *output, int32_t n) {
  int32_t filled = fill_batch(ctx, token, pos, seq, output, n);
  return filled != 0 ? filled : p_llama_decode(ctx->ctx, ctx->batch);
}

/* The decode thread: runs each decode rsk_llama_decode_begin hands it, until rsk_llama_context_free stops it. */
static void *decode_worker(void *arg) {
  rsk_llama_context *ctx = arg;
  pthread_mutex_lock(&ctx->lock);
  for (;;) {
    while (!ctx->stop && ctx->phase != DECODE_RUNNING) pthread_cond_wait(&ctx->wake, &ctx->lock);
    if (ctx->phase != DECODE_RUNNING) break;
    pthread_mutex_unlock(&ctx->lock);
    int32_t status = p_llama_decode(ctx->ctx, ctx->batch);
    pthread_mutex_lock(&ctx->lock);
    ctx->status = status;
    ctx->phase = DECODE_DONE;
  }
  pthread_mutex_unlock(&ctx->lock);
  return NULL;
}

int32_t rsk_llama_decode_begin(rsk_llama_context *ctx, const int32_t *token, const int32_t *pos,
                               const int32_t *seq, const int32_t *output, int32_t n) {
  int32_t filled = fill_batch(ctx, token, pos, seq, output, n);
  if (filled != 0) return filled;
  if (!ctx->worker_started) {
    if (pthread_create(&ctx->worker, NULL, decode_worker, ctx) != 0) {
      set_error("cannot start the decode thread");
      return -3;
    }
    ctx->worker_started = 1;
  }
  pthread_mutex_lock(&ctx->lock);
  ctx->phase = DECODE_RUNNING;
  pthread_cond_signal(&ctx->wake);
  pthread_mutex_unlock(&ctx->lock);
  return 0;
}

int32_t rsk_llama_decode_running(rsk_llama_context *ctx) {
  pthread_mutex_lock(&ctx->lock);
  int32_t running = ctx->phase == DECODE_RUNNING;
  pthread_mutex_unlock(&ctx->lock);
  return running;
}

int32_t rsk_llama_decode_poll(rsk_llama_context *ctx) {
  pthread_mutex_lock(&ctx->lock);
  int32_t result = RSK_LLAMA_DECODE_RUNNING;
  if (ctx->phase == DECODE_DONE) {
    result = ctx->status;
    ctx->phase = DECODE_IDLE;
  } else if (ctx->phase == DECODE_IDLE) {
    result = RSK_LLAMA_DECODE_NONE;
  }
  pthread_mutex_unlock(&ctx->lock);
  return result;
}

float *rsk_llama_logits(rsk_llama_context *ctx) {
  float *logits = p_llama_get_logits(ctx->ctx);
  ctx->last_logits = logits;
  return logits;
}

int32_t rsk_llama_logits_stable(rsk_llama_context *ctx) {
  const float *logits = p_llama_get_logits(ctx->ctx);
  int32_t same = logits != NULL && logits == ctx->last_logits;
  ctx->last_logits = logits;
  return same;
}

int32_t rsk_llama_seq_rm(rsk_llama_context *ctx, int32_t seq) {
  return p_llama_memory_seq_rm(p_llama_get_memory(ctx->ctx), seq, -1, -1) ? 1 : 0;
}

struct rsk_llama_sampler {
  struct llama_sampler *chain;
  llama_token_data *candidates;
  int32_t n_vocab;
};

static float param(const float *params, int32_t n_params, int32_t i, float fallback) {
  return i < n_params ? params[i] : fallback;
}


/* Owns `chain` and a candidates buffer for n_vocab tokens; frees the chain when allocation fails. */
static rsk_llama_sampler *wrap_chain(struct llama_sampler *chain, int32_t n_vocab) {
  rsk_llama_sampler *sampler = calloc(1, sizeof *sampler);
  llama_token_data *candidates = malloc(sizeof *candidates * (size_t)n_vocab);
  if (!sampler || !candidates) {
    free(sampler);
    free(candidates);
    p_llama_sampler_free(chain);
    set_error("out of memory");
    return NULL;
  }
  sampler->chain = chain;
  sampler->candidates = candidates;
  sampler->n_vocab = n_vocab;
  return sampler;
}

rsk_llama_sampler *rsk_llama_sampler_new(int32_t kind, const float *params, int32_t n_params, uint32_t seed,
                                         int32_t n_vocab) {
  if (!libllama || n_vocab <= 0) return NULL;
  struct llama_sampler_chain_params chain_params = p_llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  struct llama_sampler *chain = p_llama_sampler_chain_init(chain_params);
  switch (kind) {
    case 0:
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_greedy());
      break;
    case 1:
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_top_k((int32_t)param(params, n_params, 0, 40)));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_top_p(param(params, n_params, 1, 0.95f), 1));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_temp(param(params, n_params, 2, 0.8f)));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_dist(seed));
      break;
    case 2:
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_min_p(param(params, n_params, 0, 0.05f), 1));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_temp(param(params, n_params, 1, 1.0f)));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_dist(seed));
      break;
    case 3:
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_temp(param(params, n_params, 0, 1.0f)));
      p_llama_sampler_chain_add(chain, p_llama_sampler_init_mirostat_v2(seed, param(params, n_params, 1, 5.0f),
                                                                        param(params, n_params, 2, 0.1f)));
      break;
    default:
      p_llama_sampler_free(chain);
      set_error("unknown sampler kind");
      return NULL;
  }
  return wrap_chain(chain, n_vocab);
}

/* Runs the sampler's chain over a fresh candidate list built from `logits` (read, never written). */
static int32_t apply_chain(rsk_llama_sampler *sampler, const float *logits, int32_t n_vocab, llama_token_data_array *array) {
  if (n_vocab <= 0 || n_vocab > sampler->n_vocab) return -1;
  llama_token_data *candidates = sampler->candidates;
  for (int32_t i = 0; i < n_vocab; i++) {
    candidates[i].id = i;
    candidates[i].logit = logits[i];
    candidates[i].p = 0.0f;
  }
  *array = (llama_token_data_array){candidates, (size_t)n_vocab, -1, false};
  p_llama_sampler_apply(sampler->chain, array);
  return 0;
}

int32_t rsk_llama_sampler_sample(rsk_llama_sampler *sampler, const float *logits, int32_t n_vocab) {
  llama_token_data_array array;
  if (apply_chain(sampler, logits, n_vocab, &array) != 0) return -1;
  if (array.selected < 0 || (size_t)array.selected >= array.size) return -1;
  int32_t token = array.data[array.selected].id;
  p_llama_sampler_accept(sampler->chain, token);
  return token;
}

void rsk_llama_sampler_free(rsk_llama_sampler *sampler) {
  if (!sampler) return;
  p_llama_sampler_free(sampler->chain);
  free(sampler->candidates);
  free(sampler);
}

rsk_llama_sampler *rsk_llama_grammar_new(const rsk_llama_model *model, const char *grammar, const char *root) {
  if (!libllama || !model || !grammar || !root) return NULL;
  last_error[0] = '\0';
  struct llama_sampler *chain = p_llama_sampler_init_grammar(model->vocab, grammar, root);
  if (!chain) {
    if (!last_error[0]) set_error("llama.cpp refused the grammar");
    return NULL;
  }
  const int32_t n_vocab = p_llama_vocab_n_tokens(model->vocab);
  return wrap_chain(chain, n_vocab);
}

int32_t rsk_llama_grammar_apply(rsk_llama_sampler *sampler, const float *logits, int32_t n_vocab, float *allowed) {
  llama_token_data_array array;
  if (apply_chain(sampler, logits, n_vocab, &array) != 0) return -1;
  int32_t count = 0;
  for (size_t i = 0; i < array.size; i++) {
    const int keep = array.data[i].logit != -__builtin_inff();
    allowed[array.data[i].id] = keep ? 1.0f : 0.0f;
    count += keep;
  }
  return count;
}

void rsk_llama_sampler_accept(rsk_llama_sampler *sampler, int32_t token) { p_llama_sampler_accept(sampler->chain, token); }
