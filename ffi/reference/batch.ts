/** rsk_sample_batch in plain TypeScript: the row offsets checked as kernels/src/sample.c checks them, then one reference step per row. */
import { io } from "../kernels.ts";
import { referenceSample, sum4 } from "./chain.ts";

/** An integral slot value in [lo, hi], or -1 (sample.c's `slot`). */
function slot(row: Float64Array, index: number, lo: number, hi: number): number {
  const x = row[index]!;
  return x >= lo && x <= hi && Number.isInteger(x) ? x : -1;
}

/** Samples rows [0, n) as rsk_sample_batch does; returns the number of rows whose status is not 0. */
export function referenceSampleBatch(
  logits: Float32Array, n: number, vocab: number, masks: Uint32Array, tokens: Int32Array, bias: Float32Array, slots: Float64Array,
): number {
  const words = Math.ceil(vocab / 32);
  let failed = 0;
  for (let r = 0; r < n; r++) {
    const row = slots.subarray(r * io.length, (r + 1) * io.length);
    const at = slot(row, io.tokensAt, 0, tokens.length), count = slot(row, io.nTokens, 0, 2 ** 20);
    const biasAt = slot(row, io.biasAt, 0, bias.length), recent = slot(row, io.nRecent, 0, 2 ** 20);
    const maskAt = row[io.maskAt]!, advance = row[io.advance]!;
    const maskWord = maskAt < 0 ? -1 : slot(row, io.maskAt, 0, masks.length);
    let status = 0;
    if (at < 0 || count < 0 || biasAt < 0 || recent < 0 || recent > count || (maskAt >= 0 && maskWord < 0) || maskAt !== maskAt || !(advance === 0 || advance === 1)) {
      status = -3;
    } else if (at + count > tokens.length || biasAt + count - recent > bias.length || (maskWord >= 0 && maskWord + words > masks.length)) {
      status = -5;
    } else {
      const outcome = referenceSample(
        logits.subarray(r * vocab, (r + 1) * vocab), maskWord >= 0 ? masks.subarray(maskWord, maskWord + words) : undefined,
        tokens.subarray(at, at + count), bias.subarray(biasAt, biasAt + count - recent), row,
      );
      if ("ids" in outcome) {
        row[io.token] = outcome.ids[outcome.pick]!;
        row[io.prob] = outcome.probs[outcome.pick]!;
        row[io.muNext] = outcome.muNext;
        row[io.nFinal] = outcome.ids.length;
        row[io.uniform] = outcome.u;
        row[io.mass] = sum4(outcome.probs);
        if (advance === 1) {
          row[io.step]! += 1;
          row[io.mu] = outcome.muNext;
        }
      } else status = outcome.status;
    }
    row[io.status] = status;
    if (status !== 0) failed++;
  }
  return failed;
}
