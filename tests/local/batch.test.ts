/** The decode loop samples all of a step's sequences in one batched kernel call, drawing what per-row picks draw. */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { logitsOf, loadKernelsOf, type Kernels } from "../../ffi/mod.ts";
import type { LlamaEngine } from "../../src/backends/local/engine.ts";
import type { BatchedPick, PickToken } from "../../src/backends/local/sequence.ts";
import { SamplerChain, parseSamplingConfig } from "../../src/sampler/mod.ts";
import { collect, fixtureEngine } from "./harness.ts";

/** A seeded chain's pick, with (`batched`) or without the batch protocol. */
function pickOf(kernels: Kernels, vocab: number, seed: number, batched: boolean): PickToken {
  const parsed = parseSamplingConfig({ seed, temperature: 0.9, top_k: 30, top_p: 0.95, repeat_penalty: 1.2, logit_bias: { "7": 2 } });
  assert.ok(parsed.ok);
  const chain = SamplerChain.create(kernels, vocab, parsed.config);
  assert.ok(chain instanceof SamplerChain);
  const token = (r: ReturnType<typeof chain.sample>) => {
    if (!r.ok) throw new Error(r.message);
    return r.token;
  };
  const pick = (row: Float32Array) => token(chain.sample(logitsOf(row, vocab)));
  if (!batched) return pick;
  const protocol: BatchedPick = {
    kernels,
    tokens: chain.batchTokens,
    stage: (batch, row) => chain.stage(batch, row),
    finish: (batch, row) => token(chain.finish(batch, row)),
  };
  return Object.assign(pick, { batched: protocol });
}

describe("batched sampling in the decode loop", () => {
  let engine: LlamaEngine | undefined;
  after(() => engine?.close());

  for (const kind of ["native", "wasm"] as const) {
    test(`${kind}: 6 concurrent seeded sequences draw the same tokens batched as picked one by one`, { timeout: 120_000 }, async () => {
      engine ??= await fixtureEngine({ nSeqMax: 8 });
      const kernels = await loadKernelsOf(kind);
      const vocab = engine.model.nVocab;
      const prompts = Array.from({ length: 6 }, (_, i) => engine!.model.tokenizeChat([{ role: "user", content: `story ${i}` }]));
      const run = (batched: boolean) =>
        Promise.all(prompts.map((prompt, i) => collect(engine!.generate({ prompt, maxTokens: 10, pick: pickOf(kernels, vocab, 40 + i, batched) }))));
      const one = await run(false);
      const before = engine.stats.batchedSteps;
      const all = await run(true);
      assert.ok(engine.stats.batchedSteps - before >= 9, `${engine.stats.batchedSteps - before} batched steps`);
      all.forEach((r, i) => assert.deepEqual(r.finish.tokens, one[i]!.finish.tokens, `sequence ${i}`));
    });
  }

  test("a refused row ends only its own request", { timeout: 60_000 }, async () => {
    engine ??= await fixtureEngine({ nSeqMax: 8 });
    const kernels = await loadKernelsOf("native");
    const vocab = engine.model.nVocab;
    const prompt = engine.model.tokenizeChat([{ role: "user", content: "refuse" }]);
    const good = pickOf(kernels, vocab, 1, true);
    const bad = pickOf(kernels, vocab, 2, true);
    const failing: PickToken = Object.assign(bad, {
      batched: { ...bad.batched!, finish: (): number => { throw new Error("refused by the test"); } },
    });
    const [a, b] = await Promise.all([collect(engine.generate({ prompt, maxTokens: 5, pick: good })), engine.generate({ prompt, maxTokens: 5, pick: failing }).finish]);
    assert.equal(a.finish.completionTokens, 5);
    assert.equal(b.reason, "error");
    assert.match(String(b.error), /refused by the test/);
  });
});
