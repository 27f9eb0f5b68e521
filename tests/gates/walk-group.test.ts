/**
 * The built-in detectors walk together as one product DFA (src/gates/regex/group.ts) and leave it whenever a move
 * needs their own VM. The result must be exactly what each rule's VM gives alone: the same policy is run twice, once
 * as compiled and once with every scanner wrapped so the stream cannot group it, over the evaluation corpus and over
 * random mixes of PII, look-alikes, digits, CJK and prose, whole and in random chunks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { compileRules } from "../../src/gates/compile.ts";
import { HoldBackBuffer, type CompiledRule } from "../../src/gates/stream.ts";
import type { GateRule, GateStep } from "../../src/gates/rule.ts";
import type { RuleScanner } from "../../src/gates/scanner.ts";
import { PII_DETECTORS } from "../../src/gates/mod.ts";
import { buildCorpus } from "../../eval/pii/corpus.ts";
import { chunkAt, LOOKALIKES, PII_SAMPLES } from "./fixtures.ts";

/** The same search behind a plain object: the stream sees no Pike scanner, so the rule always runs alone. */
function alone(s: RuleScanner): RuleScanner {
  return {
    reset: (from, prev) => s.reset(from, prev),
    advance: (text, end) => s.advance(text, end),
    finish: (text, end) => s.finish(text, end),
    keepsAcross: s.keepsAcross && ((resume) => s.keepsAcross!(resume)),
    get liveStart() { return s.liveStart; },
    get final() { return s.final; },
    get matchStart() { return s.matchStart; },
    get matchEnd() { return s.matchEnd; },
  };
}

const policy = (name: string): GateRule[] =>
  (JSON.parse(readFileSync(new URL(`../../policies/${name}.json`, import.meta.url), "utf8")) as { output: GateRule[] }).output;

function run(rules: readonly CompiledRule[], chunks: readonly string[]): GateStep {
  const stream = new HoldBackBuffer(rules);
  const steps = [...chunks.map((c) => stream.push(c)), stream.end()];
  return { text: steps.map((s) => s.text).join(""), findings: steps.flatMap((s) => s.findings) };
}

for (const name of ["default", "strict"]) {
  describe(`grouped detectors = each detector alone (${name} policy)`, () => {
    const grouped = compileRules(policy(name));
    const solo = grouped.map((r): CompiledRule => ({ ...r, createScanner: (shared) => alone(r.createScanner(shared)) }));

    test("the evaluation corpus, whole and in random chunks", () => {
      let seed = 42;
      const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
      for (const doc of buildCorpus({ neutralPerLocale: 1, languagePerLocale: 2, benign: 300 })) {
        const cuts = Array.from({ length: 1 + next() % 12 }, () => next() % (doc.text.length + 1));
        for (const chunks of [[doc.text], chunkAt(doc.text, cuts)]) {
          assert.deepEqual(run(grouped, chunks), run(solo, chunks), JSON.stringify(doc.text));
        }
      }
    });

    test("text varied enough to fill the product table: the walk stops at each new product and the rules go on alone", { timeout: 120_000 }, () => {
      const text = buildCorpus().map((d) => d.text).join(" ");
      const stream = new HoldBackBuffer(grouped);
      const whole = [stream.push(text), stream.end()];
      assert.deepEqual({ text: whole.map((s) => s.text).join(""), findings: whole.flatMap((s) => s.findings) }, run(solo, [text]));
      // The table is shared by the rule list's streams (a private field: this test is about its cap).
      const table = (stream as unknown as { group: { table: { count: number } } }).group.table;
      assert.equal(table.count, 4096);
      const chunks = chunkAt(text, Array.from({ length: 400 }, (_, i) => i * 937));
      assert.deepEqual(run(grouped, chunks), run(solo, chunks));
    });

    test("property: random mixes of values, look-alikes, digits, CJK and prose", () => {
      const values = PII_DETECTORS.flatMap((d) => [...PII_SAMPLES[d], ...LOOKALIKES[d]]);
      const piece = fc.oneof(
        fc.constantFrom(...values),
        fc.constantFrom(" ", "\n", ", ", ". ", "(", ") ", ": ", "-", "@", "the ", "Mr. ", "phone ", "SSN ", "passport no. "),
        fc.constantFrom("4111 1111", "555 0100", "1.2.3.4", "DE89", "AKIA", "東京都", "Ελλάδα", "naïve", "x"),
        fc.stringMatching(/^[A-Za-z0-9 .@:+\-]{1,12}$/),
      );
      fc.assert(fc.property(fc.array(piece, { maxLength: 14 }), fc.array(fc.nat(), { maxLength: 8 }), (pieces, cuts) => {
        const text = pieces.join("");
        const chunks = chunkAt(text, cuts);
        assert.deepEqual(run(grouped, chunks), run(solo, chunks), JSON.stringify(text));
      }), { numRuns: 400 });
    });
  });
}
