/**
 * Schemas shaped to stress mask computation rather than coverage (issue 17's benchmark asks for them beside the
 * corpus): long enums, wide `anyOf`, big alternation patterns (anchored and not), deep recursion, free text, open
 * values. Each has valid and invalid instances; ajv labels them. Used by bench/grammar-broad.bench.ts.
 */
import type { RealWorldEntry } from "./realworld.ts";

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"];
const CODES = Array.from({ length: 240 }, (_, i) => `${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}${i}`);
const prose = "The quick brown fox jumps over the lazy dog; naïve café owners say “hello” — twice, at 10:30.\nThen they leave.";

const tree: Record<string, unknown> = {
  $defs: { node: { type: "object", properties: { name: { type: "string" }, size: { type: "integer", minimum: 0 }, children: { type: "array", items: { $ref: "#/$defs/node" } } }, required: ["name"], additionalProperties: false } },
  $ref: "#/$defs/node",
};
const deep = (n: number): unknown => ({ name: `n${n}`, size: n, children: n === 0 ? [] : [deep(n - 1), { name: "leaf" }] });

/** The stress schemas. */
export const STRESS: readonly RealWorldEntry[] = [
  { name: "long-enum", family: "stress", schema: { type: "object", properties: { countries: { type: "array", items: { enum: CODES } } }, required: ["countries"] }, instances: [{ countries: CODES.filter((_, i) => i % 7 === 0) }, { countries: ["XX"] }] },
  {
    name: "wide-anyOf", family: "stress",
    schema: { type: "array", items: { anyOf: WORDS.slice(0, 20).map((w, i) => ({ type: "object", properties: { kind: { const: w }, [`${w}_value`]: i % 2 ? { type: "integer" } : { type: "string", maxLength: 40 } }, required: ["kind"], additionalProperties: false })) } },
    instances: [WORDS.slice(0, 20).map((w, i) => ({ kind: w, [`${w}_value`]: i % 2 ? i * 37 : `${w} value` })), [{ kind: "zulu" }]],
  },
  { name: "alternation-unanchored", family: "stress", schema: { type: "array", items: { type: "string", pattern: `(${WORDS.join("|")})[0-9]+` } }, instances: [WORDS.map((w, i) => `x ${w}${i} y`), ["none here"]] },
  { name: "alternation-anchored", family: "stress", schema: { type: "object", properties: { call_signs: { type: "array", items: { type: "string", pattern: `^(${WORDS.join("|")})(-(${WORDS.join("|")}))*$` } } } }, instances: [{ call_signs: WORDS.map((w, i) => `${w}-${WORDS[(i * 7) % 26]}`) }, { call_signs: ["alpha-"] }] },
  { name: "deep-recursion", family: "stress", schema: tree, instances: [deep(12), { name: "x", children: [{ size: 1 }] }] },
  {
    name: "free-text", family: "stress",
    schema: { type: "object", properties: { title: { type: "string", maxLength: 200 }, body: { type: "string" }, notes: { type: "array", items: { type: "string", minLength: 1 } } }, required: ["title", "body"], additionalProperties: false },
    instances: [{ title: "Release notes", body: prose.repeat(6), notes: [prose, "ok", "tabs\tand \\ backslashes \"quoted\""] }, { title: 5, body: "" }],
  },
  {
    name: "formats-records", family: "stress",
    schema: { type: "array", items: { type: "object", properties: { id: { type: "string", format: "uuid" }, at: { type: "string", format: "date-time" }, day: { type: "string", format: "date" }, by: { type: "string", format: "email", maxLength: 64 }, site: { type: "string", format: "uri" }, ip: { type: "string", format: "ipv4" } }, required: ["id", "at"], additionalProperties: false } },
    instances: [Array.from({ length: 6 }, (_, i) => ({ id: `123e4567-e89b-12d3-a456-42661417400${i}`, at: `2024-0${i + 1}-1${i}T0${i}:30:00${i % 2 ? "Z" : "+02:00"}`, day: `2023-1${i % 3}-0${i + 1}`, by: `user${i}@example.com`, site: `https://example.com/p/${i}?q=${i}`, ip: `10.0.${i}.${i * 40}` })), [{ id: "x", at: "now" }]],
  },
  {
    name: "numbers-matrix", family: "stress",
    schema: { type: "object", properties: { rows: { type: "array", items: { type: "array", items: { type: "number", minimum: -1000, maximum: 1000 }, minItems: 3, maxItems: 3 } }, scale: { type: "integer", minimum: 1, maximum: 1000000 } }, required: ["rows"] },
    instances: [{ rows: Array.from({ length: 8 }, (_, i) => [i * 1.5, -i * 12.25, 999.875 - i]), scale: 65536 }, { rows: [[1, 2]] }],
  },
  { name: "open-values", family: "stress", schema: { type: "object", properties: { meta: { type: "object" }, extra: {} }, required: ["meta"] }, instances: [{ meta: { a: [1, 2.5, "x", null, { b: true }], "k k": { deep: [[[]]] } }, extra: ["any", 1, { z: null }] }, { meta: [] }] },
  {
    name: "oneOf-events", family: "stress",
    schema: { type: "object", properties: { events: { type: "array", items: { oneOf: [{ type: "object", properties: { type: { const: "click" }, x: { type: "integer" }, y: { type: "integer" } }, required: ["type", "x", "y"], additionalProperties: false }, { type: "object", properties: { type: { const: "key" }, key: { type: "string", maxLength: 12 } }, required: ["type", "key"], additionalProperties: false }, { type: "object", properties: { type: { const: "scroll" }, delta: { type: "number" } }, required: ["type", "delta"], additionalProperties: false }] } } }, required: ["events"] },
    instances: [{ events: Array.from({ length: 9 }, (_, i) => [{ type: "click", x: i, y: i * 3 }, { type: "key", key: `Key${i}` }, { type: "scroll", delta: -i / 4 }][i % 3]) }, { events: [{ type: "click", x: 1 }] }],
  },
];
