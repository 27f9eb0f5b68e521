/** Bad data is a status (never a crash), bad shapes a RangeError, on every implementation. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logitsOf, maskOf, newMask, type SampleParams } from "../../ffi/kernels.ts";
import { implementations, logitsFor, plain } from "./impls.ts";

const status = (r: { ok: boolean; status?: number }) => (r.ok ? 0 : r.status);

for (const k of implementations) {
  describe(`errors (${k.kind})`, () => {
    const V = 100;
    const good = () => logitsFor(k, new Float32Array(V).map((_, i) => Math.sin(i)), V);

    test("NaN and +inf logits are RSK_E_NONFINITE in every mode; -inf means banned", () => {
      for (const bad of [NaN, Infinity]) {
        for (const params of [plain, { ...plain, temperature: 0 }, { ...plain, topK: 5 }, { ...plain, minP: 0.1 }, { ...plain, mirostat: 2 as const }]) {
          const logits = good();
          logits[37] = bad;
          assert.equal(status(k.sample(logits, { params })), -2);
        }
      }
      const logits = good();
      logits.fill(-Infinity);
      logits[3] = 0;
      const r = k.sample(logits, { params: plain });
      assert.ok(r.ok && r.token === 3 && r.prob === 1);
    });

    test("bad parameters are RSK_E_PARAM", () => {
      const cases: Partial<SampleParams>[] = [
        { topK: V + 1 }, { temperature: NaN }, { topP: NaN }, { minP: Infinity }, { repeatPenalty: 0 },
        { repeatPenalty: -1 }, { minKeep: 1.5 }, { minKeep: -1 }, { mirostat: 1 as 0 }, { seed: -1 }, { step: 0.5 },
        { step: 2 ** 53 }, { mirostat: 2, mu: NaN }, { frequencyPenalty: NaN }, { temperature: 5e-324 },
        { mirostat: 2, temperature: 5e-324 },
      ];
      for (const c of cases) assert.equal(status(k.sample(good(), { params: { ...plain, ...c } })), -3, JSON.stringify(c));
      assert.equal(status(k.sample(good(), { params: plain, recent: Int32Array.of(V), })), 0, "window ignored when penalties are off");
      assert.equal(status(k.sample(good(), { params: { ...plain, repeatPenalty: 1.1 }, recent: Int32Array.of(V) })), -3);
      assert.equal(status(k.sample(good(), { params: plain, bias: { ids: Int32Array.of(-1), values: Float32Array.of(1) } })), -3);
      assert.equal(status(k.sample(good(), { params: plain, bias: { ids: Int32Array.of(1), values: Float32Array.of(Infinity) } })), -3);
      assert.equal(status(k.sample(good(), { params: plain, bias: { ids: Int32Array.of(1), values: Float32Array.of(NaN) } })), -3);
    });

    test("everything banned is RSK_E_EMPTY", () => {
      assert.equal(status(k.sample(good(), { params: plain, mask: newMask(V, false) })), -4);
      const ids = Int32Array.from({ length: V }, (_, i) => i);
      const bias = { ids, values: new Float32Array(V).fill(-Infinity) };
      assert.equal(status(k.sample(good(), { params: { ...plain, temperature: 0 }, bias })), -4);
    });

    test("wrong shapes are RangeErrors before any native call", () => {
      assert.throws(() => logitsOf(new Float32Array(10), 11), RangeError);
      assert.throws(() => logitsOf(new Float32Array(0), 0), RangeError);
      assert.throws(() => maskOf(new Uint32Array(3), 100), RangeError);
      const wrongMask = newMask(200) as unknown as ReturnType<typeof newMask<100>>;
      assert.throws(() => k.sample(good(), { params: plain, mask: wrongMask }), RangeError);
      assert.throws(() => k.sample(good(), { params: plain, bias: { ids: Int32Array.of(1, 2), values: Float32Array.of(1) } }), RangeError);
      assert.throws(() => k.maskApply(good(), wrongMask), RangeError);
      assert.throws(() => k.maskAnd(newMask(V), newMask(V), wrongMask), RangeError);
    });

    test("penalties and bias follow llama.cpp (multiply non-positive, divide positive, then subtract)", () => {
      const logits = logitsFor(k, Float32Array.from([2, -2, 1, 0]), 4);
      const params = { ...plain, temperature: 0, repeatPenalty: 4, frequencyPenalty: 0.25, presencePenalty: 0.5 };
      // token 0: 2/4 - (2*0.25 + 0.5) = -0.5; token 2: 1 + 3 (bias) = 4, not in window.
      const r = k.sample(logits, { params, recent: Int32Array.of(0, 0, 1), bias: { ids: Int32Array.of(2), values: Float32Array.of(3) } });
      assert.ok(r.ok && r.token === 2);
      const r2 = k.sample(logits, { params, recent: Int32Array.of(0, 0, 2, 1) });
      // token 0: -0.5, token 1: -8 - 0.75, token 2: 0.25 - 0.75 = -0.5, token 3: 0 → argmax 3
      assert.ok(r2.ok && r2.token === 3);
    });
  });
}
