/**
 * The grammar front ends' common language: a small expression tree over UTF-8 bytes and Unicode code points,
 * lowered to byte-level rules by `GrammarBuilder`. GBNF, regex and JSON Schema all produce it.
 */

/** A grammar expression: bytes, code point sets, sequences, alternatives, bounded/unbounded repetition, rule refs. */
export type Expr =
  | { readonly t: "bytes"; readonly set: Uint32Array }
  | { readonly t: "cps"; readonly ranges: readonly number[] }
  | { readonly t: "seq"; readonly items: readonly Expr[] }
  | { readonly t: "alt"; readonly items: readonly Expr[] }
  | { readonly t: "rep"; readonly item: Expr; readonly min: number; readonly max: number }
  | { readonly t: "ref"; readonly rule: number };

/** Largest Unicode scalar value. */
export const MAX_CODEPOINT = 0x10ffff;

/** The empty string. */
export const EMPTY: Expr = { t: "seq", items: [] };

/** Concatenation (flattens nested sequences). */
export function seq(...items: Expr[]): Expr {
  const flat: Expr[] = [];
  for (const item of items) {
    if (item.t === "seq") flat.push(...item.items);
    else flat.push(item);
  }
  return flat.length === 1 ? flat[0]! : { t: "seq", items: flat };
}

/** Alternation; an empty list is the empty language. */
export function alt(...items: Expr[]): Expr {
  return items.length === 1 ? items[0]! : { t: "alt", items };
}

/** `item{min,max}` (max = Infinity for unbounded). */
export function rep(item: Expr, min: number, max: number): Expr {
  return { t: "rep", item, min, max };
}

/** `item?` */
export function opt(item: Expr): Expr {
  return rep(item, 0, 1);
}

const encoder = new TextEncoder();
/** One expression per byte value, shared (lowering then finds a literal's byte sets by identity). */
const BYTES: Expr[] = Array.from({ length: 256 }, (_, b) => byteRange(b, b));

/** The UTF-8 bytes of `text`, one after the other. */
export function lit(text: string): Expr {
  return seq(...Array.from(encoder.encode(text), (b) => BYTES[b]!));
}

/** One byte in [lo, hi]. */
export function byteRange(lo: number, hi: number): Expr {
  const set = new Uint32Array(8);
  for (let b = lo; b <= hi; b++) set[b >> 5]! |= 1 << (b & 31);
  return { t: "bytes", set };
}

/** One code point from sorted-or-not inclusive pairs [lo0, hi0, lo1, hi1 …]; surrogates are dropped. */
export function cps(...ranges: number[]): Expr {
  return { t: "cps", ranges: normalizeRanges(ranges) };
}

/** One ASCII character from a class written like a regex body, e.g. `"a-zA-Z0-9_"`. */
export function chars(spec: string): Expr {
  const ranges: number[] = [];
  for (let i = 0; i < spec.length; i++) {
    const lo = spec.charCodeAt(i);
    if (spec[i + 1] === "-" && i + 2 < spec.length) {
      ranges.push(lo, spec.charCodeAt(i + 2));
      i += 2;
    } else ranges.push(lo, lo);
  }
  return cps(...ranges);
}

/** Sorts and merges inclusive code point ranges, clipped to Unicode scalar values (surrogates removed). */
export function normalizeRanges(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = Math.max(0, ranges[i]!), hi = Math.min(MAX_CODEPOINT, ranges[i + 1]!);
    if (lo > hi) continue;
    if (lo < 0xd800 && hi >= 0xd800) {
      pairs.push([lo, 0xd7ff]);
      if (hi > 0xdfff) pairs.push([0xe000, hi]);
    } else if (lo >= 0xd800 && lo <= 0xdfff) {
      if (hi > 0xdfff) pairs.push([0xe000, hi]);
    } else pairs.push([lo, hi]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

/** Complement of normalized ranges within the Unicode scalar values. */
export function complementCodepoints(ranges: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_CODEPOINT) out.push(next, MAX_CODEPOINT);
  return normalizeRanges(out);
}

/** Intersection of two normalized range lists. */
export function intersectCodepoints(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) {
      const lo = Math.max(a[i]!, b[j]!), hi = Math.min(a[i + 1]!, b[j + 1]!);
      if (lo <= hi) out.push(lo, hi);
    }
  }
  return normalizeRanges(out);
}

/** UTF-8 encodings of a code point range as byte-range sequences (each inner list: [lo, hi] per byte). */
export function utf8Sequences(lo: number, hi: number): [number, number][][] {
  const limits = [0x7f, 0x7ff, 0xffff, MAX_CODEPOINT];
  for (const max of limits.slice(0, 3)) {
    if (lo <= max && hi > max) return [...utf8Sequences(lo, max), ...utf8Sequences(max + 1, hi)];
  }
  if (hi <= 0x7f) return [[[lo, hi]]];
  const n = hi <= 0x7ff ? 2 : hi <= 0xffff ? 3 : 4;
  // Split until every continuation position spans either one value or the full 0x80-0xBF range.
  for (let i = 1; i < n; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) !== (hi & ~m)) {
      if ((lo & m) !== 0) return [...utf8Sequences(lo, lo | m), ...utf8Sequences((lo | m) + 1, hi)];
      if ((hi & m) !== m) return [...utf8Sequences(lo, (hi & ~m) - 1), ...utf8Sequences(hi & ~m, hi)];
    }
  }
  const a = encode(lo, n), b = encode(hi, n);
  return [a.map((x, i) => [x, b[i]!] as [number, number])];
}

function encode(cp: number, n: number): number[] {
  if (n === 2) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (n === 3) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}
