/**
 * One structured record per `/v1` request, emitted once when it really ends (a stream at its last byte, not when its
 * headers go out): who asked, under which policy, how it ended, how fast, and how many gate findings of each action.
 * Never the matched text, never a key (only its id).
 */
import type { MiddlewareHandler } from "hono";
import { RequestSpan } from "./trace.ts";

/** How a request ended. */
export type RequestEnd = "completed" | "blocked" | "failed" | "aborted" | "refused" | "error";

/** The record (a JSON line in the CLI's log). */
export interface RequestRecord {
  /** `x-request-id`. */
  id: string;
  /** Path, e.g. `/v1/chat/completions` (≤ 128 characters). */
  door: string;
  /** HTTP status sent (200 for a stream that later ended in an error event). */
  status: number;
  /** How it ended. */
  end: RequestEnd;
  /** From arrival to the last byte, in ms. */
  durationMs: number;
  /** API key id (never the key). */
  key?: string;
  /** Tenant of the key. */
  tenant?: string | null;
  /** Policy name and version the response was gated under. */
  policy?: string;
  /** Policy version (hash of its file). */
  version?: string;
  /** Requested model. */
  model?: string;
  /** Time to the first released output, in ms. */
  ttftMs?: number;
  /** Prompt tokens, as the backend reported them. */
  promptTokens?: number;
  /** Completion tokens, as the backend reported them. */
  completionTokens?: number;
  /** Gate findings by action (`redact`, `mask`, `block`, `log`). */
  findings: Record<string, number>;
  /** Code of the error it ended with (e.g. `upstream_timeout`); never its message, which may quote an upstream. */
  error?: string;
}

/** A request's record while it is served; completion handlers fill it in, the first `finish` emits it. */
export class RequestSummary {
  readonly record: RequestRecord;
  /** The response is a stream: the middleware leaves the record to the stream's end. */
  streaming = false;
  /** What the pipeline saw (a block or failure), which a JSON error status alone does not say. */
  outcome: "blocked" | "failed" | undefined;
  #done = false;

  constructor(
    door: string,
    private readonly startedAt: number,
    private readonly sink: (record: RequestRecord) => void,
    /** The request's trace span (a no-op without a tracer provider). */
    readonly span: RequestSpan,
  ) {
    this.record = { id: "", door, status: 0, end: "completed", durationMs: 0, findings: {} };
  }

  /** The pipeline failed with `error` (its code is recorded, never its message). */
  fail(error: { code: string | null }): void {
    this.outcome = "failed";
    this.record.error ??= error.code ?? "error";
  }

  /** A gate finding (any stage). */
  finding(action: string): void {
    this.record.findings[action] = (this.record.findings[action] ?? 0) + 1;
  }

  /** Output reached the client writer (the first call sets TTFT). */
  released(): void {
    this.record.ttftMs ??= round(performance.now() - this.startedAt);
  }

  /** Token counts the backend reported. */
  usage(prompt: number, completion: number): void {
    Object.assign(this.record, { promptTokens: prompt, completionTokens: completion });
  }

  /** Emits the record once. */
  finish(status: number, end: RequestEnd): void {
    if (this.#done) return;
    this.#done = true;
    Object.assign(this.record, { status, end, durationMs: round(performance.now() - this.startedAt) });
    this.span.end(this.record);
    this.sink(this.record);
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** An ApiError's code, else the error's name (an unexpected error). */
function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err.name;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by requestLog on every `/v1/*` request. */
    summary: RequestSummary;
  }
}

/** The middleware: a summary and a trace span per request, ended at its end (streams end their own when they finish). */
export function requestLog(sink: (record: RequestRecord) => void = () => {}): MiddlewareHandler {
  return async (c, next) => {
    const door = new URL(c.req.url).pathname.slice(0, 128);
    const summary = new RequestSummary(door, performance.now(), sink, new RequestSpan(c.req.method, door, c.req.raw.headers));
    c.set("summary", summary);
    try {
      await next();
    } finally {
      summary.record.id = c.res.headers.get("x-request-id") ?? "";
      const caller = c.get("caller");
      if (caller) Object.assign(summary.record, { key: caller.principal.id, tenant: caller.principal.tenant });
      const status = c.res.status;
      if (c.error && status >= 400) summary.record.error ??= errorCode(c.error);
      const end = summary.outcome ?? (status < 400 ? "completed" : status === 401 || status === 403 || status === 429 ? "refused" : "error");
      if (!summary.streaming) summary.finish(status, end);
    }
  };
}
