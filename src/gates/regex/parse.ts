/**
 * Regex parser for gate rules: JavaScript syntax minus everything that needs backtracking.
 * Hand-written because the engine must expose its automaton to the streaming hold-back (no npm engine does).
 */
import type { AssertKind, ClassSet, RegexNode } from "./ast.ts";

/** A pattern the gate engine refuses, with the offending offset so the policy author can find it. */
export class RegexSyntaxError extends Error {
  /** Offset of the construct in the pattern string. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = "RegexSyntaxError";
    this.offset = offset;
  }
}

/** Parser options: built-in detectors may use one-character lookaround that user patterns may not. */
export interface ParseOptions {
  /** Allow `(?<![set])` and `(?![set])` with a single character set (decidable from one neighbouring char). */
  readonly neighbourAssertions?: boolean;
}

const DIGIT: readonly number[] = [48, 57];
const WORD: readonly number[] = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE: readonly number[] = [9, 13, 32, 32, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a,
  0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];
const MAX_COUNT = 1000;

/** Complement of a sorted, non-overlapping range list over the UTF-16 code unit space. */
export function complementRanges(ranges: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = Math.max(next, ranges[i + 1]! + 1);
  }
  if (next <= 0xffff) out.push(next, 0xffff);
  return out;
}

const single = (code: number): RegexNode => ({ kind: "set", set: { ranges: [code, code], negated: false } });

/** Parse `pattern` into a syntax tree, throwing RegexSyntaxError on the first unsupported construct. */
export function parseRegex(pattern: string, options: ParseOptions = {}): RegexNode {
  let pos = 0;
  const peek = (): string | undefined => pattern[pos];
  const fail = (message: string, at = pos): never => { throw new RegexSyntaxError(message, at); };

  function parseAlt(): RegexNode {
    const items = [parseConcat()];
    while (peek() === "|") { pos++; items.push(parseConcat()); }
    return items.length === 1 ? items[0]! : { kind: "alt", items };
  }

  function parseConcat(): RegexNode {
    const items: RegexNode[] = [];
    while (pos < pattern.length && peek() !== "|" && peek() !== ")") items.push(parseQuantified());
    return items.length === 0 ? { kind: "empty" } : items.length === 1 ? items[0]! : { kind: "concat", items };
  }

  function parseQuantified(): RegexNode {
    const start = pos;
    const atom = parseAtom();
    const bounds = parseQuantifier();
    if (!bounds) return atom;
    if (atom.kind === "assert") fail("a quantifier cannot follow an assertion", start);
    if (peek() === "?") fail("lazy quantifier (leftmost-longest matching makes it meaningless; write the exact shape instead)");
    if (peek() === "+") fail("possessive quantifier is not supported");
    if (parseQuantifier(true)) fail("nothing to repeat");
    return { kind: "repeat", item: atom, min: bounds[0], max: bounds[1] };
  }

  function parseQuantifier(probe = false): [number, number] | undefined {
    const c = peek();
    if (c === "*" || c === "+" || c === "?") {
      if (probe) return [0, 0];
      pos++;
      return c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
    }
    if (c !== "{") return undefined;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(pos));
    if (!m) return undefined;
    if (probe) return [0, 0];
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT)) fail(`repetition count above ${MAX_COUNT}`);
    if (max < min) fail("repetition {n,m} with m < n");
    pos += m[0].length;
    return [min, max];
  }

  function parseAtom(): RegexNode {
    const start = pos;
    const c = pattern[pos++]!;
    switch (c) {
      case "(": return parseGroup(start);
      case ")": return fail("unbalanced ')'", start);
      case "[": return { kind: "set", set: parseClass() };
      case ".": return { kind: "set", set: { ranges: [10, 10, 13, 13, 0x2028, 0x2029], negated: true } };
      case "^": return { kind: "assert", assert: "lineStart" };
      case "$": return { kind: "assert", assert: "lineEnd" };
      case "\\": return parseEscape(false) as RegexNode;
      case "*": case "+": case "?": return fail("nothing to repeat", start);
      case "{": if (parseQuantifier(true) === undefined) return single(123); pos--; return fail("nothing to repeat", start);
      default: return single(c.charCodeAt(0));
    }
  }

  function parseGroup(start: number): RegexNode {
    let assert: AssertKind | undefined;
    if (pattern.startsWith("?:", pos)) pos += 2;
    else if (pattern.startsWith("?=", pos) || pattern.startsWith("?<=", pos)) fail("lookaround (?= / (?<= is not supported by the linear-time engine", start);
    else if (pattern.startsWith("?!", pos) || pattern.startsWith("?<!", pos)) {
      if (!options.neighbourAssertions) fail("lookaround (?! / (?<! is not supported by the linear-time engine", start);
      assert = pattern[pos + 1] === "!" ? "notBefore" : "notAfter";
      pos += assert === "notBefore" ? 2 : 3;
    } else if (pattern.startsWith("?<", pos)) {
      const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(pattern.slice(pos));
      if (!m) fail("malformed named group", start);
      pos += m![0].length;
    } else if (pattern.startsWith("?>", pos)) fail("atomic group (?> is not supported", start);
    else if (peek() === "?") fail("inline flags / unknown group syntax (use the rule's flags field)", start);
    const inner = parseAlt();
    if (peek() !== ")") fail("missing ')'", start);
    pos++;
    if (assert === undefined) return inner;
    if (inner.kind !== "set") return fail("neighbour assertion must hold exactly one character set", start);
    return { kind: "assert", assert, set: inner.set };
  }

  /** Parse after a backslash; inside a class it returns a range list instead of a node. */
  function parseEscape(inClass: boolean): RegexNode | readonly number[] | number {
    const start = pos - 1;
    const c = pattern[pos++];
    if (c === undefined) return fail("trailing backslash", start);
    const shorthand: Record<string, readonly number[]> = { d: DIGIT, w: WORD, s: SPACE };
    const lower = c.toLowerCase();
    if (lower in shorthand && (c === lower || c === c.toUpperCase())) {
      const base = shorthand[lower]!;
      const ranges = c === lower ? base : complementRanges(base);
      return inClass ? ranges : { kind: "set", set: { ranges, negated: false } };
    }
    let code: number;
    switch (c) {
      case "b": if (inClass) { code = 8; break; } return { kind: "assert", assert: "wordBoundary" };
      case "B": if (inClass) return fail("\\B inside a class", start); return { kind: "assert", assert: "notWordBoundary" };
      case "n": code = 10; break;
      case "r": code = 13; break;
      case "t": code = 9; break;
      case "f": code = 12; break;
      case "v": code = 11; break;
      case "0": if (/\d/.test(peek() ?? "")) return fail("octal escape is not supported", start); code = 0; break;
      case "x": code = hex(2, start); break;
      case "u": code = peek() === "{" ? braceHex(start) : hex(4, start); break;
      case "k": return fail("backreference \\k<…> is not supported by the linear-time engine", start);
      case "p": case "P": return fail("unicode property escape \\p{…} is not supported", start);
      case "c": return fail("control escape \\c is not supported", start);
      default:
        if (/[1-9]/.test(c)) return fail(`backreference \\${c} is not supported by the linear-time engine`, start);
        if (/[A-Za-z0-9]/.test(c)) return fail(`unknown escape \\${c}`, start);
        code = c.charCodeAt(0);
    }
    return inClass ? code : single(code);
  }

  function hex(digits: number, start: number): number {
    const text = pattern.slice(pos, pos + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(text)) fail("malformed hex escape", start);
    pos += digits;
    return parseInt(text, 16);
  }

  function braceHex(start: number): number {
    const m = /^\{([0-9a-fA-F]{1,4})\}/.exec(pattern.slice(pos));
    if (!m) return fail("malformed \\u{…} escape (only code points up to FFFF)", start);
    pos += m[0].length;
    return parseInt(m[1]!, 16);
  }

  function parseClass(): ClassSet {
    const start = pos - 1;
    const negated = peek() === "^";
    if (negated) pos++;
    const ranges: number[] = [];
    while (peek() !== "]") {
      if (pos >= pattern.length) fail("missing ']'", start);
      const lo = classAtom();
      if (typeof lo !== "number") { ranges.push(...lo); continue; }
      if (peek() === "-" && pattern[pos + 1] !== "]" && pos + 1 < pattern.length) {
        pos++;
        const hi = classAtom();
        if (typeof hi !== "number") return fail("class range with a shorthand escape", start);
        if (hi < lo) fail("class range out of order", start);
        ranges.push(lo, hi);
      } else ranges.push(lo, lo);
    }
    pos++;
    return { ranges, negated };
  }

  function classAtom(): number | readonly number[] {
    const c = pattern[pos++]!;
    if (c !== "\\") return c.charCodeAt(0);
    return parseEscape(true) as number | readonly number[];
  }

  const tree = parseAlt();
  if (pos < pattern.length) fail("unbalanced ')'");
  return tree;
}
