/**
 * Continuous batching over one llama.cpp context: every step runs ONE llama_decode carrying the next token of
 * every generating sequence plus prompt chunks of newly admitted ones (chunked prefill within n_batch), then
 * hands each sequence's logits row, in place, to its `pick`. Requests join at the next step and leave as soon
 * as they finish, freeing their sequence and KV cells at once. A decode expected to be long runs on the context's
 * own thread (`LlamaContext.decodeOffThread`), so HTTP, upstream streams and timers go on meanwhile.
 */
import { setImmediate } from "node:timers";
import type { Kernels, SampleBatch } from "../../../ffi/kernels.ts";
import type { LlamaContext } from "../../../ffi/llama/context.ts";
import type { VocabularyBytes } from "../../../ffi/llama/model.ts";
import { DecodeError } from "./errors.ts";
import type { Sequence } from "./sequence.ts";

/** Counters for metrics and tests. */
export interface DecodeLoopStats {
  /** Decode steps run. */
  steps: number;
  /** Tokens decoded (prompt and generated). */
  decodedTokens: number;
  /** Tokens generated. */
  generatedTokens: number;
  /** Milliseconds inside llama_decode. */
  decodeMs: number;
  /** Milliseconds inside steps in total: minus decodeMs, it is the loop's own per-token overhead (picks included). */
  stepMs: number;
  /** Steps whose rows were all sampled in one batched kernel call. */
  batchedSteps: number;
}

/** The part of a LlamaContext the loop drives (a benchmark can stub `decode` to time the loop alone). */
export type DecodeTarget = Pick<
  LlamaContext,
  "batch" | "nBatch" | "nSeqMax" | "nCtxSeq" | "decode" | "decodeOffThread" | "logitsRows" | "removeSequence" | "lastError"
> & { readonly model: { readonly nVocab: number } };

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The scheduler of one context: admission into sequence slots, batch assembly, decode, pick, detokenize. */
export class DecodeLoop {
  /** Running totals. */
  readonly stats: DecodeLoopStats = { steps: 0, decodedTokens: 0, generatedTokens: 0, decodeMs: 0, stepMs: 0, batchedSteps: 0 };
  private readonly slots: (Sequence | undefined)[];
  private readonly waiting: Sequence[] = [];
  /** Batch row → sequence whose logits it holds, for the current step. */
  private readonly outputs: Sequence[] = [];
  private running = false;
  private closed = false;
  /** The batch the step's rows are sampled in (grown when a sequence needs more token room), per kernels. */
  private batch: SampleBatch | undefined;
  private batchKernels: Pick<Kernels, "batch"> | undefined;
  /** This step's token (or failure) per output row. */
  private readonly picked: (number | { readonly error: unknown })[] = [];

  constructor(
    private readonly context: DecodeTarget,
    private readonly vocabulary: VocabularyBytes,
    private readonly isEndOfGeneration: (token: number) => boolean,
  ) {
    this.slots = new Array<Sequence | undefined>(context.nSeqMax).fill(undefined);
  }

  /** Sequences holding a slot now (returns to 0 when all requests have finished or been aborted). */
  get activeSequences(): number {
    return this.slots.reduce((n, s) => (s ? n + 1 : n), 0);
  }

  /** Requests waiting for a free slot. */
  get waitingRequests(): number {
    return this.waiting.length;
  }

  /** Queues a request; it joins the batch at the next step with a free slot. */
  submit(sequence: Sequence): void {
    if (this.closed) throw new Error("the decode loop is closed");
    this.waiting.push(sequence);
    sequence.wake = () => this.wake();
    this.wake();
  }

  /** Starts the loop if it is idle (a new request, or a paused sequence whose reader caught up). */
  private wake(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.run();
  }

  /** Aborts every request and stops; the context can be freed afterwards. */
  close(): void {
    this.closed = true;
    for (const sequence of [...this.waiting, ...this.slots]) if (sequence) sequence.cancelled = true;
    this.release();
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed && (await this.cycle())) await yieldToEventLoop();
    } finally {
      this.running = false;
    }
  }

  /** One scheduling step whose decode leaves the JS thread free when it is long (`decodeOffThread`). */
  private async cycle(): Promise<boolean> {
    const started = performance.now();
    const n = this.prepare();
    if (n === 0) return this.waiting.length > 0;
    const decodeStarted = performance.now();
    return this.finish(n, await this.context.decodeOffThread(n), started, decodeStarted);
  }

  /** One scheduling step with its decode on the JS thread; false when there is nothing left to do. */
  step(): boolean {
    const started = performance.now();
    const n = this.prepare();
    if (n === 0) return this.waiting.length > 0;
    const decodeStarted = performance.now();
    return this.finish(n, this.context.decode(n), started, decodeStarted);
  }

  /** Frees what finished, admits waiting requests and fills the batch; its token count. */
  private prepare(): number {
    this.release();
    this.admit();
    return this.assemble();
  }

  /** After a decode of n tokens: its outputs to their sequences (or its error to all of them), then the counters. */
  private finish(n: number, status: number, started: number, decodeStarted: number): boolean {
    const decoded = performance.now();
    const { stats } = this;
    stats.steps++;
    stats.decodedTokens += n;
    stats.decodeMs += decoded - decodeStarted;
    // Closed while the decode ran: every request was aborted, and the context may be gone.
    if (this.closed) return false;
    if (status !== 0) {
      const error = new DecodeError(status, this.context.lastError());
      for (const sequence of this.slots) sequence?.end("error", error);
    } else {
      this.sample();
    }
    this.release();
    stats.stepMs += performance.now() - started;
    return status === 0 || this.waiting.length > 0;
  }

  /** Ends cancelled requests and frees the slots and KV cells of finished ones. */
  private release(): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const sequence = this.waiting[i]!;
      if (sequence.cancelled) {
        sequence.end("abort");
        this.waiting.splice(i, 1);
      }
    }
    this.slots.forEach((sequence, slot) => {
      if (!sequence) return;
      if (sequence.cancelled) sequence.end("abort");
      if (!sequence.done) return;
      // Once closed, a decode may still be running on the context (or the context is freed): its cells go with it.
      if (!this.closed) this.context.removeSequence(slot);
      this.slots[slot] = undefined;
    });
  }

  private admit(): void {
    for (let slot = 0; slot < this.slots.length && this.waiting.length > 0; slot++) {
      if (this.slots[slot]) continue;
      const sequence = this.waiting.shift()!;
      sequence.slot = slot;
      this.slots[slot] = sequence;
    }
  }

  /** Fills the context's batch: one token per generating sequence first, then prompt chunks within n_batch. */
  private assemble(): number {
    const { token, pos, seq, output } = this.context.batch;
    const budget = this.context.nBatch;
    this.outputs.length = 0;
    let n = 0;
    for (const sequence of this.slots) {
      if (!sequence || sequence.pending < 0 || n >= budget || sequence.paused) continue;
      token[n] = sequence.pending;
      pos[n] = sequence.position;
      seq[n] = sequence.slot;
      output[n] = 1;
      this.outputs.push(sequence);
      n++;
    }
    for (const sequence of this.slots) {
      if (!sequence || sequence.pending >= 0 || n >= budget) continue;
      const { prompt } = sequence;
      const end = Math.min(prompt.length, sequence.prefilled + budget - n);
      for (let i = sequence.prefilled; i < end; i++) {
        token[n] = prompt[i]!;
        pos[n] = i;
        seq[n] = sequence.slot;
        output[n] = i === prompt.length - 1 ? 1 : 0;
        n++;
      }
      sequence.prefilled = end;
      if (end === prompt.length) this.outputs.push(sequence);
    }
    return n;
  }

  /** Chooses each output row's token (one batched kernel call when every pick allows it), then detokenizes and applies the stop conditions. */
  private sample(): void {
    const { nVocab } = this.context.model;
    const rows = this.context.logitsRows(this.outputs.length);
    if (!this.pickBatched(rows, nVocab)) this.pickEach(rows);
    const { bytes, offsets } = this.vocabulary;
    this.outputs.forEach((sequence, row) => {
      const token = this.picked[row]!;
      if (typeof token !== "number") return sequence.end("error", token.error);
      sequence.generated.push(token);
      this.stats.generatedTokens++;
      if (this.isEndOfGeneration(token)) return sequence.end("stop");
      if (!sequence.pushBytes(bytes.subarray(offsets[token]!, offsets[token + 1]!))) return sequence.end("stop");
      const contextFull = sequence.prompt.length + sequence.generated.length > this.context.nCtxSeq;
      if (sequence.generated.length >= sequence.maxTokens || contextFull) return sequence.end("length");
      sequence.pending = token;
    });
  }

  /** One pick call per row. */
  private pickEach(rows: readonly Float32Array[]): void {
    this.picked.length = 0;
    this.outputs.forEach((sequence, row) => {
      try {
        this.picked.push(this.checked(sequence.pick(rows[row]!, { seq: sequence.slot, index: sequence.generated.length, generated: sequence.generated })));
      } catch (error) {
        this.picked.push({ error });
      }
    });
  }

  /**
   * Every row in one kernel call when every pick is batched on the same kernels and the rows lie one after another
   * in memory (llama.cpp's logits); false (nothing done) otherwise.
   */
  private pickBatched(rows: readonly Float32Array[], nVocab: number): boolean {
    const n = this.outputs.length, first = this.outputs[0]?.pick.batched;
    if (!first || n === 0) return false;
    let room = 0;
    for (const sequence of this.outputs) {
      const batched = sequence.pick.batched;
      if (!batched || batched.kernels !== first.kernels) return false;
      room = Math.max(room, batched.tokens);
    }
    const head = rows[0]!, last = rows[n - 1]!;
    if (last.buffer !== head.buffer || last.byteOffset !== head.byteOffset + (n - 1) * nVocab * 4) return false;
    const batch = this.batchFor(first.kernels, nVocab, room);
    this.picked.length = 0;
    this.outputs.forEach((sequence, row) => {
      try {
        sequence.pick.batched!.stage(batch, row);
        this.picked.push(0);
      } catch (error) {
        this.picked.push({ error });
      }
    });
    try {
      batch.run(n, new Float32Array(head.buffer, head.byteOffset, n * nVocab));
    } catch (error) {
      this.picked.fill({ error });
      return true;
    }
    this.outputs.forEach((sequence, row) => {
      if (typeof this.picked[row] !== "number") return;
      try {
        this.picked[row] = this.checked(sequence.pick.batched!.finish(batch, row));
      } catch (error) {
        this.picked[row] = { error };
      }
    });
    this.stats.batchedSteps++;
    return true;
  }

  /** The batch for `kernels`, with room for `tokens` ids per row (made again, larger, when a sequence needs more). */
  private batchFor(kernels: Pick<Kernels, "batch">, nVocab: number, tokens: number): SampleBatch {
    const current = this.batch;
    if (current && current.tokensPerRow >= tokens && this.batchKernels === kernels) return current;
    this.batchKernels = kernels;
    this.batch = kernels.batch(nVocab, this.slots.length, Math.max(tokens, current?.tokensPerRow ?? 0));
    return this.batch;
  }

  /** A pick's answer must be a token id of the model. */
  private checked(token: number): number {
    const { nVocab } = this.context.model;
    if (!Number.isInteger(token) || token < 0 || token >= nVocab) throw new RangeError(`pick returned ${token}, not a token id in 0..${nVocab - 1}`);
    return token;
  }
}
