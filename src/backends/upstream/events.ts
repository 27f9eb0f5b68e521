/** Upstream SSE payloads (OpenAI chunk JSON) to backend events, for chat and text completions. */
import type { BackendEvent, Channel, FinishReason, Usage } from "../types.ts";
import { streamedFailure, UpstreamError } from "./failures.ts";

interface Chunk {
  model?: unknown;
  choices?: unknown;
  usage?: Usage | null;
  error?: unknown;
}

/** The texts a chat delta or message may carry. */
interface ChatText {
  tool_calls?: unknown;
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  refusal?: unknown;
}

interface ChunkChoice {
  index?: unknown;
  delta?: ChatText | null;
  text?: unknown;
  message?: ChatText | null;
  finish_reason?: unknown;
}

/** How one response's events are read: its kind and how many choices the request asked for. */
export interface EventShape {
  /** Chat chunks carry `delta`/`message`, text completions `text`. */
  kind: "chat" | "completion";
  /** The request's `n`: an upstream choice index must be below it. */
  choices: number;
  /** The model the upstream says answered (its first chunk's `model`, at most 256 characters), for traces. */
  model?: string;
}

/** Events in one upstream chunk (a streamed `data:` payload, or a whole non-stream response). */
export function chunkEvents(data: string, shape: EventShape): BackendEvent[] {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    throw new UpstreamError("malformed", 502, `upstream sent an SSE event that is not JSON (${data.length} bytes)`);
  }
  if (chunk === null || typeof chunk !== "object") throw new UpstreamError("malformed", 502, "upstream sent an SSE event that is not a JSON object");
  if (chunk.error) throw streamedFailure(chunk.error);
  if (shape.model === undefined && typeof chunk.model === "string" && chunk.model.length <= 256) shape.model = chunk.model;
  const choices = chunk.choices ?? [];
  if (!Array.isArray(choices)) throw new UpstreamError("malformed", 502, "upstream sent `choices` that is not an array");
  const events: BackendEvent[] = [];
  for (const c of choices as ChunkChoice[]) {
    if (c === null || typeof c !== "object") throw new UpstreamError("malformed", 502, "upstream sent a choice that is not an object");
    const choice = choiceIndex(c.index, shape.choices);
    if (shape.kind === "chat") {
      const part = c.delta ?? c.message ?? {};
      // Reasoning first: servers that send both in one delta wrote the reasoning before the answer.
      pushText(events, choice, "reasoning", part.reasoning_content ?? part.reasoning, "reasoning_content");
      pushText(events, choice, "refusal", part.refusal, "refusal");
      pushText(events, choice, "content", part.content, "content");
      if (part.tool_calls !== undefined && part.tool_calls !== null) pushToolCalls(events, choice, part.tool_calls, c.delta ? "delta" : "message");
    } else pushText(events, choice, "content", c.text, "text");
    // Only a non-empty reason ends a choice: some servers send "" on every chunk, which means "not yet".
    if (typeof c.finish_reason === "string" && c.finish_reason.length > 0) events.push({ type: "finish", choice, reason: finishReason(c.finish_reason) });
  }
  if (chunk.usage && typeof chunk.usage.total_tokens === "number") {
    const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
    events.push({ type: "usage", usage: { prompt_tokens, completion_tokens, total_tokens } });
  }
  return events;
}

/** Adds a text event for a string field; anything but a string, null or absent is a malformed upstream. */
function pushText(events: BackendEvent[], choice: number, channel: Channel, text: unknown, field: string): void {
  if (typeof text === "string") {
    if (text.length > 0) events.push(channel === "content" ? { type: "text", choice, text } : { type: "text", choice, text, channel });
  } else if (text !== undefined && text !== null) {
    throw new UpstreamError("malformed", 502, `upstream sent a chunk whose ${field} is not a string`);
  }
}

/** Most tool calls one choice may make. */
const MAX_TOOL_CALLS = 128;

/** Tool-call events from a delta's (indexed fragments) or a whole message's `tool_calls`. */
function pushToolCalls(events: BackendEvent[], choice: number, calls: unknown, from: "delta" | "message"): void {
  if (!Array.isArray(calls)) throw new UpstreamError("malformed", 502, "upstream sent tool_calls that is not an array");
  calls.forEach((raw: unknown, position) => {
    if (raw === null || typeof raw !== "object") throw new UpstreamError("malformed", 502, "upstream sent a tool call that is not an object");
    const c = raw as { index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown } | null };
    // A whole message lists its calls in order; deltas say which call they continue.
    const call = from === "message" && c.index === undefined ? position : c.index;
    if (typeof call !== "number" || !Number.isInteger(call) || call < 0 || call >= MAX_TOOL_CALLS) {
      throw new UpstreamError("malformed", 502, `upstream sent tool call index ${JSON.stringify(call)?.slice(0, 32)}; at most ${MAX_TOOL_CALLS} calls per choice`);
    }
    const id = optionalString(c.id, "tool call id"), name = optionalString(c.function?.name, "tool call name");
    const args = optionalString(c.function?.arguments, "tool call arguments");
    if (id !== undefined || name !== undefined || args) events.push({ type: "tool", choice, call, id, name, arguments: args || undefined });
  });
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new UpstreamError("malformed", 502, `upstream sent a ${what} that is not a string`);
  return value;
}

/** A choice index the request can have: an integer in `[0, n)` (absent means 0). */
function choiceIndex(index: unknown, n: number): number {
  if (index === undefined || index === null) return 0;
  if (typeof index === "number" && Number.isInteger(index) && index >= 0 && index < n) return index;
  throw new UpstreamError("malformed", 502, `upstream sent choice index ${JSON.stringify(index).slice(0, 32)}; the request asked for ${n} choice${n === 1 ? "" : "s"}`);
}

function finishReason(reason: string): FinishReason {
  return reason === "length" || reason === "content_filter" || reason === "tool_calls" ? reason : "stop";
}
