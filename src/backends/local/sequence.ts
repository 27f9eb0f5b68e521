/** One request's state inside the decode loop: prompt progress, generated tokens, text output and finish. */
import type { Kernels, SampleBatch } from "../../../ffi/kernels.ts";
import { StopMatcher } from "./stop.ts";

/** What `pick` sees besides the logits. */
export interface PickContext {
  /** The llama.cpp sequence id (slot) this request decodes in. */
  readonly seq: number;
  /** Index of the token being chosen (0 for the first generated token). */
  readonly index: number;
  /** Tokens generated so far (excluding the one being chosen). */
  readonly generated: readonly number[];
}

/**
 * A pick the loop can run together with the other sequences' picks: every row of a step staged into one batch,
 * one kernel call, then each row read back (the sampler kernels' `rsk_sample_batch`).
 */
export interface BatchedPick {
  /** The kernels whose batch it stages into (picks on different kernels are not batched together). */
  readonly kernels: Pick<Kernels, "batch">;
  /** Room it needs in a batch row (penalty window plus logit-bias ids). */
  readonly tokens: number;
  /** Writes this step's request into row `row` of `batch`. */
  stage(batch: SampleBatch, row: number): void;
  /** After the batch ran: the token of row `row`; throws like the pick itself when the draw is refused. */
  finish(batch: SampleBatch, row: number): number;
}

/**
 * Chooses the next token from one row of logits, which is a view of llama.cpp's memory: read (or mask) it
 * during the call, never keep it (the next decode overwrites it). Throwing ends this request with that error.
 * With `batched`, the loop may instead sample this row together with the step's other rows in one kernel call.
 */
export type PickToken = ((logits: Float32Array, context: PickContext) => number) & { readonly batched?: BatchedPick };

/** Why a generation ended: OpenAI's `stop`/`length`, or the client went away, or it failed. */
export type GenerationEndReason = "stop" | "length" | "abort" | "error";

/** How a generation ended, with usage. */
export interface GenerationFinish {
  /** `stop`: end-of-generation token or stop string; `length`: max_tokens or the context filled up. */
  readonly reason: GenerationEndReason;
  /** Prompt tokens. */
  readonly promptTokens: number;
  /** Generated tokens, including a final end-of-generation token. */
  readonly completionTokens: number;
  /** The generated token ids (for logprobs, audit and tests). */
  readonly tokens: readonly number[];
  /** The failure when reason is `error` (also thrown by the text iterator). */
  readonly error?: unknown;
}

/** A running generation: iterate for text pieces (UTF-8 whole, stop strings removed); `finish` says why it ended. */
export interface LocalGeneration extends AsyncIterable<string> {
  /** Resolves (never rejects) when the generation has ended and its sequence is free. */
  readonly finish: Promise<GenerationFinish>;
  /** Prompt length in tokens. */
  readonly promptTokens: number;
}

/** Default cap on a sequence's unread text (RSK_STREAM_BUFFER_BYTES). */
export const DEFAULT_STREAM_BUFFER = 1 << 16;

/** A request inside the loop. Mutable on purpose: the loop updates it in place every step without allocating. */
export class Sequence {
  /** llama.cpp sequence id while admitted, else -1. */
  slot = -1;
  /** Prompt tokens already decoded into the KV cache. */
  prefilled = 0;
  /** Token chosen last step and not yet decoded (-1 while prefilling). */
  pending = -1;
  /** Tokens generated so far. */
  readonly generated: number[] = [];
  /** Set by abort signal or consumer cancel; honoured at the start of the next step. */
  cancelled = false;
  /** True once finished (the slot is then released by the loop). */
  done = false;
  /** Set when a stop string matched, so `end` does not release held-back text. */
  private stoppedByString = false;
  /** The reader cancelled the stream: nothing may be enqueued any more. */
  private streamCancelled = false;
  /** Output channel for text pieces, holding at most ~`bufferChars` unread (then the sequence pauses). */
  readonly output: ReadableStream<string>;
  /** Set by the loop: called when a paused sequence may run again (its reader took text, or it was cancelled). */
  wake: (() => void) | undefined = undefined;
  /** Resolves `finish`. */
  readonly finished: Promise<GenerationFinish>;
  private controller!: ReadableStreamDefaultController<string>;
  private resolveFinish!: (finish: GenerationFinish) => void;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly stops: StopMatcher;

  constructor(
    /** Prompt tokens. */
    readonly prompt: Int32Array,
    /** Most tokens to generate. */
    readonly maxTokens: number,
    stop: readonly string[],
    /** The caller's token choice. */
    readonly pick: PickToken,
    /** Unread text (UTF-16 units, about bytes) after which decoding pauses: a slow client costs no memory or compute. */
    bufferChars = DEFAULT_STREAM_BUFFER,
  ) {
    this.stops = new StopMatcher(stop);
    this.output = new ReadableStream<string>({
      start: (controller) => {
        this.controller = controller;
      },
      pull: () => this.wake?.(),
      cancel: () => {
        this.streamCancelled = true;
        this.cancel();
      },
    }, { highWaterMark: bufferChars, size: (chunk) => chunk?.length ?? 0 });
    this.finished = new Promise((resolve) => (this.resolveFinish = resolve));
  }

  /** Marks the request cancelled (honoured at the next step) and wakes the loop if it was idle. */
  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }

  /** True while its reader is behind by the buffer cap: the loop skips its decode steps (backpressure). */
  get paused(): boolean {
    return !this.done && !this.streamCancelled && (this.controller.desiredSize ?? 1) <= 0;
  }

  /** Position of the next token this sequence decodes. */
  get position(): number {
    return this.prefilled + Math.max(this.generated.length - 1, 0);
  }

  /** Feeds one generated token's bytes; returns false when a stop string ended the generation. */
  pushBytes(bytes: Uint8Array): boolean {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return true;
    const scan = this.stops.push(text);
    if (scan.emit.length > 0 && !this.streamCancelled) this.controller.enqueue(scan.emit);
    this.stoppedByString = scan.stopped;
    return !scan.stopped;
  }

  /** Ends the generation: flushes text (unless cut by a stop string or failure) and settles `finish`. */
  end(reason: GenerationEndReason, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (reason === "length" || (reason === "stop" && !this.stoppedByString)) {
      const scan = this.stops.push(this.decoder.decode());
      const tail = scan.stopped ? scan.emit : scan.emit + this.stops.flush();
      if (tail.length > 0 && !this.streamCancelled) this.controller.enqueue(tail);
    }
    if (reason === "error") this.controller.error(error);
    else if (!this.streamCancelled) this.controller.close();
    const finish = { reason, promptTokens: this.prompt.length, completionTokens: this.generated.length, tokens: this.generated };
    this.resolveFinish(reason === "error" ? { ...finish, error } : finish);
  }
}

/** Wraps a sequence's output as the public LocalGeneration; leaving the loop early cancels the request. */
export function generationOf(sequence: Sequence): LocalGeneration {
  return {
    finish: sequence.finished,
    promptTokens: sequence.prompt.length,
    async *[Symbol.asyncIterator]() {
      const reader = sequence.output.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        if (!sequence.done) sequence.cancel();
        reader.releaseLock();
      }
    },
  };
}
