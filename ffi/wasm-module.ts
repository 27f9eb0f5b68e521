/**
 * `Kernels` on WebAssembly (kernels/rsk.wasm: the same C sources, wasm32 + SIMD128), bound from a compiled module
 * or its bytes. Runtime-neutral: no host imports and nothing evaluated at load, so edge bundles can import it.
 * Inputs live in the module's memory: logits made by `logits(V)` are read in place, other buffers are copied in per call.
 */
import { type Kernels, type Logits, type SampleBatch, checkSameWords, checkShapes, cursorLength, decodeDraw, encodeParams, io, kernelError, type TrieWalker } from "./kernels.ts";
import { batchSizes, batchStatus, checkBatchShape, checkRun, memoryBatchViews } from "./batch.ts";
import { checkTrie, checkWalk } from "./walker.ts";

/** The module's exports we call (names as in ffi/symbols.ts). */
interface RskExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  rsk_noop(x: number): number;
  rsk_work_len(vocab: number, tokens: number): number;
  rsk_sample(...args: number[]): number;
  rsk_sample_batch(...args: number[]): number;
  rsk_mask_apply(logits: number, vocab: number, mask: number, words: number): number;
  rsk_mask_and(dst: number, a: number, b: number, words: number): number;
  rsk_mask_or(dst: number, a: number, b: number, words: number): number;
  rsk_mask_count(mask: number, words: number, vocab: number): number;
  rsk_uniform(lo: number, hi: number, step: number): number;
  rsk_trie_walk(...args: number[]): number;
}

/** Grow-only regions in linear memory; growing the memory detaches old views, so we re-take them lazily. */
class Arena {
  private top: number;
  private regions = new Map<string, { offset: number; bytes: number }>();
  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = (base + 63) & ~63;
  }
  /** Offset of a region of at least `bytes`, reallocating it at the top when too small. */
  region(name: string, bytes: number): number {
    const current = this.regions.get(name);
    if (current && current.bytes >= bytes) return current.offset;
    const offset = this.top;
    this.top = (offset + bytes + 63) & ~63;
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    this.regions.set(name, { offset, bytes });
    return offset;
  }
}

/** Every export the binding calls; a module lacking one is refused before instantiation. */
const required = [
  "memory", "__heap_base", "rsk_noop", "rsk_work_len", "rsk_sample", "rsk_sample_batch", "rsk_mask_apply", "rsk_mask_and", "rsk_mask_or",
  "rsk_mask_count", "rsk_uniform", "rsk_trie_walk",
] as const satisfies readonly (keyof RskExports)[];

/** Compiles `bytes` (copied first when they sit in a SharedArrayBuffer, which `compile` rejects). */
function compile(bytes: Uint8Array): Promise<WebAssembly.Module> {
  return WebAssembly.compile(bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes));
}

/**
 * Instantiates rsk.wasm and binds it as `Kernels`. Pass a compiled `WebAssembly.Module` on hosts that refuse
 * `WebAssembly.compile` (workerd, Vercel Edge: an imported `.wasm` is already a Module), or its bytes elsewhere.
 */
export async function wasmKernelsFrom(source: WebAssembly.Module | Uint8Array): Promise<Kernels> {
  const module = source instanceof WebAssembly.Module ? source : await compile(source);
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = required.filter((name) => !names.has(name));
  if (missing.length > 0) throw new TypeError(`not rsk.wasm: the module lacks the exports ${missing.join(", ")}`);
  const instance = await WebAssembly.instantiate(module, {});
  const x = instance.exports as unknown as RskExports;
  const arena = new Arena(x.memory, x.__heap_base.value as number);
  const ioOffset = arena.region("io", io.length * 8);
  const mem = () => x.memory.buffer;
  /** Copies `data` into region `name` unless it already lives in wasm memory; returns its address. */
  const place = (name: string, data: ArrayBufferView): number => {
    if (data.buffer === mem()) return data.byteOffset;
    const offset = arena.region(name, Math.max(data.byteLength, 8));
    new Uint8Array(mem(), offset, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return offset;
  };
  const status = (code: number): number => {
    if (code < 0) throw new RangeError(kernelError(code).message);
    return code;
  };
  let walkers = 0;
  /** Copies the trie into linear memory once and places the walk buffers after it (views re-taken on growth). */
  const trieWalker = (trie: Parameters<Kernels["trieWalker"]>[0], capacity: Parameters<Kernels["trieWalker"]>[1]): TrieWalker => {
    checkTrie(trie);
    const id = `walker-${walkers++}`;
    const words = Math.ceil(trie.vocab / 32), nCursor = cursorLength(trie);
    const at = {
      nodes: arena.region(`${id}-nodes`, trie.nodes.byteLength),
      ids: arena.region(`${id}-ids`, Math.max(4, trie.ids.byteLength)),
      table: arena.region(`${id}-table`, capacity.rows * 1024),
      flags: arena.region(`${id}-flags`, capacity.rows * 4),
      cursor: arena.region(`${id}-cursor`, nCursor * 4),
      mask: arena.region(`${id}-mask`, words * 4),
      ranges: arena.region(`${id}-ranges`, Math.max(4, capacity.ranges * 4)),
    };
    new Int32Array(mem(), at.nodes, trie.nodes.length).set(trie.nodes);
    new Int32Array(mem(), at.ids, trie.ids.length).set(trie.ids);
    let buffer: ArrayBufferLike | undefined;
    let views: { table: Int32Array; flags: Int32Array; cursor: Int32Array; mask: Uint32Array; ranges: Int32Array } | undefined;
    const view = () => {
      const current = mem();
      if (!views || buffer !== current) {
        buffer = current;
        views = {
          table: new Int32Array(current, at.table, capacity.rows * 256),
          flags: new Int32Array(current, at.flags, capacity.rows),
          cursor: new Int32Array(current, at.cursor, nCursor),
          mask: new Uint32Array(current, at.mask, words),
          ranges: new Int32Array(current, at.ranges, capacity.ranges),
        };
      }
      return views;
    };
    return {
      trie,
      capacity,
      table: () => view().table,
      flags: () => view().flags,
      cursor: () => view().cursor,
      ranges: () => view().ranges,
      mask: () => view().mask,
      walk(rows, end = trie.size, ranges = capacity.ranges) {
        checkWalk(trie, capacity, rows, end, ranges);
        return x.rsk_trie_walk(
          at.nodes, end, at.ids, trie.ids.length, at.table, rows, at.flags, at.cursor, nCursor, at.mask, words,
          at.ranges, ranges,
        );
      },
    };
  };
  let batches = 0;
  /** A batch whose buffers live in linear memory (laid out once; views re-taken after a memory growth). */
  const batch = (vocab: number, rows: number, tokensPerRow: number): SampleBatch => {
    checkBatchShape(vocab, rows, tokensPerRow);
    const id = `batch-${batches++}`, workLength = x.rsk_work_len(vocab, tokensPerRow);
    const n = batchSizes(vocab, rows, tokensPerRow);
    const at = {
      logits: arena.region(`${id}-logits`, n.logits * 4),
      io: arena.region(`${id}-io`, n.io * 8),
      masks: arena.region(`${id}-masks`, n.masks * 4),
      tokens: arena.region(`${id}-tokens`, n.tokens * 4),
      bias: arena.region(`${id}-bias`, n.tokens * 4),
      work: arena.region(`${id}-work`, workLength * 8),
    };
    const views = memoryBatchViews(mem, at, n);
    const self: SampleBatch = {
      vocab, rows, tokensPerRow,
      ...views,
      run(count, from) {
        const logits = from ?? views.logits();
        checkRun(self, count, logits);
        // Logits from elsewhere (e.g. llama.cpp's memory) are copied in: the module reads only its own memory.
        if (logits.buffer !== mem() || logits.byteOffset !== at.logits) views.logits().set(logits.subarray(0, count * vocab));
        return batchStatus(x.rsk_sample_batch(
          at.logits, count, vocab, vocab, at.masks, n.masks, at.tokens, n.tokens, at.bias, n.tokens, at.io, count * io.length,
          at.work, workLength,
        ));
      },
    };
    return self;
  };
  return {
    kind: "wasm",
    isa: "wasm-simd128",
    batch,
    logits<V extends number>(vocab: V): Logits<V> {
      // Reserve the work area for this vocabulary first so later calls do not grow (and detach) memory.
      arena.region("work", x.rsk_work_len(vocab, 1024) * 8);
      arena.region("tokens", 1024 * 4);
      arena.region("mask", Math.ceil(vocab / 32) * 4);
      const offset = arena.region(`logits-${vocab}`, vocab * 4);
      return new Float32Array(mem(), offset, vocab) as Logits<V>;
    },
    sample(logits, request, out) {
      checkShapes(logits, request);
      const V = logits.length, recent = request.recent, bias = request.bias;
      const nRecent = recent?.length ?? 0, nBias = bias?.ids.length ?? 0, total = nRecent + nBias;
      const workLength = x.rsk_work_len(V, total);
      if (workLength === 0) return kernelError(V > 2 ** 24 ? -1 : -5);
      const work = arena.region("work", workLength * 8);
      const tokens = arena.region("tokens", total * 4 + 4);
      const logitsAt = place("logits", logits);
      const maskAt = request.mask ? place("mask", request.mask) : 0;
      const biasAt = bias ? place("bias", bias.values) : 0;
      const tokenView = new Int32Array(mem(), tokens, total);
      if (recent) tokenView.set(recent);
      if (bias) tokenView.set(bias.ids, nRecent);
      const ioArray = new Float64Array(mem(), ioOffset, io.length);
      encodeParams(ioArray, request.params, nRecent, request.isa ?? 0);
      const code = x.rsk_sample(
        logitsAt, V, maskAt, request.mask?.length ?? 0, tokens, total, biasAt, nBias, ioOffset, io.length, work, workLength,
      );
      if (code < 0) return kernelError(code);
      const result = new Float64Array(mem(), ioOffset, io.length);
      if (out) {
        const n = result[io.nFinal]!;
        out.ids.set(new Int32Array(mem(), work + result[io.finalIds]! * 4, n));
        out.probs.set(new Float64Array(mem(), work + result[io.finalProbs]! * 8, n));
      }
      return decodeDraw(result);
    },
    maskApply(logits, mask) {
      checkShapes(logits, { params: undefined as never, mask });
      const at = place("logits", logits);
      status(x.rsk_mask_apply(at, logits.length, place("mask", mask), mask.length));
      if (logits.buffer !== mem()) logits.set(new Float32Array(mem(), at, logits.length));
    },
    maskAnd(dst, a, b) {
      const words = checkSameWords(dst, a, b);
      const at = place("mask-dst", dst);
      status(x.rsk_mask_and(at, place("mask-a", a), place("mask-b", b), words));
      if (dst.buffer !== mem()) dst.set(new Uint32Array(mem(), at, words));
    },
    maskOr(dst, a, b) {
      const words = checkSameWords(dst, a, b);
      const at = place("mask-dst", dst);
      status(x.rsk_mask_or(at, place("mask-a", a), place("mask-b", b), words));
      if (dst.buffer !== mem()) dst.set(new Uint32Array(mem(), at, words));
    },
    maskCount: (mask, vocab) => status(x.rsk_mask_count(place("mask", mask), mask.length, vocab)),
    uniform: (seed, step) => x.rsk_uniform(seed % 4294967296, Math.floor(seed / 4294967296), step),
    noop: (v) => x.rsk_noop(v),
    trieWalker,
  };
}
