/**
 * JSON Schema objects to grammar. Members are written in the order `properties` lists them, then the others (with
 * `grammar_options.any_order`, in any order: `any-order.ts`); the grammar walks that list with a small state: how
 * many members are written (for `minProperties` / `maxProperties`) and which later properties `dependentRequired` has
 * made required or forbidden. Keys that are not listed form a string language (not a listed name, per
 * `propertyNames`, per subset of matching `patternProperties`) built as a code point automaton when a trie of names
 * is not enough.
 */
import { type CharDfa, complement, dfaAccepts, dfaExpr, DfaTooLarge, intersect, jsonCharIn, patternDfa, wordsDfa } from "./dfa.ts";
import { anyOrderExpr, anyOrderStates, MAX_ANY_ORDER_PROPERTIES, MAX_ANY_ORDER_STATES } from "./any-order.ts";
import { alt, EMPTY, type Expr, lit, rep, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";
import type { JsonRules } from "./json.ts";
import { boundedExpr, shapedLanguage } from "./shaped.ts";

type Schema = Record<string, unknown>;

/** What the object compiler needs from the schema compiler. */
export interface ObjectContext {
  readonly b: GrammarBuilder;
  readonly json: JsonRules;
  /** Accept the listed properties in any order (`grammar_options.any_order`), not only as listed. */
  readonly anyOrder: boolean;
  visit(schema: unknown, path: string): Expr;
  never(path: string, keyword: string | undefined, message: string): Expr;
  unsupported(path: string, keyword: string, why?: string): void;
  fail(path: string, keyword: string | undefined, message: string): never;
  count(s: Schema, key: string, path: string): number | undefined;
  /** Key strings outside `names` (the trie form; undefined when a name needs escapes). */
  keyNotIn(names: readonly string[], path: string): Expr | undefined;
  /** The language of a `propertyNames` schema, undefined if it constrains nothing. */
  nameLanguage(schema: unknown, path: string): CharDfa | undefined;
}

/** Most patternProperties combined exactly (their subsets each become a key language). */
const MAX_PATTERNS = 3;
/** Most member-list states (index × count × dependency obligations) one object may need. */
const MAX_MEMBER_STATES = 4096;

/** The grammar of the objects `s` accepts. */
export function objectExpr(cx: ObjectContext, s: Schema, path: string): Expr {
  const { json, b } = cx;
  const { ws } = json;
  const tick = () => b.checkTime();
  const props = (s.properties ?? {}) as Schema;
  if (typeof props !== "object" || props === null || Array.isArray(props)) return cx.fail(`${path}.properties`, "properties", "properties must be an object");
  const required = s.required ?? [];
  if (!Array.isArray(required) || required.some((r) => typeof r !== "string")) return cx.fail(`${path}.required`, "required", "required must be an array of strings");
  const additional = s.additionalProperties ?? true;
  const patterns = Object.entries((s.patternProperties ?? {}) as Schema);
  if (typeof s.patternProperties !== "undefined" && (typeof s.patternProperties !== "object" || s.patternProperties === null)) return cx.fail(`${path}.patternProperties`, "patternProperties", "patternProperties must be an object");
  if (patterns.length > MAX_PATTERNS) {
    cx.unsupported(`${path}.patternProperties`, "patternProperties", `with more than ${MAX_PATTERNS} patterns`);
    patterns.length = 0;
  }
  const patternDfas = patterns.map(([p], i) => {
    if (i % 2 === 0) tick();
    return patternDfa(p, "search", `${path}.patternProperties`, tick);
  });
  const names = cx.nameLanguage(s.propertyNames, `${path}.propertyNames`);
  const lo = cx.count(s, "minProperties", path) ?? 0;
  const hi = cx.count(s, "maxProperties", path) ?? Infinity;
  if (hi < lo) return cx.never(`${path}.maxProperties`, "maxProperties", "maxProperties is below minProperties");
  const deps = dependencies(cx, s, path);

  // The schema a key outside `properties` gets: every matching pattern's, else additionalProperties.
  const schemaOf = (name: string): unknown => {
    const matching = patterns.filter((_, i) => dfaAccepts(patternDfas[i]!, name)).map(([, sub]) => sub);
    return matching.length === 0 ? additional : matching.length === 1 ? matching[0] : { allOf: matching };
  };
  const entries: [string, unknown][] = Object.entries(props).map(([name, sub]) => {
    const matching = patterns.filter((_, i) => dfaAccepts(patternDfas[i]!, name)).map(([, p]) => p);
    return [name, matching.length === 0 ? sub : { allOf: [sub, ...matching] }];
  });
  const listed = new Set(entries.map(([n]) => n));
  for (const name of [...required as string[], ...deps.flatMap(([a, bs]) => [a, ...bs])]) {
    if (!listed.has(name)) {
      listed.add(name);
      entries.push([name, schemaOf(name)]);
    }
  }
  const n = entries.length;
  const index = new Map(entries.map(([name], i) => [name, i]));
  const isRequired = entries.map(([name]) => (required as string[]).includes(name));
  const kv = entries.map(([name, sub], i) => {
    if ((i & 63) === 0) tick();
    const value = names && !dfaAccepts(names, name) ? cx.never(`${path}.propertyNames`, "propertyNames", `property ${JSON.stringify(name)} is not a valid name`)
      : cx.visit(sub, `${path}.properties.${name}`);
    return seq(lit(JSON.stringify(name)), ws, lit(":"), ws, value);
  });

  // Members outside the list.
  let extra: Expr | undefined;
  const trie = patterns.length === 0 && names === undefined && additional !== false ? cx.keyNotIn([...listed], `${path}.additionalProperties`) : undefined;
  if (trie) extra = seq(json.quoted(trie), ws, lit(":"), ws, cx.visit(additional, `${path}.additionalProperties`));
  else if (patterns.length > 0 || names !== undefined || additional !== false) {
    try {
      let others = complement(wordsDfa([...listed]));
      if (names) others = intersect(others, names, tick);
      const members: Expr[] = [];
      for (let subset = 0; subset < 1 << patterns.length; subset++) {
        tick();
        let keys = others;
        for (let i = 0; i < patterns.length; i++) keys = intersect(keys, subset & (1 << i) ? patternDfas[i]! : complement(patternDfas[i]!), tick);
        const chosen = patterns.filter((_, i) => subset & (1 << i)).map(([, sub]) => sub);
        const value = chosen.length === 0 ? additional : chosen.length === 1 ? chosen[0] : { allOf: chosen };
        if (value === false) continue;
        // Without listed names the key language is the patterns' own, shared across schemas: its states' frames are
        // analysed once (`shaped.ts`); keys past listed names are character runs already (`runs.ts`).
        const char = (ranges: number[]) => jsonCharIn(ranges, json.char);
        const key = listed.size === 0 ? boundedExpr(shapedLanguage(keys), 0, Infinity, b, "key", char) : dfaExpr(keys, b, "key", char);
        if (key.t === "alt" && key.items.length === 0) continue;
        members.push(seq(json.quoted(key), ws, lit(":"), ws, cx.visit(value, chosen.length === 0 ? `${path}.additionalProperties` : `${path}.patternProperties`)));
      }
      if (members.length > 0) extra = named(b, "other", alt(...members));
    } catch (err) {
      if (!(err instanceof DfaTooLarge)) throw err;
      cx.unsupported(path, patterns.length > 0 ? "patternProperties" : "propertyNames", `cannot be combined exactly here (${err.message})`);
    }
  }

  // Member-list states. Without counts or dependencies this is the plain list: per index, "first member" and "after one".
  const counted = lo > 0 || hi < n + (extra ? Infinity : 0);
  const cap = !counted ? 1 : hi === Infinity ? Math.max(lo, 1) : hi + 1;
  const sep = seq(ws, lit(","), ws);
  // With one member kind (no other keys and at most one listed property, or none listed) every order is the listed one.
  let anyOrder = cx.anyOrder && (n >= 2 || (n === 1 && extra !== undefined));
  if (anyOrder) {
    const keyword = n > MAX_ANY_ORDER_PROPERTIES ? "properties" : anyOrderStates(n, extra !== undefined, cap, hi) <= MAX_ANY_ORDER_STATES ? undefined
      : hi < Infinity ? "maxProperties" : "minProperties";
    if (keyword) {
      const why = keyword === "properties" ? `is limited to ${MAX_ANY_ORDER_PROPERTIES} listed properties (here ${n})` : `needs more than ${MAX_ANY_ORDER_STATES} (seen properties, member count) states`;
      cx.unsupported(`${path}.${keyword}`, keyword, `with properties in any order (grammar_options.any_order) ${why}; lenient mode keeps their listed order`);
      anyOrder = false;
    }
  }
  const value = anyOrder ? kv : counted || deps.length > 0 ? kv.map((e) => named(b, "member", e)) : kv;
  const rules = new Map<string, Expr>();
  // Obligations and prohibitions are index sets of later properties; `c` members written so far (capped).
  const state = (i: number, c: number, must: readonly number[], mustNot: readonly number[]): Expr => {
    if (c > hi) return { t: "alt", items: [] };
    const key = `${i}|${c}|${must.join(",")}|${mustNot.join(",")}`;
    const known = rules.get(key);
    if (known) return known;
    if (rules.size >= MAX_MEMBER_STATES) cx.fail(path, counted ? "maxProperties" : "dependentRequired", `needs more than ${MAX_MEMBER_STATES} member states`);
    tick();
    const id = b.fresh(c === 0 ? "members" : "rest");
    const ref = b.ref(id);
    rules.set(key, ref);
    b.define(id, body(i, c, must, mustNot));
    return ref;
  };
  const body = (i: number, c: number, must: readonly number[], mustNot: readonly number[]): Expr => {
    if (i === n) {
      const kmin = Math.max(0, lo - c, c === 0 ? 1 : 0), kmax = hi - c;
      if (!extra) return kmin === 0 ? EMPTY : { t: "alt", items: [] };
      if (kmax < kmin) return { t: "alt", items: [] };
      if (c > 0) return rep(seq(sep, extra), kmin, kmax);
      return seq(extra, rep(seq(sep, extra), Math.max(0, kmin - 1), kmax - 1));
    }
    const parts: Expr[] = [];
    const later = (xs: readonly number[]) => xs.filter((x) => x > i);
    const needed = isRequired[i] || must.includes(i);
    if (!mustNot.includes(i)) {
      const m = new Set(later(must));
      for (const [a, bs] of deps) if (index.get(a) === i) for (const t of bs) if (index.get(t)! > i) m.add(index.get(t)!);
      const lead = c > 0 ? sep : EMPTY;
      parts.push(seq(lead, value[i]!, state(i + 1, Math.min(c + 1, cap), [...m].sort((x, y) => x - y), later(mustNot))));
    }
    if (!needed) {
      const f = new Set(later(mustNot));
      // An absent target forbids every later trigger that needs it.
      for (const [a, bs] of deps) if (bs.some((t) => index.get(t) === i) && index.get(a)! > i) f.add(index.get(a)!);
      parts.push(state(i + 1, c, later(must), [...f].sort((x, y) => x - y)));
    }
    return alt(...parts);
  };
  const out: Expr[] = [];
  if (lo === 0 && !isRequired.includes(true)) out.push(seq(lit("{"), ws, lit("}")));
  const members = !anyOrder ? state(0, 0, [], []) : anyOrderExpr({
    b, members: kv, required: isRequired, deps: deps.map(([a, bs]) => [index.get(a)!, bs.map((t) => index.get(t)!)] as const), extra, sep, lo, hi, cap, tick,
  });
  out.push(seq(lit("{"), ws, members, ws, lit("}")));
  return alt(...out);
}

/** `dependentRequired` and draft-07 `dependencies` (array form) as [trigger, required names] pairs. */
function dependencies(cx: ObjectContext, s: Schema, path: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const key of ["dependentRequired", "dependencies"] as const) {
    const v = s[key];
    if (v === undefined) continue;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return cx.fail(`${path}.${key}`, key, `${key} must be an object`);
    for (const [trigger, need] of Object.entries(v as Schema)) {
      if (Array.isArray(need) && need.every((x) => typeof x === "string")) {
        if (need.length > 0) out.push([trigger, need as string[]]);
      } else if (key === "dependencies" && (need === true || (typeof need === "object" && need !== null && Object.keys(need).length === 0))) continue;
      else if (key === "dependencies") cx.unsupported(`${path}.dependencies.${trigger}`, "dependencies", "with a schema (not a list of names) is not supported");
      else cx.fail(`${path}.${key}.${trigger}`, key, `${key} values must be arrays of property names`);
    }
  }
  return out;
}

function named(b: GrammarBuilder, hint: string, expr: Expr): Expr {
  const id = b.fresh(hint);
  b.define(id, expr);
  return b.ref(id);
}
