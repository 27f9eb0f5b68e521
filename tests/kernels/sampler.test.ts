/** src/sampler: config parsing, and a SamplerChain that is deterministic across kernels and checks its draws. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newMask } from "../../ffi/kernels.ts";
import { parseSamplingConfig, SamplerChain, type SamplingConfig } from "../../src/sampler/mod.ts";
import { implementations, logitsFor, prng, randomLogits } from "./impls.ts";

function config(fields: Record<string, unknown>): SamplingConfig {
  const r = parseSamplingConfig(fields);
  if (!r.ok) throw new Error(r.message);
  return r.config;
}

describe("sampling config", () => {
  test("absent and null fields take llama.cpp defaults", () => {
    const c = config({ temperature: null, top_p: 0.5 });
    assert.equal(c.temperature, 0.8);
    assert.equal(c.top_k, 40);
    assert.equal(c.top_p, 0.5);
    assert.equal(c.min_p, 0.05);
    assert.equal(c.repeat_last_n, 64);
    assert.equal(c.seed, undefined);
  });

  test("every issue is reported with its path", () => {
    const r = parseSamplingConfig({ temperature: -1, mirostat: 1, logit_bias: { abc: 1 } });
    assert.ok(!r.ok);
    assert.match(r.message, /temperature/);
    assert.match(r.message, /mirostat/);
    assert.match(r.message, /logit_bias/);
  });
});

describe("SamplerChain", () => {
  const V = 500;
  const steps = 40;
  const random = prng(9);
  const frames = Array.from({ length: steps }, () => randomLogits(random, V));

  for (const fields of [
    { seed: 7, repeat_penalty: 1.2, frequency_penalty: 0.3, presence_penalty: 0.2, logit_bias: { "3": 2, "4": -100 } },
    { seed: 8, mirostat: 2, mirostat_tau: 4, mirostat_eta: 0.2 },
    { seed: 9, top_k: 0, top_p: 0.8, min_p: 0, typical_p: 0.9 },
  ]) {
    test(`same seed ⇒ same tokens on native, wasm and ts (${Object.keys(fields).join(", ")})`, () => {
      const runs = implementations.map((k) => {
        const chain = SamplerChain.create(k, V, config(fields));
        assert.ok(chain instanceof SamplerChain);
        return frames.map((frame) => {
          const r = chain.sample(logitsFor(k, frame, V));
          assert.ok(r.ok, JSON.stringify(r));
          assert.notEqual(r.token, 4, "a bias of -100 bans the token");
          return [r.token, chain.mu];
        });
      });
      assert.deepEqual(runs[1], runs[0]);
      assert.deepEqual(runs[2], runs[0]);
      if ("mirostat" in fields) assert.notEqual(runs[0]![steps - 1]![1], 8, "mu moves");
    });
  }

  test("masks are honoured, state advances, config errors are data", () => {
    const k = implementations[0]!;
    const chain = SamplerChain.create(k, V, config({ seed: 1 }));
    assert.ok(chain instanceof SamplerChain);
    const mask = newMask(V, false);
    mask[2] = 1 << 5; // only token 69
    const r = chain.sample(logitsFor(k, frames[0]!, V), mask);
    assert.ok(r.ok && r.token === 69 && r.prob === 1);
    assert.equal(chain.step, 1);
    const refused = chain.sample(logitsFor(k, frames[0]!, V), newMask(V, false));
    assert.ok(!refused.ok && refused.status === -4);
    const tooBig = SamplerChain.create(k, V, config({ top_k: V + 1 }));
    assert.ok(!(tooBig instanceof SamplerChain) && /top_k/.test(tooBig.message));
    const outside = SamplerChain.create(k, V, config({ logit_bias: { "999": 1 } }));
    assert.ok(!(outside instanceof SamplerChain) && /outside/.test(outside.message));
  });
});
