/** The plain-TypeScript `Kernels`: runs anywhere (no FFI, no WebAssembly) and is the parity oracle. */
import { type Kernels, type Logits, checkSameWords, checkShapes, decodeDraw, encodeParams, io, kernelError, packTokens } from "./kernels.ts";
import { arrayBatch } from "./batch.ts";
import { referenceSampleBatch } from "./reference/batch.ts";
import { referenceSample } from "./reference/chain.ts";
import { uniform } from "./reference/math.ts";
import { referenceTrieWalk } from "./reference/trie.ts";
import { arrayWalker } from "./walker.ts";

/** Creates the TS reference implementation. */
export function referenceKernels(): Kernels {
  const ioArray = new Float64Array(io.length);
  let scratch = new Int32Array(64);
  return {
    kind: "ts",
    isa: "typescript",
    logits: <V extends number>(vocab: V) => new Float32Array(vocab) as Logits<V>,
    sample(logits, request, out) {
      checkShapes(logits, request);
      const total = (request.recent?.length ?? 0) + (request.bias?.ids.length ?? 0);
      if (scratch.length < total) scratch = new Int32Array(total);
      const tokens = packTokens(request.recent, request.bias?.ids, scratch);
      encodeParams(ioArray, request.params, request.recent?.length ?? 0, request.isa ?? 0);
      const r = referenceSample(logits, request.mask, tokens, request.bias?.values ?? new Float32Array(0), ioArray);
      if (!("ids" in r)) return kernelError(r.status);
      ioArray[io.token] = r.ids[r.pick]!;
      ioArray[io.prob] = r.probs[r.pick]!;
      ioArray[io.muNext] = r.muNext;
      ioArray[io.nFinal] = r.ids.length;
      ioArray[io.uniform] = r.u;
      if (out) {
        out.ids.set(r.ids);
        out.probs.set(r.probs);
      }
      return decodeDraw(ioArray);
    },
    maskApply(logits, mask) {
      checkShapes(logits, { params: undefined as never, mask });
      for (let i = 0; i < logits.length; i++) if (!((mask[i >>> 5]! >>> (i & 31)) & 1)) logits[i] = -Infinity;
    },
    maskAnd(dst, a, b) {
      for (let i = 0; i < checkSameWords(dst, a, b); i++) dst[i] = a[i]! & b[i]!;
    },
    maskOr(dst, a, b) {
      for (let i = 0; i < checkSameWords(dst, a, b); i++) dst[i] = a[i]! | b[i]!;
    },
    maskCount(mask, vocab) {
      let count = 0;
      for (let i = 0; i < vocab; i++) count += (mask[i >>> 5]! >>> (i & 31)) & 1;
      return count;
    },
    uniform: (seed, step) => uniform(seed % 4294967296, Math.floor(seed / 4294967296), step),
    noop: (x) => x,
    batch: (vocab, rows, tokensPerRow) =>
      arrayBatch(vocab, rows, tokensPerRow, (n, from, a) => referenceSampleBatch(from, n, vocab, a.masks, a.tokens, a.bias, a.io)),
    trieWalker: (trie, capacity) =>
      arrayWalker(trie, capacity, (rows, end, ranges, b) =>
        referenceTrieWalk(trie.nodes, end, trie.ids, b.table, rows, b.flags, b.cursor, b.mask, b.ranges.subarray(0, ranges))),
  };
}
