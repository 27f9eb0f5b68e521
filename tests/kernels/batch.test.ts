/** `rsk_sample_batch` (and its WASM / TS twins): each row draws exactly what one `sample` call draws, rows fail alone. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { rowResult, stageRow, type BatchRow } from "../../ffi/batch.ts";
import { io, newMask, type Kernels } from "../../ffi/kernels.ts";
import { chains, implementations, logitsFor, plain, prng, randomLogits } from "./impls.ts";

for (const k of implementations) {
  describe(`batch sampling (${k.kind})`, () => {
    test("every row equals a single sample call: every chain, masks, windows, bias; statuses too", { timeout: 120_000 }, () => {
      const random = prng(31);
      const names = Object.keys(chains);
      for (let c = 0; c < (k.kind === "ts" ? 4 : 12); c++) {
        const V = 1 + Math.floor(random() * (random() < 0.5 ? 64 : 3000));
        const rows = 1 + Math.floor(random() * 12);
        const batch = k.batch(V, rows + 2, 48);
        const requests: BatchRow[] = [];
        const values: Float32Array[] = [];
        for (let r = 0; r < rows; r++) {
          const row = randomLogits(random, V);
          if (random() < 0.05) row[Math.floor(random() * V)] = NaN; // this row fails alone
          values.push(row);
          batch.logits().set(row, r * V);
          let mask = undefined;
          if (random() < 0.4) {
            mask = newMask(V, false);
            for (let i = 0; i < V; i++) if (random() < 0.7) mask[i >>> 5]! |= 1 << (i & 31);
          }
          const recent = Int32Array.from({ length: Math.floor(random() * 30) }, () => Math.floor(random() * V));
          const nb = Math.floor(random() * 4);
          const bias = { ids: Int32Array.from({ length: nb }, () => Math.floor(random() * V)), values: Float32Array.from({ length: nb }, () => (random() - 0.5) * 8) };
          const params = { ...plain, ...chains[names[Math.floor(random() * names.length)]!], seed: Math.floor(random() * 2 ** 40), step: c };
          if (params.topK > V) params.topK = V;
          requests.push({ params, mask, recent, bias });
          stageRow(batch, r, requests[r]!);
        }
        const failed = batch.run(rows);
        let failures = 0;
        for (let r = 0; r < rows; r++) {
          const { params, mask, recent, bias } = requests[r]!;
          const single = k.sample(logitsFor(k, values[r]!, V), { params, mask: mask as never, recent, bias });
          const got = rowResult(batch, r);
          if (!single.ok) failures++;
          assert.equal(got.ok, single.ok, `case ${c} row ${r}`);
          if (!got.ok || !single.ok) {
            assert.deepEqual(got, single);
            continue;
          }
          const { mass, ...draw } = got;
          assert.deepEqual(draw, single, `case ${c} row ${r}`);
          assert.ok(Math.abs(mass - 1) <= 1e-12);
        }
        assert.equal(failed, failures);
      }
    });

    test("advance: a staged row draws step after step without restaging, as single calls with step and mu carried", () => {
      const V = 64;
      const values = randomLogits(prng(4), V);
      const batch = k.batch(V, 2, 0);
      batch.logits().set(values);
      batch.logits().set(values, V);
      const params = { ...plain, mirostat: 2 as const, tau: 3, eta: 0.2, mu: 6, seed: 99 };
      stageRow(batch, 0, { params, advance: true });
      stageRow(batch, 1, { params: { ...plain, topK: 10, seed: 5 }, advance: false });
      const carried = { ...params };
      const logits = logitsFor(k, values, V);
      for (let step = 0; step < 20; step++) {
        assert.equal(batch.run(2), 0);
        const single = k.sample(logits, { params: carried });
        assert.ok(single.ok);
        const got = rowResult(batch, 0);
        assert.ok(got.ok && got.token === single.token && got.muNext === single.muNext, `step ${step}`);
        carried.step++;
        carried.mu = single.muNext;
        assert.equal(batch.io()[io.length + io.step], 0, "a row without advance stays at its step");
      }
      assert.equal(batch.io()[io.step], 20);
    });

    test("bad row offsets are that row's status; a malformed call is a RangeError naming it", () => {
      const V = 40;
      const batch = k.batch(V, 4, 4);
      batch.logits().fill(1);
      for (let r = 0; r < 4; r++) stageRow(batch, r, { params: plain });
      const slots = batch.io();
      slots[io.length * 1 + io.tokensAt] = 1e9; // beyond the tokens buffer
      slots[io.length * 2 + io.maskAt] = 0.5; // not an integer
      slots[io.length * 3 + io.nTokens] = 3; // three ids, none of them penalised or biased: fine
      slots[io.length * 3 + io.nRecent] = 3;
      assert.equal(batch.run(4), 2);
      assert.deepEqual([0, 1, 2, 3].map((r) => slots[r * io.length + io.status]), [0, -3, -3, 0]);
      slots[io.length * 1 + io.tokensAt] = 15; // 15 + 4 ids > 16 in the buffer
      slots[io.length * 1 + io.nTokens] = 4;
      assert.equal(batch.run(2), 1);
      assert.equal(slots[io.length + io.status], -5);
      assert.throws(() => batch.run(5), /5 rows, capacity 4/);
      assert.throws(() => batch.run(2, new Float32Array(V)), /40 logits for 2 rows/);
      assert.throws(() => stageRow(batch, 0, { params: plain, recent: new Int32Array(5) }), /room 4/);
      assert.throws(() => stageRow(batch, 0, { params: plain, mask: new Uint32Array(1) }), /mask has 1 words, expected 2/);
      assert.throws(() => k.batch(0, 1, 0), /vocab/);
    });
  });
}

test("native, WASM and TS batches draw the same tokens", () => {
  const V = 500, rows = 16;
  const results = implementations.map((k: Kernels) => {
    const batch = k.batch(V, rows, 8);
    const r2 = prng(1);
    for (let r = 0; r < rows; r++) {
      batch.logits().set(randomLogits(r2, V), r * V);
      stageRow(batch, r, { params: { ...plain, topK: 40, topP: 0.9, temperature: 0.8, seed: r }, advance: true });
    }
    const tokens: number[] = [];
    for (let step = 0; step < 5; step++) {
      batch.run(rows);
      for (let r = 0; r < rows; r++) tokens.push(batch.io()[r * io.length + io.token]!);
    }
    return tokens;
  });
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
});

test("rows sharing every input slot but seed, step and mu draw as rows checked alone (native's reuse of the last drawn row's checks)", () => {
  const random = prng(77);
  const names = Object.keys(chains);
  for (let c = 0; c < 12; c++) {
    const V = 1 + Math.floor(random() * (random() < 0.5 ? 64 : 700)), rows = 40;
    const values = Array.from({ length: rows }, () => randomLogits(random, V));
    const nRecent = Math.floor(random() * 6), nBias = Math.floor(random() * 3);
    const recent = Int32Array.from({ length: nRecent }, () => Math.floor(random() * V));
    const bias = { ids: Int32Array.from({ length: nBias }, () => Math.floor(random() * V)), values: Float32Array.from({ length: nBias }, () => (random() - 0.5) * 8) };
    const mask = random() < 0.5 ? undefined : newMask(V, false);
    if (mask) for (let i = 0; i < V; i++) if (random() < 0.8) mask[i >>> 5]! |= 1 << (i & 31);
    const shared = { ...plain, ...chains[names[Math.floor(random() * names.length)]!] };
    if (shared.topK > V) shared.topK = V;
    const other = { ...plain, ...chains[names[Math.floor(random() * names.length)]!], topK: 0 };
    // Per row: 0 shares row 0's slots (but seed, step, mu), 1 other parameters and offsets, 2 a bad seed, 3 a NaN
    // temperature, 4 tokens beyond the buffer, 5 a NaN logit, 6 a negative step.
    const kinds = Array.from({ length: rows }, (_, r) => (r === 0 || random() < 0.6 ? 0 : 1 + Math.floor(random() * 6)));
    const nanAt = Array.from({ length: rows }, () => Math.floor(random() * V));
    const stage = (k: Kernels) => {
      const batch = k.batch(V, rows, 8);
      for (let r = 0; r < rows; r++) {
        const kind = kinds[r]!;
        batch.logits().set(values[r]!, r * V);
        if (kind === 5) batch.logits()[r * V + nanAt[r]!] = NaN;
        const params = { ...(kind === 1 ? other : shared), seed: r * 7919, step: r % 5, mu: 4 + (r % 3) };
        stageRow(batch, r, { params, recent, bias, mask, advance: r % 2 === 0 });
        const slots = batch.io(), at = r * io.length;
        if (kind !== 1) { // row 0's window, bias and mask: only seed, step and mu (and the broken slot) differ
          slots[at + io.tokensAt] = 0;
          slots[at + io.biasAt] = 0;
          if (mask) slots[at + io.maskAt] = 0;
        }
        if (kind === 2) slots[at + io.seedLo] = 0.5;
        if (kind === 3) slots[at + io.temperature] = NaN;
        if (kind === 4) slots[at + io.tokensAt] = 1e9;
        if (kind === 6) slots[at + io.step] = -1;
      }
      return batch;
    };
    const outcomes = implementations.map((k: Kernels) => {
      const batch = stage(k);
      const failed = [batch.run(rows), batch.run(rows)];
      // finalIds / finalProbs are not batch outputs (rows share `work`): left out of the comparison.
      const slots = Array.from(batch.io().subarray(0, rows * io.length), (x, i) => (i % io.length === io.finalIds || i % io.length === io.finalProbs ? 0 : x));
      return { failed, slots };
    });
    for (const outcome of outcomes.slice(1)) assert.deepEqual(outcome, outcomes[0], `case ${c}`);
  }
});
