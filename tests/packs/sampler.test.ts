/** Pack sampler kernels: rsk.wasm's sampling export shipped in a signed pack draws what the built-in kernels draw, alone, batched and in a sampler chain. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { rowResult, stageRow } from "../../ffi/batch.ts";
import { logitsOf } from "../../ffi/kernels.ts";
import { referenceKernels } from "../../ffi/reference.ts";
import { GateKernelTable } from "../../src/gates/kernel/table.ts";
import type { PackManifest, SamplerVectorSpec } from "../../src/packs/manifest.ts";
import { PackRegistry } from "../../src/packs/registry.ts";
import { packSampling } from "../../src/packs/pack-sampling.ts";
import { NEUTRAL_PARAMS, SamplerKernelError } from "../../src/packs/sampler.ts";
import { SamplerChain, parseSamplingConfig } from "../../src/sampler/mod.ts";
import { packFiles, sha256, type TestKey, testKey } from "./fixture.ts";

const RSK_WASM = new Uint8Array(readFileSync(new URL("../../kernels/rsk.wasm", import.meta.url)));
const reference = referenceKernels();

/** Deterministic logits (a small LCG), so vectors are the same on every run. */
function logits(vocab: number, seed: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: vocab }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 8 - 4);
}

/** The token the TS reference kernels draw for a vector's logits and params. */
function referenceToken(vector: Omit<SamplerVectorSpec, "token">): number {
  const draw = reference.sample(logitsOf(Float32Array.from(vector.logits), vector.logits.length), { params: { ...NEUTRAL_PARAMS, ...vector.params } });
  assert.ok(draw.ok);
  return draw.token;
}

/** Golden vectors: greedy, top-k, top-p + temperature, Mirostat 2.0, each drawn by the reference kernels. */
function goldenVectors(): SamplerVectorSpec[] {
  const inputs: Omit<SamplerVectorSpec, "token">[] = [
    { logits: logits(64, 1), params: { temperature: 0 } },
    { logits: logits(256, 2), params: { topK: 40, seed: 7, step: 1 } },
    { logits: logits(1000, 3), params: { topP: 0.9, temperature: 0.8, seed: 42, step: 3 } },
    { logits: logits(512, 4), params: { mirostat: 2, tau: 5, eta: 0.1, mu: 10, seed: 5 } },
  ];
  return inputs.map((v) => ({ ...v, token: referenceToken(v) }));
}

/** A pack `id` whose one sampler kernel is rsk.wasm, under `budgetMs`, with `vectors`. */
async function samplerPack(key: TestKey, id: string, vectors = goldenVectors(), budgetMs = 50) {
  return packFiles({
    key, files: { "sampler.wasm": RSK_WASM },
    manifest: (m: PackManifest) => {
      m.id = id;
      m.kernels = [{ name: "rsk", kind: "sampler", file: "sampler.wasm", sha256: sha256(RSK_WASM), budgetMs, selfTest: vectors }];
    },
  });
}

describe("pack sampler kernels", () => {
  test("installs after its golden vectors pass, and draws what the TS reference draws on 200 seeded steps", async () => {
    const key = await testKey();
    const registry = new PackRegistry([key.trusted], {}, new GateKernelTable());
    const pack = await registry.install(await samplerPack(key, "sampler-ok"));
    assert.deepEqual([...pack.samplers.keys()], ["rsk"]);
    const kernel = registry.sampler("sampler-ok", "rsk")!;
    for (let i = 0; i < 200; i++) {
      const vector = { logits: logits(128 + i, 100 + i), params: { topK: i % 50, topP: 0.5 + (i % 5) / 10, temperature: 0.5 + (i % 3) / 2, seed: i * 7919, step: i } };
      const draw = kernel.sample(Float32Array.from(vector.logits), { params: { ...NEUTRAL_PARAMS, ...vector.params } });
      assert.ok(draw.ok);
      assert.equal(draw.token, referenceToken(vector), `step ${i}`);
    }
  });

  test("a wrong golden token fails the self-test: the pack is refused, naming the vector", async () => {
    const key = await testKey();
    const vectors = goldenVectors();
    vectors[1] = { ...vectors[1]!, token: (vectors[1]!.token + 1) % 256 };
    const registry = new PackRegistry([key.trusted], {}, new GateKernelTable());
    await assert.rejects(registry.install(await samplerPack(key, "sampler-bad", vectors)),
      new RegExp(`^PackError: kernel pack sampler-bad: version 1\\.0\\.0: kernel rsk failed its self-test: golden vector 1: expected token ${vectors[1].token}, drew \\d+ \\(not loaded: the built-in gates and kernels stay\\)$`));
    assert.equal(registry.sampler("sampler-bad", "rsk"), undefined);
  });

  test("a module without the sampling export is refused", async () => {
    const key = await testKey();
    const files = await packFiles({ key, manifest: (m) => void (m.kernels = [{ name: "rsk", kind: "sampler", file: "employee_id.wasm", sha256: m.kernels[0]!.sha256, budgetMs: 5, selfTest: goldenVectors() }]) });
    await assert.rejects(new PackRegistry([key.trusted], {}, new GateKernelTable()).install(files),
      /kernel pack acme: kernel rsk: it lacks the exports __heap_base, rsk_abi_version, rsk_work_len, rsk_sample/);
  });

  test("a call over budget throws and quarantines the kernel; the registry then offers none (callers use the built-in kernels)", { timeout: 60_000 }, async () => {
    const key = await testKey();
    const registry = new PackRegistry([key.trusted], {}, new GateKernelTable());
    await registry.install(await samplerPack(key, "sampler-slow", goldenVectors().slice(0, 1), 1));
    const kernel = registry.sampler("sampler-slow", "rsk")!;
    const big = new Float32Array(1 << 20).map((_, i) => Math.sin(i) * 4);
    assert.throws(() => kernel.sample(big, { params: NEUTRAL_PARAMS }),
      (err: unknown) => err instanceof SamplerKernelError && /^sampler kernel sampler-slow\/rsk@1\.0\.0: a call on 1048576 logits took [\d.]+ ms, over its 1 ms budget$/.test(err.message));
    assert.match(kernel.quarantined ?? "", /over its 1 ms budget/);
    assert.equal(registry.sampler("sampler-slow", "rsk"), undefined);
    assert.throws(() => kernel.sample(Float32Array.from(logits(8, 1)), { params: NEUTRAL_PARAMS }), /quarantined: a call on 1048576 logits/);
    // As a request's sampler (packSampling), the quarantined kernel gives way to the built-in kernels, batches included.
    const sampling = packSampling(kernel, reference);
    const small = logitsOf(Float32Array.from(logits(64, 3)), 64), request = { params: { ...NEUTRAL_PARAMS, topK: 10, seed: 9 } };
    assert.deepEqual(sampling.sample(small, request), reference.sample(small, request));
    const batch = sampling.batch!(64, 2, 0);
    stageRow(batch, 0, request);
    stageRow(batch, 1, { params: { ...request.params, step: 1 } });
    assert.equal(batch.run(2, Float32Array.from([...small, ...small])), 0);
    const second = rowResult(batch, 1), expected = reference.sample(small, { params: { ...request.params, step: 1 } });
    assert.ok(second.ok && expected.ok && second.token === expected.token, "the batch ran on the built-in kernels");
  });

  test("a sampler chain on a pack kernel (batched or not) draws what it draws on the built-in kernels, checks included", { timeout: 60_000 }, async () => {
    const key = await testKey();
    const registry = new PackRegistry([key.trusted], {}, new GateKernelTable());
    await registry.install(await samplerPack(key, "sampler-chain"));
    const sampling = packSampling(registry.sampler("sampler-chain", "rsk")!, reference);
    assert.ok(sampling.batch, "rsk.wasm exports rsk_sample_batch: the pack sampler batches");
    const parsed = parseSamplingConfig({ seed: 5, temperature: 0.8, top_k: 20, top_p: 0.9, repeat_penalty: 1.3, logit_bias: { "3": 2 } });
    assert.ok(parsed.ok);
    const [onPack, onPackBatched, builtIn] = [sampling, sampling, reference].map((k) => SamplerChain.create(k, 300, parsed.config) as SamplerChain<300>);
    const batch = sampling.batch!(300, 1, onPackBatched!.batchTokens);
    for (let step = 0; step < 30; step++) {
      const row = logitsOf(Float32Array.from(logits(300, 500 + step)), 300);
      const want = builtIn!.sample(row);
      assert.ok(want.ok);
      assert.deepEqual(onPack!.sample(row), want, `step ${step}`);
      onPackBatched!.stage(batch, 0);
      assert.equal(batch.run(1, row), 0);
      const got = onPackBatched!.finish(batch, 0);
      assert.ok(got.ok && got.token === want.token, `batched step ${step}`);
    }
  });
});
