/** A llama.cpp context: one KV cache shared by n_seq_max sequences, one batched `llama_decode` per call. */
import { setTimeout } from "node:timers";
import { nativeRuntime, type NativePointer, type NativeRuntime } from "../native.ts";
import { LlamaLoadError } from "./library.ts";
import type { LlamaModel } from "./model.ts";

/** Sizes of a context (llama.cpp may round them up). */
export interface LlamaContextOptions {
  /** Total KV cells across all sequences. */
  readonly nCtx: number;
  /** Most tokens one decode step may carry (prompt chunks plus one per generating sequence). */
  readonly nBatch: number;
  /** Sequences decoded together. */
  readonly nSeqMax: number;
  /** CPU threads for llama_decode; 0 lets llama.cpp choose. */
  readonly nThreads?: number;
}

/**
 * The batch of the next decode, filled in place by the caller (no allocation per step): entry i is token
 * `token[i]` at position `pos[i]` of sequence `seq[i]`, with logits wanted when `output[i]` is 1.
 */
export interface DecodeBatch {
  /** Token ids. */
  readonly token: Int32Array;
  /** Positions within each sequence. */
  readonly pos: Int32Array;
  /** Sequence ids (0 .. nSeqMax-1). */
  readonly seq: Int32Array;
  /** 1 where the logits of this entry are needed. */
  readonly output: Int32Array;
}

/** rsk_llama_decode_poll while the decode is running (RSK_LLAMA_DECODE_RUNNING in rsk_llama.h). */
const DECODE_RUNNING = -1000;

/** `decodeOffThread`'s status when the context was closed while the decode ran. */
export const DECODE_CLOSED = -1002;

/**
 * Decodes expected to take longer than this many milliseconds run on the context's own thread: the JS thread (HTTP,
 * upstream streams, timers) would otherwise stop for as long. Shorter ones run inline: the hand-over is checked on
 * millisecond timers (checking every event-loop turn instead keeps a core busy, and on a small machine llama.cpp's
 * threads then wait for it at their barriers: tokens/s fell by two thirds), which would cost a short decode more than
 * it frees.
 */
export const OFF_THREAD_DECODE_MS = 20;

/** Decodes of at most this many tokens (one per generating sequence) are timed apart from prompt prefills. */
const SMALL_DECODE = 32;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A context on a model; close it before the model. */
export class LlamaContext {
  /** Total KV cells. */
  readonly nCtx: number;
  /** KV cells one sequence may use: the longest prompt plus completion. */
  readonly nCtxSeq: number;
  /** Capacity of one decode. */
  readonly nBatch: number;
  /** Number of sequences. */
  readonly nSeqMax: number;
  /** The batch `decode` sends; fill its first n entries. */
  readonly batch: DecodeBatch;
  private rows: Float32Array[] = [];
  private pointer: NativePointer | null;

  private constructor(
    /** The model the context runs. */
    readonly model: LlamaModel,
    pointer: NativePointer,
    private readonly runtime: NativeRuntime,
  ) {
    this.pointer = pointer;
    const info = new Int32Array(4);
    model.library.native.rsk_llama_context_info(pointer, info, info.length);
    [this.nCtx, this.nCtxSeq, this.nBatch, this.nSeqMax] = [info[0]!, info[1]!, info[2]!, info[3]!];
    const n = this.nBatch;
    this.batch = { token: new Int32Array(n), pos: new Int32Array(n), seq: new Int32Array(n), output: new Int32Array(n) };
  }

  /** Creates a context; rejects with a LlamaLoadError quoting llama.cpp when it cannot. */
  static async create(model: LlamaModel, options: LlamaContextOptions): Promise<LlamaContext> {
    const runtime = await nativeRuntime();
    const { nCtx, nBatch, nSeqMax, nThreads = 0 } = options;
    const handle = model.library.native.rsk_llama_context_new(model.handle, nCtx, nBatch, nSeqMax, nThreads);
    if (handle === null) {
      const reason = model.library.lastError() || "llama.cpp gave no reason";
      throw new LlamaLoadError("context_failed", `cannot create a llama.cpp context (n_ctx ${nCtx}, n_seq_max ${nSeqMax}): ${reason}`);
    }
    return new LlamaContext(model, handle, runtime);
  }

  /** Native handle; throws once closed, since a freed handle would crash the whole process. */
  private get handle(): NativePointer {
    if (this.pointer === null) throw new Error("the llama.cpp context is closed");
    return this.pointer;
  }

  /** Decodes the first n batch entries in one llama_decode; returns 0 or llama.cpp's status (1: no KV slot, <0: error). */
  decode(n: number): number {
    const { token, pos, seq, output } = this.batch;
    const started = performance.now();
    const status = this.model.library.native.rsk_llama_decode(this.handle, token, pos, seq, output, n);
    this.#learn(n, performance.now() - started);
    return status;
  }

  /** Whether a decode handed over by `decodeOffThread` is running on the context's thread now. */
  get decoding(): boolean {
    return this.pointer !== null && this.model.library.native.rsk_llama_decode_running(this.pointer) === 1;
  }

  /** Milliseconds of a small decode (≤ SMALL_DECODE tokens: generation steps), averaged (NaN before the first). */
  #smallMs = Number.NaN;
  /** Milliseconds per token of larger decodes (prompt prefill), averaged (NaN before the first). */
  #msPerToken = Number.NaN;

  #learn(n: number, ms: number): void {
    const average = (old: number, sample: number) => (Number.isNaN(old) ? sample : 0.8 * old + 0.2 * sample);
    if (n <= SMALL_DECODE) this.#smallMs = average(this.#smallMs, ms);
    else this.#msPerToken = average(this.#msPerToken, ms / n);
  }

  /** How long a decode of n tokens should take, from past ones (NaN when no decode of its kind has run yet). */
  #expectedMs(n: number): number {
    return n <= SMALL_DECODE ? this.#smallMs : Math.max(this.#smallMs, this.#msPerToken * n);
  }

  /**
   * `decode` without holding the JS thread when it is expected to take longer than `offThreadMs` (or when nothing is
   * known yet): the decode runs on the context's own thread, and this resolves once it has ended (checked every
   * millisecond). Until then the context must not be used; `close` waits for the decode. Resolves with
   * `DECODE_CLOSED` when the context was closed meanwhile.
   */
  async decodeOffThread(n: number, offThreadMs = OFF_THREAD_DECODE_MS): Promise<number> {
    if (this.#expectedMs(n) <= offThreadMs) return this.decode(n);
    const { native } = this.model.library;
    const { token, pos, seq, output } = this.batch;
    const started = performance.now();
    const begun = native.rsk_llama_decode_begin(this.handle, token, pos, seq, output, n);
    if (begun !== 0) return begun;
    for (;;) {
      await sleep(1);
      if (this.pointer === null) return DECODE_CLOSED;
      const status = native.rsk_llama_decode_poll(this.pointer);
      if (status !== DECODE_RUNNING) {
        this.#learn(n, performance.now() - started);
        return status;
      }
    }
  }

  /**
   * The last decode's logits, one nVocab-long row per requested output in batch order, viewed in llama.cpp's
   * memory (no copy). Valid only until the next decode. The views are built once and reused while llama.cpp
   * keeps its output buffer in place (it only moves when a decode has more outputs than ever before).
   */
  logitsRows(nOutputs: number): readonly Float32Array[] {
    const { native } = this.model.library;
    if (native.rsk_llama_logits_stable(this.handle) !== 1 || nOutputs > this.rows.length) {
      const pointer = native.rsk_llama_logits(this.handle);
      if (pointer === null) throw new Error("llama.cpp has no logits: the last decode requested none");
      // llama.cpp reserves output rows for n_seq_max sequences up front, so that many rows are always mapped.
      const nRows = Math.max(nOutputs, this.nSeqMax);
      const { nVocab } = this.model;
      const all = this.runtime.float32View(pointer, nRows * nVocab);
      this.rows = Array.from({ length: nRows }, (_, r) => all.subarray(r * nVocab, (r + 1) * nVocab));
    }
    return this.rows;
  }

  /** Frees every KV cell of `seq` so the sequence id can start over at position 0. */
  removeSequence(seq: number): void {
    this.model.library.native.rsk_llama_seq_rm(this.handle, seq);
  }

  /** llama.cpp's last error message (after a failed decode). */
  lastError(): string {
    return this.model.library.lastError();
  }

  /** Frees the context and its KV cache. */
  close(): void {
    if (this.pointer === null) return;
    this.model.library.native.rsk_llama_context_free(this.pointer);
    this.pointer = null;
    this.rows = [];
  }
}
