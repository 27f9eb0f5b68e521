/**
 * The local backend's core: one GGUF model, one llama.cpp context with n_seq_max sequences and the decode
 * loop that batches every active request into a single llama_decode per step. The server layers sampling,
 * grammar masks and gates on top through each request's `pick` and the text it receives.
 */
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { LlamaContext } from "../../../ffi/llama/context.ts";
import { LlamaModel, type VocabularyBytes } from "../../../ffi/llama/model.ts";
import { InvalidGenerationError, PromptTooLongError } from "./errors.ts";
import { DecodeLoop, type DecodeLoopStats } from "./loop.ts";
import { generationOf, Sequence, type LocalGeneration, type PickToken } from "./sequence.ts";
import { modelToolSyntax, syntaxTokens, syntaxVocabulary } from "./syntax-vocabulary.ts";
import type { ToolCallSyntax } from "./tool-syntax.ts";

/** How to open the engine; everything but the model path has a default. */
export interface LlamaEngineOptions {
  /** GGUF file (RSK_MODEL / --model). */
  readonly modelPath: string;
  /** Concurrent sequences decoded together (default 8). */
  readonly nSeqMax?: number;
  /** KV cells per sequence: prompt plus completion (default min(training context, 2048)). */
  readonly nCtxPerSequence?: number;
  /** Most tokens one decode step carries (default 512); longer prompts prefill over several steps. */
  readonly nBatch?: number;
  /** CPU threads for llama_decode (default: available cores, at most 8). */
  readonly nThreads?: number;
  /** Unread text per request after which its decoding pauses (RSK_STREAM_BUFFER_BYTES, default 64 KiB). */
  readonly streamBufferBytes?: number;
}

/** One completion request, already tokenized (see `model.tokenize` / `model.tokenizeChat`). */
export interface GenerationRequest {
  /** Prompt tokens. */
  readonly prompt: Int32Array | readonly number[];
  /** Most tokens to generate. */
  readonly maxTokens: number;
  /** Stop strings (the text stops before the first match, even one split across tokens). */
  readonly stop?: readonly string[];
  /** Client abort: the sequence is freed within one decode step. */
  readonly signal?: AbortSignal;
  /** Chooses each token from the in-place logits row (sampler + masks go here). */
  readonly pick: PickToken;
}

/** A model served with continuous batching. */
export class LlamaEngine {
  private closed = false;
  private constructor(
    /** The loaded model (tokenizer, chat template, vocabulary). */
    readonly model: LlamaModel,
    /** The shared context. */
    readonly context: LlamaContext,
    /** The chat template's tool-call syntax; a string: why the model has none rsk knows. */
    readonly toolSyntax: ToolCallSyntax | string,
    /** The syntax's control tokens this model has as one token (text → id); see syntax-vocabulary.ts. */
    readonly syntaxTokens: ReadonlyMap<string, number>,
    /** Token bytes of generated text and of grammar masks: the syntax's control tokens render as their text. */
    readonly vocabulary: VocabularyBytes,
    private readonly loop: DecodeLoop,
    private readonly streamBufferBytes: number | undefined,
  ) {}

  /** Loads the model and creates the context; rejects with LlamaLoadError (missing library, bad GGUF...). */
  static async open(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const model = await LlamaModel.load(options.modelPath);
    try {
      const nSeqMax = options.nSeqMax ?? 8;
      const nCtxPerSequence = options.nCtxPerSequence ?? Math.min(model.nCtxTrain, 2048);
      const context = await LlamaContext.create(model, {
        nCtx: nCtxPerSequence * nSeqMax,
        nBatch: options.nBatch ?? 512,
        nSeqMax,
        nThreads: options.nThreads ?? Math.min(availableParallelism(), 8),
      });
      const toolSyntax = modelToolSyntax(options.modelPath, basename(options.modelPath).replace(/\.gguf$/i, ""));
      const tokens = typeof toolSyntax === "string" ? new Map<string, number>() : syntaxTokens(model, toolSyntax);
      const vocabulary = syntaxVocabulary(model, tokens);
      const loop = new DecodeLoop(context, vocabulary, (token) => model.isEndOfGeneration(token));
      return new LlamaEngine(model, context, toolSyntax, tokens, vocabulary, loop, options.streamBufferBytes);
    } catch (error) {
      model.close();
      throw error;
    }
  }

  /** Longest prompt a request may have, in tokens. */
  get maxPromptTokens(): number {
    return this.context.nCtxSeq - 1;
  }

  /** Sequences decoding now. */
  get activeSequences(): number {
    return this.loop.activeSequences;
  }

  /** Requests waiting for a free sequence. */
  get waitingRequests(): number {
    return this.loop.waitingRequests;
  }

  /** Decode counters. */
  get stats(): Readonly<DecodeLoopStats> {
    return this.loop.stats;
  }

  /**
   * Starts a generation; it joins the batch at the next step. Throws PromptTooLongError or
   * InvalidGenerationError at once (HTTP 400) instead of starting.
   */
  generate(request: GenerationRequest): LocalGeneration {
    if (this.closed) throw new Error("the local engine is closed");
    const prompt = Int32Array.from(request.prompt);
    if (prompt.length === 0) throw new InvalidGenerationError("the prompt is empty");
    if (prompt.length > this.maxPromptTokens) throw new PromptTooLongError(prompt.length, this.maxPromptTokens);
    const { nVocab } = this.model;
    if (prompt.some((t) => t < 0 || t >= nVocab)) throw new InvalidGenerationError(`prompt token outside 0..${nVocab - 1}`);
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      throw new InvalidGenerationError(`max_tokens must be a positive integer, got ${request.maxTokens}`);
    }
    const sequence = new Sequence(prompt, request.maxTokens, request.stop ?? [], request.pick, this.streamBufferBytes);
    const { signal } = request;
    if (signal) {
      if (signal.aborted) sequence.cancelled = true;
      const onAbort = (): void => sequence.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      void sequence.finished.then(() => signal.removeEventListener("abort", onAbort));
    }
    this.loop.submit(sequence);
    return generationOf(sequence);
  }

  /** Aborts every request and frees the context and model. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.loop.close();
    this.context.close();
    this.model.close();
  }
}
