/** llama.cpp's own sampler chains through the shim (the benchmark's peer for rsk's sampler kernels). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LlamaSamplerChain, type LlamaSamplerConfig } from "../../ffi/llama/sampler.ts";
import { argmax } from "./harness.ts";

const nVocab = 100_277;
const logits = new Float32Array(nVocab);
for (let i = 0; i < nVocab; i++) logits[i] = 3 * Math.sin(i * 12.9898) * Math.cos(i * 0.5);

const chains: LlamaSamplerConfig[] = [
  { kind: "greedy" },
  { kind: "top-k-top-p", topK: 40, topP: 0.95, temperature: 0.8 },
  { kind: "min-p", minP: 0.05, temperature: 1 },
  { kind: "mirostat-v2", tau: 5, eta: 0.1, temperature: 1 },
];

async function draw(config: LlamaSamplerConfig, seed: number, n: number): Promise<number[]> {
  const chain = await LlamaSamplerChain.create(config, nVocab, seed);
  try {
    return Array.from({ length: n }, () => chain.sample(logits));
  } finally {
    chain.close();
  }
}

describe("llama.cpp sampler chains", () => {
  test("greedy picks the argmax", async () => {
    assert.deepEqual(await draw({ kind: "greedy" }, 1, 3), [argmax(logits), argmax(logits), argmax(logits)]);
  });

  for (const config of chains.slice(1)) {
    test(`${config.kind}: valid tokens, reproducible per seed, leaves the logits untouched`, async () => {
      const before = logits.slice();
      const a = await draw(config, 42, 20);
      assert.deepEqual(await draw(config, 42, 20), a);
      assert.notDeepEqual(await draw(config, 7, 20), a);
      for (const token of a) assert.ok(token >= 0 && token < nVocab);
      assert.deepEqual(logits, before);
    });
  }

  test("top-k 40 only ever returns one of the 40 highest logits", async () => {
    const top = new Set(Array.from(logits.keys()).sort((x, y) => logits[y]! - logits[x]!).slice(0, 40));
    for (const token of await draw(chains[1]!, 3, 50)) assert.ok(top.has(token));
  });
});
