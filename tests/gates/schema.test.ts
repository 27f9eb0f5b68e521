import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { toJsonSchema } from "@valibot/to-json-schema";
import { compileGates, GateCompileError, GateRuleSchema, type GateRule } from "../../src/gates/mod.ts";
import { OUTPUT_RULES } from "./fixtures.ts";

describe("gate rule schema", () => {
  test("accepts the three rule kinds", () => {
    for (const rule of OUTPUT_RULES) assert.ok(v.safeParse(GateRuleSchema, rule).success, rule.id);
    assert.ok(v.safeParse(GateRuleSchema, { id: "r", type: "regex", pattern: "x+", flags: "i", action: "log", maxLength: 9 }).success);
  });

  test("rejects unknown keys, detectors and actions with paths", () => {
    const bad = [
      { id: "a", type: "pii", detector: "passport", action: "redact" },
      { id: "b", type: "phrases", phrases: [], action: "redact" },
      { id: "c", type: "regex", pattern: "x", action: "shout" },
      { id: "d", type: "regex", pattern: "x", action: "log", maxLenght: 3 },
      { id: "e", type: "regex", pattern: "x", action: "log", maxLength: 0 },
    ] as unknown as GateRule[];
    try {
      compileGates(bad);
      assert.fail("expected GateCompileError");
    } catch (error) {
      assert.ok(error instanceof GateCompileError);
      const paths = error.issues.map((i) => JSON.stringify(i.path));
      for (const path of ['[0,"detector"]', '[1,"phrases"]', '[2,"action"]', '[3,"maxLenght"]', '[4,"maxLength"]']) {
        assert.ok(paths.includes(path), `${path} in ${paths.join(" ")}`);
      }
    }
  });

  test("converts to JSON Schema with descriptions (the policy schema is generated from it)", () => {
    const schema = toJsonSchema(GateRuleSchema) as { description?: string; anyOf?: unknown[]; oneOf?: unknown[] };
    assert.match(schema.description ?? "", /text gate rule/);
    assert.equal((schema.anyOf ?? schema.oneOf)?.length, 4); // pii, phrases, regex, kernel
    assert.match(JSON.stringify(schema), /leftmost-longest/);
  });
});
