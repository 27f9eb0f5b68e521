/*
 * Example rsk gate kernel (ABI 1, see src/gates/kernel/abi.ts): ACME employee ids such as EMP-4020175.
 * An id is "EMP-" then 7 digits whose last digit is the Luhn check digit of the first 6, standing alone
 * (no letter or digit right before or after it). Built with `bun examples/packs/build.ts`.
 */
#include <stdint.h>

#define CAPACITY 16384   /* UTF-16 units the host may place in `input` per call */
#define ID_LENGTH 11     /* "EMP-" + 7 digits: the longest match, declared as maxLength in kernels.json */

static uint16_t input[CAPACITY];
static int32_t result[3]; /* live, match start, match end: offsets into input */

__attribute__((export_name("rsk_gate_abi"))) int32_t rsk_gate_abi(void) { return 1; }
__attribute__((export_name("rsk_gate_input"))) uint16_t *rsk_gate_input(void) { return input; }
__attribute__((export_name("rsk_gate_capacity"))) int32_t rsk_gate_capacity(void) { return CAPACITY; }
__attribute__((export_name("rsk_gate_result"))) int32_t *rsk_gate_result(void) { return result; }

static int is_digit(int32_t c) { return c >= '0' && c <= '9'; }
static int is_word(int32_t c) { return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

/* Does unit `c` fit position `k` of an id? */
static int fits(int k, int32_t c) {
  static const char prefix[4] = {'E', 'M', 'P', '-'};
  return k < 4 ? c == prefix[k] : is_digit(c);
}

/* Luhn over the 7 digits at `d` (the last one is the check digit). */
static int luhn_ok(const uint16_t *d) {
  int sum = 0;
  for (int i = 0; i < 7; i++) {
    int v = d[6 - i] - '0';
    if (i % 2 == 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return sum % 10 == 0;
}

/*
 * Leftmost match in input[0, len). `prev` is the unit before input[0] (-1: none); `at_end` says no text follows.
 * Returns 1 with result[1..2] = a match that no later text can change; else 0 with result[0] = the earliest
 * offset where a match could still start once more text arrives (len: none).
 */
__attribute__((export_name("rsk_gate_scan"))) int32_t rsk_gate_scan(int32_t len, int32_t prev, int32_t at_end) {
  if (len < 0 || len > CAPACITY) return -1;
  for (int32_t i = 0; i < len; i++) {
    int32_t before = i == 0 ? prev : input[i - 1];
    if (input[i] != 'E' || is_word(before)) continue;
    int k = 0;
    while (k < ID_LENGTH && i + k < len && fits(k, input[i + k])) k++;
    if (k < ID_LENGTH) {
      if (i + k == len && !at_end) { result[0] = i; return 0; } /* a prefix of an id: wait for more */
      continue;
    }
    if (i + ID_LENGTH == len && !at_end) { result[0] = i; return 0; } /* the next unit decides the boundary */
    if (i + ID_LENGTH < len && is_word(input[i + ID_LENGTH])) continue;
    if (!luhn_ok(input + i + 4)) continue;
    result[1] = i;
    result[2] = i + ID_LENGTH;
    return 1;
  }
  result[0] = len;
  return 0;
}
