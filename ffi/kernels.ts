/**
 * The one `Kernels` interface that native (bun:ffi / Deno.dlopen), WASM and the TS reference implement,
 * plus the shape-checked buffer types that cross it. Semantics of every stage: kernels/README.md.
 */

declare const vocabBrand: unique symbol;

/** Logits for a vocabulary of `V` tokens; the type carries V so a mask for another vocabulary will not fit. */
export type Logits<V extends number = number> = Float32Array & { readonly [vocabBrand]: V };

/** Allowed-token bitmask (bit i of word i>>5 = token i allowed) for a vocabulary of `V` tokens. */
export type TokenMask<V extends number = number> = Uint32Array & { readonly [vocabBrand]: V };

/** Words a TokenMask of `vocab` tokens has. */
export function maskWords(vocab: number): number {
  return Math.ceil(vocab / 32);
}

/** Checks `array` holds exactly `vocab` logits and brands it; a wrong length is a RangeError, never corruption. */
export function logitsOf<V extends number>(array: Float32Array, vocab: V): Logits<V> {
  if (!Number.isInteger(vocab) || vocab <= 0) throw new RangeError(`vocabulary size must be a positive integer, got ${vocab}`);
  if (array.length !== vocab) throw new RangeError(`logits: expected ${vocab} floats, got ${array.length}`);
  return array as Logits<V>;
}

/** Checks `array` has exactly ceil(vocab/32) words and brands it as a mask for `vocab` tokens. */
export function maskOf<V extends number>(array: Uint32Array, vocab: V): TokenMask<V> {
  if (array.length !== maskWords(vocab)) {
    throw new RangeError(`token mask: expected ${maskWords(vocab)} words for ${vocab} tokens, got ${array.length}`);
  }
  return array as TokenMask<V>;
}

/** A new mask for `vocab` tokens with every token allowed (`allow=true`) or none. */
export function newMask<V extends number>(vocab: V, allow = true): TokenMask<V> {
  const mask = new Uint32Array(maskWords(vocab));
  if (allow) {
    mask.fill(0xffffffff);
    if (vocab % 32 !== 0) mask[mask.length - 1] = (2 ** (vocab % 32) - 1) >>> 0;
  }
  return mask as TokenMask<V>;
}

/** Numeric sampling parameters exactly as the kernels take them (validated upstream by src/sampler). */
export interface SampleParams {
  /** <= 0 selects greedy decoding (argmax, lowest id wins ties). */
  readonly temperature: number;
  /** <= 0 disables; must be <= V. */
  readonly topK: number;
  /** >= 1 disables. */
  readonly topP: number;
  /** <= 0 disables. */
  readonly minP: number;
  /** >= 1 disables. */
  readonly typicalP: number;
  /** Each truncating stage keeps at least this many tokens (llama.cpp's min_keep). */
  readonly minKeep: number;
  /** 0 = off, 2 = Mirostat 2.0 (replaces the truncation stages). */
  readonly mirostat: 0 | 2;
  /** Mirostat target surprise in bits. */
  readonly tau: number;
  /** Mirostat learning rate. */
  readonly eta: number;
  /** Mirostat state, owned by the caller between steps (start at 2 * tau). */
  readonly mu: number;
  /** llama.cpp repeat penalty (1 = off) over the recent window. */
  readonly repeatPenalty: number;
  /** Subtracted once per occurrence in the window. */
  readonly frequencyPenalty: number;
  /** Subtracted once if the token occurs in the window. */
  readonly presencePenalty: number;
  /** RNG key: integer in [0, 2^53). */
  readonly seed: number;
  /** RNG counter: integer in [0, 2^53); the same (seed, step) draws the same token everywhere. */
  readonly step: number;
}

/** One sampling call's inputs besides the logits. */
export interface SampleRequest<V extends number> {
  /** Numeric parameters. */
  readonly params: SampleParams;
  /** Allowed tokens (grammar / bans); absent = all allowed. */
  readonly mask?: TokenMask<NoInfer<V>>;
  /** Recent tokens the penalties look at (the caller keeps the window). */
  readonly recent?: Int32Array;
  /** Sparse logit bias, added before the penalties (duplicates add up). */
  readonly bias?: { readonly ids: Int32Array; readonly values: Float32Array };
  /** Forces an instruction set (RSK_ISA_*; native only, for tests and benchmarks). */
  readonly isa?: number;
}

/** Where a caller wants the final distribution copied (ids ascending, probabilities summing to 1). */
export interface Distribution {
  /** Token ids of the support, ascending (capacity >= V). */
  readonly ids: Int32Array;
  /** Their probabilities (capacity >= V). */
  readonly probs: Float64Array;
}

/** A successful draw. */
export interface SampleDraw {
  /** Discriminant. */
  readonly ok: true;
  /** The drawn token id. */
  readonly token: number;
  /** Its probability under the final distribution. */
  readonly prob: number;
  /** Mirostat state for the next step (= input mu when Mirostat is off). */
  readonly muNext: number;
  /** Support size of the final distribution (entries written to `Distribution`). */
  readonly size: number;
  /** The uniform number in [0, 1) the draw used (for audits). */
  readonly uniform: number;
}

/** A kernel refusal: a status code with its meaning, never an exception for bad data. */
export interface KernelError {
  /** Discriminant. */
  readonly ok: false;
  /** RSK_E_* status from rsk.h. */
  readonly status: number;
  /** What the status means. */
  readonly message: string;
}

/** Statuses from rsk.h and what they mean to a caller. */
export const kernelStatus = {
  [-1]: "vocabulary size is 0 or larger than 2^24",
  [-2]: "a logit is NaN or +inf",
  [-3]: "a parameter is out of range (or a token id is outside the vocabulary)",
  [-4]: "every token is banned, masked or -inf",
  [-5]: "a buffer is too short or misaligned",
  [-6]: "the requested instruction set is not available",
} as const satisfies Record<number, string>;

/** Builds the KernelError for a status code. */
export function kernelError(status: number): KernelError {
  const message = (kernelStatus as Record<number, string>)[status] ?? `unknown status ${status}`;
  return { ok: false, status, message };
}

/** Instruction sets (RSK_ISA_* in rsk.h). */
export const isaName = { 1: "scalar", 2: "avx2", 3: "avx512", 4: "wasm-simd128", 5: "typescript" } as const;

/** A token trie flattened for `rsk_trie_walk` (layout in rsk.h); built once per vocabulary by src/grammar/trie.ts. */
export interface FlatTrie {
  /** (size + 1) * 3 ints: [byte | depth << 8, index past the subtree, first token slot] per node, plus a closing node. */
  readonly nodes: Int32Array;
  /** Token ids in trie order (the slots `nodes` points into). */
  readonly ids: Int32Array;
  /** Nodes (without the closing one). */
  readonly size: number;
  /** Longest token in bytes (the walk's stack depth). */
  readonly maxDepth: number;
  /** Tokens in the vocabulary (the mask has ceil(vocab / 32) words). */
  readonly vocab: number;
}

/** How big a walker's buffers are: a walk that needs more falls back to the caller's own walk. */
export interface WalkerCapacity {
  /** Table rows (distinct parser states one walk may meet). */
  readonly rows: number;
  /** Ints for recorded [from, to) node ranges. */
  readonly ranges: number;
}

/**
 * Buffers and the call of `rsk_trie_walk` over one loaded trie. The accessors return views into the memory the
 * kernel reads (WASM: its linear memory, re-taken after a memory growth), so the caller fills them in place.
 */
export interface TrieWalker {
  /** The trie this walker reads. */
  readonly trie: FlatTrie;
  /** Buffer sizes. */
  readonly capacity: WalkerCapacity;
  /** rows * 256 transition entries (0 unknown, -1 refused, next row + 1). */
  table(): Int32Array;
  /** Per row, bit 0: the row completes the analysed frame. */
  flags(): Int32Array;
  /** RSK_WALK_* slots followed by the row stack. */
  cursor(): Int32Array;
  /** Recorded [from, to) node ranges. */
  ranges(): Int32Array;
  /** The output mask (ceil(vocab / 32) words; the caller clears it). */
  mask(): Uint32Array;
  /**
   * One `rsk_trie_walk` call over the first `rows` rows, stopping before node `end` (default: all), with the first
   * `ranges` ints of `ranges()` (default: all of it; in ranges mode, the list to walk); returns its status.
   */
  walk(rows: number, end?: number, ranges?: number): number;
}

/** Slots and statuses of `rsk_trie_walk` (RSK_WALK_* in rsk.h). */
export const walk = {
  node: 0, visited: 1, limit: 2, state: 3, byte: 4, ranges: 5, mode: 6, modeAll: 0, modeRanges: 1, stack: 8, cut: 1 << 30, stop: 2,
  done: 0, need: 1, limited: 2,
} as const;

/** Cursor ints a walker over `trie` needs. */
export function cursorLength(trie: FlatTrie): number {
  return walk.stack + trie.maxDepth + 2;
}

/**
 * Buffers and the call of `rsk_sample_batch` for up to `rows` rows over one vocabulary, made once and reused: each
 * call allocates nothing. The accessors return views the kernel reads in place (WASM: its linear memory, re-taken
 * after a memory growth); row r's slices start at r * 32 (io), r * maskWords(vocab) (masks) and r * tokensPerRow
 * (tokens, bias). Fill rows with `stageRow` (ffi/batch.ts) or write the io slots directly.
 */
export interface SampleBatch {
  /** Vocabulary size of every row. */
  readonly vocab: number;
  /** Most rows one call samples. */
  readonly rows: number;
  /** Room per row for its recent window plus its logit-bias ids. */
  readonly tokensPerRow: number;
  /** rows * vocab logits, row r at r * vocab (the default input of `run`). */
  logits(): Float32Array;
  /** rows * 32 doubles: each row's rsk_sample inputs and outputs (`io` slots, batch slots included). */
  io(): Float64Array;
  /** rows * maskWords(vocab) mask words. */
  masks(): Uint32Array;
  /** rows * tokensPerRow token ids: each row's recent window, then its bias ids. */
  tokens(): Int32Array;
  /** rows * tokensPerRow bias values (row r's from r * tokensPerRow). */
  bias(): Float32Array;
  /**
   * Samples rows [0, n) in one kernel call, row r reading `from` (default `logits()`) at r * vocab; returns how
   * many rows failed (each row's status is in its io STATUS slot). A malformed batch is a RangeError.
   */
  run(n: number, from?: Float32Array): number;
}

/** The sampler and mask kernels, one implementation per backend. */
export interface Kernels {
  /** Which implementation this is. */
  readonly kind: "native" | "wasm" | "ts";
  /** Instruction set in use (e.g. "avx512"), for logs and benchmark labels. */
  readonly isa: string;
  /** A logits buffer the kernels read without copying (for WASM it lives in its memory). */
  logits<V extends number>(vocab: V): Logits<V>;
  /** One sampling step over `logits`; optionally copies the final distribution into `out`. */
  sample<V extends number>(logits: Logits<V>, request: SampleRequest<V>, out?: Distribution): SampleDraw | KernelError;
  /** logits[i] = -inf where the mask forbids token i. */
  maskApply<V extends number>(logits: Logits<V>, mask: TokenMask<NoInfer<V>>): void;
  /** dst = a & b. */
  maskAnd<V extends number>(dst: TokenMask<V>, a: TokenMask<NoInfer<V>>, b: TokenMask<NoInfer<V>>): void;
  /** dst = a | b. */
  maskOr<V extends number>(dst: TokenMask<V>, a: TokenMask<NoInfer<V>>, b: TokenMask<NoInfer<V>>): void;
  /** Number of allowed tokens among the first `vocab`. */
  maskCount<V extends number>(mask: TokenMask<V>, vocab: NoInfer<V>): number;
  /** The uniform double in [0, 1) drawn for (seed, step). */
  uniform(seed: number, step: number): number;
  /** Bare call into the implementation (FFI / WASM boundary baseline for benchmarks). */
  noop(x: number): number;
  /** A walker over `trie` (WASM: the trie is copied into its memory once per walker). */
  trieWalker(trie: FlatTrie, capacity: WalkerCapacity): TrieWalker;
  /** Buffers for batches of up to `rows` rows of `vocab` logits, each row with up to `tokensPerRow` recent + bias ids. */
  batch(vocab: number, rows: number, tokensPerRow: number): SampleBatch;
}

/**
 * What a sampler chain draws with: `Kernels` themselves, or a pack's sampler kernel (src/packs/pack-sampling.ts),
 * which has `batch` only when its module exports rsk_sample_batch (else the decode loop samples its rows one by one).
 */
export type SamplingKernels = Pick<Kernels, "sample"> & { readonly batch?: Kernels["batch"] };

/** io slots of rsk_sample (RSK_IO_* in rsk.h). */
export const io = {
  temperature: 0, topK: 1, topP: 2, minP: 3, typicalP: 4, minKeep: 5, mirostat: 6, tau: 7, eta: 8, mu: 9,
  repeatPenalty: 10, frequencyPenalty: 11, presencePenalty: 12, nRecent: 13, seedLo: 14, seedHi: 15, step: 16,
  isa: 17, maskAt: 18, status: 19, token: 20, prob: 21, muNext: 22, nFinal: 23, uniform: 24, finalIds: 25,
  finalProbs: 26, tokensAt: 27, nTokens: 28, biasAt: 29, advance: 30, mass: 31, length: 32,
} as const;

/** Writes params into the io array the C ABI reads. */
export function encodeParams(target: Float64Array, params: SampleParams, nRecent: number, isa: number): void {
  target[io.temperature] = params.temperature;
  target[io.topK] = params.topK;
  target[io.topP] = params.topP;
  target[io.minP] = params.minP;
  target[io.typicalP] = params.typicalP;
  target[io.minKeep] = params.minKeep;
  target[io.mirostat] = params.mirostat;
  target[io.tau] = params.tau;
  target[io.eta] = params.eta;
  target[io.mu] = params.mu;
  target[io.repeatPenalty] = params.repeatPenalty;
  target[io.frequencyPenalty] = params.frequencyPenalty;
  target[io.presencePenalty] = params.presencePenalty;
  target[io.nRecent] = nRecent;
  target[io.seedLo] = params.seed % 4294967296;
  target[io.seedHi] = Math.floor(params.seed / 4294967296);
  target[io.step] = params.step;
  target[io.isa] = isa;
}

/** Reads a successful draw back from the io array. */
export function decodeDraw(source: Float64Array): SampleDraw {
  return {
    ok: true,
    token: source[io.token]!,
    prob: source[io.prob]!,
    muNext: source[io.muNext]!,
    size: source[io.nFinal]!,
    uniform: source[io.uniform]!,
  };
}

/** Token ids passed to the C ABI: the recent window, then the bias ids. */
export function packTokens(recent: Int32Array | undefined, biasIds: Int32Array | undefined, scratch: Int32Array): Int32Array {
  const nRecent = recent?.length ?? 0;
  const total = nRecent + (biasIds?.length ?? 0);
  const view = scratch.subarray(0, total);
  if (recent) view.set(recent);
  if (biasIds) view.set(biasIds, nRecent);
  return view;
}

/** Checks the request's buffers against the logits' vocabulary; throws RangeError on a mismatch. */
export function checkShapes(logits: Float32Array, request: SampleRequest<number>): void {
  if (logits.length === 0) throw new RangeError("logits: empty (detached or zero-length buffer)");
  if (request.mask && request.mask.length !== maskWords(logits.length)) {
    throw new RangeError(`token mask: expected ${maskWords(logits.length)} words for ${logits.length} tokens, got ${request.mask.length}`);
  }
  if (request.bias && request.bias.ids.length !== request.bias.values.length) {
    throw new RangeError(`logit bias: ${request.bias.ids.length} ids but ${request.bias.values.length} values`);
  }
}

/** Checks the three masks of an AND/OR have the same number of words. */
export function checkSameWords(dst: Uint32Array, a: Uint32Array, b: Uint32Array): number {
  if (dst.length !== a.length || a.length !== b.length) {
    throw new RangeError(`token masks differ in length: ${dst.length}, ${a.length}, ${b.length} words`);
  }
  return dst.length;
}
