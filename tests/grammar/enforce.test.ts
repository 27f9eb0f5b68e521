/** Keywords enforced exactly (issue 17): each schema's verdict on each instance, byte by byte, equals ajv's. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, GrammarError, schemaGrammar } from "../../src/grammar/mod.ts";
import { ajvValid } from "./ajv.ts";

const enc = new TextEncoder();
const cases: [unknown, unknown[]][] = [
  [{ type: "string", format: "email", maxLength: 12 }, ["a@b.co", "abcdefgh@b.co", "abc@de.fg", "x", "a@b"]],
  // Calendar dates: days per month, February 29th in leap years only (divisible by 4; by 400 when by 100).
  [{ type: "string", format: "date" }, ["2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "2024-02-30", "2024-04-31", "2024-04-30", "2024-12-31", "2024-11-31", "0000-02-29", "2024-00-10", "2024-1-01"]],
  [{ type: "string", format: "date-time" }, ["2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2024-06-31T00:00:00+02:00", "2024-06-30T23:59:60.5-05:30", "2024-06-30t10:00:00z", "2024-06-30T24:00:00Z"]],
  [{ type: "string", format: "date", maxLength: 10, pattern: "-02-" }, ["2024-02-29", "2023-02-28", "2023-02-29", "2024-03-01"]],
  [{ type: "string", format: "ipv6" }, ["::1", "::", "fe80::1:a0b:2", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::ffff:192.168.0.1", "::ffff:192.168.0.01", "1::2::3", "12345::", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "g::1"]],
  [{ type: "string", format: "duration" }, ["P1Y", "P", "PT", "PT1H", "P1W", "P1Y2W", "P1Y2M3DT4H5M6S", "P1DT", "PT1M", "P1M1Y", "P0D"]],
  // RFC 1123 host names: labels of 1–63, at most 253 characters but for a final dot; and within a tighter maxLength.
  [{ type: "string", format: "hostname" }, ["example.com", "a", "a.", "a..b", "-a.com", "a-.com", "a-b.c-d", "xn--bcher-kva.example", "123", "a_b", "", ".", "a b", "é.com",
    "L".repeat(63), "L".repeat(64), `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`, `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}.`, `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`]],
  [{ type: "string", format: "hostname", maxLength: 6 }, ["abc.de", "abc.d.", "abc.def", "a-b", "ab-"]],
  // RFC 3986 URI-reference: absolute URIs and relative references.
  [{ type: "string", format: "uri-reference" }, ["", "a", "../a/b?c=d#e", "//host:80/p", "http://[::1]:8080/x", "http://[v1.x]/", "mailto:a@b.c", "a:b:c", "#frag", "?q", "/a//b", "%zz", "a b", "http://a b",
    "http://[::g]/", "1a:b", "a%41b", "http://u@h", "//[::1", "x^y", "a{b}", "é", "urn:isbn:0451450523", "./this:that", "this:that", "//a@b@c", "http://h:8x/", "a#b#c", "?a?b/c", "//", "///"]],
  // RFC 3987 IRIs: ucschar (BMP and astral) where RFC 3986 has unreserved, iprivate in the query only; with a length cap.
  [{ type: "string", format: "iri" }, ["https://例え.jp/パス?q=値#frag", "https://ex.org/😀", "http://a/?\uE000\u{10FFFD}", "http://a/\uE000", "http://a/#\uE000", "http://a/\u{1FFFE}", "http://a/\uFDD0",
    "http://ü@ホスト:80/", "http://[::1]/", "http://[v1.é]/", "http://a/%E4%BE%8B", "http://a/%E4%B", "http://a/ b", "http://a/<b>", "1a:b", "../パス", "x:", "é:x"]],
  [{ type: "string", format: "iri-reference" }, ["../パス/b?c=値#e", "//ホスト", "", "#😀", "?\uE000", "パス:x", "./パス:x", "a#b#c", "http://a/\u{E0001}", "http://a/\u{E1000}"]],
  [{ type: "string", format: "iri", maxLength: 12 }, ["http://例え.jp", "http://例え.jp/x", "x:😀😀😀😀😀😀😀😀😀😀", "x:😀😀😀😀😀😀😀😀😀😀😀", "x:\uE000"]],
  [{ type: "string", pattern: "^[\\u{1F600}-\\u{1F64F}]+$", maxLength: 2 }, ["😀", "😀🙏", "😀🙏😀", "", "😀a"]],
  [{ type: "object", patternProperties: { "^[\\u{1F600}-\\u{1F64F}]$": { type: "integer" } }, propertyNames: { pattern: "^(p|[^\\u0000-\\uFFFF])" }, additionalProperties: false }, [{}, { "😀": 1 }, { "😀": "x" }, { "😀🙏": 1 }, { a: 1 }, { "🚀": 1 }]],
  [{ type: "string", format: "json-pointer", maxLength: 8 }, ["", "/", "/a/b", "a", "/~2", "/~1/~0", "/abcdefgh"]],
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
  // uniqueItems over finite item sets: the set of values written so far is the state.
  [{ type: "array", items: { enum: ["r", "g", "b"] }, uniqueItems: true }, [[], ["r"], ["r", "g", "b"], ["r", "r"], ["g", "b", "g"], ["x"], ["b", "g", "r", "r"]]],
  [{ type: "array", items: { type: "boolean" }, uniqueItems: true, minItems: 2 }, [[], [true], [true, false], [false, true], [true, true], [true, false, true]]],
  [{ type: "array", items: { type: ["boolean", "null"] }, uniqueItems: true, maxItems: 2 }, [[null], [null, true], [null, null], [true, false, null], [1]]],
  [{ type: "array", items: { enum: [1, 2, "1", null, 2] }, uniqueItems: true }, [[1, "1"], [1, 1], [2, null, "1", 1], ["1", "1"], [3]]],
  [{ type: "array", items: { $ref: "#/$defs/c" }, uniqueItems: true, minItems: 1, $defs: { c: { type: "string", enum: ["x", "y", 3] } } }, [[], ["x"], ["x", "y"], ["y", "y"], [3]]],
  [{ type: "array", items: { const: "a" }, uniqueItems: true }, [[], ["a"], ["a", "a"]]],
  [{ type: "array", items: { type: "string" }, uniqueItems: true, maxItems: 1 }, [[], ["a"], ["a", "a"]]],
  [{ type: "array", items: { type: "integer" }, uniqueItems: false }, [[1, 1], ["a"]]],
  // contains: each element matches the contains schema (counted) or its negation; the state is (elements, matches).
  [{ type: "array", contains: { const: "x" } }, [[], ["x"], ["a", "x"], ["a", "b"], [1, "x", null], [1]]],
  [{ type: "array", items: { type: "string" }, contains: { enum: ["a", "b"] }, minContains: 2, maxContains: 3 }, [["a"], ["a", "b"], ["a", "z", "b"], ["a", "b", "a", "b"], ["z", "a", "a", "a"], ["a", 1, "b"]]],
  [{ type: "array", contains: { type: "string" }, minContains: 0, maxContains: 1, maxItems: 3 }, [[], ["a"], ["a", "b"], [1, 1.5, "a"], [1, 2, 3, 4], [null, "x", true]]],
  [{ type: "array", items: { type: ["string", "null"] }, contains: { type: "null" }, minItems: 2 }, [[null], [null, "a"], ["a", "b"], ["a", null, null], [1, null]]],
  [{ type: "array", contains: { enum: ["p", true, null] }, minContains: 3 }, [["p", true, null], ["p", true], ["p", 1, true, "q", "p"], [1, 2, 3]]],
  [{ type: "array", contains: true, minContains: 2, maxContains: 2 }, [[1], [1, 2], [1, 2, 3]]],
  [{ type: "array", contains: false, minContains: 0 }, [[], [1]]],
  // multipleOf on integers: the remainder after each digit is the state.
  [{ type: "integer", multipleOf: 5 }, [0, 5, -5, 10, 12345, 12340, 3, -7, 1e15, 4.0]],
  [{ type: "integer", multipleOf: 7, minimum: 1, maximum: 360 }, [0, 7, 14, 357, 364, 350, -7, 13]],
  [{ type: "integer", multipleOf: 12, exclusiveMinimum: -30, exclusiveMaximum: 24 }, [-36, -24, 0, 12, 24, 36, 6]],
  [{ type: "integer", multipleOf: 1000, minimum: 0 }, [0, 1000, 2000000, 999, -1000]],
  [{ type: "number", multipleOf: 3, maximum: 10.5 }, [0, 3, 9, 12, -3, 1.5, 4, 6.0]],
  [{ type: "object", properties: { n: { type: "integer", multipleOf: 3, minimum: 4, maximum: 5 } } }, [{}, { n: 3 }, { n: 4 }, { n: 6 }]],
  [{ type: "integer", multipleOf: 1 }, [0, 1, -17]],
  // if/then/else decided by one property's const, enum or presence.
  [{ type: "object", properties: { kind: { enum: ["a", "b", "c"] }, x: { type: "integer" } }, if: { properties: { kind: { const: "a" } } }, then: { required: ["x"] }, else: { properties: { x: false } } },
    [{}, { kind: "a" }, { kind: "a", x: 1 }, { kind: "b" }, { kind: "b", x: 1 }, { x: 1 }, { kind: "c", x: "s" }, { kind: "d" }]],
  [{ properties: { kind: { type: "string" } }, if: { properties: { kind: { enum: ["a", "b"] } }, required: ["kind"] }, then: { required: ["n"] }, else: { maxProperties: 1 } },
    [{}, { kind: "a" }, { kind: "a", n: 1 }, { kind: "c", n: 1 }, { kind: "c" }, { n: 1, m: 2 }, 5, "s", null]],
  [{ if: { properties: { on: { const: true } } }, then: { required: ["at"] } }, [{}, { on: true }, { on: true, at: 1 }, { on: false }, 3, []]],
  [{ type: "object", if: { required: ["since"] }, then: { required: ["limit"] }, else: { properties: { limit: false } } }, [{}, { since: 1 }, { since: 1, limit: 2 }, { limit: 2 }, { other: 1 }]],
  [{ if: { properties: { v: { type: "string", enum: ["x", 1] } } }, then: { properties: { w: { type: "integer" } } }, else: { properties: { w: { type: "string" } } } },
    [{ v: "x", w: 1 }, { v: "x", w: "s" }, { v: "y", w: "s" }, { v: "y", w: 1 }, { v: 1, w: 1 }, { v: 1, w: "s" }, { w: 1 }, { w: "s" }]],
  [{ type: "object", properties: { t: { type: "string", enum: ["a", "b"] } }, if: { properties: { t: { const: "a" } } }, then: { properties: { t: { const: "a" } } }, else: false }, [{ t: "a" }, { t: "b" }, {}]],
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

describe("refused in strict mode where not exact", () => {
  const refused: [unknown, string][] = [
    [{ type: "array", items: { type: "string" }, uniqueItems: true }, "uniqueItems"],
    [{ type: "array", items: { enum: Array.from({ length: 13 }, (_, i) => i) }, uniqueItems: true }, "uniqueItems"],
    [{ type: "array", items: { enum: [{ a: 1 }, { b: 2 }] }, uniqueItems: true }, "uniqueItems"],
    [{ type: "array", prefixItems: [{ const: 1 }], items: { const: 1 }, uniqueItems: true }, "uniqueItems"],
    [{ type: "number", multipleOf: 0.01 }, "multipleOf"],
    [{ type: "integer", multipleOf: 1001 }, "multipleOf"],
    [{ type: "integer", multipleOf: 997, minimum: -123456, maximum: 99999999 }, "multipleOf"],
    [{ if: { properties: { a: { minimum: 1 } } }, then: { required: ["b"] } }, "if"],
    [{ if: { properties: { a: { const: 1 }, b: { const: 2 } } }, then: { required: ["c"] } }, "if"],
    [{ if: { type: "string" }, then: { minLength: 1 } }, "if"],
    [{ type: "array", contains: { type: "integer" } }, "contains"],
    [{ type: "array", contains: { enum: [1, 2] }, minContains: 2 }, "contains"],
    [{ type: "array", contains: { type: "string", minLength: 2 } }, "contains"],
    [{ type: "array", prefixItems: [{ type: "string" }], contains: { const: "a" } }, "contains"],
  ];
  for (const [schema, keyword] of refused) {
    test(JSON.stringify(schema), () => {
      assert.throws(() => schemaGrammar(schema), (err: unknown) => err instanceof GrammarError && err.keyword === keyword);
      assert.ok(schemaGrammar(schema, { lenient: true }).warnings.some((w) => w.includes(`"${keyword}"`)));
    });
  }
});
