/**
 * Batch sampling helpers shared by every `Kernels`: the row layout of a `SampleBatch`, staging a row's request into
 * its buffers without allocating, reading a row's draw back, and the batch over plain typed arrays (native, TS).
 */
import { encodeParams, io, kernelError, maskWords, type SampleBatch, type SampleParams } from "./kernels.ts";

/** Everything one row needs besides its logits; all optional parts absent = off. */
export interface BatchRow {
  /** Numeric parameters (seed, step and mu included). */
  readonly params: SampleParams;
  /** Allowed tokens (ceil(vocab / 32) words); absent = all allowed. */
  readonly mask?: Uint32Array;
  /** Recent tokens the penalties look at. */
  readonly recent?: Int32Array;
  /** Sparse logit bias. */
  readonly bias?: { readonly ids: Int32Array; readonly values: Float32Array };
  /** Forces an instruction set (native only). */
  readonly isa?: number;
  /** When true the kernel advances the row on success (step + 1, mu = mu_next), so the next call draws the next token. */
  readonly advance?: boolean;
}

/** Checks a batch's shape arguments; a bad one is a RangeError naming it. */
export function checkBatchShape(vocab: number, rows: number, tokensPerRow: number): void {
  if (!Number.isInteger(vocab) || vocab <= 0 || vocab > 2 ** 24) throw new RangeError(`batch vocab must be in 1..2^24, got ${vocab}`);
  if (!Number.isInteger(rows) || rows <= 0 || rows > 65536) throw new RangeError(`batch rows must be in 1..65536, got ${rows}`);
  if (!Number.isInteger(tokensPerRow) || tokensPerRow < 0 || tokensPerRow > 2 ** 20) {
    throw new RangeError(`batch tokensPerRow must be in 0..2^20, got ${tokensPerRow}`);
  }
}

/** Element counts of a batch's buffers (rsk_sample_batch's ABI; bias has one value per token slot). */
export interface BatchSizes {
  readonly logits: number;
  readonly io: number;
  readonly masks: number;
  readonly tokens: number;
}

/** The element counts of a batch of `rows` rows of `vocab` logits with `tokensPerRow` token slots each. */
export function batchSizes(vocab: number, rows: number, tokensPerRow: number): BatchSizes {
  return { logits: rows * vocab, io: rows * io.length, masks: Math.max(1, rows * maskWords(vocab)), tokens: Math.max(1, rows * tokensPerRow) };
}

/** Byte offsets of a batch's buffers in a WASM module's linear memory. */
export interface BatchOffsets {
  readonly logits: number;
  readonly io: number;
  readonly masks: number;
  readonly tokens: number;
  readonly bias: number;
}

/**
 * A batch's buffer accessors over linear memory (`memory()` is its current buffer): the views are taken again after
 * the memory grows (which detaches the old ones), and every row starts with no mask.
 */
export function memoryBatchViews(memory: () => ArrayBufferLike, at: BatchOffsets, n: BatchSizes): Pick<SampleBatch, "logits" | "io" | "masks" | "tokens" | "bias"> {
  let buffer: ArrayBufferLike | undefined;
  let views: { logits: Float32Array; io: Float64Array; masks: Uint32Array; tokens: Int32Array; bias: Float32Array } | undefined;
  const view = () => {
    const current = memory();
    if (!views || buffer !== current) {
      buffer = current;
      views = {
        logits: new Float32Array(current, at.logits, n.logits), io: new Float64Array(current, at.io, n.io),
        masks: new Uint32Array(current, at.masks, n.masks), tokens: new Int32Array(current, at.tokens, n.tokens),
        bias: new Float32Array(current, at.bias, n.tokens),
      };
    }
    return views;
  };
  for (let at = io.maskAt; at < n.io; at += io.length) view().io[at] = -1;
  return { logits: () => view().logits, io: () => view().io, masks: () => view().masks, tokens: () => view().tokens, bias: () => view().bias };
}

/** Checks `run(n, from)` against the batch; a bad call is a RangeError naming the argument. */
export function checkRun(batch: SampleBatch, n: number, from: Float32Array): void {
  if (!Number.isInteger(n) || n < 0 || n > batch.rows) throw new RangeError(`batch run: ${n} rows, capacity ${batch.rows}`);
  if (from.length < n * batch.vocab) throw new RangeError(`batch run: ${from.length} logits for ${n} rows of ${batch.vocab}`);
}

/** Writes `request` into row `r` of `batch` (params, mask, window, bias and the row's offsets). */
export function stageRow(batch: SampleBatch, r: number, request: BatchRow): void {
  const words = maskWords(batch.vocab), per = batch.tokensPerRow;
  const nRecent = request.recent?.length ?? 0, nBias = request.bias?.ids.length ?? 0;
  if (!(r >= 0 && r < batch.rows)) throw new RangeError(`batch row ${r} outside 0..${batch.rows - 1}`);
  if (nRecent + nBias > per) throw new RangeError(`batch row ${r}: ${nRecent} recent + ${nBias} bias ids, room ${per}`);
  if (request.bias && request.bias.values.length !== nBias) throw new RangeError(`batch row ${r}: logit bias ids and values differ in length`);
  if (request.mask && request.mask.length !== words) throw new RangeError(`batch row ${r}: mask has ${request.mask.length} words, expected ${words}`);
  const slots = batch.io().subarray(r * io.length, (r + 1) * io.length);
  encodeParams(slots, request.params, nRecent, request.isa ?? 0);
  slots[io.tokensAt] = r * per;
  slots[io.biasAt] = r * per;
  slots[io.nTokens] = nRecent + nBias;
  slots[io.advance] = request.advance ? 1 : 0;
  slots[io.maskAt] = request.mask ? r * words : -1;
  if (request.mask) batch.masks().set(request.mask, r * words);
  const tokens = batch.tokens();
  if (request.recent) tokens.set(request.recent, r * per);
  if (request.bias) {
    tokens.set(request.bias.ids, r * per + nRecent);
    batch.bias().set(request.bias.values, r * per);
  }
}

/** Row `r`'s outcome after `run`: its draw, or the kernel's refusal. */
export function rowResult(batch: SampleBatch, r: number) {
  const slots = batch.io(), at = r * io.length, status = slots[at + io.status]!;
  if (status !== 0) return kernelError(status);
  return {
    ok: true as const,
    token: slots[at + io.token]!,
    prob: slots[at + io.prob]!,
    muNext: slots[at + io.muNext]!,
    size: slots[at + io.nFinal]!,
    uniform: slots[at + io.uniform]!,
    mass: slots[at + io.mass]!,
  };
}

/** The buffers of a batch as ordinary typed arrays (what bun:ffi, Deno.dlopen and the TS reference read in place). */
export interface BatchArrays {
  /** rows * vocab logits. */
  readonly logits: Float32Array;
  /** rows * 32 io slots. */
  readonly io: Float64Array;
  /** rows * words mask words. */
  readonly masks: Uint32Array;
  /** rows * tokensPerRow ids. */
  readonly tokens: Int32Array;
  /** rows * tokensPerRow bias values. */
  readonly bias: Float32Array;
}

/** A batch over plain typed arrays whose kernel call is `call(n, from, arrays)` (returns rsk_sample_batch's result). */
export function arrayBatch(
  vocab: number, rows: number, tokensPerRow: number, call: (n: number, from: Float32Array, a: BatchArrays) => number,
): SampleBatch {
  checkBatchShape(vocab, rows, tokensPerRow);
  const a: BatchArrays = {
    logits: new Float32Array(rows * vocab),
    io: new Float64Array(rows * io.length),
    masks: new Uint32Array(Math.max(1, rows * maskWords(vocab))),
    tokens: new Int32Array(Math.max(1, rows * tokensPerRow)),
    bias: new Float32Array(Math.max(1, rows * tokensPerRow)),
  };
  for (let r = 0; r < rows; r++) a.io[r * io.length + io.maskAt] = -1;
  const batch: SampleBatch = {
    vocab, rows, tokensPerRow,
    logits: () => a.logits,
    io: () => a.io,
    masks: () => a.masks,
    tokens: () => a.tokens,
    bias: () => a.bias,
    run(n, from = a.logits) {
      checkRun(batch, n, from);
      return batchStatus(call(n, from, a));
    },
  };
  return batch;
}

/** rsk_sample_batch's result: failed rows (>= 0), or a malformed batch (a caller bug: RangeError). */
export function batchStatus(code: number): number {
  if (code < 0) throw new RangeError(`batch refused: ${kernelError(code).message}`);
  return code;
}
