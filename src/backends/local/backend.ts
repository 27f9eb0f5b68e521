/**
 * The local backend as the gateway sees it: requests tokenized with the model's chat template, every step's
 * token chosen by rsk's sampler kernels (with the checks that fail closed), text handed to the guard.
 */
import { basename } from "node:path";
import { type Kernels, logitsOf, maskOf, type SamplingKernels } from "../../../ffi/mod.ts";
import { GrammarError, GrammarMatcher, requestConstraint } from "../../grammar/mod.ts";
import { toolCallConstraint } from "../../grammar/tool-call.ts";
import { masksFor, prepareVocabulary } from "../../grammar/vocabulary.ts";
import { meteredKernels } from "../../metrics/kernels.ts";
import { SamplerChain, parseSamplingConfig } from "../../sampler/mod.ts";
import { packSampling } from "../../packs/pack-sampling.ts";
import type { SamplerKernel } from "../../packs/sampler.ts";
import { samplerKernels } from "../../packs/sampler-table.ts";
import { ApiError } from "../../server/errors.ts";
import type { ChatMessage as WireMessage, ChatRequest } from "../../server/wire.ts";
import type { Backend, BackendEvent, BackendRequest, ModelCard } from "../types.ts";
import type { LlamaEngine } from "./engine.ts";
import { InvalidGenerationError, PromptTooLongError } from "./errors.ts";
import type { BatchedPick, PickToken } from "./sequence.ts";
import { mergeBias, TokenRuleResolver } from "./tokens.ts";
import { ToolCallParser, toolConversation } from "./tool-calls.ts";
import { ToolCallMasks } from "./tool-sampling.ts";
import { KNOWN_SYNTAXES } from "./tool-syntax.ts";

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
    this.kernels = meteredKernels(kernels); // every sampling call counted for /metrics
    this.#card = { id: basename(modelPath).replace(/\.gguf$/i, ""), object: "model", created: 0, owned_by: "rsk-local" };
    this.#tokenRules = new TokenRuleResolver(engine.model, (texts) =>
      console.error(`rsk: policy token rules name texts that are not one token of ${this.#card.id}: ${texts.map((t) => JSON.stringify(t)).join(", ")}`));
    const { syntaxTokens, toolSyntax } = engine;
    this.#syntaxTokenIds = new Set(syntaxTokens.values());
    this.#leadToken = typeof toolSyntax === "string" || toolSyntax.lead === undefined ? undefined : syntaxTokens.get(toolSyntax.lead);
  }

  /** Analyses the vocabulary for grammar masks now (string bodies, formats: tens of ms), not in the first request. */
  prepareGrammars(): number {
    return prepareVocabulary(this.engine.vocabulary, this.#endTokens(), this.kernels);
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
    const calling = request.kind === "chat" ? this.#toolCalling(request.body) : undefined;
    const prompt = this.#tokenize(request);
    const sampling = parseSamplingConfig(body);
    if (!sampling.ok) throw new ApiError(400, sampling.message, { code: "invalid_sampling" });
    const stop = body.stop == null ? [] : [body.stop].flat();
    const room = this.engine.maxPromptTokens + 1 - prompt.length;
    const requested = body.max_tokens ?? ("max_completion_tokens" in body ? body.max_completion_tokens : undefined);
    const n = body.n ?? 1;
    const constraint = requestConstraint(body);
    if (constraint && calling) throw new ApiError(400, "the local backend cannot follow a response format or grammar and tool calls at once: send tool_choice \"none\"", { param: "tool_choice", code: "invalid_request" });
    const masks = constraint && masksFor(constraint, this.engine.vocabulary, this.#endTokens());
    const callMasks = calling && masksFor(calling.constraint, this.engine.vocabulary, this.#endTokens());
    const logit_bias = request.tokens ? mergeBias(sampling.config.logit_bias, this.#tokenRules.resolve(request.tokens)) : sampling.config.logit_bias;
    const kernels = this.#samplingKernels(sampling.config.sampler_kernel);
    const runs = Array.from({ length: n }, (_, choice) => {
      const config = { ...sampling.config, logit_bias, seed: sampling.config.seed === undefined ? undefined : sampling.config.seed + choice };
      const chain = SamplerChain.create(kernels, this.engine.model.nVocab, config);
      if (!(chain instanceof SamplerChain)) throw new ApiError(400, chain.message, { code: "invalid_sampling" });
      const callMatcher = callMasks && new ToolCallMasks(callMasks, calling.syntax.trigger, calling.lazy, this.#syntaxTokenIds, this.#leadToken);
      return { choice, callMatcher, pick: pickWith(chain, callMatcher || (masks && new GrammarMatcher(masks))) };
    });
    const openers = this.toolCallOpeners;
    const generations = runs.map(({ choice, callMatcher, pick }) => {
      try {
        const generation = this.engine.generate({ prompt, maxTokens: Math.max(1, requested ?? room), stop, signal, pick });
        return { choice, callMatcher, generation };
      } catch (err) {
        throw asRequestError(err);
      }
    });
    let completion = 0;
    yield* merge(generations.map(async function* ({ choice, callMatcher, generation }): AsyncIterable<BackendEvent> {
      const parser = calling && new ToolCallParser(choice, calling.syntax, newCallId, calling.lazy);
      for await (const text of generation) {
        if (parser) yield* parser.push(text);
        else yield { type: "text", choice, text };
      }
      const finish = await generation.finish;
      completion += finish.completionTokens;
      if (callMatcher?.opened) openers[callMatcher.opened]++;
      if (finish.reason === "abort") return;
      if (finish.reason === "error") throw generationError(finish.error);
      if (parser?.inCall) {
        throw new ApiError(400, `max_tokens ran out inside tool call ${parser.calls} of choice ${choice}: its arguments are incomplete; raise max_tokens`, { param: "max_tokens", code: "tool_call_truncated" });
      }
      if (parser) yield* parser.end();
      yield { type: "finish", choice, reason: parser?.calls && finish.reason === "stop" ? "tool_calls" : finish.reason };
    }));
    if (!signal.aborted) {
      yield { type: "usage", usage: { prompt_tokens: prompt.length, completion_tokens: completion, total_tokens: prompt.length + completion } };
    }
  }

  /** Tool-call answers by how their calls began: with one of the syntax's control tokens, or spelled in text. */
  readonly toolCallOpeners = { token: 0, text: 0 };

  #endTokenIds?: number[];
  /** Ids of the syntax's control tokens in this model. */
  readonly #syntaxTokenIds: ReadonlySet<number>;
  /** The lead token (Llama 3.1's `<|python_tag|>`) when the model has it. */
  readonly #leadToken: number | undefined;
  readonly #tokenRules: TokenRuleResolver;
  /** One adapter per pack sampler kernel, so requests on the same kernel share the decode loop's batch. */
  readonly #packSampling = new WeakMap<SamplerKernel, SamplingKernels>();

  /** The kernels a request samples with: rsk's, or the pack sampler kernel it names (400 if none is loaded). */
  #samplingKernels(name: string | undefined): SamplingKernels {
    if (name === undefined) return this.kernels;
    const [pack, kernelName] = name.split("/") as [string, string];
    const kernel = samplerKernels.get(pack, kernelName);
    if (!kernel) {
      const loaded = samplerKernels.names();
      throw new ApiError(400, `sampler_kernel "${name}" is not loaded (loaded: ${loaded.length ? loaded.join(", ") : "none"})`, { param: "sampler_kernel", code: "invalid_sampling" });
    }
    let sampling = this.#packSampling.get(kernel);
    if (!sampling) this.#packSampling.set(kernel, (sampling = packSampling(kernel, this.kernels)));
    return sampling;
  }

  /** End-of-generation token ids: a grammar mask allows them exactly where the grammar accepts. */
  #endTokens(): number[] {
    if (!this.#endTokenIds) {
      const { model } = this.engine;
      this.#endTokenIds = [];
      for (let t = 0; t < model.nVocab; t++) if (model.isEndOfGeneration(t)) this.#endTokenIds.push(t);
    }
    return this.#endTokenIds;
  }

  /** How a chat request calls tools: the template's syntax, the call grammar, lazy (`auto`) or not; undefined: no calls. */
  #toolCalling(body: ChatRequest) {
    const choice = body.tool_choice ?? "auto";
    if (!body.tools?.length || choice === "none") return undefined;
    const syntax = this.engine.toolSyntax;
    if (typeof syntax === "string") {
      throw new ApiError(400, `${syntax}: send tool_choice "none", or serve through an upstream`, { param: "tools", code: "unsupported_tools" });
    }
    const named = typeof choice === "object" ? choice.function.name : undefined;
    const tools = body.tools.filter((t) => named === undefined || t.function.name === named).map((t) => ({ name: t.function.name, parameters: t.function.parameters }));
    try {
      return { syntax, lazy: choice === "auto", constraint: toolCallConstraint(tools, syntax, syntax.parallel && body.parallel_tool_calls !== false) };
    } catch (err) {
      if (err instanceof GrammarError) throw new ApiError(400, `the local backend cannot constrain calls to these tools: ${err.message}`, { param: "tools", code: "invalid_grammar", cause: err });
      throw err;
    }
  }

  #tokenize(request: BackendRequest): Int32Array {
    const { model } = this.engine;
    try {
      if (request.kind === "completion") return model.tokenize([request.body.prompt].flat()[0]!, { addSpecial: true });
      const { messages, tools } = request.body;
      if (tools?.length || messages.some((m) => m.role === "tool" || (m.role === "assistant" && m.tool_calls?.length))) {
        const syntax = this.engine.toolSyntax;
        if (typeof syntax !== "string") return model.tokenizeChat(toolConversation(messages, (tools ?? []).map((t) => t.function), syntax, contentText));
      }
      return model.tokenizeChat(messages.map(plainMessage));
    } catch (err) {
      throw asRequestError(err);
    }
  }
}

function plainMessage(m: WireMessage): { role: string; content: string } {
  if (m.role === "tool" || (m.role === "assistant" && m.tool_calls?.length)) {
    throw new ApiError(400, `the local backend takes tool calls and tool results in the history only for chat templates with a tool-call syntax rsk knows (${KNOWN_SYNTAXES})`, { param: "messages", code: "unsupported_tools" });
  }
  return { role: m.role, content: contentText(m) };
}

/** A message's text (text parts only). */
function contentText(m: WireMessage): string {
  if (m.content === undefined || m.content === null) return "";
  if (typeof m.content === "string") return m.content;
  if (m.content.some((p) => p.type !== "text")) {
    throw new ApiError(400, "the local backend takes text only (image_url parts are not supported)", { param: "messages", code: "unsupported_content" });
  }
  return m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** A fresh tool call id (96 random bits). */
function newCallId(): string {
  return `call_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The per-step token choice: rsk's sampler chain over llama.cpp's logits, read in place; a failed check throws.
 * With a grammar, the step's mask goes to the sampler and the chosen token advances the matcher, so every
 * completion is valid by construction (end-of-generation is only in the mask where the grammar accepts).
 */
function pickWith(chain: SamplerChain<number>, matcher?: { mask(): Uint32Array | undefined; accept(token: number): boolean }): PickToken {
  const settle = (r: ReturnType<SamplerChain<number>["sample"]>): number => {
    if (r.ok && matcher && !matcher.accept(r.token)) throw new SamplerRejected(`token ${r.token} is outside the grammar's mask`);
    if (r.ok) return r.token;
    throw new SamplerRejected("status" in r && r.status === "check" ? r.message : `sampler kernel refused the step: ${"message" in r ? r.message : String(r)}`);
  };
  const maskNow = () => {
    const mask = matcher?.mask();
    return mask && maskOf(mask, chain.vocab);
  };
  let staged: ReturnType<typeof maskNow>;
  // The decode loop samples every sequence of a step in one kernel call through `batched` (stage, run, finish),
  // when the chain's kernels batch (a pack sampler kernel without rsk_sample_batch samples its rows one by one).
  const kernels = chain.implementation;
  const batched: BatchedPick | undefined = batching(kernels) ? {
    kernels,
    tokens: chain.batchTokens,
    stage: (batch, row) => chain.stage(batch, row, (staged = maskNow())),
    finish: (batch, row) => settle(chain.finish(batch, row, staged)),
  } : undefined;
  return Object.assign((row: Float32Array) => settle(chain.sample(logitsOf(row, chain.vocab), maskNow())), { batched });
}

/** Whether `kernels` can sample a step's rows in one call. */
function batching(kernels: SamplingKernels): kernels is SamplingKernels & Pick<Kernels, "batch"> {
  return kernels.batch !== undefined;
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
