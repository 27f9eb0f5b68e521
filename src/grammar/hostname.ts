/**
 * `format: "hostname"` (RFC 1123, as ajv-formats reads it): dot-separated labels of 1–63 letters, digits and inner
 * hyphens, at most 253 characters in all, then an optional final dot. The label shapes are regular; the total bound
 * times the label bound would take ~14,000 automaton states, so the grammar counts the budget per label instead
 * (a rule per characters left, choosing each label's length): ~570 rules.
 */
import { type CharDfa, type DfaEdge } from "./dfa.ts";
import { alt, chars, EMPTY, type Expr, lit, MAX_CODEPOINT, rep, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";

/** Longest host name, not counting a final dot. */
export const HOSTNAME_MAX = 253;
/** Longest label. */
const LABEL_MAX = 63;

/** A host name's characters (no quotes) as rules of `b`, at most `max` characters with the final dot. */
export function hostnameExpr(b: GrammarBuilder, max: number): Expr {
  const top = Math.min(HOSTNAME_MAX, max);
  const alnum = chars("A-Za-z0-9"), inner = chars("A-Za-z0-9-");
  const labels: Expr[] = [];
  for (let n = 1; n <= LABEL_MAX; n++) {
    const id = b.fresh("host-label");
    b.define(id, n === 1 ? alnum : seq(alnum, rep(inner, n - 2, n - 2), alnum));
    labels.push(b.ref(id));
  }
  // names[c]: a name of at most c characters; after[c]: the end, or a dot and a name of at most c characters.
  const names: number[] = [], after: number[] = [];
  for (let c = 0; c <= top; c++) names.push(b.fresh("host-name")), after.push(b.fresh("host-rest"));
  for (let c = 0; c <= top; c++) {
    if ((c & 31) === 0) b.checkTime();
    const options: Expr[] = [];
    for (let n = 1; n <= Math.min(LABEL_MAX, c); n++) options.push(seq(labels[n - 1]!, b.ref(after[c - n]!)));
    b.define(names[c]!, alt(...options));
    b.define(after[c]!, c >= 2 ? alt(EMPTY, seq(lit("."), b.ref(names[c - 1]!))) : EMPTY);
  }
  const dotted = Math.min(HOSTNAME_MAX, max - 1);
  return dotted >= 1 ? alt(b.ref(names[top]!), seq(b.ref(names[dotted]!), lit("."))) : b.ref(names[top]!);
}

/** Strings of 1–253 characters, or 254 whose last is a dot: the host name bound, for intersections with other constraints. */
export function hostLengthDfa(): CharDfa {
  const edges: DfaEdge[][] = [], accept: boolean[] = [];
  for (let s = 0; s <= HOSTNAME_MAX + 1; s++) {
    accept.push(s >= 1);
    edges.push(s < HOSTNAME_MAX ? [{ lo: 0, hi: MAX_CODEPOINT, to: s + 1 }] : s === HOSTNAME_MAX ? [{ lo: 0x2e, hi: 0x2e, to: s + 1 }] : []);
  }
  return { edges, accept };
}
