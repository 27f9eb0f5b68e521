/**
 * `if` / `then` / `else` as two alternatives, when the `if` is decided by one property: its `const` / `enum`
 * (`properties: {p: {enum}}`, with or without `required: [p]`) or its presence (`required: [p]`). The `then` branch
 * holds where the `if` holds (every non-object, an object whose `p` is absent or in the set, or present and in the
 * set when required); the `else` branch holds on the other objects. Any other `if` is refused. The condition is
 * merged before the branch, so the deciding property keeps its place in the generated member order.
 */
import { validates } from "./keywords.ts";

type Schema = Record<string, unknown>;

/** The schemas whose union equals the conditional, or a reason it is not decidable this way. */
export type ConditionSplit = { readonly branches: readonly unknown[] } | { readonly refused: string };

/** The `then` and `else` branches (each still to be merged with the rest of the schema). */
export function splitConditional(s: Schema, typeAllows: (s: Schema, v: unknown) => boolean): ConditionSplit {
  const then = s.then ?? true, otherwise = s.else ?? true;
  const cond = s.if;
  if (cond === true) return { branches: [then] };
  if (cond === false) return { branches: [otherwise] };
  if (typeof cond !== "object" || cond === null || Array.isArray(cond)) return { refused: "if must be a schema" };
  const c = cond as Schema;
  const keys = Object.keys(c).filter(validates);
  if (keys.length === 0) return { branches: [then] };
  if (keys.some((k) => k !== "properties" && k !== "required")) return { refused: "is supported only when decided by one property's const, enum or presence" };
  const props = (c.properties ?? {}) as Schema;
  const required = (c.required ?? []) as unknown[];
  if (typeof props !== "object" || props === null || !Array.isArray(required)) return { refused: "if has malformed properties or required" };
  const names = [...new Set([...Object.keys(props), ...required.map(String)])];
  if (names.length !== 1) return { refused: "is supported only when decided by exactly one property" };
  const p = names[0]!;
  const present = required.includes(p);
  const sub = props[p];
  if (sub === undefined || sub === true || (typeof sub === "object" && sub !== null && Object.keys(sub).filter(validates).length === 0)) {
    if (!present) return { branches: [then] };
    // Decided by presence only.
    return { branches: [{ allOf: [{ required: [p] }, then] }, { allOf: [{ type: "object", properties: { [p]: false } }, otherwise] }] };
  }
  if (typeof sub !== "object" || sub === null || Array.isArray(sub)) return { refused: "if's property schema must be an object" };
  const ps = sub as Schema;
  const own = Object.keys(ps).filter(validates);
  if (own.some((k) => k !== "const" && k !== "enum" && k !== "type") || (ps.const === undefined && ps.enum === undefined)) {
    return { refused: "is supported only when its property is decided by const or enum" };
  }
  const values = ps.const !== undefined ? [ps.const] : Array.isArray(ps.enum) ? ps.enum : undefined;
  if (values === undefined) return { refused: "if's enum must be an array" };
  // `type` beside the values only removes values of other types.
  const kept = values.filter((v) => typeAllows(ps, v));
  const inSet: Schema = kept.length === 0 ? { not: true } : { enum: kept };
  const outSet: Schema = kept.length === 0 ? {} : { not: { enum: kept } };
  return present
    ? { branches: [{ allOf: [{ required: [p], properties: { [p]: inSet } }, then] }, { allOf: [{ type: "object", properties: { [p]: outSet } }, otherwise] }] }
    : { branches: [{ allOf: [{ properties: { [p]: inSet } }, then] }, { allOf: [{ type: "object", required: [p], properties: { [p]: outSet } }, otherwise] }] };
}
