/**
 * Code points beyond U+FFFF in patterns, read the way JSON Schema reads a pattern (ECMA-262 with the `u` flag):
 * `\u{1F600}`, surrogate-pair escapes `\uD83D\uDE00`, literal astral characters, and classes holding them
 * (`[\u{10000}-\u{1FFFD}]`). The gates' parser works on UTF-16 code units, so a pattern is first rewritten into the
 * UTF-16 form a non-`u` engine would need (each astral character a surrogate pair in a group, each astral class range a
 * few high-surrogate × low-surrogate alternatives), and the parsed tree then has every pair joined back into code point
 * sets (`joinPairs`). A lone surrogate can never occur in a JSON string's UTF-8, so one written in a pattern is refused.
 */
import type { ClassSet, RegexNode } from "../gates/regex/ast.ts";
import { parseRegex, RegexSyntaxError } from "../gates/regex/parse.ts";
import { complementCodepoints, MAX_CODEPOINT, normalizeRanges } from "./expr.ts";

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;
const pair = (hi: number, lo: number) => 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
const hex4 = (u: number) => `\\u${u.toString(16).toUpperCase().padStart(4, "0")}`;
const unit = (cp: number) => hex4(0xd800 + ((cp - 0x10000) >> 10));
const low = (cp: number) => hex4(0xdc00 + ((cp - 0x10000) & 0x3ff));

/** One atom of a pattern: its source text, and the code point it stands for when it is one. */
interface Atom {
  readonly text: string;
  readonly cp?: number;
  readonly end: number;
}

/** An atom as the gates' parser reads it: `\u{…}` (which it takes only up to four digits) as `\uXXXX`, all else as written. */
const spelled = (a: Atom) => (a.cp !== undefined && a.text.startsWith("\\u{") ? hex4(a.cp) : a.text);

/**
 * `pattern` with every code point above U+FFFF (and every `\u{…}` escape) in UTF-16 syntax the gates' parser reads;
 * throws RegexSyntaxError for `\u{…}` beyond U+10FFFF, malformed `\u{…}`, and lone surrogates.
 */
export function utf16Pattern(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length;) {
    if (pattern[i] === "[") {
      const { text, end } = utf16Class(pattern, i);
      out += text;
      i = end;
      continue;
    }
    const atom = readAtom(pattern, i);
    out += atom.cp === undefined ? atom.text : atom.cp > 0xffff ? `(?:${unit(atom.cp)}${low(atom.cp)})` : spelled(atom);
    i = atom.end;
  }
  return out;
}

/** `\u{…}` and a second `\uXXXX`, matched where they start (sticky: no copy of the pattern's rest per escape). */
const BRACED = /\\u\{([0-9a-fA-F]+)\}/y, TRAIL = /\\u([0-9a-fA-F]{4})/y;

/** One character or escape at `i`: code points are given for literals and `\u` / `\x` escapes (other escapes as written). */
function readAtom(pattern: string, i: number): Atom {
  const c = pattern.charCodeAt(i);
  if (isHigh(c) && isLow(pattern.charCodeAt(i + 1))) return { text: pattern.slice(i, i + 2), cp: pair(c, pattern.charCodeAt(i + 1)), end: i + 2 };
  if (isHigh(c) || isLow(c)) throw new RegexSyntaxError("lone surrogate character (half of a character; a JSON string never holds one)", i);
  if (pattern[i] !== "\\") return { text: pattern[i]!, cp: c, end: i + 1 };
  const next = pattern[i + 1];
  if (next === "u" && pattern[i + 2] === "{") {
    BRACED.lastIndex = i;
    const m = BRACED.exec(pattern);
    if (!m) throw new RegexSyntaxError("malformed \\u{…} escape", i);
    const cp = parseInt(m[1]!, 16);
    if (cp > MAX_CODEPOINT) throw new RegexSyntaxError(`\\u{${m[1]}} is beyond U+10FFFF`, i);
    if (isHigh(cp) || isLow(cp)) throw new RegexSyntaxError(`\\u{${m[1]}} is a lone surrogate (half of a character; a JSON string never holds one)`, i);
    return { text: m[0], cp, end: i + m[0].length };
  }
  if (next === "u" && /^[0-9a-fA-F]{4}$/.test(pattern.slice(i + 2, i + 6))) {
    const u = parseInt(pattern.slice(i + 2, i + 6), 16);
    TRAIL.lastIndex = i + 6;
    const tail = TRAIL.exec(pattern);
    if (isHigh(u) && tail && isLow(parseInt(tail[1]!, 16))) return { text: pattern.slice(i, i + 12), cp: pair(u, parseInt(tail[1]!, 16)), end: i + 12 };
    if (isHigh(u) || isLow(u)) throw new RegexSyntaxError(`lone surrogate escape ${pattern.slice(i, i + 6)} (half of a character; a JSON string never holds one)`, i);
    return { text: pattern.slice(i, i + 6), cp: u, end: i + 6 };
  }
  if (next === undefined) return { text: "\\", end: i + 1 };
  if (next === "x" && /^[0-9a-fA-F]{2}$/.test(pattern.slice(i + 2, i + 4))) return { text: pattern.slice(i, i + 4), end: i + 4 };
  // Any other escape is one code unit after the backslash (or an astral character, identity-escaped).
  const width = isHigh(pattern.charCodeAt(i + 1)) && isLow(pattern.charCodeAt(i + 2)) ? 3 : 2;
  return { text: pattern.slice(i, i + width), end: i + width };
}

/**
 * The class opening at `start` in UTF-16 syntax, and where it ends. A class without astral members is kept as written
 * (`\u{…}` escapes spelled `\uXXXX`); one with them becomes a group of its BMP part and its surrogate-pair ranges, and
 * so does a range over every surrogate (`[\u0020-\uFFFF]`), which the UTF-16 reading would take for one spanning the
 * astral planes too (`patternCodepoints`, right for `[\s\S]`), where the `u` flag reads the BMP only.
 */
function utf16Class(pattern: string, start: number): { text: string; end: number } {
  let i = start + 1;
  const negated = pattern[i] === "^";
  if (negated) i++;
  const atoms: Atom[] = [];
  while (i < pattern.length && pattern[i] !== "]") {
    const atom = readAtom(pattern, i);
    atoms.push(atom);
    i = atom.end;
  }
  if (i >= pattern.length) throw new RegexSyntaxError("missing ']'", start);
  const end = i + 1;
  const ranges: number[] = [];
  let spansSurrogates = false;
  for (let k = 0; k < atoms.length; k++) {
    const a = atoms[k]!, dash = atoms[k + 1], b = atoms[k + 2];
    if (dash?.text === "-" && b !== undefined) {
      const lo = single(a, start), hi = single(b, start);
      if (lo === undefined || hi === undefined) throw new RegexSyntaxError("class range with a shorthand escape", start);
      if (hi < lo) throw new RegexSyntaxError("class range out of order", start);
      ranges.push(lo, hi);
      if (lo < 0xd800 && hi > 0xdfff) spansSurrogates = true;
      k += 2;
    } else ranges.push(...atomCodepoints(a, start));
  }
  const astral = ranges.some((cp) => cp > 0xffff);
  if (!astral && (negated || !spansSurrogates)) return { text: `[${negated ? "^" : ""}${atoms.map(spelled).join("")}]`, end };
  const set = negated ? complementCodepoints(normalizeRanges(ranges)) : normalizeRanges(ranges);
  return { text: utf16Alternatives(set), end };
}

/** The one code point a class atom stands for (not a shorthand such as `\d`). */
function single(a: Atom, at: number): number | undefined {
  if (a.cp !== undefined) return a.cp;
  if (/^\\[dDwWsS]$/.test(a.text)) return undefined;
  const set = atomCodepoints(a, at);
  return set.length === 2 && set[0] === set[1] ? set[0] : undefined;
}

/** Code points of one class atom; escapes other than `\u` are read by the gates' parser (shorthands widened to all planes). */
function atomCodepoints(a: Atom, at: number): number[] {
  if (a.cp !== undefined) return [a.cp, a.cp];
  const upper = /^\\[DWS]$/.test(a.text);
  let set: ClassSet;
  try {
    const node = parseRegex(`[${upper ? a.text.toLowerCase() : a.text}]`);
    set = (node as { set: ClassSet }).set;
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new RegexSyntaxError(err.message.replace(/ at offset \d+$/, ""), at);
    throw err;
  }
  const ranges = normalizeRanges([...set.ranges]);
  return upper ? complementCodepoints(ranges) : ranges;
}

/** A code point set (normalized) as a group the gates' parser reads: a BMP class, then one alternative per high-surrogate run. */
function utf16Alternatives(set: readonly number[]): string {
  const bmp: string[] = [], astral: string[] = [];
  for (let k = 0; k < set.length; k += 2) {
    const lo = set[k]!, hi = set[k + 1]!;
    if (lo <= 0xffff) bmp.push(`${hex4(lo)}-${hex4(Math.min(hi, 0xffff))}`);
    if (hi < 0x10000) continue;
    const from = Math.max(lo, 0x10000);
    const [h1, h2] = [unit(from), unit(hi)];
    if (h1 === h2) {
      astral.push(`${h1}[${low(from)}-${low(hi)}]`);
      continue;
    }
    // First partial high surrogate, the full ones between, the last partial one.
    const firstFull = (from & 0x3ff) === 0, lastFull = (hi & 0x3ff) === 0x3ff;
    const hFrom = 0xd800 + ((from - 0x10000) >> 10) + (firstFull ? 0 : 1), hTo = 0xd800 + ((hi - 0x10000) >> 10) - (lastFull ? 0 : 1);
    if (!firstFull) astral.push(`${h1}[${low(from)}-\\uDFFF]`);
    if (hFrom <= hTo) astral.push(`[${hex4(hFrom)}-${hex4(hTo)}][\\uDC00-\\uDFFF]`);
    if (!lastFull) astral.push(`${h2}[\\uDC00-${low(hi)}]`);
  }
  const parts = [...(bmp.length > 0 ? [`[${bmp.join("")}]`] : []), ...astral];
  return parts.length === 0 ? "[]" : `(?:${parts.join("|")})`;
}

/** Whether a set is non-negated and holds only code units in [lo, hi]. */
function within(node: RegexNode | undefined, lo: number, hi: number): node is { kind: "set"; set: ClassSet } {
  if (node?.kind !== "set" || node.set.negated || node.set.ranges.length === 0) return false;
  return node.set.ranges.every((u) => u >= lo && u <= hi);
}

/** Code points of a high-surrogate set followed by a low-surrogate set (each high with each low). */
function product(highs: readonly number[], lows: readonly number[]): number[] {
  const h = normalizeRangesOfUnits(highs), l = normalizeRangesOfUnits(lows);
  const out: number[] = [];
  const fullLows = l.length === 2 && l[0] === 0xdc00 && l[1] === 0xdfff;
  for (let i = 0; i < h.length; i += 2) {
    if (fullLows) {
      out.push(pair(h[i]!, 0xdc00), pair(h[i + 1]!, 0xdfff));
      continue;
    }
    for (let u = h[i]!; u <= h[i + 1]!; u++) for (let j = 0; j < l.length; j += 2) out.push(pair(u, l[j]!), pair(u, l[j + 1]!));
  }
  return normalizeRanges(out);
}

/** Sorted, merged code unit ranges (surrogates kept: `normalizeRanges` would drop them). */
function normalizeRangesOfUnits(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    if (out.length > 0 && lo <= out[out.length - 1]! + 1) out[out.length - 1] = Math.max(out[out.length - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

/** Items of a sequence with each (high-surrogate set, low-surrogate set) pair joined into one code point set. */
function joinSurrogates(items: readonly RegexNode[]): RegexNode[] {
  const out: RegexNode[] = [];
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!, b = items[i + 1];
    if (within(a, 0xd800, 0xdbff) && within(b, 0xdc00, 0xdfff)) {
      out.push({ kind: "set", set: { ranges: product(a.set.ranges, b.set.ranges), negated: false } });
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * The tree with surrogate pairs joined into code points (`joinSurrogates` in every sequence), and alternatives of
 * plain sets that hold an astral code point (a rewritten class) merged into one set.
 */
export function joinPairs(node: RegexNode): RegexNode {
  switch (node.kind) {
    case "concat": {
      const items = joinSurrogates(node.items.map(joinPairs));
      return items.length === 1 ? items[0]! : { kind: "concat", items };
    }
    case "alt": {
      const items = node.items.map(joinPairs);
      const sets = items.every((x) => x.kind === "set" && !x.set.negated) ? (items as { set: ClassSet }[]) : undefined;
      if (sets && sets.some((x) => x.set.ranges.some((u) => u > 0xffff))) return { kind: "set", set: { ranges: sets.flatMap((x) => x.set.ranges), negated: false } };
      return { kind: "alt", items };
    }
    case "repeat": return { ...node, item: joinPairs(node.item) };
    default: return node;
  }
}
