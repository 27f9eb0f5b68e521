/**
 * The Anthropic dialect of an upstream: the pipeline's chat request as a Messages API request, and the Messages SSE
 * stream (`message_start`, `content_block_*`, `message_delta`, `message_stop`, `error`) as backend events — so Claude
 * (or any Messages-speaking server) sits behind rsk for every door.
 */
import { ApiError } from "../../server/errors.ts";
import type { ChatMessage } from "../../server/wire.ts";
import type { BackendEvent, BackendRequest, FinishReason } from "../types.ts";
import { streamedFailure, UpstreamError } from "./failures.ts";

/** The Messages API version rsk speaks. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** Used when a chat request sets no `max_tokens` (the Messages API requires one). */
const DEFAULT_MAX_TOKENS = 4096;

const FINISH: Record<string, FinishReason> = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", tool_use: "tool_calls", refusal: "content_filter" };

type Block = Record<string, unknown>;

const textOf = (content: ChatMessage["content"]): string =>
  content == null ? "" : typeof content === "string" ? content : content.map((p) => {
    if (p.type !== "text") throw new ApiError(400, "image parts cannot be sent to an Anthropic upstream through this gateway", { param: "messages", code: "unsupported_content" });
    return p.text;
  }).join("");

/** Chat messages as Messages API turns: system text apart, tool results as user `tool_result` blocks, same roles merged. */
function turns(messages: readonly ChatMessage[]): { system: string; turns: { role: "user" | "assistant"; content: Block[] }[] } {
  const system: string[] = [];
  const out: { role: "user" | "assistant"; content: Block[] }[] = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") system.push(textOf(m.content));
    else if (m.role === "user") push("user", [{ type: "text", text: textOf(m.content) }]);
    else if (m.role === "tool") push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: textOf(m.content) }]);
    else if (m.role === "assistant") {
      const text = textOf(m.content ?? null);
      const uses = (m.tool_calls ?? []).map((c) => ({ type: "tool_use", id: c.id, name: c.function.name, input: argumentsObject(c.function.arguments) }));
      push("assistant", [...(text ? [{ type: "text", text }] : []), ...uses]);
    }
  }
  return { system: system.join("\n\n"), turns: out };
}

function argumentsObject(args: string): unknown {
  try {
    const value = JSON.parse(args || "{}");
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value;
  } catch { /* below */ }
  throw new ApiError(400, "an earlier tool call's arguments are not a JSON object (an Anthropic upstream needs one)", { param: "messages", code: "invalid_tool_arguments" });
}

/** The Messages API request for a pipeline request (chat only; one choice). */
export function anthropicRequest(request: BackendRequest): object {
  if (request.kind !== "chat") throw new ApiError(400, "text completions need an OpenAI-compatible upstream; this model is served by an Anthropic one", { code: "unsupported_endpoint" });
  const b = request.body;
  if ((b.n ?? 1) > 1) throw new ApiError(400, "n > 1 is not supported by an Anthropic upstream", { param: "n", code: "unsupported_parameter" });
  const { system, turns: messages } = turns(b.messages);
  const choice = b.tool_choice;
  return {
    model: b.model,
    max_tokens: b.max_tokens ?? b.max_completion_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: true,
    ...(system ? { system } : {}),
    ...(b.stop ? { stop_sequences: [b.stop].flat() } : {}),
    // The Messages API takes temperatures up to 1.
    ...(b.temperature != null ? { temperature: Math.min(1, b.temperature) } : {}),
    ...(b.top_p != null ? { top_p: b.top_p } : {}),
    ...(b.top_k != null && b.top_k > 0 ? { top_k: b.top_k } : {}),
    ...(b.user ? { metadata: { user_id: b.user } } : {}),
    ...(b.tools?.length ? { tools: b.tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters ?? { type: "object" } })) } : {}),
    ...(choice
      ? { tool_choice: typeof choice === "string" ? { type: choice === "required" ? "any" : choice, ...(b.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {}) } : { type: "tool", name: choice.function.name } }
      : {}),
  };
}

/** Reads one Messages stream: each SSE event to backend events (one choice; tool calls numbered by block). */
export class AnthropicStream {
  /** Content block index → tool call number, for `input_json_delta`s. */
  readonly #calls = new Map<number, number>();
  readonly #thinking = new Set<number>();
  /** The model `message_start` named (at most 256 characters), for traces. */
  model: string | undefined;
  #inputTokens = 0;

  /** The backend events of one SSE event, and whether it ended the message. */
  decode(event: string | undefined, data: string): { events: BackendEvent[]; done: boolean } {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new UpstreamError("malformed", 502, `upstream sent an SSE event that is not JSON (${data.length} bytes)`);
    }
    const type = typeof e.type === "string" ? e.type : event;
    const index = typeof e.index === "number" ? e.index : -1;
    switch (type) {
      case "message_start": {
        const message = e.message as { model?: unknown; usage?: { input_tokens?: unknown } } | undefined;
        if (typeof message?.model === "string" && message.model.length <= 256) this.model = message.model;
        const usage = message?.usage;
        if (typeof usage?.input_tokens === "number") this.#inputTokens = usage.input_tokens;
        return { events: [], done: false };
      }
      case "content_block_start": {
        const block = (e.content_block ?? {}) as { type?: unknown; id?: unknown; name?: unknown; text?: unknown };
        if (block.type === "tool_use") {
          const call = this.#calls.size;
          this.#calls.set(index, call);
          return { events: [{ type: "tool", choice: 0, call, id: String(block.id ?? `call_${call}`), name: String(block.name ?? ""), arguments: "" }], done: false };
        }
        if (block.type === "thinking") this.#thinking.add(index);
        return { events: typeof block.text === "string" && block.text ? [{ type: "text", choice: 0, text: block.text }] : [], done: false };
      }
      case "content_block_delta": {
        const delta = (e.delta ?? {}) as { type?: unknown; text?: unknown; thinking?: unknown; partial_json?: unknown };
        if (delta.type === "text_delta" && typeof delta.text === "string") return { events: [{ type: "text", choice: 0, text: delta.text }], done: false };
        if (delta.type === "thinking_delta" && typeof delta.thinking === "string") return { events: [{ type: "text", choice: 0, text: delta.thinking, channel: "reasoning" }], done: false };
        if (delta.type === "input_json_delta" && typeof delta.partial_json === "string") {
          const call = this.#calls.get(index);
          if (call === undefined) throw new UpstreamError("malformed", 502, `upstream sent tool input for block ${index}, which is not a tool_use block`);
          return { events: [{ type: "tool", choice: 0, call, arguments: delta.partial_json }], done: false };
        }
        return { events: [], done: false };
      }
      case "message_delta": {
        const delta = (e.delta ?? {}) as { stop_reason?: unknown };
        const usage = (e.usage ?? {}) as { output_tokens?: unknown; input_tokens?: unknown };
        const events: BackendEvent[] = [];
        if (typeof delta.stop_reason === "string") events.push({ type: "finish", choice: 0, reason: FINISH[delta.stop_reason] ?? "stop" });
        if (typeof usage.output_tokens === "number") {
          const prompt = typeof usage.input_tokens === "number" ? usage.input_tokens : this.#inputTokens;
          events.push({ type: "usage", usage: { prompt_tokens: prompt, completion_tokens: usage.output_tokens, total_tokens: prompt + usage.output_tokens } });
        }
        return { events, done: false };
      }
      case "message_stop":
        return { events: [], done: true };
      case "error":
        throw streamedFailure(e.error);
      default: // ping, content_block_stop, future event types
        return { events: [], done: false };
    }
  }
}
