/** Strict mode ignores what validates nothing (annotations, unknown and extension keywords) and resolves `$ref` by `$id` / `id` / `$anchor`. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileConstraint, DEAD, GrammarAutomaton, GrammarError, schemaGrammar } from "../../src/grammar/mod.ts";
import { requestConstraint } from "../../src/grammar/request.ts";

const encoder = new TextEncoder();
function accepts(schema: unknown, text: string): boolean {
  const a = new GrammarAutomaton(schemaGrammar(schema).grammar);
  const s = a.walk(a.start, encoder.encode(text));
  return s !== DEAD && a.accepting(s);
}

const annotated = {
  $schema: "http://json-schema.org/draft-04/schema#", id: "http://example.com/x.json", title: "T", description: "d", $comment: "c",
  self: { vendor: "com.acme", name: "event", format: "jsonschema", version: "1-0-0" }, "x-kubernetes-group-version-kind": [{ group: "" }],
  _format: "int", _uniqueItems: true, readonly: true, example: { a: 1 }, examples: [{ a: 2 }], links: [], preferredOrder: ["a"],
  discriminator: { propertyName: "a" }, xml: { name: "x" }, externalDocs: { url: "https://x" }, deprecated: false,
  type: "object", properties: { a: { type: "integer", readOnly: true, default: 3, "x-order": 1, contentMediaType: "text/plain" } }, required: ["a"], additionalProperties: false,
};

describe("ignored keywords", () => {
  test("annotations and unknown keywords compile in strict mode", () => {
    assert.ok(accepts(annotated, '{"a":1}'));
    assert.ok(!accepts(annotated, '{"a":"x"}'));
    assert.deepEqual(schemaGrammar(annotated).warnings, []);
  });
  test("reportIgnored lists them with their paths", () => {
    const { warnings } = schemaGrammar(annotated, { reportIgnored: true });
    assert.ok(warnings.includes('schema: keyword "self" is not a JSON Schema validation keyword; ignored'), warnings.join("\n"));
    assert.ok(warnings.includes('schema: keyword "title" is an annotation; ignored'));
    assert.ok(warnings.includes('schema.properties.a: keyword "x-order" is not a JSON Schema validation keyword; ignored'));
    assert.ok(!warnings.some((w) => w.includes('"definitions"')));
  });
  test("known validation keywords are still refused with their path", () => {
    assert.throws(() => schemaGrammar({ type: "object", properties: { a: { type: "array", "x-note": 1, unevaluatedItems: false } } }),
      (err: unknown) => err instanceof GrammarError && err.path === "schema.properties.a" && err.keyword === "unevaluatedItems");
  });
  test("nullable (OpenAPI 3.0) adds null", () => {
    assert.ok(accepts({ type: "string", nullable: true }, "null"));
    assert.ok(!accepts({ type: "string", nullable: false }, "null"));
  });
  test("grammar_options.report_ignored reaches the warnings", () => {
    const schema = { type: "object", title: "only-here-1" };
    const quiet = requestConstraint({ response_format: { type: "json_schema", json_schema: { schema } } });
    const loud = requestConstraint({ response_format: { type: "json_schema", json_schema: { schema } }, grammar_options: { report_ignored: true } });
    assert.deepEqual(quiet?.warnings, []);
    assert.deepEqual(loud?.warnings, ['response_format.json_schema.schema: keyword "title" is an annotation; ignored']);
    assert.notEqual(quiet, loud);
  });
});

describe("$ref resolution", () => {
  const cases: [string, unknown, string[], string[]][] = [
    ["draft-04 id and definitions", { id: "http://x.org/root.json", definitions: { n: { type: "integer" } }, $ref: "http://x.org/root.json#/definitions/n" }, ["1"], ['"a"']],
    ["draft-07 $id plain-name fragment", { definitions: { n: { $id: "#num", type: "integer" } }, type: "array", items: { $ref: "#num" } }, ["[1,2]"], ['["a"]']],
    ["2020-12 $anchor", { $defs: { n: { $anchor: "num", type: "integer" } }, type: "array", items: { $ref: "#num" } }, ["[1]"], ["[1.5]"]],
    ["relative $id of an embedded resource", { $id: "https://x.org/a/root.json", $defs: { item: { $id: "item.json", type: "object", properties: { b: { $ref: "#/$defs/b" } }, required: ["b"], $defs: { b: { type: "boolean" } } } }, $ref: "item.json" }, ['{"b":true}'], ['{"b":1}']],
    ["pointer escapes ~0 ~1 and %25", { $defs: { "a/b": { type: "integer" }, "c~d": { type: "string" }, "e%f": { type: "null" } }, type: "array", prefixItems: [{ $ref: "#/$defs/a~1b" }, { $ref: "#/$defs/c~0d" }, { $ref: "#/$defs/e%25f" }], items: false }, ['[1,"x",null]'], ['["x"]']],
    ["ref to the root by its $id", { $id: "https://x.org/t.json", type: "object", properties: { next: { $ref: "https://x.org/t.json" } }, additionalProperties: false }, ['{"next":{"next":{}}}'], ['{"next":1}']],
  ];
  for (const [name, schema, ok, bad] of cases) {
    test(name, () => {
      for (const t of ok) assert.ok(accepts(schema, t), t);
      for (const t of bad) assert.ok(!accepts(schema, t), t);
    });
  }
  test("remote and missing references are refused", () => {
    assert.throws(() => schemaGrammar({ $ref: "https://elsewhere.org/s.json" }), /does not resolve/);
    assert.throws(() => schemaGrammar({ $ref: "#nope" }), /names no \$id/);
  });
  test("compiles through the request cache", () => {
    assert.ok(compileConstraint({ kind: "json_schema", schema: cases[1]![1] }).automaton);
  });
});
