/**
 * The JSON building blocks every schema grammar shares: bounded whitespace, string characters, strings, any value.
 * Whitespace between tokens is capped (`maxWhitespace`) so a model cannot loop on spaces forever.
 */
import { alt, chars, cps, type Expr, lit, rep, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";

/** Code points a JSON string may hold unescaped (U+0020 and above, minus `"` and `\`). */
export const UNESCAPED = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x10ffff] as const;

/** Shared rules of one JSON grammar, created on first use. */
export class JsonRules {
  #ws?: Expr;
  #char?: Expr;
  #value?: Expr;
  /** One rule per length range, so every string of a schema shares its frames (and their cached masks). */
  readonly #strings = new Map<string, Expr>();

  constructor(readonly b: GrammarBuilder, readonly maxWhitespace: number) {}

  /** Optional whitespace, at most `maxWhitespace` characters. */
  get ws(): Expr {
    if (!this.#ws) this.#ws = this.#rule("ws", rep(chars(" \t\n\r"), 0, this.maxWhitespace));
    return this.#ws;
  }

  /** One string character: unescaped, or an escape sequence. */
  get char(): Expr {
    if (!this.#char) {
      const escape = seq(lit("\\"), alt(chars('"\\/bfnrt'), seq(lit("u"), rep(chars("0-9a-fA-F"), 4, 4))));
      const id = this.b.fresh("char");
      this.b.define(id, alt(cps(...UNESCAPED), escape));
      this.b.jsonChar = id;
      this.#char = this.b.ref(id);
    }
    return this.#char;
  }

  /** A quoted string whose content is `content`. */
  quoted(content: Expr): Expr {
    return seq(lit('"'), content, lit('"'));
  }

  /** A string of `min`..`max` characters (code points or escapes). */
  string(min = 0, max = Infinity): Expr {
    const key = `${min},${max}`;
    let rule = this.#strings.get(key);
    if (!rule) this.#strings.set(key, (rule = this.#rule("string", this.quoted(rep(this.char, min, max)))));
    return rule;
  }

  /** `{ member (, member)* }` with bounded whitespace, or `{}`. */
  object(member: Expr): Expr {
    const { ws } = this;
    return alt(seq(lit("{"), ws, lit("}")), seq(lit("{"), ws, member, rep(seq(ws, lit(","), ws, member), 0, Infinity), ws, lit("}")));
  }

  /** `[ item (, item)* ]` or `[]`. */
  array(item: Expr): Expr {
    const { ws } = this;
    return alt(seq(lit("["), ws, lit("]")), seq(lit("["), ws, item, rep(seq(ws, lit(","), ws, item), 0, Infinity), ws, lit("]")));
  }

  /** Any JSON value (a recursive rule). */
  get value(): Expr {
    if (this.#value) return this.#value;
    const id = this.b.fresh("value");
    this.#value = this.b.ref(id);
    const member = this.#rule("member", seq(this.string(), this.ws, lit(":"), this.ws, this.#value));
    const number = seq(opt(lit("-")), alt(lit("0"), seq(chars("1-9"), rep(chars("0-9"), 0, Infinity))),
      opt(seq(lit("."), rep(chars("0-9"), 1, Infinity))), opt(seq(chars("eE"), opt(chars("+-")), rep(chars("0-9"), 1, Infinity))));
    this.b.define(id, alt(this.object(member), this.array(this.#value), this.string(), this.#rule("number", number), lit("true"), lit("false"), lit("null")));
    return this.#value;
  }

  /** Exactly `value` (enum / const), with the same bounded whitespace as any other JSON between its tokens. */
  literal(value: unknown): Expr {
    const { ws } = this;
    if (Array.isArray(value)) {
      if (value.length === 0) return seq(lit("["), ws, lit("]"));
      return seq(lit("["), ws, ...value.flatMap((v, i) => (i === 0 ? [this.literal(v)] : [ws, lit(","), ws, this.literal(v)])), ws, lit("]"));
    }
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 0) return seq(lit("{"), ws, lit("}"));
      const members = entries.map(([k, v]) => seq(lit(JSON.stringify(k)), ws, lit(":"), ws, this.literal(v)));
      return seq(lit("{"), ws, ...members.flatMap((m, i) => (i === 0 ? [m] : [ws, lit(","), ws, m])), ws, lit("}"));
    }
    return lit(JSON.stringify(value));
  }

  #rule(name: string, body: Expr): Expr {
    const id = this.b.fresh(name);
    this.b.define(id, body);
    return this.b.ref(id);
  }
}

function opt(e: Expr): Expr {
  return rep(e, 0, 1);
}
