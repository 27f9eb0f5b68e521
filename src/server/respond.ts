/**
 * The one exit: response writers for completions. Both accept only GuardDecision values (checked by type and at
 * run time), so generated text reaches a client only after the guard released it.
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { Channel, FinishReason, Usage } from "../backends/types.ts";
import type { ToolCallPiece } from "../guard/tools.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { ApiError } from "./errors.ts";
import { EventCollector, EventWriter, type Progress } from "./writer.ts";

/** Identity and format of one completion response. */
export interface ResponseShape {
  /** `chatcmpl-…` or `cmpl-…`. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** Model id echoed to the client. */
  model: string;
  /** Chat chunks carry `delta`, text completions carry `text`. */
  kind: "chat" | "completion";
  /** Whether a streamed response ends with a usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** `performance.now()` at request arrival, for time-to-first-token. */
  startedAt: number;
}

/** The chat message field each channel is written to. */
const CHAT_FIELD: Record<Channel, string> = { content: "content", reasoning: "reasoning_content", refusal: "refusal" };

/**
 * Writes decisions as OpenAI SSE chunks; a block or failure ends the stream with an error event and no [DONE].
 * Every chunk's fixed head (id, object, created, model) is serialised once.
 */
export class SseWriter extends EventWriter {
  readonly #roleSent = new Set<number>();
  /** `data: {"id":…,"model":…,` — the part of every chunk that never changes. */
  readonly #head: string;

  constructor(sse: SSEStreamingApi, shape: ResponseShape, metrics: GatewayMetrics) {
    super(sse, shape, metrics);
    const { id, created, model, kind } = shape;
    this.#head = `data: ${JSON.stringify({ id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model }).slice(0, -1)},`;
  }

  protected async progress(v: Progress): Promise<void> {
    switch (v.kind) {
      case "release":
        return this.#chunk(v.choice, v.text, null, v.channel);
      case "tool":
        return this.#send({ choices: [{ index: v.choice, delta: this.#toolDelta(v.choice, v.piece), logprobs: null, finish_reason: null }] });
      case "finish":
        return this.#chunk(v.choice, "", v.reason, "content");
      case "usage":
        if (this.shape.includeUsage) await this.#send({ choices: [], usage: v.usage });
    }
  }

  protected error(error: ApiError): Promise<void> {
    return this.out.push(`event: error\ndata: ${JSON.stringify(error.toBody())}\n\n`);
  }

  protected end(): Promise<void> {
    return this.out.push("data: [DONE]\n\n");
  }

  async #chunk(choice: number, text: string, finish: FinishReason | null, channel: Channel): Promise<void> {
    const body = this.shape.kind === "chat"
      ? { index: choice, delta: this.#delta(choice, text, finish, channel), logprobs: null, finish_reason: finish }
      : { index: choice, text, logprobs: null, finish_reason: finish };
    await this.#send({ choices: [body] });
  }

  #toolDelta(choice: number, piece: ToolCallPiece): object {
    const call = piece.name === undefined
      ? { index: piece.call, function: { arguments: piece.arguments } }
      : { index: piece.call, id: piece.id, type: "function", function: { name: piece.name, arguments: piece.arguments } };
    if (this.#roleSent.has(choice)) return { tool_calls: [call] };
    this.#roleSent.add(choice);
    return { role: "assistant", content: null, tool_calls: [call] };
  }

  #delta(choice: number, text: string, finish: FinishReason | null, channel: Channel): Record<string, string> {
    const part = finish && !text ? {} : { [CHAT_FIELD[channel]]: text };
    if (this.#roleSent.has(choice)) return part;
    this.#roleSent.add(choice);
    return { role: "assistant", content: "", ...part };
  }

  /** One chunk: the fixed head, then `rest`'s fields. */
  #send(rest: object): Promise<void> {
    return this.out.push(`${this.#head}${JSON.stringify(rest).slice(1)}\n\n`);
  }
}

/** Collects decisions into one non-streamed OpenAI response; a block or failure throws its error instead. */
export class JsonCollector extends EventCollector {
  readonly #texts = new Map<number, string[]>();
  readonly #extra = new Map<number, Partial<Record<Channel, string>>>();
  readonly #calls = new Map<number, Map<number, { id: string; name: string; arguments: string }>>();
  readonly #finish = new Map<number, FinishReason>();
  #usage: Usage | undefined;

  protected take(v: Progress): void {
    switch (v.kind) {
      case "release": {
        const parts = this.#text(v.choice);
        if (v.channel === "content") parts.push(v.text);
        else {
          const extra = this.#extra.get(v.choice) ?? {};
          extra[v.channel] = (extra[v.channel] ?? "") + v.text;
          this.#extra.set(v.choice, extra);
        }
        return;
      }
      case "tool": {
        this.#text(v.choice);
        let calls = this.#calls.get(v.choice);
        if (!calls) this.#calls.set(v.choice, (calls = new Map()));
        const call = calls.get(v.piece.call);
        if (call) call.arguments += v.piece.arguments;
        else calls.set(v.piece.call, { id: v.piece.id!, name: v.piece.name!, arguments: v.piece.arguments });
        return;
      }
      case "finish":
        this.#text(v.choice);
        this.#finish.set(v.choice, v.reason);
        return;
      case "usage":
        this.#usage = v.usage;
    }
  }

  /** The response body. */
  body(): object {
    const { id, created, model, kind } = this.shape;
    const choices = [...this.#texts.keys()].sort((a, b) => a - b).map((index) => {
      const text = this.#texts.get(index)!.join("");
      const finish_reason = this.#finish.get(index) ?? "stop";
      return kind === "chat"
        ? { index, message: this.#message(index, text), logprobs: null, finish_reason }
        : { index, text, logprobs: null, finish_reason };
    });
    return { id, object: kind === "chat" ? "chat.completion" : "text_completion", created, model, choices, ...(this.#usage ? { usage: this.#usage } : {}) };
  }

  #message(index: number, content: string): object {
    const { reasoning, refusal } = this.#extra.get(index) ?? {};
    const calls = [...(this.#calls.get(index) ?? new Map()).entries()].sort(([a], [b]) => a - b)
      .map(([, c]) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
    return {
      role: "assistant",
      content: calls.length > 0 && content === "" ? null : content,
      refusal: refusal ?? null,
      ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}),
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    };
  }

  #text(choice: number): string[] {
    let parts = this.#texts.get(choice);
    if (!parts) this.#texts.set(choice, (parts = []));
    return parts;
  }
}
