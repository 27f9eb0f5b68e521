/**
 * `contains` with `minContains` / `maxContains`: every element either matches the `contains` schema (and counts) or
 * matches its negation, so the grammar's state after each element is (elements written, matches), each capped where
 * no bound needs more. Exact only when a match is decidable element by element with what `not` enforces exactly: a
 * `contains` of `type`, `enum` or `const` (strings, booleans, null; not `integer` within numbers). Anything else is refused (strict) or dropped with a warning (lenient).
 */
import { alt, EMPTY, type Expr, lit, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";
import { validates } from "./keywords.ts";

type Schema = Record<string, unknown>;

/** Most (elements, matches) states one array may need. */
const MAX_CONTAINS_STATES = 4096;

/** What the `contains` compiler needs from the schema compiler. */
export interface ContainsContext {
  readonly b: GrammarBuilder;
  readonly json: { readonly ws: Expr };
  visit(schema: unknown, path: string): Expr;
  named(hint: string, expr: Expr): Expr;
  count(s: Schema, key: string, path: string): number | undefined;
  unsupported(path: string, keyword: string, why?: string): void;
  fail(path: string, keyword: string | undefined, message: string): never;
  never(path: string, keyword: string | undefined, message: string): Expr;
}

/**
 * Arrays of `item` elements with `min`..`max` elements of which `minContains`..`maxContains` match `s.contains`;
 * undefined when `contains` is not enforceable (lenient mode then ignores it).
 */
export function containsArrayExpr(cx: ContainsContext, s: Schema, item: unknown, min: number, max: number, path: string): Expr | undefined {
  const contains = s.contains;
  if (typeof contains === "object" && contains !== null && !Array.isArray(contains)) {
    const other = Object.keys(contains).filter(validates).find((k) => k !== "type" && k !== "enum" && k !== "const");
    const c = contains as Schema, values = c.const !== undefined ? [c.const] : Array.isArray(c.enum) ? c.enum : [];
    const why = other !== undefined ? `with ${JSON.stringify(other)} is not supported (a match must be decidable per element: type, enum or const)`
      : values.some((v) => typeof v === "number" || (typeof v === "object" && v !== null)) ? "with number, object or array values is not supported"
      : [c.type].flat().includes("integer") ? "of type integer is not supported (an integer is not told from a number per element)"
      : undefined;
    if (why !== undefined) {
      cx.unsupported(`${path}.contains`, "contains", why);
      return undefined;
    }
  } else if (typeof contains !== "boolean") return cx.fail(`${path}.contains`, "contains", "contains must be a schema");
  const minC = cx.count(s, "minContains", path) ?? 1;
  const maxC = cx.count(s, "maxContains", path) ?? Infinity;
  if (maxC < minC) return cx.never(`${path}.maxContains`, "maxContains", "maxContains is below minContains");
  const both = (x: unknown) => (item === true ? x : { allOf: [item, x] });
  const hit = cx.named("contains-hit", contains === true ? cx.visit(item, `${path}.items`) : contains === false ? EMPTY_LANGUAGE : cx.visit(both(contains), `${path}.contains`));
  const miss = cx.named("contains-miss", contains === true ? EMPTY_LANGUAGE : cx.visit(contains === false ? item : both({ not: contains }), `${path}.items`));
  const { b } = cx, { ws } = cx.json;
  const sep = seq(ws, lit(","), ws);
  // Past every bound that matters a counter stops growing: elements at minItems when unbounded above, matches at minContains.
  const nextN = (n: number) => (max === Infinity ? Math.min(n + 1, min) : n + 1);
  const nextC = (c: number) => (maxC === Infinity ? Math.min(c + 1, minC) : c + 1);
  const rules = new Map<string, Expr>();
  const after = (n: number, c: number): Expr => {
    const key = `${n},${c}`;
    const known = rules.get(key);
    if (known) return known;
    if (rules.size >= MAX_CONTAINS_STATES) cx.fail(path, "contains", `needs more than ${MAX_CONTAINS_STATES} (elements, matches) states`);
    b.checkTime();
    const id = b.fresh("contains-rest");
    const expr = b.ref(id);
    rules.set(key, expr);
    const parts: Expr[] = n >= min && c >= minC ? [EMPTY] : [];
    if (n < max) {
      if (c < maxC) parts.push(seq(sep, hit, after(nextN(n), nextC(c))));
      parts.push(seq(sep, miss, after(nextN(n), c)));
    }
    b.define(id, alt(...parts));
    return expr;
  };
  const parts: Expr[] = [];
  if (min === 0 && minC === 0) parts.push(seq(lit("["), ws, lit("]")));
  if (max > 0) {
    const first: Expr[] = [seq(miss, after(nextN(0), 0))];
    if (maxC > 0) first.unshift(seq(hit, after(nextN(0), nextC(0))));
    parts.push(seq(lit("["), ws, alt(...first), ws, lit("]")));
  }
  return alt(...parts);
}

/** The language of no value (a `false` schema's). */
const EMPTY_LANGUAGE: Expr = { t: "alt", items: [] };
