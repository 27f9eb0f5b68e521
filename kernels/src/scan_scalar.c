/* scan_scalar.c — portable scans (any CPU; the reference for the SIMD tables). */
#define SCAN_TABLE rsk_scan_scalar
#include "internal.h"

static inline uint32_t GT16(const float *p, float t) {
  uint32_t b = 0;
  for (int l = 0; l < 16; l++) b |= (uint32_t)(p[l] > t) << l;
  return b;
}
static inline uint32_t GE16(const float *p, float t) {
  uint32_t b = 0;
  for (int l = 0; l < 16; l++) b |= (uint32_t)(p[l] >= t) << l;
  return b;
}
static inline uint32_t BAD16(const float *p) {
  uint32_t b = 0;
  for (int l = 0; l < 16; l++) b |= (uint32_t)!(p[l] < RSK_INF) << l;
  return b;
}
static inline void APPLY16(float *p, uint32_t off) {
  for (int l = 0; l < 16; l++)
    if ((off >> l) & 1u) p[l] = -RSK_INF;
}
static inline int SKIP32(const float *p, float t, int ge) {
  int below = 1;
  for (int l = 0; l < 32; l++) below &= ge ? p[l] < t : p[l] <= t;
  return below;
}
#include "scan_body.h"
