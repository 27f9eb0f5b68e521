/**
 * `uniqueItems: true` for arrays whose items come from a small finite set of scalars (an enum, a const, booleans,
 * null): the grammar's state after each element is the set of values written so far, so a repeated value has no
 * transition. Subsets are rules built on demand; the count of elements is the subset's size, which also enforces
 * `minItems` / `maxItems`.
 */
import { alt, EMPTY, type Expr, lit, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";
import { validates } from "./keywords.ts";

type Schema = Record<string, unknown>;

/** Most distinct item values tracked (2^12 subsets at most). */
export const MAX_UNIQUE_VALUES = 12;

/** What the unique-array compiler needs from the schema compiler. */
export interface UniqueContext {
  readonly b: GrammarBuilder;
  readonly json: { readonly ws: Expr; literal(value: unknown): Expr };
  typeAllows(s: Schema, value: unknown): boolean;
  resolve(ref: string, holder: unknown, path: string): unknown;
}

/** The item schema's values when they are a finite set of scalars, else why not. */
export function finiteValues(cx: UniqueContext, item: unknown, path: string, depth = 0): unknown[] | string {
  if (item === false) return [];
  if (typeof item !== "object" || item === null || Array.isArray(item)) return "items are not a finite set of values";
  const s = item as Schema;
  const keys = Object.keys(s).filter(validates);
  if (keys.length === 1 && typeof s.$ref === "string" && depth < 8) return finiteValues(cx, cx.resolve(s.$ref, s, path), path, depth + 1);
  if (keys.some((k) => k !== "type" && k !== "enum" && k !== "const")) return "items are not a finite set of values (only enum, const, boolean and null items)";
  let values: unknown[];
  if (s.const !== undefined) values = Array.isArray(s.enum) && !s.enum.some((v) => JSON.stringify(v) === JSON.stringify(s.const)) ? [] : [s.const];
  else if (Array.isArray(s.enum)) values = s.enum;
  else {
    const types = [s.type].flat();
    if (s.type === undefined || types.some((t) => t !== "boolean" && t !== "null")) return "items are not a finite set of values (only enum, const, boolean and null items)";
    values = [true, false, null];
  }
  values = values.filter((v) => cx.typeAllows(s, v));
  if (values.some((v) => typeof v === "object" && v !== null)) return "items with object or array values are not supported";
  const distinct = [...new Map(values.map((v) => [JSON.stringify(v), v])).values()];
  if (distinct.length > MAX_UNIQUE_VALUES) return `items have ${distinct.length} values (at most ${MAX_UNIQUE_VALUES} are tracked)`;
  return distinct;
}

/** Arrays of distinct `values` with `min`..`max` elements. */
export function uniqueArrayExpr(cx: UniqueContext, values: readonly unknown[], min: number, max: number): Expr {
  const { b, json } = cx;
  const { ws } = json;
  const items = values.map((v) => {
    const id = b.fresh("unique-item");
    b.define(id, json.literal(v));
    return b.ref(id);
  });
  const sep = seq(ws, lit(","), ws);
  const rules = new Map<number, Expr>();
  // The rest of an array whose written values are the set `used`.
  const after = (used: number, size: number): Expr => {
    const known = rules.get(used);
    if (known) return known;
    b.checkTime();
    const id = b.fresh("unique-set");
    const expr = b.ref(id);
    rules.set(used, expr);
    const parts: Expr[] = size >= min ? [EMPTY] : [];
    if (size < max) items.forEach((item, i) => {
      if (!(used & (1 << i))) parts.push(seq(sep, item, after(used | (1 << i), size + 1)));
    });
    b.define(id, alt(...parts));
    return expr;
  };
  const parts: Expr[] = [];
  if (min === 0) parts.push(seq(lit("["), ws, lit("]")));
  if (max > 0 && items.length > 0) parts.push(seq(lit("["), ws, alt(...items.map((item, i) => seq(item, after(1 << i, 1)))), ws, lit("]")));
  return alt(...parts);
}
