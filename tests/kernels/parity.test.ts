/** Native, WASM and TS pick the same token with the same distribution for the same inputs. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newMask, type Distribution, type SampleDraw, type TokenMask } from "../../ffi/kernels.ts";
import { chains, implementations, logitsFor, plain, prng, randomLogits } from "./impls.ts";

const [native, wasm, ts] = implementations as [(typeof implementations)[0], (typeof implementations)[0], (typeof implementations)[0]];

function run(k: typeof native, values: Float32Array, request: Omit<Parameters<typeof native.sample>[1], never>) {
  const V = values.length;
  const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
  const result = k.sample(logitsFor(k, values, V), request, out);
  const size = result.ok ? result.size : 0;
  return { result, ids: Array.from(out.ids.subarray(0, size)), probs: Array.from(out.probs.subarray(0, size)) };
}

describe("parity native / wasm / ts", () => {
  const names = Object.keys(chains);
  test(`${names.length * 250} random cases over every chain, with masks, penalties and bias`, { timeout: 300_000 }, () => {
    const random = prng(7);
    let draws = 0;
    for (let c = 0; c < 250; c++) {
      const V = 1 + Math.floor(random() * (random() < 0.5 ? 64 : 3000));
      const values = randomLogits(random, V);
      let mask: TokenMask<number> | undefined;
      if (random() < 0.4) {
        mask = newMask(V, false);
        for (let i = 0; i < V; i++) if (random() < 0.7) mask[i >>> 5]! |= 1 << (i & 31);
      }
      const recent = Int32Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * V));
      const nb = Math.floor(random() * 5);
      const bias = {
        ids: Int32Array.from({ length: nb }, () => Math.floor(random() * V)),
        values: Float32Array.from({ length: nb }, () => (random() < 0.2 ? -Infinity : (random() - 0.5) * 10)),
      };
      for (const name of names) {
        const params = { ...plain, ...chains[name], seed: Math.floor(random() * 2 ** 40), step: c };
        if (params.topK > V) params.topK = V;
        const request = { params, mask, recent, bias };
        const [a, b, r] = [run(native, values, request), run(wasm, values, request), run(ts, values, request)];
        assert.deepEqual(b.result, a.result, `wasm vs native, case ${c} ${name}`);
        assert.deepEqual(r.result.ok, a.result.ok, `ts vs native, case ${c} ${name}`);
        if (!a.result.ok || !r.result.ok) {
          assert.deepEqual(r.result, a.result);
          continue;
        }
        draws++;
        assert.equal(r.result.token, a.result.token, `token, case ${c} ${name}`);
        assert.deepEqual(r.ids, a.ids, `support, case ${c} ${name}`);
        assert.deepEqual(b.ids, a.ids);
        for (let i = 0; i < a.probs.length; i++) {
          assert.ok(Math.abs(r.probs[i]! - a.probs[i]!) <= 1e-6 && Math.abs(b.probs[i]! - a.probs[i]!) <= 1e-6);
        }
        assert.ok(Math.abs((r.result as SampleDraw).muNext - (a.result as SampleDraw).muNext) <= 1e-9);
      }
    }
    assert.ok(draws > names.length * 200, `most cases draw (${draws})`);
  });

  test("every native instruction set (scalar, avx2, avx512) agrees", { timeout: 120_000 }, () => {
    const random = prng(11);
    for (let c = 0; c < 150; c++) {
      const V = 1 + Math.floor(random() * 5000);
      const values = randomLogits(random, V);
      const mask = newMask(V);
      for (let i = 0; i < V; i++) if (random() < 0.1) mask[i >>> 5]! &= ~(1 << (i & 31));
      for (const name of Object.keys(chains)) {
        const params = { ...plain, ...chains[name], step: c, topK: Math.min(chains[name]!.topK ?? 0, V) };
        const results = [1, 2, 3].map((isa) => run(native, values, { params, mask, isa }));
        const available = results.filter((r) => r.result.ok || r.result.status !== -6);
        for (const r of available) assert.deepEqual(r, available[0], `case ${c} ${name}`);
      }
    }
  });

  test("small-vocabulary top-k (counting select): ties, ±0, -inf, masks, every k, every implementation and ISA", { timeout: 120_000 }, () => {
    const random = prng(19);
    let tied = 0;
    for (let c = 0; c < 120; c++) {
      const V = 1 + Math.floor(random() * 200);
      // Coarse values so many logits tie; some ±0, some -inf.
      const values = Float32Array.from({ length: V }, () => {
        const r = random();
        return r < 0.1 ? 0 : r < 0.2 ? -0 : r < 0.25 ? -Infinity : Math.round((random() - 0.5) * 8) / 2;
      });
      let mask: TokenMask<number> | undefined;
      if (c % 3 === 0) {
        mask = newMask(V, false);
        for (let i = 0; i < V; i++) if (random() < 0.8) mask[i >>> 5]! |= 1 << (i & 31);
      }
      const topK = 1 + Math.floor(random() * V);
      const params = { ...plain, topK, seed: c, step: c };
      const reference = run(ts, values, { params, mask });
      const others = [run(wasm, values, { params, mask }), ...[0, 1, 2, 3].map((isa) => run(native, values, { params, mask, isa }))];
      for (const r of others.filter((o) => o.result.ok || o.result.status !== -6)) {
        assert.deepEqual(r.result, reference.result, `case ${c} (V ${V}, k ${topK})`);
        assert.deepEqual(r.ids, reference.ids, `support, case ${c}`);
        assert.deepEqual(r.probs, reference.probs, `probabilities, case ${c}`);
      }
      if (reference.result.ok && new Set(values).size < V / 2) tied++;
    }
    assert.ok(tied > 30, `enough cases with heavy ties (${tied})`);
  });

  test("same (seed, step) gives the same uniform everywhere; different steps differ", () => {
    for (const [seed, step] of [[0, 0], [1, 2], [2 ** 52 + 3, 2 ** 53 - 1], [4294967295, 123456789]] as const) {
      const u = native.uniform(seed, step);
      assert.equal(wasm.uniform(seed, step), u);
      assert.equal(ts.uniform(seed, step), u);
      assert.ok(u >= 0 && u < 1);
      assert.notEqual(native.uniform(seed, step + 1), u);
    }
  });
});
