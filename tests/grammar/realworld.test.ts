/**
 * Issue 17's evidence: strict mode compiles ≥ 90 % of the real-world-shaped corpus (tests/grammar/realworld.ts), and on
 * every compiled schema rsk's byte-level verdict on every instance equals ajv's. Coverage by keyword family is printed
 * (`bun test tests/grammar/realworld.test.ts`).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, GrammarError, schemaGrammar } from "../../src/grammar/mod.ts";
import { ajvValid } from "./ajv.ts";
import { REAL_WORLD } from "./realworld.ts";

const encoder = new TextEncoder();

/** Keywords (at any depth) a schema uses, for coverage by family. */
function keywordsOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) keywordsOf(x, out);
  else if (typeof node === "object" && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      out.add(k);
      if (k !== "properties" && k !== "enum" && k !== "const" && k !== "examples" && k !== "default") keywordsOf(v, out);
      else if (k === "properties") for (const sub of Object.values(v as object)) keywordsOf(sub, out);
    }
  }
  return out;
}
const FAMILIES: Record<string, string[]> = {
  annotations: ["title", "description", "examples", "example", "default", "readOnly", "$comment", "$schema", "$id", "id", "self", "discriminator", "xml", "externalDocs", "_format"],
  extensions: ["x-go-name", "x-stoplight", "x-kubernetes-group-version-kind", "x-kubernetes-patch-merge-key", "x-kubernetes-int-or-string", "x-format-hint"],
  refs: ["$ref", "definitions", "$defs"],
  strings: ["pattern", "format", "minLength", "maxLength"],
  objects: ["patternProperties", "propertyNames", "minProperties", "maxProperties", "dependentRequired", "dependencies", "additionalProperties"],
  combinators: ["anyOf", "oneOf", "allOf", "not", "if"],
  arrays: ["uniqueItems", "minItems", "maxItems"],
  numbers: ["minimum", "maximum", "multipleOf"],
  nullable: ["nullable"],
};

describe("real-world-shaped corpus (issue 17)", () => {
  const refused = new Map<string, string>();
  const disagreements: string[] = [];
  const byFamily = new Map<string, { n: number; ok: number }>();
  const bySource = new Map<string, { n: number; ok: number }>();
  let checked = 0, valid = 0;
  test("has at least 300 schemas", () => assert.ok(REAL_WORLD.length >= 300, `${REAL_WORLD.length} schemas`));
  // Sixteen schemas per test (one test for all would take minutes on a loaded machine), each with its own timeout.
  for (let from = 0; from < REAL_WORLD.length; from += 16) {
    const chunk = REAL_WORLD.slice(from, from + 16);
    test(`${chunk[0]!.name} … ${chunk.at(-1)!.name}: compile in strict mode, verdicts equal ajv's`, { timeout: 60_000 }, () => {
      for (const entry of chunk) {
        const used = keywordsOf(entry.schema);
        let automaton: GrammarAutomaton | undefined;
        try {
          automaton = new GrammarAutomaton(schemaGrammar(entry.schema).grammar);
        } catch (err) {
          assert.ok(err instanceof GrammarError, `${entry.name}: ${String(err)}`);
          refused.set(entry.name, `${err.keyword ?? "?"} (${err.message.slice(0, 120)})`);
        }
        const tally = (m: Map<string, { n: number; ok: number }>, k: string) => {
          const t = m.get(k) ?? { n: 0, ok: 0 };
          t.n++;
          if (automaton) t.ok++;
          m.set(k, t);
        };
        tally(bySource, entry.family);
        for (const [fam, keys] of Object.entries(FAMILIES)) if (keys.some((k) => used.has(k))) tally(byFamily, fam);
        if (!automaton) continue;
        const labels = entry.instances.map((v) => ajvValid(entry.schema, v));
        assert.ok(labels.includes(true) && labels.includes(false), `${entry.name}: corpus needs valid and invalid instances (ajv: ${labels})`);
        entry.instances.forEach((v, i) => {
          const s = automaton.walk(automaton.start, encoder.encode(JSON.stringify(v)));
          const mine = s !== DEAD && automaton.accepting(s);
          checked++;
          if (labels[i]) valid++;
          if (mine !== labels[i]) disagreements.push(`${entry.name}: ${JSON.stringify(v)} rsk ${mine ? "accepts" : "rejects"}, ajv ${labels[i] ? "accepts" : "rejects"}`);
        });
      }
      assert.deepEqual(disagreements, []);
    });
  }
  test("coverage ≥ 90 % (printed by keyword family)", () => {
    const pct = (t: { n: number; ok: number }) => `${t.ok}/${t.n} (${(100 * t.ok / t.n).toFixed(1)} %)`;
    const compiled = REAL_WORLD.length - refused.size;
    console.log(`strict compile coverage: ${pct({ n: REAL_WORLD.length, ok: compiled })}; instances checked against ajv: ${checked} (${valid} valid), disagreements: ${disagreements.length}`);
    console.log(`by source: ${[...bySource].map(([k, t]) => `${k} ${pct(t)}`).join(", ")}`);
    console.log(`schemas using a keyword family, compiled: ${[...byFamily].map(([k, t]) => `${k} ${pct(t)}`).join(", ")}`);
    const reasons = new Map<string, number>();
    for (const why of refused.values()) reasons.set(why.split(" ")[0]!, (reasons.get(why.split(" ")[0]!) ?? 0) + 1);
    console.log(`refused by keyword: ${[...reasons].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    assert.ok(compiled / REAL_WORLD.length >= 0.9, `coverage ${pct({ n: REAL_WORLD.length, ok: compiled })}; refused:\n${[...refused].map(([k, v]) => `${k}: ${v}`).join("\n")}`);
  });
});
