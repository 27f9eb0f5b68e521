/**
 * JSON numbers as grammar expressions, including `minimum`/`maximum` bounds: decimal digit strings in a range are
 * a regular language, so bounds are enforced exactly by splitting the range by digit count and leading digit.
 * Bounded numbers are written without an exponent (a documented restriction: `1e2` is refused where 100 is not).
 */
import { alt, chars, EMPTY, type Expr, lit, opt, rep, seq } from "./expr.ts";

const DIGIT = chars("0-9");
const NONZERO = chars("1-9");

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` */
export function anyNumber(): Expr {
  return seq(anyInteger(), opt(seq(lit("."), rep(DIGIT, 1, Infinity))), opt(seq(chars("eE"), opt(chars("+-")), rep(DIGIT, 1, Infinity))));
}

/** `-?(0|[1-9][0-9]*)` */
export function anyInteger(): Expr {
  return seq(opt(lit("-")), alt(lit("0"), seq(NONZERO, rep(DIGIT, 0, Infinity))));
}

/** Integers in [lo, hi] (either may be infinite). */
export function integerRange(lo: number, hi: number): Expr {
  const parts: Expr[] = [];
  if (lo < 0) parts.push(seq(lit("-"), naturals(hi < 0 ? -hi : 1, -lo)));
  if (hi >= 0) parts.push(naturals(Math.max(lo, 0), hi));
  return alt(...parts);
}

/** A bound on a number: the value and whether it is exclusive. */
export interface Bound {
  /** An integer, or ±Infinity for none. */
  readonly value: number;
  /** `exclusiveMinimum` / `exclusiveMaximum`. */
  readonly exclusive: boolean;
}

/** Numbers (with optional fraction, no exponent) between integer bounds. */
export function numberRange(lo: Bound, hi: Bound): Expr {
  const parts: Expr[] = [];
  if (lo.value < 0) {
    const mlo = hi.value < 0 ? { value: -hi.value, exclusive: hi.exclusive } : { value: 0, exclusive: true };
    parts.push(seq(lit("-"), magnitude(mlo, { value: -lo.value, exclusive: lo.exclusive })));
  }
  if (hi.value > 0 || (hi.value === 0 && !hi.exclusive)) {
    parts.push(magnitude(lo.value >= 0 ? lo : { value: 0, exclusive: false }, hi));
  }
  return alt(...parts);
}

const FRACTION = seq(lit("."), rep(DIGIT, 1, Infinity));
const NONZERO_FRACTION = seq(lit("."), rep(DIGIT, 0, Infinity), NONZERO, rep(DIGIT, 0, Infinity));
const ZERO_FRACTION = seq(lit("."), rep(lit("0"), 1, Infinity));

/** Non-negative decimals between two non-negative integer bounds. */
function magnitude(a: Bound, b: Bound): Expr {
  const parts: Expr[] = [];
  if (b.value === Infinity || b.value - a.value >= 2) parts.push(seq(naturals(a.value + 1, b.value === Infinity ? Infinity : b.value - 1), opt(FRACTION)));
  if (a.value < b.value) {
    parts.push(seq(lit(String(a.value)), a.exclusive ? NONZERO_FRACTION : opt(FRACTION)));
    if (b.value !== Infinity && !b.exclusive) parts.push(seq(lit(String(b.value)), opt(ZERO_FRACTION)));
  } else if (a.value === b.value && !a.exclusive && !b.exclusive) parts.push(seq(lit(String(a.value)), opt(ZERO_FRACTION)));
  return alt(...parts);
}

/** Decimal strings without leading zeros for the integers in [lo, hi], lo >= 0. */
function naturals(lo: number, hi: number): Expr {
  const parts: Expr[] = [];
  if (lo === 0 && hi >= 0) {
    parts.push(lit("0"));
    lo = 1;
  }
  if (lo > hi) return alt(...parts);
  const lowDigits = String(lo).length;
  const highDigits = hi === Infinity ? lowDigits : String(hi).length;
  for (let d = lowDigits; d <= highDigits; d++) {
    const a = Math.max(lo, 10 ** (d - 1));
    const b = Math.min(hi, 10 ** d - 1);
    if (a <= b) parts.push(sameLength(String(a), String(b)));
  }
  if (hi === Infinity) parts.push(seq(NONZERO, rep(DIGIT, lowDigits, Infinity)));
  return alt(...parts);
}

/** Digit strings of one length between a and b (inclusive, same length). */
function sameLength(a: string, b: string): Expr {
  if (a.length === 0) return EMPTY;
  const rest = a.length - 1;
  if (/^0*$/.test(a.slice(1)) && /^9*$/.test(b.slice(1))) return seq(digitRange(a[0]!, b[0]!), rep(DIGIT, rest, rest));
  if (a[0] === b[0]) return seq(lit(a[0]!), sameLength(a.slice(1), b.slice(1)));
  const parts = [seq(lit(a[0]!), sameLength(a.slice(1), "9".repeat(rest)))];
  const a1 = String.fromCharCode(a.charCodeAt(0) + 1), b1 = String.fromCharCode(b.charCodeAt(0) - 1);
  if (a1 <= b1) parts.push(seq(digitRange(a1, b1), rep(DIGIT, rest, rest)));
  parts.push(seq(lit(b[0]!), sameLength("0".repeat(rest), b.slice(1))));
  return alt(...parts);
}

function digitRange(a: string, b: string): Expr {
  return a === b ? lit(a) : chars(`${a}-${b}`);
}
