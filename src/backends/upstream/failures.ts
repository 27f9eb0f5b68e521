/** How upstream failures become client errors: 502 for a broken upstream, 504 for a slow one, 4xx passed on. */
import { ApiError } from "../../server/errors.ts";

/** Why the gateway gave up on an upstream request; carried as the abort reason. */
export class UpstreamTimeout extends Error {
  constructor(readonly phase: "first byte" | "idle", readonly ms: number) {
    super(phase === "first byte" ? `upstream sent nothing within ${ms} ms` : `upstream stalled for ${ms} ms mid-stream`);
    this.name = "UpstreamTimeout";
  }
}

/** Kind label for the upstream error metric. */
export type UpstreamFailureKind = "timeout" | "connect" | "reset" | "status" | "malformed";

/** An ApiError that remembers which kind of upstream failure it was. */
export class UpstreamError extends ApiError {
  constructor(readonly kind: UpstreamFailureKind, status: number, message: string, init: ConstructorParameters<typeof ApiError>[2] = {}) {
    super(status, message, { type: status < 500 ? "invalid_request_error" : "upstream_error", code: `upstream_${kind}`, ...init });
  }
}

/** Error for a non-2xx upstream response: client errors keep their status, server errors become 502. */
export async function statusFailure(res: Response): Promise<UpstreamError> {
  const body = await readBounded(res, 64 * 1024);
  let message = body.trim().slice(0, 500) || res.statusText;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === "string" ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof m === "string") message = m.slice(0, 500);
  } catch { /* not JSON: keep the text */ }
  if (res.status === 429) {
    const retry = res.headers.get("retry-after");
    return new UpstreamError("status", 429, `upstream rate limited: ${message}`, { headers: retry ? { "retry-after": retry } : {} });
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
    return new UpstreamError("status", res.status, `upstream rejected the request: ${message}`);
  }
  return new UpstreamError("status", 502, `upstream answered ${res.status}: ${message}`);
}

/** Error for a thrown fetch/read failure, given whether any response had arrived yet. */
export function transportFailure(err: unknown, signal: AbortSignal, started: boolean): UpstreamError {
  if (signal.reason instanceof UpstreamTimeout) return new UpstreamError("timeout", 504, signal.reason.message, { cause: err });
  const why = err instanceof Error ? err.message : String(err);
  return started
    ? new UpstreamError("reset", 502, `upstream connection lost mid-stream: ${why}`, { cause: err })
    : new UpstreamError("connect", 502, `upstream unreachable: ${why}`, { cause: err });
}

async function readBounded(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch { /* a broken error body still yields the status */ } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c.subarray(0, bytes.length - at), at);
    at += Math.min(c.length, bytes.length - at);
  }
  return new TextDecoder().decode(bytes);
}
