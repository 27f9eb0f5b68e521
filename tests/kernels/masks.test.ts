/** Mask kernels agree across implementations and with a bit-by-bit definition. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { maskOf, newMask } from "../../ffi/kernels.ts";
import { implementations, logitsFor, prng } from "./impls.ts";

for (const k of implementations) {
  describe(`masks (${k.kind})`, () => {
    test("apply, and, or, count over random masks and odd vocabulary sizes", () => {
      const random = prng(5);
      for (const V of [1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 32001]) {
        const words = Math.ceil(V / 32);
        const a = maskOf(Uint32Array.from({ length: words }, () => Math.floor(random() * 2 ** 32)), V);
        const b = maskOf(Uint32Array.from({ length: words }, () => Math.floor(random() * 2 ** 32)), V);
        const bit = (m: Uint32Array, i: number) => (m[i >>> 5]! >>> (i & 31)) & 1;
        const and = newMask(V, false), or = newMask(V, false);
        k.maskAnd(and, a, b);
        k.maskOr(or, a, b);
        let count = 0;
        for (let i = 0; i < V; i++) {
          assert.equal(bit(and, i), bit(a, i) & bit(b, i));
          assert.equal(bit(or, i), bit(a, i) | bit(b, i));
          count += bit(a, i);
        }
        assert.equal(k.maskCount(a, V), count);
        assert.equal(k.maskCount(newMask(V), V), V);
        const values = Float32Array.from({ length: V }, (_, i) => i);
        const logits = logitsFor(k, values, V);
        k.maskApply(logits, a);
        for (let i = 0; i < V; i++) assert.equal(logits[i], bit(a, i) ? i : -Infinity);
      }
    });
  });
}
