/**
 * Mirostat 2.0 in O(V): the native kernel (every ISA) and WASM estimate the softmax sum with a bound and fall back to
 * the exact pass only when a token lies inside it; both must keep exactly the TS reference's tokens, and the
 * controller must do what Mirostat promises (kept tokens' surprise <= mu, average surprise near tau).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newMask, type Distribution, type Kernels, type Logits, type SampleRequest } from "../../ffi/kernels.ts";
import { implementations, logitsFor, plain, prng, randomLogits } from "./impls.ts";

const [native, wasm, ts] = implementations as [Kernels, Kernels, Kernels];

function run(k: Kernels, values: Float32Array, request: SampleRequest<number>) {
  const V = values.length;
  const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
  const result = k.sample(logitsFor(k, values, V), request, out);
  return { result, ids: Array.from(out.ids.subarray(0, result.ok ? result.size : 0)), probs: Array.from(out.probs.subarray(0, result.ok ? result.size : 0)) };
}

describe("mirostat 2.0 (O(V) sum with an exact fallback)", () => {
  test("same kept set, token and mu as the TS reference: masks, bias, bans, penalties, temperatures, mu from -2 to 40", { timeout: 120_000 }, () => {
    const random = prng(2026);
    for (let c = 0; c < 120; c++) {
      const V = 1 + Math.floor(random() * (random() < 0.3 ? 40 : 20000));
      const values = randomLogits(random, V);
      if (random() < 0.2) for (let i = 0; i < V; i++) values[i] = values[i]! * 8; // very peaked
      if (random() < 0.2) for (let i = 0; i < V; i++) values[i] = values[i]! / 16; // nearly flat
      const mask = random() < 0.3 ? newMask(V, false) : undefined;
      if (mask) for (let i = 0; i < V; i++) if (random() < 0.6) mask[i >>> 5]! |= 1 << (i & 31);
      const nb = Math.floor(random() * 4);
      const top = values.indexOf(Math.max(...values));
      const bias = {
        ids: Int32Array.from({ length: nb }, (_, j) => (j === 0 ? top : Math.floor(random() * V))),
        values: Float32Array.from({ length: nb }, () => [-Infinity, -30, 25, (random() - 0.5) * 6][Math.floor(random() * 4)]!),
      };
      const recent = Int32Array.from({ length: Math.floor(random() * 10) }, () => Math.floor(random() * V));
      const params = {
        ...plain, mirostat: 2 as const, tau: random() * 8, eta: random(), mu: -2 + random() * 42, step: c,
        temperature: [0.05, 0.5, 1, 1.7, 5][Math.floor(random() * 5)]!, seed: Math.floor(random() * 2 ** 32),
        repeatPenalty: random() < 0.3 ? 1.3 : 1, presencePenalty: random() < 0.3 ? 0.5 : 0,
      };
      const request = { params, mask, bias, recent };
      const reference = run(ts, values, request);
      for (const [name, got] of [["wasm", run(wasm, values, request)], ...[1, 2, 3].map((isa) => [`native isa ${isa}`, run(native, values, { ...request, isa })] as const)] as const) {
        if (!got.result.ok && got.result.status === -6) continue; // this CPU lacks the ISA
        assert.equal(got.result.ok, reference.result.ok, `${name}, case ${c}`);
        if (!got.result.ok || !reference.result.ok) {
          assert.deepEqual(got.result, reference.result, `${name}, case ${c}`);
          continue;
        }
        assert.deepEqual(got.ids, reference.ids, `${name}: kept set, case ${c}`);
        assert.equal(got.result.token, reference.result.token, `${name}: token, case ${c}`);
        for (let i = 0; i < got.probs.length; i++) assert.ok(Math.abs(got.probs[i]! - reference.probs[i]!) <= 1e-12);
        assert.ok(Math.abs(got.result.muNext - reference.result.muNext) <= 1e-9, `${name}: mu, case ${c}`);
      }
    }
  });

  test("a token exactly on the threshold (uniform logits, mu = log2 V) is decided as the exact rule decides it", { timeout: 60_000 }, () => {
    for (const V of [1024, 4096, 65536]) {
      const values = new Float32Array(V).fill(0.5);
      const request = { params: { ...plain, mirostat: 2 as const, mu: Math.log2(V), tau: 3, eta: 0.1 } };
      const reference = run(ts, values, request);
      for (const k of [native, wasm]) assert.deepEqual(run(k, values, request), reference, `${k.kind}, V=${V}`);
    }
  });

  test("logits at every offset from a cache line (AVX-512's head block and argmax pass), with and without a mask, as the reference", { timeout: 60_000 }, () => {
    const random = prng(64);
    for (let offset = 0; offset < 16; offset++) {
      const V = 3000 + Math.floor(random() * 3000);
      const values = randomLogits(random, V);
      values[Math.floor(random() * 16)] = 40; // the max inside the head block for some offsets
      const mask = offset % 2 ? newMask(V) : undefined;
      if (mask) for (let i = 0; i < V; i++) if (random() < 0.3) mask[i >>> 5]! &= ~(1 << (i & 31));
      for (const params of [{ ...plain, mirostat: 2 as const, mu: 2 + random() * 10, step: offset }, { ...plain, temperature: 0 }]) {
        const request = { params, mask };
        const reference = run(ts, values, request);
        for (const isa of [1, 2, 3]) {
          const buffer = new Float32Array(V + 16);
          buffer.set(values, offset);
          const logits = buffer.subarray(offset, offset + V) as unknown as Logits<number>;
          const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
          const result = native.sample(logits, { ...request, isa }, out);
          if (!result.ok && result.status === -6) continue; // this CPU lacks the ISA
          assert.deepEqual(result, reference.result, `isa ${isa}, offset ${offset}`);
          assert.deepEqual(Array.from(out.ids.subarray(0, result.ok ? result.size : 0)), reference.ids, `isa ${isa}, offset ${offset}`);
        }
      }
    }
  });

  test("every kept token's surprise under the full softmax is at most mu; the final entropy is at most mu", () => {
    const random = prng(5);
    const V = 30000;
    const values = randomLogits(random, V);
    let max = -Infinity;
    for (const v of values) if (v > max) max = v;
    let sum = 0;
    for (const v of values) sum += Math.exp(v - max);
    for (const mu of [0.5, 3, 6, 10, 14]) {
      const { result, ids, probs } = run(native, values, { params: { ...plain, mirostat: 2, mu } });
      assert.ok(result.ok);
      const surprise = (id: number) => -Math.log2(Math.exp(values[id]! - max) / sum);
      if (ids.length > 1) for (const id of ids) assert.ok(surprise(id) <= mu + 1e-9, `mu ${mu}: token ${id} surprise ${surprise(id)}`);
      const entropy = -probs.reduce((h, p) => h + (p > 0 ? p * Math.log2(p) : 0), 0);
      assert.ok(entropy <= Math.max(mu, 0) + 1e-9, `mu ${mu}: entropy ${entropy}`);
    }
  });

  test("the controller reaches the target surprise: mean observed surprise over 1500 steps is within 0.35 bits of tau", { timeout: 60_000 }, () => {
    const random = prng(9);
    const V = 8192;
    // Zipf-like logits: a heavy head and a long tail, as a language model's.
    const values = Float32Array.from({ length: V }, (_, i) => -1.1 * Math.log(i + 1) + (random() - 0.5) * 0.2);
    const logits = logitsFor(native, values, V);
    for (const tau of [2, 4, 6]) {
      const params = { ...plain, mirostat: 2 as const, tau, eta: 0.1, mu: 2 * tau, seed: 17 };
      let total = 0, counted = 0;
      for (let step = 0; step < 2000; step++) {
        const r = native.sample(logits, { params: { ...params, step } });
        assert.ok(r.ok);
        params.mu = r.muNext;
        if (step >= 500) total += -Math.log2(r.prob), counted++;
      }
      assert.ok(Math.abs(total / counted - tau) <= 0.35, `tau ${tau}: mean surprise ${total / counted}`);
    }
  });
});
