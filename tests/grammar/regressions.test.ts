/** Issue 17's front-end bugs, each on a minimal schema: no schema crashes a request or compiles without bound. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, GrammarError, GrammarLimitError, schemaGrammar } from "../../src/grammar/mod.ts";
import { GrammarBuilder } from "../../src/grammar/grammar.ts";
import { DEFAULT_LIMITS } from "../../src/grammar/errors.ts";

const encoder = new TextEncoder();
function verdicts(schema: unknown, values: unknown[]): boolean[] {
  const a = new GrammarAutomaton(schemaGrammar(schema).grammar);
  return values.map((v) => {
    const s = a.walk(a.start, encoder.encode(JSON.stringify(v)));
    return s !== DEAD && a.accepting(s);
  });
}

describe("regressions (issue 17)", () => {
  test("$ref with a sibling constraint into a recursive definition compiles (was an uncaught RangeError)", () => {
    const schema = { definitions: { node: { type: "object", properties: { v: { type: "integer" }, next: { $ref: "#/definitions/node", required: ["v"] } } } }, $ref: "#/definitions/node" };
    assert.deepEqual(verdicts(schema, [{}, { v: 1, next: { v: 2, next: { v: 3 } } }, { next: {} }, { next: { v: "x" } }]), [true, true, false, false]);
  });
  test("anyOf that merges its siblings into a reference to the root terminates", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } }, anyOf: [{ $ref: "#" }, { required: ["a"] }] };
    assert.throws(() => schemaGrammar(schema), (err: unknown) => err instanceof GrammarError && !(err instanceof RangeError));
  });
  test("fresh rule names are not probed one by one", () => {
    const b = new GrammarBuilder(DEFAULT_LIMITS);
    const t0 = performance.now();
    for (let i = 0; i < 19_000; i++) b.fresh("hint");
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  });
  test("the compile deadline holds inside loops", () => {
    const properties = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`p${i}`, { type: "string" }]));
    const t0 = performance.now();
    assert.throws(() => schemaGrammar({ type: "object", properties }, { limits: { ...DEFAULT_LIMITS, maxCompileMs: 30 } }), GrammarLimitError);
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  });
  test("nesting too deep is a limit error, not a crash", () => {
    let schema: unknown = { type: "integer" };
    for (let i = 0; i < 5000; i++) schema = { type: "array", items: schema };
    assert.throws(() => schemaGrammar(schema), GrammarLimitError);
  });
  test("properties without type constrain objects only", () => {
    const schema = { properties: { a: { type: "integer" } }, required: ["a"] };
    assert.deepEqual(verdicts(schema, ["x", 1, null, [1], { a: 1 }, {}, { a: "x" }]), [true, true, true, true, true, false, false]);
  });
  test("an unsatisfiable optional property is forbidden, not the whole schema refused", () => {
    const schema = { type: "object", properties: { a: { type: "string", enum: [1, 2] }, b: { type: "integer" }, c: false }, additionalProperties: true };
    assert.deepEqual(verdicts(schema, [{ b: 1 }, {}, { a: "1" }, { a: 1 }, { c: 1 }, { d: 1 }]), [true, true, false, false, false, true]);
    assert.throws(() => schemaGrammar({ ...schema, required: ["a"] }), (err: unknown) => err instanceof GrammarError && err.path === "schema.properties.a.enum" && /accepts no value/.test(err.message));
  });
  test("an unsatisfiable anyOf branch only removes that branch", () => {
    assert.deepEqual(verdicts({ anyOf: [{ type: "integer", minimum: 5, maximum: 1 }, { type: "string" }] }, ["x", 3]), [true, false]);
  });
  test("lazy quantifiers match as greedy ones do", () => {
    const schema = { type: "string", pattern: "^a+?b*?c??d{1,2}?$" };
    const values = ["ab", "abd", "aacdd", "ad", "acdd", "d", "abddd"];
    assert.deepEqual(verdicts(schema, values), values.map((v) => /^a+?b*?c??d{1,2}?$/u.test(v)));
  });
  test("^ and $ inside groups at a branch's edge", () => {
    for (const pattern of ["(^a|b)c$", "^(foo$|bar)", "(^[a-z]+$)", "x(y$|z)", "(^|-)id(-|$)"]) {
      const values = ["ac", "xbc", "xac", "foo", "foox", "barx", "abc", "ab1", "xy", "xyq", "xzq", "id", "a-id-b", "aid", "id-"];
      assert.deepEqual(verdicts({ type: "string", pattern }, values), values.map((v) => new RegExp(pattern, "u").test(v)), pattern);
    }
  });
});

describe("no schema crashes a request", () => {
  test("a source nested past the call stack is a GrammarLimitError through the request cache", async () => {
    const { compileConstraint } = await import("../../src/grammar/mod.ts");
    let schema: unknown = { type: "integer" };
    for (let i = 0; i < 20_000; i++) schema = { items: schema };
    assert.throws(() => compileConstraint({ kind: "json_schema", schema }), GrammarLimitError);
  });
});
