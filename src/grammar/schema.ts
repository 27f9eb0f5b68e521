/**
 * JSON Schema to grammar. Every keyword is either enforced exactly, ignored because it is an annotation, or refused
 * with a GrammarError naming the keyword and its JSON path (in `lenient` mode dropped with a warning instead):
 * a schema is never silently weakened. Object properties are generated in the order `properties` lists them
 * (as OpenAI's structured outputs do), additional properties after them.
 */
import { DEFAULT_LIMITS, GrammarError, GrammarLimitError, type GrammarLimits } from "./errors.ts";
import { alt, cps, EMPTY, type Expr, lit, rep, seq } from "./expr.ts";
import { type Grammar, GrammarBuilder } from "./grammar.ts";
import { JsonRules, UNESCAPED } from "./json.ts";
import { anyInteger, anyNumber, type Bound, integerRange, numberRange } from "./numbers.ts";
import { ignoredBecause, validates } from "./keywords.ts";
import { SchemaIndex } from "./refs.ts";
import { boundedExpr, shapedLanguage } from "./shaped.ts";
import { HOSTNAME_MAX, hostLengthDfa, hostnameExpr } from "./hostname.ts";
import { type CharDfa, complement, DfaTooLarge, intersect, jsonCharIn, lengthDfa, patternDfa, trim, wordsDfa } from "./dfa.ts";
import { objectExpr } from "./object.ts";
import { splitConditional } from "./conditional.ts";
import { MAX_MULTIPLE_OF, multipleOfExpr } from "./multiple.ts";
import { finiteValues, uniqueArrayExpr } from "./unique.ts";
import { containsArrayExpr } from "./contains.ts";
import { regexExpr } from "./regex.ts";

/** How a schema is compiled. */
export interface SchemaOptions {
  /** Drop keywords that cannot be enforced (with a warning) instead of refusing the schema. */
  readonly lenient?: boolean;
  /** Most whitespace characters between two JSON tokens (default 8). */
  readonly maxWhitespace?: number;
  /** Compile and runtime bounds. */
  readonly limits?: GrammarLimits;
  /** Prefix of every error path (e.g. `response_format.json_schema.schema`). */
  readonly path?: string;
  /** List ignored keywords (annotations, unknown and extension keywords) among the warnings. */
  readonly reportIgnored?: boolean;
  /** Accept each object's listed properties in any order (each at most once), not only as listed. */
  readonly anyOrder?: boolean;
}

/** A compiled schema and what lenient mode dropped. */
export interface CompiledSchema {
  /** The grammar of the schema's instances. */
  readonly grammar: Grammar;
  /** One line per dropped keyword (lenient) and, with `reportIgnored`, per ignored keyword. */
  readonly warnings: readonly string[];
}

/** The empty language: what an unsatisfiable sub-schema compiles to (lowering prunes every alternative through it). */
const NEVER: Expr = { t: "alt", items: [] };
/** Deepest nesting of schemas (through properties, items, combinators and references) a compile follows. */
const MAX_DEPTH = 256;

/** Default cap on whitespace between tokens. */
export const DEFAULT_MAX_WHITESPACE = 8;

type Schema = Record<string, unknown>;

const SUPPORTED = new Set(["type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "required", "additionalProperties",
  "items", "prefixItems", "additionalItems", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
  "exclusiveMinimum", "exclusiveMaximum", "nullable", "patternProperties", "propertyNames", "minProperties", "maxProperties", "dependentRequired", "dependencies", "not",
  "uniqueItems", "multipleOf", "if", "then", "else", "contains", "minContains", "maxContains"]);
const TYPES = ["null", "boolean", "object", "array", "string", "integer", "number"] as const;
type TypeName = (typeof TYPES)[number];

/**
 * A calendar date (RFC 3339 full-date): days per month, and February 29th only in leap years (divisible by 4, and by
 * 400 when by 100), as a regular language: no Feb 30, no 2023-02-29.
 */
const DATE = "([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)-02-29)";
const TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
/** ISO 8601 duration as JSON Schema reads it: P then date parts (or weeks) and a T with at least one time part. */
const DURATION_TIME = "T([0-9]+H([0-9]+M)?([0-9]+S)?|[0-9]+M([0-9]+S)?|[0-9]+S)";
const DURATION = `P(([0-9]+Y([0-9]+M)?([0-9]+D)?|[0-9]+M([0-9]+D)?|[0-9]+D)(${DURATION_TIME})?|${DURATION_TIME}|[0-9]+W)`;
/** RFC 3986 IPv6address (no zone identifier). */
const H16 = "[0-9A-Fa-f]{1,4}";
const IPV4 = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";
const LS32 = `(${H16}:${H16}|${IPV4})`;
const IPV6 = [
  `(${H16}:){6}${LS32}`, `::(${H16}:){5}${LS32}`, `(${H16})?::(${H16}:){4}${LS32}`, `((${H16}:){0,1}${H16})?::(${H16}:){3}${LS32}`,
  `((${H16}:){0,2}${H16})?::(${H16}:){2}${LS32}`, `((${H16}:){0,3}${H16})?::${H16}:${LS32}`, `((${H16}:){0,4}${H16})?::${LS32}`,
  `((${H16}:){0,5}${H16})?::${H16}`, `((${H16}:){0,6}${H16})?::`,
].join("|");

const UNRESERVED = "A-Za-z0-9._~\\-", SUB_DELIMS = "!$&'()*+,;=", PCT = "%[0-9A-Fa-f]{2}";
/**
 * RFC 3986 URI-reference grammar (ABNF strings case-insensitive) over an unreserved class: ASCII for URIs; for IRIs
 * (RFC 3987) plus `ucschar`, with `iprivate` in the query only (`queryOnly`). IPvFuture stays ASCII in both.
 */
function references(unreserved: string, queryOnly = ""): { absolute: string; relative: string } {
  const pchar = `([${unreserved}${SUB_DELIMS}:@]|${PCT})`;
  const authority = `(([${unreserved}${SUB_DELIMS}:]|${PCT})*@)?(\\[(${IPV6}|[vV][0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+)\\]|([${unreserved}${SUB_DELIMS}]|${PCT})*)(:[0-9]*)?`;
  const pathAbsolute = `/(${pchar}+(/${pchar}*)*)?`;
  const tail = `(\\?([${unreserved}${SUB_DELIMS}:@/?${queryOnly}]|${PCT})*)?(#([${unreserved}${SUB_DELIMS}:@/?]|${PCT})*)?`;
  return {
    absolute: `[A-Za-z][A-Za-z0-9+.-]*:(//${authority}(/${pchar}*)*|${pathAbsolute}|${pchar}+(/${pchar}*)*|)${tail}`,
    relative: `(//${authority}(/${pchar}*)*|${pathAbsolute}|([${unreserved}${SUB_DELIMS}@]|${PCT})+(/${pchar}*)*|)${tail}`,
  };
}
/** RFC 3986 URI-reference: a URI, or a relative reference. */
const URI = references(UNRESERVED);
/** RFC 3987 `ucschar`: planes 1–13 but their last two code points, and U+E1000–U+EFFFD. */
const UCSCHAR = `\\u00A0-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFEF${Array.from({ length: 13 }, (_, i) => `\\u{${(i + 1).toString(16)}0000}-\\u{${(i + 1).toString(16)}FFFD}`).join("")}\\u{E1000}-\\u{EFFFD}`;
/** RFC 3987 IRI-reference: an IRI, or a relative reference; `iprivate` (private use code points) only in a query. */
const IRI = references(`${UNRESERVED}${UCSCHAR}`, "\\uE000-\\uF8FF\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}");
/** RFC 1123 host name labels (1–63 letters, digits, inner hyphens), an optional final dot; the 253-character bound is `hostnameExpr`'s. */
const HOSTNAME_LABELS = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?";

/** Formats as patterns over unescaped string characters. */
const FORMATS: Record<string, string> = {
  date: DATE,
  time: TIME,
  "date-time": `${DATE}[Tt]${TIME}`,
  email: "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+",
  uuid: "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
  uri: "[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?#@!$&'()*+,;=%\\[\\]-]+",
  ipv4: IPV4,
  ipv6: IPV6,
  "uri-reference": `${URI.absolute}|${URI.relative}`,
  iri: IRI.absolute,
  "iri-reference": `${IRI.absolute}|${IRI.relative}`,
  hostname: HOSTNAME_LABELS,
  duration: DURATION,
  // RFC 6901; like every format here, over characters written unescaped.
  "json-pointer": "(/([^~/]|~[01])*)*",
};

/**
 * One value per format, walked position by position by `prepareVocabulary` (src/grammar/vocabulary.ts) so that the wide
 * positions of every format (an email's local part, a URI's path) are analysed once per vocabulary, not per request.
 * Not hostname: its positions are rules of its own grammar (`hostname.ts`), which no other grammar shares.
 */
export const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  date: "2024-01-31", time: "12:30:59.5+01:00", "date-time": "2024-01-31T12:30:59Z", email: "ab.c@ex-1.example.org",
  uuid: "123e4567-e89b-12d3-a456-426614174000", uri: "https://ex.org/a?b=c#d", "uri-reference": "../a/b?c=d#e", ipv4: "192.168.0.1", ipv6: "fe80::1:a0b:2", duration: "P1Y2M3DT4H5M6S",
  "json-pointer": "/a/b~1c/0", iri: "https://例え.jp/パス?q=値#f", "iri-reference": "../パス/b?c=値#e",
};

/** The supported `format` values (documented; anything else is refused). */
export const SUPPORTED_FORMATS: readonly string[] = Object.keys(FORMATS);

/** Why a `format` value is refused (strict) or dropped (lenient). */
function unsupportedFormat(value: unknown): string {
  // Whether a string is a valid ECMAScript pattern depends on group names, backreference numbers and quantifier
  // bounds (`{3,2}`) compared with each other: no grammar of this engine decides it exactly.
  if (value === "regex") return `value "regex" is not supported: pattern validity (group names, backreference numbers, quantifier bounds) is beyond an exact grammar`;
  return `value ${JSON.stringify(value)} is not supported (supported: ${SUPPORTED_FORMATS.join(", ")})`;
}

/** Compiles a JSON Schema (draft 2020-12 subset; draft-7 tuples and draft-4 boolean exclusives accepted). */
export function schemaGrammar(schema: unknown, options: SchemaOptions = {}): CompiledSchema {
  let compiler: SchemaCompiler | undefined;
  try {
    compiler = new SchemaCompiler(schema, options);
    const root = compiler.b.rule("root");
    const ws = compiler.json.ws;
    compiler.b.define(root, seq(ws, compiler.visit(schema, compiler.base), ws));
    return { grammar: compiler.b.build(root), warnings: compiler.warnings };
  } catch (err) {
    // An unsatisfiable part only empties its own alternative; when the whole schema is empty, name the first cause.
    const empty = compiler?.empties[0];
    if (err instanceof GrammarError && empty && /accepts no string/.test(err.message)) throw new GrammarError(`the schema accepts no value: ${empty.message}`, empty.path, empty.keyword);
    // Anything that still recursed too deep is a limit, not a crash of the request.
    if (err instanceof RangeError) throw new GrammarLimitError(`schema too deeply nested or recursive to compile (${err.message})`, options.path ?? "schema");
    throw err;
  }
}

/** `{"type":"json_object"}`: any JSON object. */
export function jsonObjectGrammar(options: SchemaOptions = {}): Grammar {
  return schemaGrammar({ type: "object" }, options).grammar;
}

class SchemaCompiler {
  readonly b: GrammarBuilder;
  readonly json: JsonRules;
  readonly warnings: string[] = [];
  readonly refs = new Map<string, Expr>();
  /** Rules of format- and pattern-shaped strings, by kind and pattern. */
  readonly shapedStrings = new Map<string, Expr>();
  readonly base: string;
  readonly lenient: boolean;
  readonly merging = new Set<string>();
  readonly index: SchemaIndex;
  readonly reportIgnored: boolean;
  readonly anyOrder: boolean;
  readonly seenIgnored = new Set<string>();
  /** Why sub-schemas compiled to the empty language (the first one names the error if the whole schema is empty). */
  readonly empties: { path: string; keyword: string | undefined; message: string }[] = [];
  /** Schemas built by the compiler (allOf merges): compiled once per distinct content, so recursion through them ends. */
  readonly derived = new WeakSet<object>();
  readonly derivedRules = new Map<string, Expr>();
  depth = 0;

  constructor(readonly root: unknown, options: SchemaOptions) {
    this.b = new GrammarBuilder(options.limits ?? DEFAULT_LIMITS);
    this.index = new SchemaIndex(root, () => this.b.checkTime());
    this.reportIgnored = options.reportIgnored === true;
    this.anyOrder = options.anyOrder === true;
    this.json = new JsonRules(this.b, options.maxWhitespace ?? DEFAULT_MAX_WHITESPACE);
    this.base = options.path ?? "schema";
    this.lenient = options.lenient === true;
  }

  fail(path: string, keyword: string | undefined, message: string): never {
    throw new GrammarError(message, path, keyword);
  }

  /** The empty language for an unsatisfiable sub-schema: its alternative disappears (an optional property is then forbidden). */
  never(path: string, keyword: string | undefined, message: string): Expr {
    this.empties.push({ path, keyword, message });
    return NEVER;
  }

  /** Refuses (or in lenient mode drops, with a warning) a keyword that cannot be enforced. */
  unsupported(path: string, keyword: string, why = "is not supported"): void {
    if (!this.lenient) this.fail(path, keyword, `keyword "${keyword}" ${why}`);
    this.warnings.push(`${path}: keyword "${keyword}" ${why}; dropped (lenient)`);
  }

  /** Notes (with `reportIgnored`) a keyword that validates nothing, once per path. */
  ignored(path: string, keyword: string): void {
    if (!this.reportIgnored) return;
    const why = ignoredBecause(keyword);
    const line = `${path}: keyword "${keyword}" ${why}; ignored`;
    if (why !== undefined && !this.seenIgnored.has(line)) {
      this.seenIgnored.add(line);
      this.warnings.push(line);
    }
  }

  visit(schema: unknown, path: string): Expr {
    this.b.checkTime();
    if (schema === true) return this.json.value;
    if (schema === false) return this.never(path, undefined, "schema false accepts no value");
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return this.fail(path, undefined, "a schema must be an object or a boolean");
    if (this.depth >= MAX_DEPTH) throw new GrammarLimitError(`schemas nested deeper than ${MAX_DEPTH}`, path.length > 200 ? `${path.slice(0, 200)}…` : path);
    this.depth++;
    try {
      if (!this.derived.has(schema)) return this.schema(schema as Schema, path);
      const key = `${this.index.baseOf(schema) ?? ""} ${JSON.stringify(schema)}`;
      const known = this.derivedRules.get(key);
      if (known) return known;
      const id = this.b.fresh("merged");
      const expr = this.b.ref(id);
      this.derivedRules.set(key, expr);
      this.b.define(id, this.schema(schema as Schema, path));
      return expr;
    } finally {
      this.depth--;
    }
  }

  schema(s: Schema, path: string): Expr {
    for (const k of Object.keys(s)) {
      if (!validates(k)) this.ignored(path, k);
      else if (!SUPPORTED.has(k)) this.unsupported(path, k);
    }
    if (typeof s.$ref === "string") {
      const rest = constraints(s, ["$ref"]);
      if (Object.keys(rest).length === 0) return this.ref(s.$ref, s, `${path}.$ref`);
      return this.visit(this.merge([rest, { allOf: [{ $ref: this.absoluteRef(s.$ref, s, `${path}.$ref`) }] }], path), path);
    }
    if (s.$ref !== undefined) return this.fail(`${path}.$ref`, "$ref", "$ref must be a string");
    if (s.allOf !== undefined) return this.visit(this.merge([constraints(s, ["allOf"]), ...this.list(s, "allOf", path)], path), path);
    if (s.if !== undefined) {
      const split = splitConditional(s, (x, v) => this.typeAllows(x, v));
      if ("refused" in split) this.unsupported(`${path}.if`, "if", split.refused);
      else {
        const rest = constraints(s, ["if", "then", "else"]);
        return alt(...split.branches.map((branch, i) => this.visit(this.merge([rest, branch], `${path}.${i === 0 ? "then" : "else"}`), `${path}.${i === 0 ? "then" : "else"}`)));
      }
    }
    for (const key of ["anyOf", "oneOf"] as const) {
      if (s[key] === undefined) continue;
      const rest = constraints(s, [key]);
      const branches = this.list(s, key, path);
      const other = key === "anyOf" ? "oneOf" : "anyOf";
      if (rest[other] !== undefined) return this.fail(path, other, `"anyOf" and "oneOf" together are not supported`);
      return alt(...branches.map((b, i) => this.visit(Object.keys(rest).length === 0 ? b : this.merge([rest, b], `${path}.${key}.${i}`), `${path}.${key}.${i}`)));
    }
    const not = this.negation(s, path);
    const allowed = (v: unknown) => !not.types.includes(jsonType(v)) && !(not.types.includes("number") && typeof v === "number") && !not.values.some((x) => JSON.stringify(x) === JSON.stringify(v));
    if (s.const !== undefined && Array.isArray(s.enum) && !s.enum.some((v) => JSON.stringify(v) === JSON.stringify(s.const))) return this.never(`${path}.const`, "const", "the const value is not in the enum");
    if (s.const !== undefined) return allowed(s.const) ? this.literal(s.const, s, `${path}.const`) : this.never(`${path}.not`, "not", "excludes the const value");
    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0) return this.fail(`${path}.enum`, "enum", "enum must be a non-empty array");
      const values = s.enum.filter((v) => this.typeAllows(s, v) && allowed(v));
      if (values.length === 0) return this.never(`${path}.enum`, "enum", "no enum value matches the schema's type");
      return alt(...values.map((v, i) => {
        this.b.checkTime();
        return this.literal(v, s, `${path}.enum.${i}`);
      }));
    }
    let types = this.types(s, path).filter((t) => !not.types.includes(t));
    if (not.types.includes("integer") && !not.types.includes("number") && types.includes("number")) {
      this.unsupported(`${path}.not`, "not", "excluding integers from numbers is not supported");
    }
    if (not.values.includes(null)) types = types.filter((t) => t !== "null");
    const strings = not.values.filter((v): v is string => typeof v === "string");
    return alt(...types.map((t) => {
      if (t === "boolean") return alt(...[true, false].filter((v) => !not.values.includes(v)).map((v) => lit(String(v))));
      return t === "string" ? this.string(s, path, strings) : this.typed(t, s, path);
    }));
  }

  list(s: Schema, key: string, path: string): unknown[] {
    const v = s[key];
    if (!Array.isArray(v) || v.length === 0) return this.fail(`${path}.${key}`, key, `${key} must be a non-empty array of schemas`);
    return v;
  }

  types(s: Schema, path: string): TypeName[] {
    // Without `type`, every type is valid: keywords of one type (properties, minLength…) constrain that type only.
    if (s.type === undefined) return TYPES.filter((t) => t !== "integer");
    const list = [...(Array.isArray(s.type) ? s.type : [s.type]), ...(s.nullable === true ? ["null"] : [])];
    for (const t of list) if (!TYPES.includes(t as TypeName)) this.fail(`${path}.type`, "type", `unknown type ${JSON.stringify(t)}`);
    const types = list as TypeName[];
    return types.includes("number") ? types.filter((t) => t !== "integer") : types;
  }

  typeAllows(s: Schema, value: unknown): boolean {
    if (s.type === undefined) return true;
    const types = [...(Array.isArray(s.type) ? s.type : [s.type]), ...(s.nullable === true ? ["null"] : [])];
    return types.some((t) => jsonType(value) === t || (t === "number" && jsonType(value) === "integer"));
  }

  literal(value: unknown, s: Schema, path: string): Expr {
    if (!this.typeAllows(s, value)) return this.never(path, "const", "value does not match the schema's type");
    return this.json.literal(value);
  }

  typed(t: TypeName, s: Schema, path: string): Expr {
    switch (t) {
      case "null": return lit("null");
      case "boolean": return alt(lit("true"), lit("false"));
      case "string": return this.string(s, path);
      case "integer": return this.integer(s, path);
      case "number": return this.number(s, path);
      case "object": return this.object(s, path);
      case "array": return this.array(s, path);
    }
  }

  count(s: Schema, key: string, path: string): number | undefined {
    const v = s[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return this.fail(`${path}.${key}`, key, `${key} must be a non-negative integer`);
    return v;
  }

  string(s: Schema, path: string, excluded: readonly string[] = []): Expr {
    const min = this.count(s, "minLength", path) ?? 0;
    const max = this.count(s, "maxLength", path) ?? Infinity;
    if (max < min) return this.never(`${path}.maxLength`, "maxLength", "maxLength is below minLength");
    const { json } = this;
    let format: string | undefined;
    if (s.format !== undefined) {
      format = typeof s.format === "string" ? FORMATS[s.format] : undefined;
      if (format === undefined) this.unsupported(`${path}.format`, "format", unsupportedFormat(s.format));
    }
    if (s.pattern !== undefined && typeof s.pattern !== "string") return this.fail(`${path}.pattern`, "pattern", "pattern must be a string");
    const pattern = s.pattern as string | undefined;
    const lengths = min > 0 || max < Infinity;
    const shaped = (key: string, source: string): Expr => {
      // A rule of its own (one per distinct pattern): its body then ends at the closing quote, so the frame analysis
      // of its positions does not depend on where the string sits, and is shared across schemas (TokenMasks).
      const known = this.shapedStrings.get(`${key}:${source}`);
      if (known) return known;
      const rule = this.named(`${key}-string`, json.quoted(regexExpr(source, { mode: key === "format" ? "full" : "search", within: UNESCAPED, filler: json.char, path: `${path}.${key}` })));
      this.shapedStrings.set(`${key}:${source}`, rule);
      return rule;
    };
    const parts = [format, pattern, lengths ? 1 : undefined, excluded.length > 0 ? 1 : undefined].filter((x) => x !== undefined).length;
    const hold = () => format === FORMATS.hostname ? min <= 1 : this.lengthsHold(format !== undefined ? format : pattern!, format !== undefined, min, max, path);
    if (parts <= 1 || (parts === 2 && lengths && (format ?? pattern) !== undefined && hold())) {
      if (format === FORMATS.hostname) return this.hostname(max);
      if (format !== undefined) return shaped("format", format);
      if (pattern !== undefined) return shaped("pattern", pattern);
      if (excluded.length === 0) return json.string(min, max);
    }
    // Several string constraints at once: the intersection of their languages, as an automaton.
    const key = JSON.stringify([format, pattern, min, max, excluded]);
    const known = this.shapedStrings.get(key);
    if (known) return known;
    // The length bound is a counter beside the automaton (`boundedExpr`), so masks can share the automaton's frames.
    const language = this.stringLanguage({ format, pattern, min: 0, max: Infinity, excluded, withinHost: max <= HOSTNAME_MAX }, path);
    const body = language && this.bounded(language, min, max, path);
    if (body === undefined) return json.string(lengths ? min : 0, lengths ? max : Infinity);
    const rule = this.named("shaped-string", json.quoted(body));
    this.shapedStrings.set(key, rule);
    return rule;
  }

  /** A quoted host name of at most `max` characters (`hostname.ts`), one rule per bound and schema. */
  hostname(max: number): Expr {
    const key = `hostname:${Math.min(max, HOSTNAME_MAX + 1)}`;
    let rule = this.shapedStrings.get(key);
    if (!rule) this.shapedStrings.set(key, (rule = this.named("hostname", this.json.quoted(hostnameExpr(this.b, max)))));
    return rule;
  }

  /** Whether every string `source` (a format's or a pattern) matches already has `min`..`max` code points. */
  lengthsHold(source: string, full: boolean, min: number, max: number, path: string): boolean {
    try {
      const d = trim(patternDfa(source, full ? "full" : "search", path, () => this.b.checkTime()));
      const n = d.accept.length;
      // Shortest: breadth-first; longest: longest path in a DAG (a cycle means unbounded).
      const dist = new Array<number>(n).fill(-1);
      dist[0] = 0;
      const queue = [0];
      let shortest = Infinity;
      for (let i = 0; i < queue.length; i++) {
        const q = queue[i]!;
        if (d.accept[q]) shortest = Math.min(shortest, dist[q]!);
        for (const e of d.edges[q]!) if (dist[e.to]! < 0) (dist[e.to] = dist[q]! + 1) && queue.push(e.to);
      }
      const longest = new Array<number>(n).fill(-2);
      const mark = new Uint8Array(n);
      const walk = (q: number): number => {
        if (mark[q] === 1) return Infinity;
        if (mark[q] === 2) return longest[q]!;
        mark[q] = 1;
        let best = d.accept[q] ? 0 : -Infinity;
        for (const e of d.edges[q]!) best = Math.max(best, 1 + walk(e.to));
        mark[q] = 2;
        longest[q] = best;
        return best;
      };
      return shortest >= min && (max === Infinity || (n < 2048 && walk(0) <= max));
    } catch (err) {
      if (err instanceof GrammarError) return false;
      throw err;
    }
  }

  /** The language of several string constraints; refuses (strict) or drops (lenient, undefined) what is too large. */
  stringLanguage(c: { format?: string; pattern?: string; min: number; max: number; excluded: readonly string[]; withinHost?: boolean }, path: string): CharDfa | undefined {
    const tick = () => this.b.checkTime();
    try {
      const parts: CharDfa[] = [];
      if (c.format !== undefined) parts.push(patternDfa(c.format, "full", `${path}.format`, tick));
      // The host name bound, unless a tighter maximum is already the caller's (`string`: lengths come after).
      if (c.format === FORMATS.hostname && !c.withinHost) parts.push(hostLengthDfa());
      if (c.pattern !== undefined) parts.push(patternDfa(c.pattern, "search", `${path}.pattern`, tick));
      if (c.excluded.length > 0) parts.push(complement(wordsDfa(c.excluded)));
      if (c.min > 0 || c.max < Infinity) parts.push(lengthDfa(c.min, c.max));
      return parts.length === 0 ? lengthDfa(0, Infinity) : parts.reduce((a, b) => trim(intersect(a, b, tick)));
    } catch (err) {
      if (!(err instanceof DfaTooLarge)) throw err;
      this.unsupported(path, c.max < Infinity ? "maxLength" : c.min > 0 ? "minLength" : "pattern", `cannot be combined exactly (${err.message})`);
      return undefined;
    }
  }

  /** `language` with `min`..`max` characters as rules (`boundedExpr`); refuses (strict) or drops (lenient, undefined) what is too large. */
  bounded(language: CharDfa, min: number, max: number, path: string): Expr | undefined {
    try {
      return boundedExpr(shapedLanguage(language), min, max, this.b, "chars", (ranges) => jsonCharIn(ranges, this.json.char));
    } catch (err) {
      if (!(err instanceof DfaTooLarge)) throw err;
      this.unsupported(path, max < Infinity ? "maxLength" : "minLength", `cannot be combined exactly (${err.message})`);
      return undefined;
    }
  }

  /** The key language of a `propertyNames` schema (undefined: any key). */
  nameLanguage(schema: unknown, path: string): CharDfa | undefined {
    if (schema === undefined || schema === true) return undefined;
    if (schema === false) return wordsDfa([]);
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return this.fail(path, "propertyNames", "propertyNames must be a schema");
    const s = schema as Schema;
    const keys = Object.keys(s).filter(validates);
    if (keys.length === 0) return undefined;
    const known = ["type", "pattern", "minLength", "maxLength", "format", "enum", "const"];
    const other = keys.find((k) => !known.includes(k));
    if (other !== undefined || (s.type !== undefined && ![s.type].flat().includes("string"))) {
      this.unsupported(path, "propertyNames", `with ${JSON.stringify(other ?? "type")} is not supported (only pattern, format, enum, const and lengths)`);
      return undefined;
    }
    const min = this.count(s, "minLength", path) ?? 0;
    const max = this.count(s, "maxLength", path) ?? Infinity;
    const format = s.format === undefined ? undefined : typeof s.format === "string" ? FORMATS[s.format] : undefined;
    if (s.format !== undefined && format === undefined) this.unsupported(`${path}.format`, "format", unsupportedFormat(s.format));
    let language = this.stringLanguage({ format, pattern: typeof s.pattern === "string" ? s.pattern : undefined, min, max, excluded: [] }, path) ?? lengthDfa(0, Infinity);
    const values = s.const !== undefined ? [s.const] : Array.isArray(s.enum) ? s.enum : undefined;
    if (values) language = intersect(language, wordsDfa(values.filter((v): v is string => typeof v === "string")), () => this.b.checkTime());
    return language;
  }

  /** What `not` excludes: whole types, or values (strings, booleans, null); anything else is refused. */
  negation(s: Schema, path: string): { types: string[]; values: unknown[] } {
    const none = { types: [], values: [] };
    if (s.not === undefined) return none;
    const n = s.not;
    if (n === true) return { types: [...TYPES], values: [] };
    if (n === false) return none;
    const keys = typeof n === "object" && n !== null && !Array.isArray(n) ? Object.keys(n).filter(validates) : ["?"];
    if (keys.length === 0) return { types: [...TYPES], values: [] };
    if (keys.some((k) => k !== "type" && k !== "enum" && k !== "const")) {
      this.unsupported(`${path}.not`, "not", "is supported only over type, enum and const");
      return none;
    }
    const ns = n as Schema;
    if (ns.enum === undefined && ns.const === undefined) {
      const types = [ns.type].flat() as string[];
      return { types: types.includes("number") ? [...types, "integer"] : types, values: [] };
    }
    const values = (ns.const !== undefined ? [ns.const] : Array.isArray(ns.enum) ? ns.enum : []).filter((v) => this.typeAllows(ns, v));
    const odd = values.find((v) => typeof v === "number" || (typeof v === "object" && v !== null));
    if (odd !== undefined) {
      this.unsupported(`${path}.not`, "not", `excluding ${JSON.stringify(odd)} is not supported (only strings, booleans and null)`);
      return none;
    }
    return { types: [], values };
  }

  bounds(s: Schema, path: string, integer: boolean): { lo: Bound; hi: Bound } | undefined | "empty" {
    const read = (key: string): number | undefined => {
      const v = s[key];
      if (v === undefined || typeof v === "boolean") return undefined;
      if (typeof v !== "number" || !Number.isFinite(v)) return this.fail(`${path}.${key}`, key, `${key} must be a number`);
      // Zod 4 writes the safe-integer range as bounds of every int(): no constraint a JSON integer could break usefully.
      if (key.toLowerCase().endsWith("minimum") ? v <= -Number.MAX_SAFE_INTEGER : v >= Number.MAX_SAFE_INTEGER) return undefined;
      if (!Number.isSafeInteger(Math.trunc(v)) || Math.abs(v) > 1e15) return this.fail(`${path}.${key}`, key, `${key} beyond ±1e15 is not supported`);
      return v;
    };
    const min = read("minimum"), max = read("maximum");
    const xmin = s.exclusiveMinimum === true ? min : read("exclusiveMinimum");
    const xmax = s.exclusiveMaximum === true ? max : read("exclusiveMaximum");
    let lo: Bound = { value: -Infinity, exclusive: false }, hi: Bound = { value: Infinity, exclusive: false };
    if (min !== undefined && s.exclusiveMinimum !== true) lo = { value: min, exclusive: false };
    if (xmin !== undefined && xmin >= lo.value) lo = { value: xmin, exclusive: true };
    if (max !== undefined && s.exclusiveMaximum !== true) hi = { value: max, exclusive: false };
    if (xmax !== undefined && xmax <= hi.value) hi = { value: xmax, exclusive: true };
    if (lo.value === -Infinity && hi.value === Infinity) return undefined;
    if (integer) {
      const a = lo.exclusive ? Math.floor(lo.value) + 1 : Math.ceil(lo.value);
      const b = hi.exclusive ? Math.ceil(hi.value) - 1 : Math.floor(hi.value);
      if (a > b) {
        this.never(path, "minimum", "no integer satisfies minimum/maximum");
        return "empty";
      }
      return { lo: { value: a, exclusive: false }, hi: { value: b, exclusive: false } };
    }
    for (const [key, b] of [["minimum", lo], ["maximum", hi]] as const) {
      if (Number.isFinite(b.value) && !Number.isInteger(b.value)) {
        this.unsupported(`${path}.${b.exclusive ? `exclusive${key[0]!.toUpperCase()}${key.slice(1)}` : key}`, key, "with a non-integer bound on a number is not expressible");
        return undefined;
      }
    }
    if (lo.value > hi.value || (lo.value === hi.value && (lo.exclusive || hi.exclusive))) {
      this.never(path, "minimum", "no number satisfies minimum/maximum");
      return "empty";
    }
    return { lo, hi };
  }

  integer(s: Schema, path: string): Expr {
    const multiple = this.multipleOf(s, path);
    if (multiple) return multiple;
    const b = this.bounds(s, path, true);
    return b === "empty" ? NEVER : b ? integerRange(b.lo.value, b.hi.value) : anyInteger();
  }

  number(s: Schema, path: string): Expr {
    // A multiple of an integer is an integer: its digits, then at most a zero fraction (no exponent, as with bounds).
    const multiple = this.multipleOf(s, path);
    if (multiple) return multiple === NEVER ? NEVER : seq(multiple, rep(seq(lit("."), rep(lit("0"), 1, Infinity)), 0, 1));
    const b = this.bounds(s, path, false);
    return b === "empty" ? NEVER : b ? numberRange(b.lo, b.hi) : anyNumber();
  }

  /** The integers `multipleOf` (an integer ≤ MAX_MULTIPLE_OF) and the bounds allow; undefined when it constrains nothing or is dropped. */
  multipleOf(s: Schema, path: string): Expr | undefined {
    const m = s.multipleOf;
    if (m === undefined) return undefined;
    if (typeof m !== "number" || !(m > 0) || !Number.isFinite(m)) return this.fail(`${path}.multipleOf`, "multipleOf", "multipleOf must be a positive number");
    if (!Number.isInteger(m)) {
      // ajv divides in floating point (0.07 / 0.01 is not an integer there): not a language of digits.
      this.unsupported(`${path}.multipleOf`, "multipleOf", "with a non-integer divisor is not supported");
      return undefined;
    }
    if (m > MAX_MULTIPLE_OF) {
      this.unsupported(`${path}.multipleOf`, "multipleOf", `above ${MAX_MULTIPLE_OF} is not supported`);
      return undefined;
    }
    const b = this.bounds(s, path, true);
    if (b === "empty") return NEVER;
    const range = b ? integerRange(b.lo.value, b.hi.value) : anyInteger();
    if (m === 1) return range;
    try {
      return this.named("multiple-of", multipleOfExpr(m, range, this.b, `${path}.multipleOf`));
    } catch (err) {
      if (!(err instanceof DfaTooLarge)) throw err;
      this.unsupported(`${path}.multipleOf`, "multipleOf", `${m} with these bounds needs too large an automaton`);
      return undefined;
    }
  }

  /** A rule for `expr` so it can be referenced several times without copying. */
  named(hint: string, expr: Expr): Expr {
    const id = this.b.fresh(hint);
    this.b.define(id, expr);
    return this.b.ref(id);
  }

  object(s: Schema, path: string): Expr {
    return objectExpr(this, s, path);
  }

  /** String content that is none of `names` (so an additional property never repeats a declared one). */
  keyNotIn(names: readonly string[], _path: string): Expr | undefined {
    const { json } = this;
    if (names.length === 0) return rep(json.char, 0, Infinity);
    // A name with escapes has several spellings: the caller builds the key language as an automaton instead.
    if (names.some((name) => /["\\\u0000-\u001f/]/.test(name))) return undefined;
    interface Node { end: boolean; next: Map<number, Node> }
    const root: Node = { end: false, next: new Map() };
    for (const name of names) {
      this.b.checkTime();
      let node = root;
      for (const ch of name) {
        const cp = ch.codePointAt(0)!;
        let child = node.next.get(cp);
        if (!child) node.next.set(cp, (child = { end: false, next: new Map() }));
        node = child;
      }
      node.end = true;
    }
    const anyTail = rep(json.char, 0, Infinity);
    const escape = seq(lit("\\"), alt(cps(0x22, 0x22, 0x2f, 0x2f, 0x5c, 0x5c, 0x62, 0x62, 0x66, 0x66, 0x6e, 0x6e, 0x72, 0x72, 0x74, 0x74), seq(lit("u"), rep(cps(0x30, 0x39, 0x41, 0x46, 0x61, 0x66), 4, 4))));
    const build = (node: Node): Expr => {
      const parts: Expr[] = [];
      if (!node.end) parts.push(EMPTY);
      for (const [cp, child] of node.next) parts.push(seq(cps(cp, cp), build(child)));
      const taken = [...node.next.keys()].flatMap((cp) => [cp, cp]);
      const others = subtract([...UNESCAPED], taken);
      parts.push(seq(alt(cps(...others), escape), anyTail));
      return this.named("key", alt(...parts));
    };
    return build(root);
  }

  array(s: Schema, path: string): Expr {
    const { ws } = this.json;
    const prefixSource = s.prefixItems ?? (Array.isArray(s.items) ? s.items : []);
    if (!Array.isArray(prefixSource)) return this.fail(`${path}.prefixItems`, "prefixItems", "prefixItems must be an array of schemas");
    const itemsKey = Array.isArray(s.items) ? "additionalItems" : "items";
    const itemSchema = (Array.isArray(s.items) ? s.additionalItems : s.items) ?? true;
    const min = this.count(s, "minItems", path) ?? 0;
    let max = this.count(s, "maxItems", path) ?? Infinity;
    if (itemSchema === false) max = Math.min(max, prefixSource.length);
    if (max < min) return this.never(path, "minItems", "minItems exceeds maxItems (or the items allowed)");
    if (s.contains !== undefined) {
      const why = prefixSource.length > 0 ? "with prefixItems is not supported" : s.uniqueItems === true ? "with uniqueItems is not supported" : undefined;
      const counted = why === undefined ? containsArrayExpr(this, s, itemSchema, min, max, path) : this.unsupported(`${path}.contains`, "contains", why);
      if (counted) return counted;
    }
    if (s.uniqueItems === true && max > 1) {
      const values = prefixSource.length > 0 ? "with prefixItems is not supported" : finiteValues(this, itemSchema, `${path}.${itemsKey}`);
      if (typeof values !== "string") return uniqueArrayExpr(this, values, min, max);
      this.unsupported(`${path}.uniqueItems`, "uniqueItems", values);
    }
    const prefix = prefixSource.slice(0, max === Infinity ? undefined : max).map((p, i) => this.named("item", this.visit(p, `${path}.prefixItems.${i}`)));
    const item = max > prefix.length ? this.named("item", this.visit(itemSchema, `${path}.${itemsKey}`)) : undefined;
    const sep = seq(ws, lit(","), ws);
    // Elements from index k on; the first written element has no separator.
    const from = (k: number): Expr => {
      if (k >= max) return EMPTY;
      const lead = k === 0 ? EMPTY : sep;
      if (k < prefix.length) {
        const e = seq(lead, prefix[k]!, from(k + 1));
        return k < min ? e : rep(e, 0, 1);
      }
      const need = Math.max(0, min - k), room = max - k;
      if (k > 0) return rep(seq(sep, item!), need, room);
      const body = seq(item!, rep(seq(sep, item!), Math.max(0, need - 1), room - 1));
      return need > 0 ? body : rep(body, 0, 1);
    };
    const parts: Expr[] = [];
    if (min === 0) parts.push(seq(lit("["), ws, lit("]")));
    if (max > 0) {
      const first = prefix.length > 0 ? seq(prefix[0]!, from(1)) : seq(item!, rep(seq(sep, item!), Math.max(0, min - 1), max - 1));
      parts.push(seq(lit("["), ws, first, ws, lit("]")));
    }
    return alt(...parts);
  }

  /** A rule per `$ref` target (so recursion works); only references within the schema (`#…`, `$id`, `$anchor`). */
  ref(ref: string, holder: unknown, path: string): Expr {
    const key = this.absoluteRef(ref, holder, path);
    const known = this.refs.get(key);
    if (known) return known;
    const target = this.resolve(ref, holder, path);
    const id = this.b.fresh(`ref-${ref.split(/[/#]/).pop() || "root"}`);
    const expr = this.b.ref(id);
    this.refs.set(key, expr);
    this.b.define(id, this.visit(target, path.replace(/\.\$ref$/, "") + ` (${ref})`));
    return expr;
  }

  /** `ref` as an absolute URI (the same for every spelling of one target). */
  absoluteRef(ref: string, holder: unknown, path: string): string {
    return this.index.absolute(ref, holder) ?? this.fail(path, "$ref", `reference ${JSON.stringify(ref)} is not a valid URI reference`);
  }

  resolve(ref: string, holder: unknown, path: string): unknown {
    const out = this.index.resolve(ref, holder);
    return "error" in out ? this.fail(path, "$ref", out.error) : out.node;
  }

  /** allOf: one schema holding every constraint of the parts (refused where two parts constrain a keyword differently). */
  merge(parts: unknown[], path: string): Schema {
    const out: Schema = {};
    for (const raw of parts) {
      if (raw === true) continue;
      if (raw === false) {
        this.never(path, "allOf", "an allOf part is false");
        out.type = [];
        continue;
      }
      if (typeof raw !== "object" || raw === null) return this.fail(path, "allOf", "allOf parts must be schemas");
      let part = raw as Schema;
      const ref = part.$ref;
      if (typeof ref === "string") {
        const key = this.absoluteRef(ref, part, `${path}.$ref`);
        if (this.merging.has(key)) return this.fail(path, "allOf", `recursive reference ${ref} inside allOf is not supported`);
        this.merging.add(key);
        try {
          part = this.merge([constraints(part, ["$ref"]), this.resolve(ref, part, `${path}.$ref`)], path);
        } finally {
          this.merging.delete(key);
        }
      }
      if (part.allOf !== undefined) part = this.merge([constraints(part, ["allOf"]), ...this.list(part, "allOf", path)], path);
      for (const [k, v] of Object.entries(part)) {
        if (!validates(k)) continue;
        if (!(k in out)) {
          out[k] = v;
          continue;
        }
        const cur = out[k];
        if (k === "properties") {
          const merged: Schema = { ...(cur as Schema) };
          for (const [name, sub] of Object.entries(v as Schema)) {
            merged[name] = name in merged && JSON.stringify(merged[name]) !== JSON.stringify(sub) ? { allOf: [merged[name], sub] } : sub;
          }
          out[k] = merged;
        } else if (k === "enum" && Array.isArray(cur) && Array.isArray(v)) {
          const keep = new Set(v.map((x) => JSON.stringify(x)));
          const both = cur.filter((x) => keep.has(JSON.stringify(x)));
          if (both.length > 0) out[k] = both;
          else {
            this.never(path, "enum", "allOf parts have no enum value in common");
            delete out[k];
            out.type = [];
          }
        } else if (k === "required") out[k] = [...new Set([...(cur as string[]), ...(v as string[])])];
        else if (k === "type") {
          const a = [cur].flat() as string[], b = [v].flat() as string[];
          const both = a.filter((t) => b.includes(t) || (t === "integer" && b.includes("number"))).concat(b.filter((t) => t === "integer" && a.includes("number")));
          if (both.length === 0) this.never(path, "type", `allOf parts have no type in common (${JSON.stringify(cur)} and ${JSON.stringify(v)})`);
          out[k] = [...new Set(both)];
        } else if (k === "minimum" || k === "minLength" || k === "minItems" || k === "exclusiveMinimum") out[k] = Math.max(cur as number, v as number);
        else if (k === "maximum" || k === "maxLength" || k === "maxItems" || k === "exclusiveMaximum") out[k] = Math.min(cur as number, v as number);
        else if (JSON.stringify(cur) !== JSON.stringify(v)) this.unsupported(path, k, "appears in several allOf parts with different values, which is not supported");
      }
    }
    this.derived.add(out);
    return out;
  }
}

/** The schema's validation keywords but `drop`. */
function constraints(s: Schema, drop: string[]): Schema {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !drop.includes(k) && validates(k)));
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Normalized code point ranges minus single code points. */
function subtract(ranges: number[], points: number[]): number[] {
  let out = ranges;
  for (let i = 0; i < points.length; i += 2) {
    const p = points[i]!;
    const next: number[] = [];
    for (let j = 0; j < out.length; j += 2) {
      const lo = out[j]!, hi = out[j + 1]!;
      if (p < lo || p > hi) next.push(lo, hi);
      else {
        if (lo <= p - 1) next.push(lo, p - 1);
        if (p + 1 <= hi) next.push(p + 1, hi);
      }
    }
    out = next;
  }
  return out;
}
