/** Upstream SSE payloads (OpenAI chunk JSON) to backend events, for chat and text completions. */
import type { BackendEvent, FinishReason, Usage } from "../types.ts";
import { UpstreamError } from "./failures.ts";

interface Chunk {
  choices?: { index?: number; delta?: { content?: unknown }; text?: unknown; message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: Usage | null;
  error?: { message?: unknown } | string;
}

/** Events in one upstream chunk (a streamed `data:` payload, or a whole non-stream response). */
export function chunkEvents(data: string, kind: "chat" | "completion"): BackendEvent[] {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    throw new UpstreamError("malformed", 502, `upstream sent an SSE event that is not JSON (${data.length} bytes)`);
  }
  if (chunk === null || typeof chunk !== "object") throw new UpstreamError("malformed", 502, "upstream sent an SSE event that is not a JSON object");
  if (chunk.error) {
    const m = typeof chunk.error === "string" ? chunk.error : String(chunk.error.message ?? "unknown error");
    throw new UpstreamError("status", 502, `upstream reported an error mid-stream: ${m.slice(0, 500)}`);
  }
  const events: BackendEvent[] = [];
  for (const c of chunk.choices ?? []) {
    const choice = typeof c.index === "number" ? c.index : 0;
    const text = kind === "chat" ? (c.delta?.content ?? c.message?.content) : c.text;
    if (typeof text === "string" && text.length > 0) events.push({ type: "text", choice, text });
    else if (text !== undefined && text !== null && typeof text !== "string") {
      throw new UpstreamError("malformed", 502, "upstream sent a chunk whose content is not a string");
    }
    if (typeof c.finish_reason === "string") events.push({ type: "finish", choice, reason: finishReason(c.finish_reason) });
  }
  if (chunk.usage && typeof chunk.usage.total_tokens === "number") {
    const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
    events.push({ type: "usage", usage: { prompt_tokens, completion_tokens, total_tokens } });
  }
  return events;
}

function finishReason(reason: string): FinishReason {
  return reason === "length" || reason === "content_filter" ? reason : "stop";
}
