/**
 * GBNF (llama.cpp's grammar format) to a grammar. Hand-written: no maintained npm parser exists for this dialect.
 * Rules `name ::= alternatives`, literals `"..."`, classes `[a-z]` / `[^...]`, `.`, groups, `* + ? {m} {m,} {m,n}`,
 * `#` comments; the start rule is `root`. Errors carry `line:column`.
 */
import { GrammarError } from "./errors.ts";
import { alt, complementCodepoints, cps, type Expr, lit, normalizeRanges, rep, seq } from "./expr.ts";
import { type Grammar, GrammarBuilder } from "./grammar.ts";
import type { GrammarLimits } from "./errors.ts";

/** Largest `{m,n}` count accepted (each unit of n is a rule). */
const MAX_COUNT = 10_000;

/** Parses GBNF text and builds its grammar; throws GrammarError naming `line:col` and the problem. */
export function parseGbnf(text: string, limits?: GrammarLimits): Grammar {
  const builder = new GrammarBuilder(limits);
  const p = new GbnfParser(text, builder);
  p.rules();
  if (!p.seen.has("root")) throw new GrammarError('no "root" rule (the start rule must be named root)', "grammar");
  return builder.build(builder.rule("root"));
}

class GbnfParser {
  pos = 0;
  readonly seen = new Map<string, number>();
  readonly used = new Map<string, number>();

  constructor(readonly src: string, readonly b: GrammarBuilder) {}

  fail(message: string, at = this.pos): never {
    const before = this.src.slice(0, at);
    const line = before.split("\n").length;
    const col = at - before.lastIndexOf("\n");
    throw new GrammarError(message, `grammar ${line}:${col}`);
  }

  space(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else if (c === "#") while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      else return;
    }
  }

  name(): string | undefined {
    const m = /^[A-Za-z0-9_-]+/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** True when the input at the cursor is `name ::=` (the next rule starts). */
  atRuleStart(): boolean {
    return /^[A-Za-z0-9_-]+[ \t]*::=/.test(this.src.slice(this.pos, this.pos + 300));
  }

  rules(): void {
    this.space();
    while (this.pos < this.src.length) {
      const at = this.pos;
      const name = this.name();
      if (!name) this.fail(`expected a rule name, found ${JSON.stringify(this.src[this.pos])}`);
      this.space();
      if (!this.src.startsWith("::=", this.pos)) this.fail(`expected "::=" after rule name "${name}"`);
      this.pos += 3;
      if (this.seen.has(name)) this.fail(`rule "${name}" is defined twice`, at);
      this.seen.set(name, at);
      const id = this.b.rule(name);
      this.b.define(id, this.alternatives(false));
      this.space();
    }
    for (const [name, at] of this.used) if (!this.seen.has(name)) this.fail(`rule "${name}" is used but never defined`, at);
  }

  alternatives(nested: boolean): Expr {
    const items = [this.sequence(nested)];
    while (this.src[this.pos] === "|") {
      this.pos++;
      items.push(this.sequence(nested));
    }
    return alt(...items);
  }

  sequence(nested: boolean): Expr {
    const items: Expr[] = [];
    for (;;) {
      this.space();
      const c = this.src[this.pos];
      if (c === undefined || c === "|" || c === ")" || (!nested && this.atRuleStart())) break;
      items.push(this.postfix(this.atom()));
    }
    return seq(...items);
  }

  atom(): Expr {
    const at = this.pos;
    const c = this.src[this.pos]!;
    if (c === '"') return this.literal();
    if (c === "[") return this.charClass();
    if (c === ".") {
      this.pos++;
      return cps(0, 0x10ffff);
    }
    if (c === "(") {
      this.pos++;
      const inner = this.alternatives(true);
      this.space();
      if (this.src[this.pos] !== ")") this.fail('missing ")"', at);
      this.pos++;
      return inner;
    }
    const name = this.name();
    if (!name) this.fail(`unexpected ${JSON.stringify(c)}`);
    if (!this.used.has(name)) this.used.set(name, at);
    return this.b.ref(this.b.rule(name));
  }

  postfix(e: Expr): Expr {
    let out = e;
    for (;;) {
      const c = this.src[this.pos];
      if (c === "*") out = rep(out, 0, Infinity);
      else if (c === "+") out = rep(out, 1, Infinity);
      else if (c === "?") out = rep(out, 0, 1);
      else if (c === "{") {
        const at = this.pos;
        const m = /^\{\s*(\d+)\s*(?:(,)\s*(\d*)\s*)?\}/.exec(this.src.slice(this.pos, this.pos + 40));
        if (!m) this.fail('malformed repetition, expected "{m}", "{m,}" or "{m,n}"');
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
        if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT)) this.fail(`repetition count above ${MAX_COUNT}`, at);
        if (max < min) this.fail(`repetition {${min},${max}} has max < min`, at);
        this.pos += m[0].length - 1;
        out = rep(out, min, max);
      } else return out;
      this.pos++;
    }
  }

  literal(): Expr {
    const at = this.pos++;
    let text = "";
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || c === "\n") this.fail("unterminated string literal", at);
      if (c === '"') break;
      text += String.fromCodePoint(this.char());
    }
    this.pos++;
    return lit(text);
  }

  charClass(): Expr {
    const at = this.pos++;
    const negated = this.src[this.pos] === "^";
    if (negated) this.pos++;
    const ranges: number[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unterminated character class, missing "]"', at);
      if (c === "]") break;
      const lo = this.char();
      let hi = lo;
      if (this.src[this.pos] === "-" && this.src[this.pos + 1] !== "]" && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        hi = this.char();
        if (hi < lo) this.fail("character range is out of order", at);
      }
      ranges.push(lo, hi);
    }
    this.pos++;
    const set = normalizeRanges(ranges);
    return cps(...(negated ? complementCodepoints(set) : set));
  }

  /** One (possibly escaped) character as a code point. */
  char(): number {
    const at = this.pos;
    const c = this.src.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    if (c !== 0x5c) return c;
    const e = this.src[this.pos++];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, "\\": 92, '"': 34, "[": 91, "]": 93, "-": 45, "^": 94, "/": 47, ".": 46 };
    if (e !== undefined && e in simple) return simple[e]!;
    const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (width === 0) this.fail(`unknown escape "\\${e ?? ""}"`, at);
    const hex = this.src.slice(this.pos, this.pos + width);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) this.fail(`escape "\\${e}" needs ${width} hex digits`, at);
    this.pos += width;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) this.fail("code point above U+10FFFF", at);
    return cp;
  }
}
