/**
 * An object's listed properties in any order (`grammar_options.any_order`). The grammar engine has no runtime
 * variables, so "which listed properties are written" is the rule itself: one rule per reachable (seen set, members
 * written) pair, each choosing the next member among the unseen properties (or an other key, which the key language
 * keeps apart from every listed name) or, once every required and depended-on property is in the set, the end. That
 * is 2^n rules for n properties, built only as reached and bounded below; a permutation never becomes a rule.
 */
import { alt, EMPTY, type Expr, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";

/** Most listed properties accepted in any order (2^12 seen sets: ~4,100 rules, ~90,000 grammar elements). */
export const MAX_ANY_ORDER_PROPERTIES = 12;
/** Most (seen set, members written) rules one object may need (`minProperties` / `maxProperties` multiply the sets). */
export const MAX_ANY_ORDER_STATES = 5000;

/** One object's members, as `objectExpr` has compiled them. */
export interface AnyOrderMembers {
  readonly b: GrammarBuilder;
  /** `"name": value` of each listed property. */
  readonly members: readonly Expr[];
  /** Whether each listed property is required. */
  readonly required: readonly boolean[];
  /** `dependentRequired` as (trigger index, target indices). */
  readonly deps: readonly (readonly [number, readonly number[]])[];
  /** A member with a key outside the list, if any is allowed. */
  readonly extra: Expr | undefined;
  /** The separator between members (`ws , ws`). */
  readonly sep: Expr;
  /** `minProperties` (0 when absent). */
  readonly lo: number;
  /** `maxProperties` (Infinity when absent). */
  readonly hi: number;
  /** Members counted up to `cap` (1 when no count matters: only "first member or not"). */
  readonly cap: number;
  /** Called once per rule (the compile deadline). */
  tick(): void;
}

/** How many rules `anyOrderExpr` builds for `n` listed properties (checked against MAX_ANY_ORDER_STATES first). */
export function anyOrderStates(n: number, extra: boolean, cap: number, hi: number): number {
  const top = Math.min(cap, hi);
  let count = extra ? 1 + top : 1;
  for (let seen = 1; seen < 1 << n; seen++) {
    let p = 0;
    for (let s = seen; s !== 0; s &= s - 1) p++;
    if (p <= hi) count += extra ? top - Math.min(p, cap) + 1 : 1;
  }
  return count;
}

/** The member list (at least one member) of an object whose listed properties may come in any order. */
export function anyOrderExpr(m: AnyOrderMembers): Expr {
  const { b, members, sep, extra, lo, hi, cap } = m;
  const n = members.length;
  let requiredSet = 0;
  m.required.forEach((r, i) => (requiredSet |= r ? 1 << i : 0));
  // One rule per member with and without its leading separator, so an alternative is three elements.
  const first: Expr[] = [], rest: Expr[] = [];
  const lead = (i: number, c: number): Expr => {
    const cache = c > 0 ? rest : first;
    return cache[i] ??= named(b, "member", c > 0 ? seq(sep, i < n ? members[i]! : extra!) : (i < n ? members[i]! : extra!));
  };
  const complete = (seen: number): boolean => (seen & requiredSet) === requiredSet &&
    m.deps.every(([a, targets]) => (seen & (1 << a)) === 0 || targets.every((t) => (seen & (1 << t)) !== 0));
  const rules = new Map<number, Expr>();
  const state = (seen: number, c: number): Expr => {
    if (c > hi) return { t: "alt", items: [] };
    const key = seen * (cap + 1) + c;
    const known = rules.get(key);
    if (known) return known;
    m.tick();
    const id = b.fresh(c === 0 ? "members" : "rest");
    const ref = b.ref(id);
    rules.set(key, ref);
    const parts: Expr[] = [];
    for (let i = 0; i < n; i++) if ((seen & (1 << i)) === 0) parts.push(seq(lead(i, c), state(seen | (1 << i), Math.min(c + 1, cap))));
    if (extra) parts.push(seq(lead(n, c), state(seen, Math.min(c + 1, cap))));
    if (c >= Math.max(lo, 1) && complete(seen)) parts.push(EMPTY);
    b.define(id, alt(...parts));
    return ref;
  };
  return state(0, 0);
}

function named(b: GrammarBuilder, hint: string, expr: Expr): Expr {
  const id = b.fresh(hint);
  b.define(id, expr);
  return b.ref(id);
}
