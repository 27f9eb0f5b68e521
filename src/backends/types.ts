/** What every backend (upstream HTTP, local llama.cpp) produces: raw, ungated text events per choice. */
import type { TokenRules } from "../policy/schema.ts";
import type { ChatRequest, CompletionRequest } from "../server/wire.ts";

/** Why a choice stopped, as OpenAI reports it. */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls";

/** Token counts, when the backend reports them. */
export interface Usage {
  /** Tokens in the prompt. */
  prompt_tokens: number;
  /** Tokens generated. */
  completion_tokens: number;
  /** Sum of both. */
  total_tokens: number;
}

/**
 * Which part of a choice a text belongs to: the answer, the model's reasoning (`reasoning_content`), or a refusal.
 * Each is its own gated stream; absent means `content`.
 */
export type Channel = "content" | "reasoning" | "refusal";

/** One event from a backend. Text here is ungated: only the guard may turn it into client output. */
export type BackendEvent =
  | { type: "text"; choice: number; text: string; channel?: Channel }
  /** A piece of tool call `call` of a choice: its id and name when first seen, then fragments of its JSON arguments. */
  | { type: "tool"; choice: number; call: number; id?: string; name?: string; arguments?: string }
  | { type: "finish"; choice: number; reason: FinishReason }
  | { type: "usage"; usage: Usage };

/** A completion job for a backend, after validation and the input gate. */
export type BackendRequest =
  | { kind: "chat"; body: ChatRequest; signal: AbortSignal; tokens?: TokenRules; requestId?: string }
  | { kind: "completion"; body: CompletionRequest; signal: AbortSignal; tokens?: TokenRules; requestId?: string };

/** A model entry for `GET /v1/models`. */
export interface ModelCard {
  /** Model id clients pass as `model`. */
  id: string;
  /** Always "model". */
  object: "model";
  /** Unix seconds. */
  created: number;
  /** Who serves it. */
  owned_by: string;
}

/** A source of generated text. Failures are thrown as ApiError (502/504/...) from the iterator. */
export interface Backend {
  /** Requests it serves at once (local: the engine's sequences); admission queues the rest. Unset: a default. */
  readonly slots?: number;
  /** Models this backend serves. */
  models(signal: AbortSignal): Promise<ModelCard[]>;
  /** Whether it can serve now (`/readyz`); absent = always. */
  ready?(): Promise<boolean>;
  /** Streams events for one request; stops work promptly when `request.signal` aborts or iteration stops. */
  generate(request: BackendRequest): AsyncIterable<BackendEvent>;
  /** Embeddings of already-gated input (`POST /v1/embeddings`); absent = the backend has none. */
  embed?(body: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}
