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
  const float *chunk_max; /* candidates_argmax's chunk maxima for the sum pass (in hv), or NULL */
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

uint64_t rsk_layout_bytes(uint32_t V, uint32_t T) {
  uint64_t N = (uint64_t)V + 2ull * T;
  return region(T, 4) + region(T, 8) + region(N, 4) + 3 * region(N, 8) + 3 * region(N, 4);
}

uint32_t rsk_work_len(uint32_t V, uint32_t T) {
  if (V == 0 || V > RSK_MAX_VOCAB || T > RSK_MAX_TOKENS) return 0;
  return (uint32_t)(rsk_layout_bytes(V, T) / 8);
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
  if (start == T) { /* nothing to patch (the usual batch row) */
    w->np = 0;
    return RSK_OK;
  }
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

/* The k-th largest of a[0..n) (1 <= k <= n), using b[0..n) as scratch (both are overwritten): quickselect with middle
 * pivots, each round a branch-free split of one buffer into the other (> pivot from the front, < pivot from the back,
 * no store feeding the next load); after 64 rounds (hostile inputs) the rest is heapsorted: O(n log n) at worst. */
static double kth_largest(double *a, double *b, uint32_t n, uint32_t k) {
  uint32_t want = k - 1; /* descending rank in a[0..n) */
  for (int round = 0; n > 1; round++) {
    if (round == 64) {
      rsk_sort_f64(a, n);
      return a[n - 1 - want];
    }
    double pivot = a[n / 2];
    uint32_t above = 0, below = n; /* b[0..above) > pivot, b[below..n) < pivot */
    for (uint32_t i = 0; i < n; i++) {
      double v = a[i];
      b[above] = v; /* above < below until the last element: these stores never overwrite a kept one */
      above += v > pivot;
      b[below - 1] = v;
      below -= v < pivot;
    }
    double *t = a;
    if (want < above) {
      a = b, b = t, n = above;
    } else if (want < below) {
      return pivot;
    } else {
      a = b + below, b = t, n -= below, want -= below;
    }
  }
  return a[0];
}

/* Phase A, top-k over a small vocabulary without bias or penalties: float keys of the raw logits, the k-th largest by
 * counting (kth_key), one pass keeping ranks < k in id order. Every allowed, finite logit is a candidate. */
static int32_t candidates_top_keys(ws *w, uint32_t k) {
  uint32_t n = 0, bad = 0, V = w->V, finite_all = !w->mask;
  int32_t *restrict key = w->hid, *restrict cid = w->cid;
  double *restrict cv = w->cv;
  const float *restrict x = w->x;
  if (finite_all) { /* no mask: key every token in one SIMD pass (compacted below if one is -inf) */
    bad = w->scan->keys(x, V, key);
    if (bad & 1u) return RSK_E_NONFINITE;
    finite_all = !bad;
  }
  if (finite_all) { /* the common case: every token is a candidate (cid[i] = i), no compaction */
    n = V;
  } else {
    for (uint32_t id = 0; id < V; id++) {
      float raw = x[id];
      if (!(raw < RSK_INF)) return RSK_E_NONFINITE;
      if (raw > -RSK_INF && allowed(w, (int32_t)id)) cid[n] = (int32_t)id, key[n++] = rsk_float_key(raw);
    }
    if (n == 0) return RSK_E_EMPTY;
  }
  int32_t t = INT32_MIN; /* k >= n keeps every candidate */
  if (k == 1) { /* the argmax: the largest key, its first (lowest-id) occurrence */
    int32_t top = key[0];
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++) top = key[i] > top ? key[i] : top; /* a max reduction: vectorized */
    while (key[best] != top) best++;
    uint32_t id = finite_all ? best : (uint32_t)cid[best];
    cid[0] = (int32_t)id, cv[0] = (double)x[id];
    return 1;
  }
  uint32_t ge = n, above = 0, kept = 0;
  if (k < n) t = w->scan->kth(key, n, k, &ge);
  if (ge <= k && finite_all) { /* at most k at or above t (the usual case): the SIMD threshold scan lists them */
    /* t lies between two finite logits' keys (or is the k-th one), so it is a finite float's key (INT32_MIN: all). */
    uint32_t bits = (uint32_t)t ^ ((uint32_t)(t >> 31) >> 1);
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return (int32_t)w->scan->ge_take(x, V, t == INT32_MIN ? -3.4028234663852886e38f : f, cid, cv);
  }
  for (uint32_t i = 0; i < n; i++) above += key[i] > t;
  if (ge <= k) {
    for (uint32_t i = 0; i < n; i++) {
      uint32_t id = (uint32_t)cid[i];
      cid[kept] = (int32_t)id, cv[kept] = (double)x[id], kept += key[i] >= t;
    }
    return (int32_t)kept;
  }
  uint32_t ties = k - above; /* t is the k-th key and ties with it: the lowest ids first */
  for (uint32_t i = 0; i < n; i++) {
    uint32_t id = finite_all ? i : (uint32_t)cid[i], keep = key[i] > t || (key[i] == t && ties > 0 && ties--);
    cid[kept] = (int32_t)id, cv[kept] = (double)x[id], kept += keep;
  }
  return (int32_t)kept;
}

/* Phase A, top-k over a small vocabulary (or a k close to it): every effective logit in id order, the k-th largest
 * by quickselect, then one pass keeping (value desc, id asc) ranks < k in id order: no heap and no sort. */
static int32_t candidates_top_small(ws *w, uint32_t k) {
  if (w->np == 0 && w->V <= 4096) return candidates_top_keys(w, k);
  uint32_t n = 0, j = 0;
  for (uint32_t id = 0; id < w->V; id++) {
    float raw = w->x[id];
    if (!(raw < RSK_INF)) return RSK_E_NONFINITE;
    double v = (double)raw;
    if (j < w->np && (uint32_t)w->pid[j] == id) v = w->pv[j++];
    if (v > -RSK_INF && allowed(w, (int32_t)id)) w->cid[n] = (int32_t)id, w->cv[n++] = v;
  }
  if (n == 0) return RSK_E_EMPTY;
  if (k >= n) return (int32_t)n;
  for (uint32_t i = 0; i < n; i++) w->ck[i] = w->cv[i];
  double t = kth_largest(w->ck, w->cp, n, k);
  uint32_t above = 0, kept = 0;
  for (uint32_t i = 0; i < n; i++) above += w->cv[i] > t;
  uint32_t ties = k - above; /* tokens equal to the k-th value, lowest ids first */
  for (uint32_t i = 0; i < n; i++) {
    double v = w->cv[i];
    if (v > t || (v == t && ties > 0 && ties--)) w->cid[kept] = w->cid[i], w->cv[kept++] = v;
  }
  return (int32_t)kept;
}

/* Phase A, the argmax of a large vocabulary without patches: one max pass (the scan table's, no heap). */
static int32_t candidates_argmax(ws *w) {
  uint32_t bad = 0, id = w->scan->argmax(w->x, w->V, w->mask, w->hv, &bad);
  w->chunk_max = w->hv;
  if (bad) return RSK_E_NONFINITE;
  if (id == w->V) return RSK_E_EMPTY;
  w->cid[0] = (int32_t)id, w->cv[0] = (double)w->x[id];
  return 1;
}

/* Phase A, top-k: exact top-k of the effective logits from a heap scan of the raw ones. */
static int32_t candidates_top(ws *w, uint32_t k) {
  if (w->V <= 1024 || (uint64_t)k * 4 >= w->V) return candidates_top_small(w, k);
  if (k == 1 && w->np == 0) return candidates_argmax(w);
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

/* candidates_at_least restricted to the blocks of (at most) 16 tokens starting at blocks[0..nb) (ascending, each
 * ending at the next one's start; every raw token >= t must lie in them); patched tokens are merged from the patch
 * list as there. */
static uint32_t candidates_in_blocks(ws *w, const int32_t *blocks, uint32_t nb, double t) {
  uint32_t j = 0, n = 0;
  float f = float_at_least(t);
  for (uint32_t b = 0; b <= nb; b++) {
    uint32_t from = b < nb ? (uint32_t)blocks[b] : w->V, to = from + 16 < w->V ? from + 16 : w->V;
    if (b + 1 < nb && (uint32_t)blocks[b + 1] < to) to = (uint32_t)blocks[b + 1]; /* a head block under 16 */
    for (uint32_t id = from; id < to || (b == nb && id == from); id++) {
      for (; j < w->np && (uint32_t)w->pid[j] < id; j++)
        if (allowed(w, w->pid[j]) && w->pv[j] >= t && w->pv[j] > -RSK_INF) w->cid[n] = w->pid[j], w->cv[n++] = w->pv[j];
      if (b == nb) break;
      if (j < w->np && (uint32_t)w->pid[j] == id) continue; /* taken from the patch list */
      if (w->x[id] >= f && allowed(w, (int32_t)id)) w->cid[n] = (int32_t)id, w->cv[n++] = (double)w->x[id];
    }
  }
  return n;
}

/* Every allowed token > -inf (candidates_at_least(w, -inf)); without mask or patches and with every logit finite
 * (the usual small-vocabulary case) a straight copy, no id list. */
static int32_t candidates_all(ws *w) {
  if (w->mask || w->np) return candidates_at_least(w, -RSK_INF);
  uint32_t V = w->V, flags = w->scan->keys(w->x, V, w->hid); /* one SIMD pass for its flags (keys unused) */
  const float *restrict x = w->x;
  int32_t *restrict cid = w->cid;
  double *restrict cv = w->cv;
  if (flags & 1u) return RSK_E_NONFINITE;
  if (flags) return candidates_at_least(w, -RSK_INF);
  for (uint32_t id = 0; id < V; id++) cid[id] = (int32_t)id, cv[id] = (double)x[id];
  return (int32_t)V;
}

/* cp = softmax(cv) (the scan table's: the same bits on every instruction set); returns the max logit. */
static double softmax(ws *w, uint32_t n, double *sum_out) {
  double sum, max = w->scan->softmax(w->cv, n, w->cp, &sum);
  if (sum_out) *sum_out = sum;
  return max;
}

/* Walks candidates in key order (ck asc, id asc), selecting progressively larger prefixes instead of sorting
 * all; returns the prefix length where the cumulative probability first satisfies the stage's rule. */
static uint32_t cumulative_cut(ws *w, uint32_t n, double p, uint32_t min_keep, int strict) {
  for (uint32_t i = 0; i < n; i++) w->perm[i] = (int32_t)i;
  double cum = 0.0;
  uint32_t start = 0, end = n < 8 ? n : 8; /* most mass sits in a few tokens: a small first prefix */
  if (n <= 256) { /* small: the first 8 one by one (a scan each), stopping as soon as the rule is met */
    double *restrict ck = w->ck;
    for (uint32_t i = 0; i < end; i++) {
      /* the first smallest key in index (= id) order; keys are never NaN, taken ones become NaN */
      int32_t best = (int32_t)w->scan->first_min(ck, n);
      ck[best] = 0.0 / 0.0;
      w->perm[i] = best;
      cum += w->cp[best];
      if ((strict ? cum > p : cum >= p) && i + 1 >= min_keep) return i + 1;
    }
    if (end == n) return n;
    uint32_t rest = end; /* the untaken ones (their keys intact) follow, for the selection rounds below */
    for (uint32_t j = 0; j < n; j++)
      if (ck[j] == ck[j]) w->perm[rest++] = (int32_t)j;
    start = end;
    end = n - end < 3 * end ? n : 4 * end;
  }
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
  int32_t *restrict cid = w->cid;
  double *restrict cv = w->cv;
  for (uint32_t i = 0; i < n; i++) kept += cv[i] >= t;
  if (kept < need) return keep_top(w, n, need);
  kept = 0;
  for (uint32_t i = 0; i < n; i++) { /* branch-free: every candidate is written, the kept ones advance */
    int32_t id = cid[i];
    double v = cv[i];
    cid[kept] = id, cv[kept] = v, kept += v >= t;
  }
  return kept;
}

static double max_logit(const ws *w, uint32_t n) { return rsk_max4(w->cv, n); }

/* Inverse-CDF draw over the final distribution in ascending id order, by blocks of 4: cum runs over the blocks' sums
 * (each summed left to right), and inside the first block with u < cum + block, the first token with u < its running
 * sum (else that block's last positive-p token); past the end (rounding), the last positive-p token. The dependent
 * chain is n / 4 + 4 additions instead of n; ffi/reference/chain.ts walks the same way. */
static uint32_t draw(const ws *w, uint32_t n, double u) {
  const double *restrict p = w->cp;
  double cum = 0.0;
  for (uint32_t b = 0; b < n; b += 4) {
    uint32_t end = b + 4 < n ? b + 4 : n;
    double block = 0.0;
    for (uint32_t i = b; i < end; i++) block += p[i];
    if (u < cum + block) {
      double c = cum;
      for (uint32_t i = b; i < end; i++) {
        c += p[i];
        if (u < c) return i;
      }
      for (uint32_t i = end; i-- > b;)
        if (p[i] > 0.0) return i;
    }
    cum += block;
  }
  for (uint32_t i = n; i-- > 0;)
    if (p[i] > 0.0) return i;
  return 0;
}

/* Divides by the temperature; a tiny temperature can overflow the largest logit to +inf: RSK_E_PARAM. */
static int32_t scale(ws *w, uint32_t n, double temp) {
  if (temp == 1.0) return RSK_OK; /* x / 1 == x: no division, no overflow */
  double max = -RSK_INF;
  for (uint32_t i = 0; i < n; i++) {
    w->cv[i] /= temp;
    if (w->cv[i] > max) max = w->cv[i];
  }
  return max < RSK_INF ? RSK_OK : RSK_E_PARAM;
}

int32_t rsk_read_step(const double *io, rsk_params *p) {
  double step = io[RSK_IO_STEP];
  p->mu = io[RSK_IO_MIROSTAT_MU];
  if (p->mirostat && !finite(p->mu)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_SEED_LO], 4294967295.0, &p->seed_lo)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_SEED_HI], 4294967295.0, &p->seed_hi)) return RSK_E_PARAM;
  if (!(step >= 0.0 && step < 9007199254740992.0) || step != (double)(uint64_t)step) return RSK_E_PARAM;
  p->step = (uint64_t)step;
  return RSK_OK;
}

int32_t rsk_read_params(const double *io, uint32_t V, uint32_t T, rsk_params *p) {
  double tk = io[RSK_IO_TOP_K];
  p->temp = io[RSK_IO_TEMPERATURE];
  p->top_p = io[RSK_IO_TOP_P];
  p->min_p = io[RSK_IO_MIN_P];
  p->typical_p = io[RSK_IO_TYPICAL_P];
  p->tau = io[RSK_IO_MIROSTAT_TAU];
  p->eta = io[RSK_IO_MIROSTAT_ETA];
  p->rp = io[RSK_IO_REPEAT_PENALTY];
  p->freq = io[RSK_IO_FREQUENCY_PENALTY];
  p->pres = io[RSK_IO_PRESENCE_PENALTY];
  if (!finite(p->temp) || !finite(p->top_p) || !finite(p->min_p) || !finite(p->typical_p)) return RSK_E_PARAM;
  if (!finite(p->rp) || p->rp <= 0.0 || !finite(p->freq) || !finite(p->pres) || tk != tk) return RSK_E_PARAM;
  p->top_k = 0;
  if (tk > 0.0 && !as_u32(tk, V, &p->top_k)) return RSK_E_PARAM; /* k > V is a config error */
  if (!as_u32(io[RSK_IO_MIN_KEEP], RSK_MAX_VOCAB, &p->min_keep)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_MIROSTAT], 2, &p->mirostat) || p->mirostat == 1) return RSK_E_PARAM;
  if (p->mirostat && (!finite(p->tau) || !finite(p->eta))) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_N_RECENT], T, &p->n_recent)) return RSK_E_PARAM;
  if (!as_u32(io[RSK_IO_ISA], RSK_ISA_WASM128, &p->isa)) return RSK_E_PARAM;
  return rsk_read_step(io, p);
}

#define MIROSTAT_UNDECIDED (-100)
#define MIROSTAT_EXACT_UPTO 256 /* vocabularies this small take the exact pass directly */

static double abs_d(double x) { return x < 0.0 ? -x : x; }

/*
 * Mirostat 2.0 in O(V) without an exp in double per token. The exact rule (kept: x_i / T >= max/T + ln Σ - mu ln 2,
 * Σ = Σ exp(x_i / T - max/T) summed in id order, as the slow path below and ffi/reference/chain.ts compute it)
 * needs Σ only to place one threshold. One SIMD pass estimates Σ with a proven error bound E, giving thresholds
 * t_lo <= t <= t_hi; the tokens >= t_lo are then read from the blocks that pass marked (no second pass over the
 * vocabulary unless t_lo is far below the max). If none lies in [t_lo, t_hi), every token's fate is
 * the same for every Σ in the bound, so the kept set (and then everything after it, computed exactly on that set)
 * equals the exact rule's. Otherwise (rare: a logit within ~1e-5 of the threshold), or when the bound is not
 * usable, it returns MIROSTAT_UNDECIDED and the caller runs the exact pass.
 */
static int32_t mirostat_fast(ws *w, const rsk_params *p) {
  int32_t r;
  if ((r = candidates_top(w, 1)) < 0) return r; /* also NaN / +inf and "nothing allowed", as the exact pass */
  int32_t top_id = w->cid[0];
  double top = w->cv[0], temp = p->temp, s_max = top / temp;
  if (!(s_max < RSK_INF)) return RSK_E_PARAM;
  double c = 1.4426950408889634 / temp; /* log2(e) / T */
  if (!(c > 1e-30 && c < 1e30)) return MIROSTAT_UNDECIDED;
  /* The sum's base m: a float >= every raw logit summed (a patched token's raw logit may exceed the effective max). */
  double base = top;
  for (uint32_t j = 0; j < w->np; j++) {
    double raw = (double)w->x[w->pid[j]];
    if (allowed(w, w->pid[j]) && raw > base) base = raw;
  }
  float m = float_at_least(base);
  double dm = (double)m, rebase = rsk_exp((dm - top) / temp); /* Σ_ref = Σ_m * exp((m - max) / T) */
  /* Patched tokens: their raw term is in the estimate; swap it for their effective one (exact here). */
  double swap = 0.0, swapped = 0.0; /* their sum, and the sum of their sizes (for the rounding bound) */
  for (uint32_t j = 0; j < w->np; j++) {
    int32_t id = w->pid[j];
    if (!allowed(w, id)) continue;
    double raw = (double)w->x[id], out = 0.0, in = 0.0;
    if (raw > -RSK_INF) out = rsk_exp((raw - dm) / temp);
    if (w->pv[j] > -RSK_INF) in = rsk_exp((w->pv[j] - dm) / temp);
    swap += in - out, swapped += in + out;
  }
  /* The exact pass rounds x/T and max/T before subtracting: its significant terms move by < 2^-52 (|max| + |m| +
   * 50 T) / T relative, the rest by less than the floor's slack. */
  double ref = 4e-9 + 2.3e-16 * (abs_d(top) + abs_d(dm) + 50.0 * temp) / temp;
  /* Cheap terms: d's float rounding moves 2^d by < (4 |m c| + 375) 2^-24 ln 2 relative, plus truncation and float
   * accumulation (< 5e-6). */
  double cheap = 5e-6 + 4.2e-8 * (4.0 * abs_d(dm * c) + 375.0);
  /* Tier 0 estimates precisely only blocks with a token within 2^12 of the max (cheaply the rest); tier 1 estimates
   * every block precisely when tier 0's bound leaves a token undecided. */
  for (int tier = 0; tier < 2; tier++) {
    double sums[3] = {0.0, 0.0, 0.0};
    float near = tier == 0 ? float_at_least(dm - 12.0 / c) : -RSK_INF;
    uint32_t nb = 0;
    w->scan->sumexp(w->x, w->V, w->mask, m, (float)c, near, w->chunk_max, sums, w->hid, &nb);
    /* Precise terms: polynomial, its float evaluation and accumulation < 3e-6 relative; d = (x - m) c in float
     * carries 3 roundings (c's included), so 2^d is off by < 1.25e-7 |d|; the -125 floor adds < 2^-124 per token;
     * double summation < V 2^-53 relative. */
    double E = 1.01 * (3e-6 * sums[0] + 1.3e-7 * sums[1] + ref * (sums[0] + sums[2]) + (double)w->V * 4.7e-38) +
               1e-14 * swapped;
    double lo = (sums[0] + swap + sums[2] / 1.0616 * (1.0 - cheap) - E) * rebase;
    double hi = (sums[0] + swap + sums[2] * (1.0 + cheap) + E) * rebase;
    if (!(lo > 0.0) || !(hi < 1e300)) continue;
    double t_lo = s_max + rsk_log(lo) - p->mu * LN2, t_hi = s_max + rsk_log(hi) - p->mu * LN2;
    double margin = 1e-12 * (abs_d(t_lo) + abs_d(t_hi)) + 1e-300;
    t_lo -= margin, t_hi += margin;
    /* x / T >= t_lo needs x >= t_lo T (division by T > 0 is monotone); widen so the float test loses nothing. */
    double raw_t = t_lo * temp;
    raw_t -= 1e-12 * abs_d(raw_t) + 1e-300;
    /* Above `near`, every raw candidate sits in a precise block: no second pass over the vocabulary. */
    if (raw_t >= (double)near) r = (int32_t)candidates_in_blocks(w, w->hid, nb, raw_t);
    else if ((r = candidates_at_least(w, raw_t)) == RSK_E_EMPTY) r = 0;
    else if (r < 0) return r;
    uint32_t n = (uint32_t)r, kept = 0, undecided = 0;
    for (uint32_t i = 0; i < n && !undecided; i++) {
      double v = w->cv[i] / temp;
      if (v < t_lo) continue;
      if (v < t_hi) undecided = 1;
      w->cid[kept] = w->cid[i], w->cv[kept++] = v;
    }
    if (undecided) continue;
    if (kept == 0) { /* nothing reaches the threshold: the argmax of x / T alone (lowest id on ties), as keep_at_least */
      double at = s_max * temp;
      if ((r = candidates_at_least(w, at - 1e-12 * abs_d(at) - 1e-300)) < 0) return r;
      int32_t first = top_id;
      for (uint32_t i = 0; i < (uint32_t)r; i++) {
        if (w->cv[i] / temp == s_max) {
          first = w->cid[i];
          break;
        }
      }
      w->cid[0] = first, w->cv[0] = s_max, kept = 1;
    }
    softmax(w, kept, 0);
    return (int32_t)kept;
  }
  return MIROSTAT_UNDECIDED;
}

/* Phases A and B: leaves the final candidates (ids, probabilities) in w and returns their count. */
static int32_t run_chain(ws *w, const rsk_params *p, double *mu_next) {
  int32_t r;
  uint32_t n;
  *mu_next = p->mu;
  if (p->temp <= 0.0) { /* greedy: argmax of the effective logits, lowest id on ties */
    if ((r = candidates_top(w, 1)) < 0) return r;
    w->cp[0] = 1.0;
    return 1;
  }
  if (p->mirostat == 2) {
    /* A small vocabulary goes straight to the exact pass (the bracketed one only pays off over a large one). */
    if (w->V > MIROSTAT_EXACT_UPTO && (r = mirostat_fast(w, p)) != MIROSTAT_UNDECIDED) return r;
    if ((r = candidates_all(w)) < 0) return r;
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
  } else if ((r = candidates_all(w)) < 0) {
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

int32_t rsk_sample_row(const float *logits, uint32_t n_vocab, const uint32_t *mask, const int32_t *tokens,
                       uint32_t n_tokens, const float *bias, uint32_t n_bias, double *io, double *work) {
  rsk_params p;
  int32_t r = rsk_read_params(io, n_vocab, n_tokens, &p);
  if (r < 0) return r;
  if (n_bias != n_tokens - p.n_recent) return RSK_E_PARAM;
  const rsk_scan *scan = rsk_scan_for((int32_t)p.isa);
  if (!scan) return RSK_E_ISA;
  return rsk_sample_checked(&p, scan, logits, n_vocab, mask, tokens, n_tokens, bias, io, work);
}

int32_t rsk_sample_checked(const rsk_params *pp, const rsk_scan *scan, const float *logits, uint32_t n_vocab,
                           const uint32_t *mask, const int32_t *tokens, uint32_t n_tokens, const float *bias, double *io,
                           double *work) {
  const rsk_params p = *pp;
  int32_t r;
  ws w = {logits, n_vocab, mask, scan, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  carve(&w, work, n_tokens);
  if ((r = build_patches(&w, tokens, p.n_recent, n_tokens, bias, p.rp, p.freq, p.pres)) < 0) return r;
  double mu_next, u = rsk_u01(p.seed_lo, p.seed_hi, p.step); /* independent of the chain: its latency overlaps it */
  if ((r = run_chain(&w, &p, &mu_next)) < 0) return r;
  uint32_t n = (uint32_t)r;
  uint32_t pick = p.temp <= 0.0 ? 0 : draw(&w, n, u);
  double mass = rsk_sum4(w.cp, n); /* the check: the final probabilities summed again */
  if (p.mirostat == 2 && p.temp > 0.0) mu_next = p.mu - p.eta * (-rsk_log(w.cp[pick]) / LN2 - p.tau);
  io[RSK_IO_TOKEN] = (double)w.cid[pick];
  io[RSK_IO_PROB] = w.cp[pick];
  io[RSK_IO_MU_NEXT] = mu_next;
  io[RSK_IO_N_FINAL] = (double)n;
  io[RSK_IO_UNIFORM] = u;
  io[RSK_IO_MASS] = mass;
  io[RSK_IO_FINAL_IDS] = (double)((char *)w.cid - (char *)work) / 4.0;
  io[RSK_IO_FINAL_PROBS] = (double)((char *)w.cp - (char *)work) / 8.0;
  return RSK_OK;
}

int32_t rsk_sample(const float *logits, uint32_t n_vocab, const uint32_t *mask, uint32_t n_mask_words,
                   const int32_t *tokens, uint32_t n_tokens, const float *bias, uint32_t n_bias, double *io,
                   uint32_t n_io, double *work, uint32_t n_work) {
  if (n_vocab == 0 || n_vocab > RSK_MAX_VOCAB) return RSK_E_VOCAB;
  if (!io || n_io < RSK_IO_LEN || !logits || !work || ((uintptr_t)work & 7u)) return RSK_E_BUFFER;
  if (n_tokens > RSK_MAX_TOKENS || (n_tokens && !tokens) || (n_bias && !bias)) return RSK_E_BUFFER;
  if (n_mask_words && (!mask || n_mask_words < words_for(n_vocab))) return RSK_E_BUFFER;
  if ((uint64_t)n_work * 8u < rsk_layout_bytes(n_vocab, n_tokens)) return RSK_E_BUFFER;
  return rsk_sample_row(logits, n_vocab, n_mask_words ? mask : 0, tokens, n_tokens, bias, n_bias, io, work);
}
