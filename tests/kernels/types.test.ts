/** Shapes in the types: a mask or logits for another vocabulary does not type-check (run by tsc and deno check). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { logitsOf, maskOf, newMask, type Logits, type TokenMask } from "../../ffi/kernels.ts";
import { implementations, plain } from "./impls.ts";

test("vocabulary sizes are part of the buffer types", () => {
  const k = implementations[2]!;
  const logits: Logits<8> = logitsOf(new Float32Array(8), 8);
  const mask8: TokenMask<8> = newMask(8);
  const mask16: TokenMask<16> = maskOf(new Uint32Array(1), 16);
  assert.ok(k.sample(logits, { params: plain, mask: mask8 }).ok);
  // @ts-expect-error a mask for 16 tokens cannot go with logits for 8
  k.sample(logits, { params: plain, mask: mask16 });
  // @ts-expect-error a plain Float32Array is not Logits: its length was never checked
  k.sample(new Float32Array(8), { params: plain });
  // @ts-expect-error masks must share one vocabulary
  k.maskAnd(mask8, mask8, mask16);
  // @ts-expect-error a plain Uint32Array is not a TokenMask
  k.maskCount(new Uint32Array(1), 8);
});
