/*
 * sample.c — one sampling step. Phase A narrows the vocabulary to a candidate set with the SIMD scans
 * (top-k by threshold heap, or a logit threshold), never sorting the vocabulary; phase B runs the
 * remaining stages in double precision on the (usually small) candidate set, kept in ascending id order.
 */
#include "internal.h"
#include "rsk.h"

#define LN2 0.6931471805599453

typedef struct {
  const float *x;
  uint32_t V;
  const uint32_t *mask;
  const rsk_scan *scan;
  int32_t *pid; /* patched tokens (bias and/or penalties), ascending ids */
  double *pv;   /* their effective logits */
  uint32_t np;
  int32_t *cid; /* candidates: ids ascending */
  double *cv;   /* candidates: logits */
  double *cp;   /* candidates: probabilities */
  double *ck;   /* sort keys */
  int32_t *perm;
  int32_t *hid; /* heap / id scratch */
  float *hv;
} ws;

static uint32_t words_for(uint32_t V) { return (V >> 5) + ((V & 31) != 0); }
static int allowed(const ws *w, int32_t id) { return !w->mask || ((w->mask[id >> 5] >> (id & 31)) & 1u); }

/* Integral x in [0, max] -> *out. */
static int as_u32(double x, double max, uint32_t *out) {
  if (!(x >= 0.0 && x <= max) || x != (double)(uint32_t)x) return 0;
  *out = (uint32_t)x;
  return 1;
}
static int finite(double x) { return x - x == 0.0; }

static uint64_t region(uint64_t count, uint64_t size) { return (count * size + 7u) & ~7ull; }

static uint64_t layout_bytes(uint32_t V, uint32_t T) {
  uint64_t N = (uint64_t)V + 2ull * T;
  return region(T, 4) + region(T, 8) + region(N, 4) + 3 * region(N, 8) + 3 * region(N, 4);
}

uint32_t rsk_work_len(uint32_t V, uint32_t T) {
  if (V == 0 || V > RSK_MAX_VOCAB || T > RSK_MAX_TOKENS) return 0;
  return (uint32_t)(layout_bytes(V, T) / 8);
}

static void carve(ws *w, double *work, uint32_t T) {
  uint64_t N = (uint64_t)w->V + 2ull * T;
  char *p = (char *)work;
  w->pid = (int32_t *)p, p += region(T, 4);
  w->pv = (double *)p, p += region(T, 8);
  w->cid = (int32_t *)p, p += region(N, 4);
  w->cv = (double *)p, p += region(N, 8);
  w->cp = (double *)p, p += region(N, 8);
  w->ck = (double *)p, p += region(N, 8);
  w->perm = (int32_t *)p, p += region(N, 4);
  w->hid = (int32_t *)p, p += region(N, 4);
  w->hv = (float *)p;
}

/* Bias (summed in list order) then llama.cpp penalties, for every token named in `tokens`. */
static int32_t build_patches(ws *w, const int32_t *tokens, uint32_t n_recent, uint32_t T, const float *bias,
                             double rp, double freq, double pres) {
  int penalize = !(rp == 1.0 && freq == 0.0 && pres == 0.0);
  uint32_t start = penalize ? 0 : n_recent, n = 0;
  for (uint32_t j = start; j < T; j++) {
    int32_t id = tokens[j];
    if (id < 0 || (uint32_t)id >= w->V) return RSK_E_PARAM;
    if (j >= n_recent && !(bias[j - n_recent] < RSK_INF)) return RSK_E_PARAM; /* NaN or +inf bias */
    w->pv[n++] = (double)id * 2097152.0 + (double)j;                           /* id * 2^21 + position */
  }
  rsk_sort_f64(w->pv, n);
  uint32_t np = 0;
  for (uint32_t i = 0; i < n;) {
    int32_t id = (int32_t)(w->pv[i] / 2097152.0);
    float raw = w->x[id];
    if (!(raw < RSK_INF)) return RSK_E_NONFINITE;
    double v = (double)raw;
    uint32_t count = 0;
    for (; i < n && (int32_t)(w->pv[i] / 2097152.0) == id; i++) {
      uint32_t j = (uint32_t)(w->pv[i] - (double)id * 2097152.0);
      if (j < n_recent) count++;
      else v += (double)bias[j - n_recent];
    }
    if (count > 0) {
      v = v <= 0.0 ? v * rp : v / rp;
      v -= (double)count * freq + pres;
    }
    if (v != v || v == RSK_INF) return RSK_E_PARAM; /* penalties or bias overflowed */
    w->pid[np] = id;
    w->pv[np] = v;
    np++;
  }
  w->np = np;
  return RSK_OK;
}

static int patched(const ws *w, int32_t id) {
  uint32_t lo = 0, hi = w->np;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (w->pid[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < w->np && w->pid[lo] == id;
}

/* perm[0..kept) are candidate indices: keep exactly those, in ascending id order. */
static uint32_t keep_perm(ws *w, uint32_t kept) {
  rsk_sort_i32(w->perm, kept);
  for (uint32_t i = 0; i < kept; i++) {
    int32_t j = w->perm[i];
    w->cid[i] = w->cid[j];
    w->cv[i] = w->cv[j];
  }
  return kept;
}

/* Keeps the top k candidates by (logit desc, id asc). */
static uint32_t keep_top(ws *w, uint32_t n, uint32_t k) {
  if (k >= n) return n;
  for (uint32_t i = 0; i < n; i++) w->perm[i] = (int32_t)i, w->ck[i] = -w->cv[i];
  rsk_select_perm(w->perm, n, k, w->ck, w->cid);
  return keep_perm(w, k);
}

/* Phase A, top-k: exact top-k of the effective logits from a heap scan of the raw ones. */
static int32_t candidates_top(ws *w, uint32_t k) {
  uint32_t cap = k + w->np < w->V ? k + w->np : w->V, bad = 0;
  uint32_t size = w->scan->top(w->x, w->V, w->mask, cap, w->hid, w->hv, &bad);
  if (bad) return RSK_E_NONFINITE;
  uint32_t m = 0;
  for (uint32_t i = 0; i < size; i++)
    if (!patched(w, w->hid[i])) w->cid[m] = w->hid[i], w->cv[m] = (double)w->hv[i], m++;
  for (uint32_t j = 0; j < w->np; j++)
    if (allowed(w, w->pid[j]) && w->pv[j] > -RSK_INF) w->cid[m] = w->pid[j], w->cv[m] = w->pv[j], m++;
  if (m == 0) return RSK_E_EMPTY;
  /* Order the union by id (it is small: at most k + 2 * patches). */
  for (uint32_t i = 0; i < m; i++) w->perm[i] = (int32_t)i, w->ck[i] = (double)w->cid[i];
  rsk_sort_perm(w->perm, m, w->ck, w->cid);
  for (uint32_t i = 0; i < m; i++) w->hid[i] = w->cid[w->perm[i]], w->cp[i] = w->cv[w->perm[i]];
  for (uint32_t i = 0; i < m; i++) w->cid[i] = w->hid[i], w->cv[i] = w->cp[i];
  return (int32_t)keep_top(w, m, k);
}

/* Smallest float >= t (so that `(float)x >= it` <=> `(double)x >= t`), clamped to finite floats. */
static float float_at_least(double t) {
  if (!(t > -3.4028234663852886e38)) return -3.4028234663852886e38f;
  if (t > 3.4028234663852886e38) return RSK_INF;
  float f = (float)t;
  if ((double)f < t) {
    uint32_t b;
    __builtin_memcpy(&b, &f, 4);
    if (f == 0.0f) b = 1; /* +-0 -> smallest positive subnormal */
    else if (f > 0.0f) b++;
    else b--;
    __builtin_memcpy(&f, &b, 4);
  }
  return f;
}

/* Phase A, threshold: every allowed token with effective logit >= t (t = -inf: all that are > -inf). */
static int32_t candidates_at_least(ws *w, double t) {
  uint32_t bad = 0, j = 0, n = 0;
  uint32_t cnt = w->scan->ge(w->x, w->V, w->mask, float_at_least(t), w->hid, &bad);
  if (bad) return RSK_E_NONFINITE;
  for (uint32_t i = 0; i <= cnt; i++) {
    int32_t id = i < cnt ? w->hid[i] : (int32_t)w->V;
    for (; j < w->np && w->pid[j] < id; j++)
      if (allowed(w, w->pid[j]) && w->pv[j] >= t && w->pv[j] > -RSK_INF) w->cid[n] = w->pid[j], w->cv[n++] = w->pv[j];
    if (i == cnt) break;
    if (j < w->np && w->pid[j] == id) {
      if (w->pv[j] >= t && w->pv[j] > -RSK_INF) w->cid[n] = id, w->cv[n++] = w->pv[j];
      j++;
      continue;
    }
    w->cid[n] = id, w->cv[n++] = (double)w->x[id];
  }
  return n ? (int32_t)n : RSK_E_EMPTY;
}

/* cp = softmax(cv) with double accumulation in id order; returns the max logit. */
static double softmax(ws *w, uint32_t n, double *sum_out) {
  double max = w->cv[0], sum = 0.0;
  for (uint32_t i = 1; i < n; i++)
    if (w->cv[i] > max) max = w->cv[i];
  for (uint32_t i = 0; i < n; i++) sum += (w->cp[i] = rsk_exp(w->cv[i] - max));
  for (uint32_t i = 0; i < n; i++) w->cp[i] /= sum;
  if (sum_out) *sum_out = sum;
  return max;
}

/* Walks candidates in key order (ck asc, id asc), selecting progressively larger prefixes instead of sorting
 * all; returns the prefix length where the cumulative probability first satisfies the stage's rule. */
static uint32_t cumulative_cut(ws *w, uint32_t n, double p, uint32_t min_keep, int strict) {
  for (uint32_t i = 0; i < n; i++) w->perm[i] = (int32_t)i;
  double cum = 0.0;
  uint32_t start = 0, end = n < 64 ? n : 64;
  for (;;) {
    rsk_select_perm(w->perm + start, n - start, end - start, w->ck, w->cid);
    for (uint32_t i = start; i < end; i++) {
      cum += w->cp[w->perm[i]];
      if ((strict ? cum > p : cum >= p) && i + 1 >= min_keep) return i + 1;
    }
    if (end == n) return n;
    start = end;
    end = n - end < 3 * end ? n : 4 * end;
  }
}

static uint32_t stage_top_p(ws *w, uint32_t n, double p, uint32_t min_keep) {
  softmax(w, n, 0);
  for (uint32_t i = 0; i < n; i++) w->ck[i] = -w->cv[i];
  return keep_perm(w, cumulative_cut(w, n, p, min_keep, 0));
}

static uint32_t stage_typical(ws *w, uint32_t n, double p, uint32_t min_keep) {
  softmax(w, n, 0);
  double entropy = 0.0;
  for (uint32_t i = 0; i < n; i++)
    if (w->cp[i] > 0.0) entropy -= w->cp[i] * rsk_log(w->cp[i]);
  for (uint32_t i = 0; i < n; i++) {
    double s = -rsk_log(w->cp[i]) - entropy;
    w->ck[i] = s < 0.0 ? -s : s;
  }
  return keep_perm(w, cumulative_cut(w, n, p, min_keep, 1));
}

/* Keeps candidates with logit >= t in place; if fewer than `need`, keeps the top `need` instead. */
static uint32_t keep_at_least(ws *w, uint32_t n, double t, uint32_t need) {
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n; i++) kept += w->cv[i] >= t;
  if (kept < need) return keep_top(w, n, need);
  kept = 0;
  for (uint32_t i = 0; i < n; i++)
    if (w->cv[i] >= t) w->cid[kept] = w->cid[i], w->cv[kept++] = w->cv[i];
  return kept;
}

static double max_logit(const ws *w, uint32_t n) {
  double max = w->cv[0];
  for (uint32_t i = 1; i < n; i++)
    if (w->cv[i] > max) max = w->cv[i];
  return max;
}

/* Inverse-CDF draw over the final distribution in ascending id order. */
static uint32_t draw(const ws *w, uint32_t n, double u) {
  double cum = 0.0;
  uint32_t last = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (w->cp[i] > 0.0) last = i;
    cum += w->cp[i];
    if (u < cum) return i;
  }
  return last;
}

/* Divides by the temperature; a tiny temperature can overflow the largest logit to +inf: RSK_E_PARAM. */
static int32_t scale(ws *w, uint32_t n, double temp) {
  double max = -RSK_INF;
  for (uint32_t i = 0; i < n; i++) {
    w->cv[i] /= temp;
    if (w->cv[i] > max) max = w->cv[i];
  }
  return max < RSK_INF ? RSK_OK : RSK_E_PARAM;
}

typedef struct {
  double temp, top_p, min_p, typical_p, tau, eta, mu, rp, freq, pres;
  uint32_t top_k, min_keep, mirostat, n_recent, seed_lo, seed_hi, isa;
  uint64_t step;
} params;

static int32_t read_params(const double *io, uint32_t V, uint32_t T, params *p) {
  double tk = io[RSK_IO_TOP_K];
  p->temp = io[RSK_IO_TEMPERATURE];
  p->top_p = io[RSK_IO_TOP_P];
  p->min_p = io[RSK_IO_MIN_P];
  p->typical_p = io[RSK_IO_TYPICAL_P];
  p->tau = io[RSK_IO_MIROSTAT_TAU];
  p->eta = io[RSK_IO_MIROSTAT_ETA];
  p->mu = io[RSK_IO_MIROSTAT_MU];
  p->rp = io[RSK_IO_REPEAT_PENALTY];
  p->freq = io[RSK_IO_FREQUENCY_PENALTY];
  p->pres = io[RSK_IO_PRESENCE_PENALTY];
  double step = io[RSK_IO_STEP];
  if (!finite(p->temp) || !finite(p->top_p) || !finite(p->min_p) || !finite(p->typical_p)) return RSK_E_PARAM;
  if (!finite(p->rp) || p->rp <= 0.0 || !finite(p->freq) || !finite(p->pres) || tk != tk) return RSK_E_PARAM;
  p->top_k = 0;
  if (tk > 0.0 && !as_u32(tk, V, &p->top_k)) return RSK_E_PARAM; /* k > V is a config error */
  if (!as_u32(io[RSK_IO_MIN_KEEP], RSK_MAX_VOCAB, &p->min_keep)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_MIROSTAT], 2, &p->mirostat) || p->mirostat == 1) return RSK_E_PARAM;
  if (p->mirostat && (!finite(p->tau) || !finite(p->eta) || !finite(p->mu))) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_N_RECENT], T, &p->n_recent)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_SEED_LO], 4294967295.0, &p->seed_lo)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_SEED_HI], 4294967295.0, &p->seed_hi)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_ISA], RSK_ISA_WASM128, &p->isa)) return RSK_E_PARAM;
  if (!(step >= 0.0 && step < 9007199254740992.0) || step != (double)(uint64_t)step) return RSK_E_PARAM;
  p->step = (uint64_t)step;
  return RSK_OK;
}

/* Phases A and B: leaves the final candidates (ids, probabilities) in w and returns their count. */
static int32_t run_chain(ws *w, const params *p, double *mu_next) {
  int32_t r;
  uint32_t n;
  *mu_next = p->mu;
  if (p->temp <= 0.0) { /* greedy: argmax of the effective logits, lowest id on ties */
    if ((r = candidates_top(w, 1)) < 0) return r;
    w->cp[0] = 1.0;
    return 1;
  }
  if (p->mirostat == 2) {
    if ((r = candidates_at_least(w, -RSK_INF)) < 0) return r;
    n = (uint32_t)r;
    if ((r = scale(w, n, p->temp)) < 0) return r;
    double sum, max = softmax(w, n, &sum);
    /* -log2(p_i) <= mu  <=>  logit_i >= max + ln(sum) - mu ln 2; keep the argmax if nothing qualifies. */
    n = keep_at_least(w, n, max + rsk_log(sum) - p->mu * LN2, 1);
    softmax(w, n, 0);
    return (int32_t)n;
  }
  uint32_t need = p->min_keep > 0 ? p->min_keep : 1;
  int min_p_done = 0;
  if (p->top_k > 0) {
    if ((r = candidates_top(w, p->top_k)) < 0) return r;
  } else if (p->typical_p >= 1.0 && p->top_p >= 1.0 && p->min_p > 0.0) {
    /* min-p is the first truncation: threshold the vocabulary directly at max + ln(min_p). */
    if ((r = candidates_top(w, 1)) < 0) return r;
    double t = w->cv[0] + rsk_log(p->min_p);
    if ((r = candidates_at_least(w, t)) < 0) return r;
    if ((uint32_t)r < need && (r = candidates_top(w, need < w->V ? need : w->V)) < 0) return r;
    min_p_done = 1;
  } else if ((r = candidates_at_least(w, -RSK_INF)) < 0) {
    return r;
  }
  n = (uint32_t)r;
  if (p->typical_p < 1.0) n = stage_typical(w, n, p->typical_p, p->min_keep);
  if (p->top_p < 1.0) n = stage_top_p(w, n, p->top_p, p->min_keep);
  if (p->min_p > 0.0 && !min_p_done) n = keep_at_least(w, n, max_logit(w, n) + rsk_log(p->min_p), need);
  if ((r = scale(w, n, p->temp)) < 0) return r;
  softmax(w, n, 0);
  return (int32_t)n;
}

int32_t rsk_sample(const float *logits, uint32_t n_vocab, const uint32_t *mask, uint32_t n_mask_words,
                   const int32_t *tokens, uint32_t n_tokens, const float *bias, uint32_t n_bias, double *io,
                   uint32_t n_io, double *work, uint32_t n_work) {
  if (n_vocab == 0 || n_vocab > RSK_MAX_VOCAB) return RSK_E_VOCAB;
  if (!io || n_io < RSK_IO_LEN || !logits || !work || ((uintptr_t)work & 7u)) return RSK_E_BUFFER;
  if (n_tokens > RSK_MAX_TOKENS || (n_tokens && !tokens) || (n_bias && !bias)) return RSK_E_BUFFER;
  if (n_mask_words && (!mask || n_mask_words < words_for(n_vocab))) return RSK_E_BUFFER;
  if ((uint64_t)n_work * 8u < layout_bytes(n_vocab, n_tokens)) return RSK_E_BUFFER;
  params p;
  int32_t r = read_params(io, n_vocab, n_tokens, &p);
  if (r < 0) return r;
  if (n_bias != n_tokens - p.n_recent) return RSK_E_PARAM;
  ws w = {logits, n_vocab, n_mask_words ? mask : 0, rsk_scan_for((int32_t)p.isa), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (!w.scan) return RSK_E_ISA;
  carve(&w, work, n_tokens);
  if ((r = build_patches(&w, tokens, p.n_recent, n_tokens, bias, p.rp, p.freq, p.pres)) < 0) return r;
  double mu_next;
  if ((r = run_chain(&w, &p, &mu_next)) < 0) return r;
  uint32_t n = (uint32_t)r;
  double u = rsk_u01(p.seed_lo, p.seed_hi, p.step);
  uint32_t pick = p.temp <= 0.0 ? 0 : draw(&w, n, u);
  if (p.mirostat == 2 && p.temp > 0.0) mu_next = p.mu - p.eta * (-rsk_log(w.cp[pick]) / LN2 - p.tau);
  io[RSK_IO_TOKEN] = (double)w.cid[pick];
  io[RSK_IO_PROB] = w.cp[pick];
  io[RSK_IO_MU_NEXT] = mu_next;
  io[RSK_IO_N_FINAL] = (double)n;
  io[RSK_IO_UNIFORM] = u;
  io[RSK_IO_FINAL_IDS] = (double)((char *)w.cid - (char *)work) / 4.0;
  io[RSK_IO_FINAL_PROBS] = (double)((char *)w.cp - (char *)work) / 8.0;
  return RSK_OK;
}
