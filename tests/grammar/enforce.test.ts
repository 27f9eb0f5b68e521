/** Keywords enforced exactly (issue 17): each schema's verdict on each instance, byte by byte, equals ajv's. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, schemaGrammar } from "../../src/grammar/mod.ts";
import { ajvValid } from "./ajv.ts";

const enc = new TextEncoder();
const cases: [unknown, unknown[]][] = [
  [{ type: "string", format: "email", maxLength: 12 }, ["a@b.co", "abcdefgh@b.co", "abc@de.fg", "x", "a@b"]],
  [{ type: "string", pattern: "^[a-z]+$", minLength: 2, maxLength: 4 }, ["ab", "abcd", "a", "abcde", "ab1"]],
  [{ type: "string", format: "date", pattern: "^2024" }, ["2024-01-01", "2023-01-01", "2024-13-01"]],
  [{ type: "object", minProperties: 1, maxProperties: 2 }, [{}, { a: 1 }, { a: 1, b: 2 }, { a: 1, b: 2, c: 3 }]],
  [{ type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, minProperties: 1 }, [{}, { a: 1 }, { b: 1 }, { a: 1, b: 1 }, { c: 1 }]],
  [{ type: "object", properties: { a: { type: "integer" }, b: { type: "integer" }, c: {} }, dependentRequired: { a: ["b"], c: ["a"] } }, [{}, { a: 1 }, { a: 1, b: 1 }, { b: 1 }, { c: 1 }, { a: 1, b: 2, c: 3 }, { b: 1, c: 1 }]],
  [{ type: "object", properties: { a: { type: "integer" } }, dependencies: { b: ["a"] } }, [{}, { b: 1 }, { a: 1, b: 1 }, { a: 1 }]],
  [{ type: "object", propertyNames: { pattern: "^[a-z]+$" } }, [{}, { abc: 1 }, { Abc: 1 }, { a1: 2 }]],
  [{ type: "object", propertyNames: { enum: ["x", "y"] }, properties: { z: {} } }, [{}, { x: 1 }, { z: 1 }, { x: 1, y: 2 }, { w: 1 }]],
  [{ type: "object", propertyNames: { maxLength: 2 } }, [{ ab: 1 }, { abc: 1 }]],
  [{ type: "object", patternProperties: { "^x-": { type: "string" } }, additionalProperties: false }, [{}, { "x-a": "s" }, { "x-a": 1 }, { y: "s" }]],
  [{ type: "object", properties: { id: { type: "integer" } }, patternProperties: { "^s_": { type: "string" }, "_n$": { type: "number" } }, additionalProperties: { type: "boolean" } }, [{ id: 1 }, { id: 1, s_a: "x" }, { s_a: 1 }, { a_n: 1 }, { s_n: 1 }, { s_n: "x" }, { q: true }, { q: 1 }]],
  [{ not: { type: "null" } }, [null, 1, "a", {}]],
  [{ type: "string", not: { enum: ["a", "b"] } }, ["a", "b", "c", "ab", ""]],
  [{ not: { const: true } }, [true, false, null]],
  [{ type: "object", properties: { "a/b": { type: "integer" }, 'q"': {} }, additionalProperties: { type: "string" } }, [{ "a/b": 1 }, { "a/b": "x" }, { c: "x" }, { c: 1 }, { 'q"': 1 }]],
];

describe("enforced exactly, as ajv judges", () => {
  for (const [schema, values] of cases) {
    test(JSON.stringify(schema), () => {
      const a = new GrammarAutomaton(schemaGrammar(schema).grammar);
      for (const v of values) {
        const s = a.walk(a.start, enc.encode(JSON.stringify(v)));
        assert.equal(s !== DEAD && a.accepting(s), ajvValid(schema as Record<string, unknown>, v), JSON.stringify(v));
      }
    });
  }
});
