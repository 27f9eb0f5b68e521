/**
 * Fixture-model generation under every corpus schema: 20 seeds per schema (n = 20 choices, batched by the engine),
 * each finished completion must parse and validate with ajv, each cut by max_tokens must be a viable prefix.
 * `npm test` runs a representative subset; `npm run test:grammar-corpus` (RSK_GRAMMAR_CORPUS=full) runs all of them.
 * The fixture is a random-weight model: it rarely closes an unbounded string, so many such choices end by length.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { selectKernels } from "../../ffi/mod.ts";
import { LocalBackend } from "../../src/backends/local/backend.ts";
import { ensureFixtureModel, LlamaEngine } from "../../src/backends/local/mod.ts";
import type { BackendRequest } from "../../src/backends/types.ts";
import { compileConstraint, DEAD } from "../../src/grammar/mod.ts";
import { ajvValid } from "./ajv.ts";
import { CORPUS } from "./corpus.ts";

const SEEDS = 20;
const MAX_TOKENS = 96;
const SUBSET = ["integer", "boolean", "len-2-5", "date", "ipv4", "int-neg5-5", "num-0-1", "enum-mixed", "array-exact-3", "tuple-closed",
  "obj-optional", "oneOf-tagged", "ref-linked-list", "weather", "sentiment-batch", "geo-point"];
const entries = process.env.RSK_GRAMMAR_CORPUS === "full" ? CORPUS : CORPUS.filter((c) => SUBSET.includes(c.name));

describe(`fixture generation under ${entries.length} corpus schemas x ${SEEDS} seeds`, () => {
  let backend: LocalBackend;
  const totals = { stop: 0, length: 0 };
  before(async () => {
    const modelPath = await ensureFixtureModel();
    const engine = await LlamaEngine.open({ modelPath, nSeqMax: SEEDS, nCtxPerSequence: 160, nThreads: 1 });
    backend = new LocalBackend(engine, await selectKernels(), modelPath);
  });
  after(() => {
    console.log(`grammar generation: ${totals.stop} finished, ${totals.length} cut by max_tokens=${MAX_TOKENS}`);
    backend.engine.close();
  });

  for (const entry of entries) {
    // 20 sequences decoded on one thread take 4–5 s for the larger schemas on this 2-core box (Bun's default limit is 5 s).
    test(entry.name, { timeout: 60_000 }, async () => {
      const body = {
        model: "fixture", n: SEEDS, seed: 1000, max_tokens: MAX_TOKENS, messages: [{ role: "user" as const, content: "json" }],
        response_format: { type: "json_schema" as const, json_schema: { name: "c", schema: entry.schema } },
        grammar_options: { max_whitespace: 2 },
      };
      const request = { kind: "chat", body, signal: new AbortController().signal } as BackendRequest;
      const texts = new Map<number, string>();
      const finish = new Map<number, string>();
      for await (const event of backend.generate(request)) {
        if (event.type === "text") texts.set(event.choice, (texts.get(event.choice) ?? "") + event.text);
        if (event.type === "finish") finish.set(event.choice, event.reason);
      }
      const { automaton } = compileConstraint({ kind: "json_schema", schema: entry.schema }, { maxWhitespace: 2 });
      assert.equal(finish.size, SEEDS);
      for (let c = 0; c < SEEDS; c++) {
        const text = texts.get(c) ?? "";
        if (finish.get(c) === "stop") {
          totals.stop++;
          let value: unknown;
          assert.doesNotThrow(() => (value = JSON.parse(text)), `choice ${c} is not JSON: ${JSON.stringify(text)}`);
          assert.ok(ajvValid(entry.schema, value), `choice ${c} fails ajv: ${JSON.stringify(text)}`);
        } else {
          assert.equal(finish.get(c), "length");
          totals.length++;
          assert.notEqual(automaton.walk(automaton.start, new TextEncoder().encode(text)), DEAD, `choice ${c} left the grammar: ${JSON.stringify(text)}`);
        }
      }
    });
  }
});
