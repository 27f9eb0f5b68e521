/**
 * A door: one public API (OpenAI chat completions, text completions, Anthropic Messages, OpenAI Responses) in front of
 * the one pipeline. A door only translates: its request into the OpenAI-shaped request the pipeline gates and runs,
 * and the guard's decisions into its own response, stream events and errors. Gates, grammar checks, admission and
 * the guard are the same whatever the door.
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { ApiError } from "./errors.ts";
import { JsonCollector, type ResponseShape, SseWriter } from "./respond.ts";
import type { DecisionCollector, DecisionWriter } from "./writer.ts";
import { validate } from "./validate.ts";
import { type ChatRequest, chatRequest, type CompletionRequest, completionRequest, type WireLimits } from "./wire.ts";

/** The request the pipeline runs: chat (messages) or a text completion (prompt). */
export type PipelineRequest = { kind: "chat"; body: ChatRequest } | { kind: "completion"; body: CompletionRequest };

/** One public API over the pipeline. */
export interface Door {
  /** Name for metrics and logs (`chat`, `completion`, `messages`, `responses`). */
  readonly name: string;
  /** Validates the door's JSON (400 naming the door's own field) and translates it for the pipeline. */
  parse(json: unknown, limits: WireLimits): PipelineRequest;
  /** A new response id in the door's style. */
  responseId(): string;
  /** The writer of a streamed response. */
  writer(sse: SSEStreamingApi, shape: ResponseShape, metrics: GatewayMetrics): DecisionWriter;
  /** The collector of a non-streamed response. */
  collector(shape: ResponseShape, metrics: GatewayMetrics): DecisionCollector;
  /** The door's error body (status and headers stay the ApiError's). */
  errorBody(error: ApiError): object;
}

declare module "hono" {
  interface ContextVariableMap {
    /** The door's error body, set before any other middleware so every error of that route has its shape. */
    errorBody: (error: ApiError) => object;
  }
}

const hexId = () => crypto.randomUUID().replaceAll("-", "");

/** `POST /v1/chat/completions`. */
export const CHAT_DOOR: Door = {
  name: "chat",
  parse: (json, limits) => ({ kind: "chat", body: validate(chatRequest(limits), json) }),
  responseId: () => `chatcmpl-${hexId()}`,
  writer: (sse, shape, metrics) => new SseWriter(sse, shape, metrics),
  collector: (shape, metrics) => new JsonCollector(shape, metrics),
  errorBody: (error) => error.toBody(),
};

/** `POST /v1/completions`. */
export const COMPLETION_DOOR: Door = {
  ...CHAT_DOOR,
  name: "completion",
  parse: (json, limits) => ({ kind: "completion", body: validate(completionRequest(limits), json) }),
  responseId: () => `cmpl-${hexId()}`,
};
