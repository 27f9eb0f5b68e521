/** Front ends: GBNF, regex and JSON Schema errors name the problem and where; limits bound schema bombs; lenient mode warns. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileConstraint, DEAD, GrammarAutomaton, GrammarError, parseGbnf, regexGrammar, schemaGrammar } from "../../src/grammar/mod.ts";
import type { Grammar } from "../../src/grammar/mod.ts";
import { REFUSED } from "./corpus.ts";

const encoder = new TextEncoder();
function accepts(grammar: Grammar, text: string): boolean {
  const a = new GrammarAutomaton(grammar);
  const s = a.walk(a.start, encoder.encode(text));
  return s !== DEAD && a.accepting(s);
}
function refused(run: () => unknown, pattern: RegExp): GrammarError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof GrammarError, String(err));
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail("expected a GrammarError");
}

describe("GBNF", () => {
  const arith = parseGbnf(`
    # arithmetic, llama.cpp style
    root   ::= expr
    expr   ::= term (("+" | "-") term)*
    term   ::= factor (("*" | "/") factor)*
    factor ::= number | "(" expr ")"
    number ::= [0-9]{1,3} ("." [0-9]+)?
  `);
  test("accepts and rejects", () => {
    for (const ok of ["1", "1+2*3", "(1+2)*3.5", "((7))"]) assert.ok(accepts(arith, ok), ok);
    for (const bad of ["", "1+", "(1", "1234", "1..2", "a"]) assert.ok(!accepts(arith, bad), bad);
  });
  test("classes, negation, escapes, any char, counted repetition", () => {
    const g = parseGbnf('root ::= [^"\\n]+ "\\x21" . [a-c\\]]{2} "é"?');
    assert.ok(accepts(g, "héllo!Zab"));
    assert.ok(accepts(g, "x!😀]]é"));
    assert.ok(!accepts(g, 'a"!Zab'));
    assert.ok(!accepts(g, "x!Za"));
  });
  test("errors carry line:column", () => {
    refused(() => parseGbnf("root ::= x"), /grammar 1:10: rule "x" is used but never defined/);
    refused(() => parseGbnf('root ::= "a\nb"'), /grammar 1:10: unterminated string literal/);
    refused(() => parseGbnf("root ::= [z-a]"), /out of order/);
    refused(() => parseGbnf('item ::= "a"'), /no "root" rule/);
    refused(() => parseGbnf('root ::= "a"\nroot ::= "b"'), /grammar 2:1: rule "root" is defined twice/);
    refused(() => parseGbnf("root ::= a\na ::= a \"x\" | \"y\""), /left-recursive/);
    refused(() => parseGbnf('root ::= "a" root'), /accepts no string/);
    refused(() => parseGbnf('root ::= "a"{5,2}'), /max < min/);
  });
});

describe("regex", () => {
  test("whole-text match", () => {
    const g = regexGrammar("(\\d{3}-)?\\d{4}|[A-Z]+");
    for (const ok of ["555-1234", "1234", "ABC"]) assert.ok(accepts(g, ok), ok);
    for (const bad of ["555-123", "abc", "12345"]) assert.ok(!accepts(g, bad), bad);
  });
  test("refuses backreferences and lookaround with the offset", () => {
    refused(() => regexGrammar("(a)\\1"), /backreference.*offset 3/);
    refused(() => regexGrammar("a(?=b)"), /lookaround/);
    refused(() => regexGrammar("a\\bc"), /\\b/);
  });
});

describe("JSON Schema errors", () => {
  for (const { schema, path, keyword } of REFUSED) {
    test(`${keyword} at ${path}`, () => {
      const err = refused(() => schemaGrammar(schema), new RegExp(keyword.replace("$", "\\$")));
      assert.equal(err.path, path);
      assert.ok(err.message.startsWith(`${path}: `), err.message);
    });
  }
  test("error path uses the request prefix", () => {
    refused(() => schemaGrammar({ type: "object", properties: { x: { type: "array", unevaluatedItems: false } } }, { path: "response_format.json_schema.schema" }),
      /^response_format\.json_schema\.schema\.properties\.x: keyword "unevaluatedItems" is not supported$/);
  });
  test("lenient mode drops with a warning per keyword", () => {
    const { warnings, grammar } = schemaGrammar({ type: "object", properties: { n: { type: "integer", multipleOf: 5000 }, t: { type: "array", items: { type: "string" }, uniqueItems: true } }, required: ["n"], additionalProperties: false }, { lenient: true });
    assert.deepEqual(warnings, [
      'schema.properties.n.multipleOf: keyword "multipleOf" above 1000 is not supported; dropped (lenient)',
      'schema.properties.t.uniqueItems: keyword "uniqueItems" items are not a finite set of values (only enum, const, boolean and null items); dropped (lenient)',
    ]);
    assert.ok(accepts(grammar, '{"n":3}'));
  });
  test("whitespace between tokens is bounded", () => {
    const { grammar } = schemaGrammar({ type: "array", items: { type: "integer" } }, { maxWhitespace: 2 });
    assert.ok(accepts(grammar, "[1,  2]"));
    assert.ok(!accepts(grammar, "[1,   2]"));
  });
});

describe("limits", () => {
  test("a schema bomb is refused, not compiled", () => {
    const bomb = { type: "array", prefixItems: Array.from({ length: 30 }, (_, i) => ({ type: "string", maxLength: 10000 + i })) };
    refused(() => schemaGrammar(bomb), /more than \d+ (rules|grammar elements)/);
  });
  test("too many rules", () => {
    refused(() => parseGbnf(`root ::= "a"{1,10000}{1,10000}{1,10000}`), /more than/);
  });
  test("a state bound stops runaway nesting at match time", () => {
    const g = parseGbnf('root ::= "(" root ")" | ""', { maxRules: 100, maxElements: 1000, maxStates: 20, maxStateWidth: 4096, maxCompileMs: 1000 });
    const a = new GrammarAutomaton(g);
    refused(() => a.walk(a.start, encoder.encode("(".repeat(200))), /more than 20 parser states/);
  });
  test("compiles are cached per source", () => {
    const spec = { kind: "json_schema" as const, schema: { type: "object", properties: { cached: { type: "string" } } } };
    assert.equal(compileConstraint(spec), compileConstraint(spec));
  });
});

describe("zod in the plugin API", () => {
  test("a Zod 4 schema becomes a strict response_format the compiler enforces", async () => {
    const { z } = await import("zod");
    const { zodResponseFormat } = await import("../../src/mod.ts");
    const format = zodResponseFormat("person", z.object({ name: z.string().max(5), age: z.number().int(), role: z.enum(["a", "b"]), tags: z.array(z.string()).optional() }));
    assert.equal(format.json_schema.strict, true);
    const { grammar } = schemaGrammar(format.json_schema.schema);
    assert.ok(accepts(grammar, '{"name":"Ada","age":-3,"role":"b","tags":["x"]}'));
    assert.ok(!accepts(grammar, '{"name":"Ada","age":1.5,"role":"b"}'));
    assert.ok(!accepts(grammar, '{"name":"Ada","age":3,"role":"c"}'));
  });
});
