/* select.c — heaps, partial selection and sorts without allocation (caller-provided arrays). */
#include "internal.h"

/* "a is worse than b" for the top-k heap: lower value, then higher id. */
static inline int worse(float va, int32_t ia, float vb, int32_t ib) { return va < vb || (va == vb && ia > ib); }

void rsk_heap_push(int32_t *hid, float *hval, uint32_t *size, int32_t id, float v) {
  uint32_t i = (*size)++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!worse(v, id, hval[parent], hid[parent])) break;
    hid[i] = hid[parent];
    hval[i] = hval[parent];
    i = parent;
  }
  hid[i] = id;
  hval[i] = v;
}

void rsk_heap_replace_top(int32_t *hid, float *hval, uint32_t size, int32_t id, float v) {
  uint32_t i = 0;
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    float mv = v;
    int32_t mi = id;
    if (l < size && worse(hval[l], hid[l], mv, mi)) m = l, mv = hval[l], mi = hid[l];
    if (r < size && worse(hval[r], hid[r], mv, mi)) m = r;
    if (m == i) break;
    hid[i] = hid[m];
    hval[i] = hval[m];
    i = m;
  }
  hid[i] = id;
  hval[i] = v;
}

static inline int less_kid(const double *key, const int32_t *id, int32_t a, int32_t b) {
  return key[a] < key[b] || (key[a] == key[b] && id[a] < id[b]);
}

static void sift_perm(int32_t *perm, uint32_t n, uint32_t i, const double *key, const int32_t *id) {
  int32_t x = perm[i];
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    int32_t mx = x;
    if (l < n && less_kid(key, id, mx, perm[l])) m = l, mx = perm[l];
    if (r < n && less_kid(key, id, mx, perm[r])) m = r, mx = perm[r];
    if (m == i) break;
    perm[i] = perm[m];
    i = m;
  }
  perm[i] = x;
}

/* Heapsort: O(n log n) worst case, no recursion, deterministic. */
void rsk_sort_perm(int32_t *perm, uint32_t n, const double *key, const int32_t *id) {
  if (n < 2) return;
  for (uint32_t i = n / 2; i-- > 0;) sift_perm(perm, n, i, key, id);
  for (uint32_t end = n - 1; end > 0; end--) {
    int32_t t = perm[0];
    perm[0] = perm[end];
    perm[end] = t;
    sift_perm(perm, end, 0, key, id);
  }
}

/* Quickselect with median-of-three pivots; falls back to a heapsort of the rest when it degenerates. */
void rsk_select_perm(int32_t *perm, uint32_t n, uint32_t m, const double *key, const int32_t *id) {
  if (m >= n) {
    rsk_sort_perm(perm, n, key, id);
    return;
  }
  uint32_t lo = 0, hi = n, budget = 64;
  while (hi - lo > 16 && budget-- > 0) {
    uint32_t mid = lo + (hi - lo) / 2;
    int32_t a = perm[lo], b = perm[mid], c = perm[hi - 1], pivot;
    if (less_kid(key, id, a, b)) pivot = less_kid(key, id, b, c) ? b : (less_kid(key, id, a, c) ? c : a);
    else pivot = less_kid(key, id, a, c) ? a : (less_kid(key, id, b, c) ? c : b);
    /* Three-way-free partition: < pivot left, >= pivot right ((key,id) pairs are distinct). */
    uint32_t store = lo;
    for (uint32_t i = lo; i < hi; i++) {
      if (less_kid(key, id, perm[i], pivot)) {
        int32_t t = perm[i];
        perm[i] = perm[store];
        perm[store++] = t;
      }
    }
    /* perm[store..hi) >= pivot and contains the pivot; put the pivot at store. */
    for (uint32_t i = store; i < hi; i++) {
      if (perm[i] == pivot) {
        perm[i] = perm[store];
        perm[store] = pivot;
        break;
      }
    }
    if (store == m || store + 1 == m) {
      lo = hi = 0;
      break;
    }
    if (store > m) hi = store;
    else lo = store + 1;
  }
  if (hi > lo) rsk_sort_perm(perm + lo, hi - lo, key, id); /* small or degenerate range: sort it */
  rsk_sort_perm(perm, m, key, id);
}

static void sift_i32(int32_t *a, uint32_t n, uint32_t i) {
  int32_t x = a[i];
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    int32_t mx = x;
    if (l < n && a[l] > mx) m = l, mx = a[l];
    if (r < n && a[r] > mx) m = r;
    if (m == i) break;
    a[i] = a[m];
    i = m;
  }
  a[i] = x;
}

void rsk_sort_i32(int32_t *a, uint32_t n) {
  if (n < 2) return;
  for (uint32_t i = n / 2; i-- > 0;) sift_i32(a, n, i);
  for (uint32_t end = n - 1; end > 0; end--) {
    int32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_i32(a, end, 0);
  }
}

static void sift_f64(double *a, uint32_t n, uint32_t i) {
  double x = a[i];
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    double mx = x;
    if (l < n && a[l] > mx) m = l, mx = a[l];
    if (r < n && a[r] > mx) m = r;
    if (m == i) break;
    a[i] = a[m];
    i = m;
  }
  a[i] = x;
}

void rsk_sort_f64(double *a, uint32_t n) {
  if (n < 2) return;
  for (uint32_t i = n / 2; i-- > 0;) sift_f64(a, n, i);
  for (uint32_t end = n - 1; end > 0; end--) {
    double t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_f64(a, end, 0);
  }
}
