/** RFC 8259's number grammar as a DFA over UTF-16 units: what JSON text gating and the number rule set share. */

// States; the ones marked * may end the number.
export const N_START = 0, N_MINUS = 1, N_ZERO = 2 /* * */, N_INT = 3 /* * */, N_DOT = 4, N_FRAC = 5 /* * */, N_E = 6,
  N_ESIGN = 7, N_EXP = 8 /* * */;
/** Number of states. */
export const NUMBER_STATES = 9;
/** Per state: a number may end there. */
export const NUMBER_ENDS = [false, false, true, true, false, true, false, false, true];

/** Next state after character `c`, or -1 if `c` does not continue the number. */
export function numberStep(st: number, c: number): number {
  const digit = c >= 48 && c <= 57;
  switch (st) {
    case N_START: return c === 45 ? N_MINUS : c === 48 ? N_ZERO : digit ? N_INT : -1;
    case N_MINUS: return c === 48 ? N_ZERO : digit ? N_INT : -1;
    case N_ZERO: return c === 46 ? N_DOT : c === 101 || c === 69 ? N_E : -1;
    case N_INT: return digit ? N_INT : c === 46 ? N_DOT : c === 101 || c === 69 ? N_E : -1;
    case N_DOT: return digit ? N_FRAC : -1;
    case N_FRAC: return digit ? N_FRAC : c === 101 || c === 69 ? N_E : -1;
    case N_E: return digit ? N_EXP : c === 43 || c === 45 ? N_ESIGN : -1;
    case N_ESIGN: return digit ? N_EXP : -1;
    default: return digit ? N_EXP : -1;
  }
}
