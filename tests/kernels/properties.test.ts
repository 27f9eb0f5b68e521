/** fast-check properties (10k cases each), checked on native, WASM and TS in every case. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { newMask, type Distribution, type SampleParams, type TokenMask } from "../../ffi/kernels.ts";
import { implementations, logitsFor, plain } from "./impls.ts";

const runs = { numRuns: 10_000 };
const logitsArb = fc.array(fc.float({ noNaN: true, min: -30, max: 30 }), { minLength: 1, maxLength: 64 }).map((a) => Float32Array.from(a));

function sampleAll(values: Float32Array, params: SampleParams, mask?: TokenMask<number>) {
  return implementations.map((k) => {
    const V = values.length;
    const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
    const r = k.sample(logitsFor(k, values, V), { params, mask }, out);
    const n = r.ok ? r.size : 0;
    return { r, ids: Array.from(out.ids.subarray(0, n)), probs: Array.from(out.probs.subarray(0, n)) };
  });
}

/** Ids by (logit desc, id asc): the order top-k and greedy use. */
const ranked = (values: Float32Array) => Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b);

const paramsArb = fc.record({
  temperature: fc.double({ min: 0.05, max: 3, noNaN: true }),
  topK: fc.integer({ min: 0, max: 64 }),
  topP: fc.double({ min: 0.05, max: 1, noNaN: true }),
  minP: fc.double({ min: 0, max: 0.5, noNaN: true }),
  typicalP: fc.double({ min: 0.05, max: 1, noNaN: true }),
  minKeep: fc.integer({ min: 0, max: 4 }),
  mirostat: fc.constantFrom(0 as const, 2 as const),
  step: fc.nat(),
});

describe("properties", () => {
  test("the final distribution is a simplex (sums to 1 within 1e-12, no negative mass)", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(logitsArb, paramsArb, (values, p) => {
        const params = { ...plain, ...p, topK: Math.min(p.topK, values.length) };
        for (const { r, probs } of sampleAll(values, params)) {
          assert.ok(r.ok);
          assert.ok(probs.every((x) => x >= 0));
          assert.ok(Math.abs(probs.reduce((s, x) => s + x, 0) - 1) <= 1e-12);
        }
      }),
      runs,
    );
  });

  test("top-k keeps exactly min(k, V) tokens: the k best, lowest id first on ties", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 64 }), (values, k) => {
        const kk = Math.min(k, values.length);
        const expected = ranked(values).slice(0, kk).sort((a, b) => a - b);
        for (const { ids } of sampleAll(values, { ...plain, topK: kk })) assert.deepEqual(ids, expected);
      }),
      runs,
    );
  });

  test("top-p keeps at least mass p of the distribution it sees", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0.01, max: 0.999, noNaN: true }), (values, p) => {
        const max = Math.max(...values);
        const e = Array.from(values, (v) => Math.exp(v - max));
        const sum = e.reduce((s, x) => s + x, 0);
        for (const { ids } of sampleAll(values, { ...plain, topP: p })) {
          const kept = ids.reduce((s, id) => s + e[id]! / sum, 0);
          assert.ok(kept >= p - 1e-12, `kept ${kept} < ${p}`);
        }
      }),
      runs,
    );
  });

  test("masked tokens are never drawn nor in the support", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(logitsArb, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), paramsArb, (values, bits, p) => {
        const V = values.length;
        const mask = newMask(V, false);
        bits.slice(0, V).forEach((b, i) => {
          if (b) mask[i >>> 5]! |= 1 << (i & 31);
        });
        const allowed = (i: number) => ((mask[i >>> 5]! >>> (i & 31)) & 1) === 1;
        const anyAllowed = Array.from(values.keys()).some(allowed);
        for (const { r, ids } of sampleAll(values, { ...plain, ...p, topK: Math.min(p.topK, V) }, mask)) {
          if (!anyAllowed) {
            assert.ok(!r.ok && r.status === -4);
            continue;
          }
          assert.ok(r.ok && allowed(r.token));
          assert.ok(ids.every(allowed));
        }
      }),
      runs,
    );
  });

  test("greedy (temperature 0) is the argmax, lowest id on ties", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(logitsArb, fc.nat(), (values, step) => {
        const best = ranked(values)[0];
        for (const { r } of sampleAll(values, { ...plain, temperature: 0, step })) assert.ok(r.ok && r.token === best);
      }),
      runs,
    );
  });
});
