/** The final distribution is a simplex to 1e-12, matches an independent float64 chain (KL < 1e-10), and draws follow it. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Distribution } from "../../ffi/kernels.ts";
import { implementations, logitsFor, plain, prng, randomLogits } from "./impls.ts";

/** Independent float64 chain with Math.exp/Math.log and full sorts: top-k → top-p → min-p → temperature. */
function float64Chain(values: Float32Array, k: number, p: number, minP: number, temp: number): Map<number, number> {
  let c = Array.from(values, (v, id) => ({ id, v })).filter((t) => t.v > -Infinity);
  c.sort((a, b) => b.v - a.v || a.id - b.id);
  if (k > 0) c = c.slice(0, k);
  if (p < 1) {
    const max = c[0]!.v;
    const e = c.map((t) => Math.exp(t.v - max));
    const sum = e.reduce((s, x) => s + x, 0);
    let cum = 0, keep = c.length;
    for (let i = 0; i < c.length; i++) if ((cum += e[i]! / sum) >= p) { keep = i + 1; break; }
    c = c.slice(0, keep);
  }
  if (minP > 0) c = c.filter((t) => t.v >= c[0]!.v + Math.log(minP));
  const max = c[0]!.v / temp;
  const sum = c.reduce((s, t) => s + Math.exp(t.v / temp - max), 0);
  return new Map(c.map((t) => [t.id, Math.exp(t.v / temp - max) / sum]));
}

for (const k of implementations) {
  describe(`exactness (${k.kind})`, () => {
    test("simplex to 1e-12 and KL to a float64 reference < 1e-10", { timeout: 120_000 }, () => {
      const random = prng(3);
      for (let c = 0; c < 60; c++) {
        const V = 2 + Math.floor(random() * 4000);
        const values = randomLogits(random, V);
        for (const [topK, topP, minP, temperature] of [[40, 0.95, 0, 0.8], [0, 1, 0.05, 1], [0, 0.9, 0, 1.3], [0, 1, 0, 0.7]] as const) {
          const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
          const r = k.sample(logitsFor(k, values, V), { params: { ...plain, topK: Math.min(topK, V), topP, minP, temperature, step: c } }, out);
          assert.ok(r.ok);
          let sum = 0;
          for (let i = 0; i < r.size; i++) sum += out.probs[i]!;
          assert.ok(Math.abs(sum - 1) <= 1e-12, `sum ${sum}`);
          const reference = float64Chain(values, Math.min(topK, V), topP, minP, temperature);
          assert.equal(r.size, reference.size, "same support size");
          let kl = 0;
          for (let i = 0; i < r.size; i++) {
            const q = reference.get(out.ids[i]!);
            assert.ok(q !== undefined, "same support");
            const p = out.probs[i]!;
            if (p > 0) kl += p * Math.log(p / q);
          }
          assert.ok(Math.abs(kl) < 1e-10, `KL ${kl}`);
        }
      }
    });

    const draws = k.kind === "ts" ? 200_000 : 1_000_000;
    test(`chi-square of ${draws} draws on an 8-token vocabulary`, { timeout: 120_000 }, () => {
      const values = Float32Array.from([2, 1, 0.5, 0, -0.5, -1, 3, 1]);
      const V = values.length;
      const logits = logitsFor(k, values, V);
      const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
      const first = k.sample(logits, { params: plain }, out);
      assert.ok(first.ok && first.size === V);
      const counts = new Float64Array(V);
      const params = { ...plain, seed: 12345 };
      for (let step = 0; step < draws; step++) {
        const r = k.sample(logits, { params: { ...params, step } });
        if (!r.ok) throw new Error(r.message);
        counts[r.token]!++;
      }
      let chi2 = 0;
      for (let i = 0; i < V; i++) {
        const expected = draws * out.probs[i]!;
        chi2 += (counts[out.ids[i]!]! - expected) ** 2 / expected;
      }
      // df = 7: P(chi2 > 35) ≈ 1e-5.
      assert.ok(chi2 < 35, `chi2 = ${chi2.toFixed(2)}`);
    });
  });
}
