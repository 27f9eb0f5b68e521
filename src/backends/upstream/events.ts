/** Upstream SSE payloads (OpenAI chunk JSON) to backend events, for chat and text completions. */
import type { BackendEvent, FinishReason, Usage } from "../types.ts";
import { streamedFailure, UpstreamError } from "./failures.ts";

interface Chunk {
  choices?: unknown;
  usage?: Usage | null;
  error?: unknown;
}

interface ChunkChoice {
  index?: unknown;
  delta?: { content?: unknown } | null;
  text?: unknown;
  message?: { content?: unknown } | null;
  finish_reason?: unknown;
}

/** How one response's events are read: its kind and how many choices the request asked for. */
export interface EventShape {
  /** Chat chunks carry `delta`/`message`, text completions `text`. */
  kind: "chat" | "completion";
  /** The request's `n`: an upstream choice index must be below it. */
  choices: number;
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
  const choices = chunk.choices ?? [];
  if (!Array.isArray(choices)) throw new UpstreamError("malformed", 502, "upstream sent `choices` that is not an array");
  const events: BackendEvent[] = [];
  for (const c of choices as ChunkChoice[]) {
    if (c === null || typeof c !== "object") throw new UpstreamError("malformed", 502, "upstream sent a choice that is not an object");
    const choice = choiceIndex(c.index, shape.choices);
    const text = shape.kind === "chat" ? (c.delta?.content ?? c.message?.content) : c.text;
    if (typeof text === "string" && text.length > 0) events.push({ type: "text", choice, text });
    else if (text !== undefined && text !== null && typeof text !== "string") {
      throw new UpstreamError("malformed", 502, "upstream sent a chunk whose content is not a string");
    }
    // Only a non-empty reason ends a choice: some servers send "" on every chunk, which means "not yet".
    if (typeof c.finish_reason === "string" && c.finish_reason.length > 0) events.push({ type: "finish", choice, reason: finishReason(c.finish_reason) });
  }
  if (chunk.usage && typeof chunk.usage.total_tokens === "number") {
    const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
    events.push({ type: "usage", usage: { prompt_tokens, completion_tokens, total_tokens } });
  }
  return events;
}

/** A choice index the request can have: an integer in `[0, n)` (absent means 0). */
function choiceIndex(index: unknown, n: number): number {
  if (index === undefined || index === null) return 0;
  if (typeof index === "number" && Number.isInteger(index) && index >= 0 && index < n) return index;
  throw new UpstreamError("malformed", 502, `upstream sent choice index ${JSON.stringify(index).slice(0, 32)}; the request asked for ${n} choice${n === 1 ? "" : "s"}`);
}

function finishReason(reason: string): FinishReason {
  return reason === "length" || reason === "content_filter" ? reason : "stop";
}
