/**
 * The local backend as the gateway sees it: requests tokenized with the model's chat template, every step's
 * token chosen by rsk's sampler kernels (with the checks that fail closed), text handed to the guard.
 */
import { basename } from "node:path";
import { type Kernels, logitsOf, maskOf } from "../../../ffi/mod.ts";
import { GrammarMatcher, requestConstraint } from "../../grammar/mod.ts";
import { masksFor, prepareVocabulary } from "../../grammar/vocabulary.ts";
import { SamplerChain, parseSamplingConfig } from "../../sampler/mod.ts";
import { ApiError } from "../../server/errors.ts";
import type { ChatMessage as WireMessage } from "../../server/wire.ts";
import type { Backend, BackendEvent, BackendRequest, ModelCard } from "../types.ts";
import type { LlamaEngine } from "./engine.ts";
import { InvalidGenerationError, PromptTooLongError } from "./errors.ts";
import type { PickToken } from "./sequence.ts";
import { mergeBias, TokenRuleResolver } from "./tokens.ts";

/** Serves one GGUF model through the engine's continuous batching. */
export class LocalBackend implements Backend {
  readonly #card: ModelCard;
  constructor(
    /** The loaded model and its decode loop. */
    readonly engine: LlamaEngine,
    /** Sampler kernels (native, wasm or ts). */
    readonly kernels: Kernels,
    /** The GGUF file served. */
    readonly modelPath: string,
  ) {
    this.#card = { id: basename(modelPath).replace(/\.gguf$/i, ""), object: "model", created: 0, owned_by: "rsk-local" };
    this.#tokenRules = new TokenRuleResolver(engine.model, (texts) =>
      console.error(`rsk: policy token rules name texts that are not one token of ${this.#card.id}: ${texts.map((t) => JSON.stringify(t)).join(", ")}`));
  }

  /** Analyses the vocabulary for grammar masks now (string bodies, formats: tens of ms), not in the first request. */
  prepareGrammars(): number {
    return prepareVocabulary(this.engine.model.vocabularyBytes(), this.#endTokens(), this.kernels);
  }

  /** One admission slot per llama.cpp sequence. */
  get slots(): number {
    return this.engine.context.nSeqMax;
  }

  /** The one model this backend serves. */
  models(): Promise<ModelCard[]> {
    return Promise.resolve([this.#card]);
  }

  /** Runs `n` generations (one per choice) in the shared batch and merges their text events. */
  async *generate(request: BackendRequest): AsyncIterable<BackendEvent> {
    const { body, signal } = request;
    if (body.model !== this.#card.id) {
      throw new ApiError(404, `model "${body.model.slice(0, 128)}" does not exist; this gateway serves "${this.#card.id}"`, {
        param: "model",
        code: "model_not_found",
      });
    }
    if (request.kind === "chat" && request.body.tools?.length && request.body.tool_choice !== "none") {
      throw new ApiError(400, "the local backend does not call tools yet: send tool_choice \"none\", or serve through an upstream", { param: "tools", code: "unsupported_tools" });
    }
    const prompt = this.#tokenize(request);
    const sampling = parseSamplingConfig(body);
    if (!sampling.ok) throw new ApiError(400, sampling.message, { code: "invalid_sampling" });
    const stop = body.stop == null ? [] : [body.stop].flat();
    const room = this.engine.maxPromptTokens + 1 - prompt.length;
    const requested = body.max_tokens ?? ("max_completion_tokens" in body ? body.max_completion_tokens : undefined);
    const n = body.n ?? 1;
    const constraint = requestConstraint(body);
    const masks = constraint && masksFor(constraint, this.engine.model.vocabularyBytes(), this.#endTokens());
    const logit_bias = request.tokens ? mergeBias(sampling.config.logit_bias, this.#tokenRules.resolve(request.tokens)) : sampling.config.logit_bias;
    const runs = Array.from({ length: n }, (_, choice) => {
      const config = { ...sampling.config, logit_bias, seed: sampling.config.seed === undefined ? undefined : sampling.config.seed + choice };
      const chain = SamplerChain.create(this.kernels, this.engine.model.nVocab, config);
      if (!(chain instanceof SamplerChain)) throw new ApiError(400, chain.message, { code: "invalid_sampling" });
      return { choice, pick: pickWith(chain, masks && new GrammarMatcher(masks)) };
    });
    const generations = runs.map(({ choice, pick }) => {
      try {
        const generation = this.engine.generate({ prompt, maxTokens: Math.max(1, requested ?? room), stop, signal, pick });
        return { choice, generation };
      } catch (err) {
        throw asRequestError(err);
      }
    });
    let completion = 0;
    yield* merge(generations.map(async function* ({ choice, generation }): AsyncIterable<BackendEvent> {
      for await (const text of generation) yield { type: "text", choice, text };
      const finish = await generation.finish;
      completion += finish.completionTokens;
      if (finish.reason === "abort") return;
      if (finish.reason === "error") throw generationError(finish.error);
      yield { type: "finish", choice, reason: finish.reason };
    }));
    if (!signal.aborted) {
      yield { type: "usage", usage: { prompt_tokens: prompt.length, completion_tokens: completion, total_tokens: prompt.length + completion } };
    }
  }

  #endTokenIds?: number[];
  readonly #tokenRules: TokenRuleResolver;

  /** End-of-generation token ids: a grammar mask allows them exactly where the grammar accepts. */
  #endTokens(): number[] {
    if (!this.#endTokenIds) {
      const { model } = this.engine;
      this.#endTokenIds = [];
      for (let t = 0; t < model.nVocab; t++) if (model.isEndOfGeneration(t)) this.#endTokenIds.push(t);
    }
    return this.#endTokenIds;
  }

  #tokenize(request: BackendRequest): Int32Array {
    const { model } = this.engine;
    try {
      if (request.kind === "completion") return model.tokenize([request.body.prompt].flat()[0]!, { addSpecial: true });
      return model.tokenizeChat(request.body.messages.map(plainMessage));
    } catch (err) {
      throw asRequestError(err);
    }
  }
}

function plainMessage(m: WireMessage): { role: string; content: string } {
  if (m.role === "tool" || (m.role === "assistant" && m.tool_calls?.length)) {
    throw new ApiError(400, "the local backend does not take tool calls or tool results in the history yet", { param: "messages", code: "unsupported_tools" });
  }
  if (m.content === undefined || m.content === null) return { role: m.role, content: "" };
  if (typeof m.content === "string") return { role: m.role, content: m.content };
  if (m.content.some((p) => p.type !== "text")) {
    throw new ApiError(400, "the local backend takes text only (image_url parts are not supported)", { param: "messages", code: "unsupported_content" });
  }
  return { role: m.role, content: m.content.map((p) => (p.type === "text" ? p.text : "")).join("") };
}

/**
 * The per-step token choice: rsk's sampler chain over llama.cpp's logits, read in place; a failed check throws.
 * With a grammar, the step's mask goes to the sampler and the chosen token advances the matcher, so every
 * completion is valid by construction (end-of-generation is only in the mask where the grammar accepts).
 */
function pickWith(chain: SamplerChain<number>, matcher?: GrammarMatcher): PickToken {
  return (row) => {
    const r = chain.sample(logitsOf(row, chain.vocab), matcher && maskOf(matcher.mask(), chain.vocab));
    if (r.ok && matcher && !matcher.accept(r.token)) throw new SamplerRejected(`token ${r.token} is outside the grammar's mask`);
    if (r.ok) return r.token;
    throw new SamplerRejected("status" in r && r.status === "check" ? r.message : `sampler kernel refused the step: ${"message" in r ? r.message : String(r)}`);
  };
}

/** A draw the sampler checks or kernels refused: the request ends with an error, nothing of it is emitted. */
class SamplerRejected extends Error {}

function generationError(err: unknown): ApiError {
  if (err instanceof SamplerRejected) return new ApiError(500, `sampler check failed: ${err.message}`, { type: "server_error", code: "sampler_check_failed", cause: err });
  return new ApiError(500, `local generation failed: ${err instanceof Error ? err.message : String(err)}`, { type: "server_error", code: "local_backend_error", cause: err });
}

function asRequestError(err: unknown): unknown {
  if (err instanceof PromptTooLongError) return new ApiError(400, err.message, { param: "messages", code: "context_length_exceeded" });
  if (err instanceof InvalidGenerationError) return new ApiError(400, err.message, { code: "invalid_request" });
  return err;
}

/** Interleaves several async iterables as their items arrive; the first failure ends the merge and stops the rest. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  if (sources.length === 1) return yield* sources[0]!;
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const next = (i: number) => iterators[i]!.next().then((r) => ({ i, r }));
  const pending = new Map(iterators.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pending.set(i, next(i));
        yield r.value;
      }
    }
  } finally {
    await Promise.allSettled(iterators.map((it) => it.return?.()));
  }
}
