/** `Kernels` over librsk opened through bun:ffi or Deno.dlopen (the symbols are called directly). */
import { type Kernels, type Logits, checkSameWords, checkShapes, decodeDraw, encodeParams, io, isaName, kernelError, packTokens } from "./kernels.ts";
import type { NativeLibrary } from "./native.ts";
import { arrayBatch } from "./batch.ts";
import type { rskSymbols } from "./symbols.ts";
import { arrayWalker } from "./walker.ts";

/** Binds an opened librsk; buffers are grown once and reused, so steady-state calls allocate nothing big. */
export function nativeKernels(lib: NativeLibrary<typeof rskSymbols>): Kernels {
  const c = lib.symbols;
  const ioArray = new Float64Array(io.length);
  const noMask = new Uint32Array(1), noBias = new Float32Array(1);
  let scratch = new Int32Array(64);
  let work = new Float64Array(0);
  let workIds = new Int32Array(0);
  return {
    kind: "native",
    isa: isaName[c.rsk_isa() as keyof typeof isaName] ?? "unknown",
    logits: <V extends number>(vocab: V) => new Float32Array(vocab) as Logits<V>,
    sample(logits, request, out) {
      checkShapes(logits, request);
      const V = logits.length, recent = request.recent, bias = request.bias;
      const total = (recent?.length ?? 0) + (bias?.ids.length ?? 0);
      const need = c.rsk_work_len(V, total);
      if (need === 0) return kernelError(V > 2 ** 24 ? -1 : -5);
      if (work.length < need) {
        work = new Float64Array(need);
        workIds = new Int32Array(work.buffer);
      }
      if (scratch.length < total) scratch = new Int32Array(total);
      const tokens = packTokens(recent, bias?.ids, scratch);
      encodeParams(ioArray, request.params, recent?.length ?? 0, request.isa ?? 0);
      const mask = request.mask;
      const status = c.rsk_sample(
        logits, V, mask ?? noMask, mask ? mask.length : 0, tokens, total, bias?.values ?? noBias,
        bias?.values.length ?? 0, ioArray, io.length, work, work.length,
      );
      if (status < 0) return kernelError(status);
      if (out) {
        const n = ioArray[io.nFinal]!, ids = ioArray[io.finalIds]!, probs = ioArray[io.finalProbs]!;
        out.ids.set(workIds.subarray(ids, ids + n));
        out.probs.set(work.subarray(probs, probs + n));
      }
      return decodeDraw(ioArray);
    },
    maskApply(logits, mask) {
      checkShapes(logits, { params: undefined as never, mask });
      check(c.rsk_mask_apply(logits, logits.length, mask, mask.length));
    },
    maskAnd(dst, a, b) {
      check(c.rsk_mask_and(dst, a, b, checkSameWords(dst, a, b)));
    },
    maskOr(dst, a, b) {
      check(c.rsk_mask_or(dst, a, b, checkSameWords(dst, a, b)));
    },
    maskCount(mask, vocab) {
      return check(c.rsk_mask_count(mask, mask.length, vocab));
    },
    uniform: (seed, step) => c.rsk_uniform(seed % 4294967296, Math.floor(seed / 4294967296), step),
    noop: (x) => c.rsk_noop(x),
    batch(vocab, rows, tokensPerRow) {
      const batchWork = new Float64Array(Math.max(1, c.rsk_work_len(vocab, tokensPerRow)));
      return arrayBatch(vocab, rows, tokensPerRow, (n, from, a) =>
        c.rsk_sample_batch(
          from, n, vocab, vocab, a.masks, a.masks.length, a.tokens, a.tokens.length, a.bias, a.bias.length, a.io,
          n * io.length, batchWork, batchWork.length,
        ));
    },
    trieWalker: (trie, capacity) =>
      arrayWalker(trie, capacity, (rows, end, ranges, b) =>
        c.rsk_trie_walk(
          trie.nodes, end, trie.ids, trie.ids.length, b.table, rows, b.flags, b.cursor, b.cursor.length, b.mask,
          b.mask.length, b.ranges, ranges,
        )),
  };
}

/** Mask kernels only fail on shape errors, which the branded types make a programming error: throw. */
function check(status: number): number {
  if (status < 0) throw new RangeError(kernelError(status).message);
  return status;
}
