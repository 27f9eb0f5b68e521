/** How upstream failures become client errors: 502 for a broken upstream, 504 for a slow one, 4xx passed on. */
import { joinBytes } from "../../server/body.ts";
import { ApiError } from "../../server/errors.ts";

/** Why the gateway gave up on an upstream request; carried as the abort reason. */
export class UpstreamTimeout extends Error {
  constructor(readonly phase: "first byte" | "idle", readonly ms: number) {
    super(phase === "first byte" ? `upstream sent nothing within ${ms} ms` : `upstream stalled for ${ms} ms mid-stream`);
    this.name = "UpstreamTimeout";
  }
}

/** Kind label for the upstream error metric. */
export type UpstreamFailureKind = "timeout" | "connect" | "reset" | "status" | "malformed" | "too_large";

/**
 * An ApiError that remembers which kind of upstream failure it was. Its message is rsk's own words only: what the
 * upstream said (error messages, status lines) is model output and travels as `detail`, shown after the output gates.
 */
export class UpstreamError extends ApiError {
  constructor(readonly kind: UpstreamFailureKind, status: number, message: string, init: ConstructorParameters<typeof ApiError>[2] = {}) {
    super(status, message, { type: status < 500 ? "invalid_request_error" : "upstream_error", code: `upstream_${kind}`, ...init });
  }
}

/** Error for a non-2xx upstream response: client errors keep their status, server errors become 502. */
export async function statusFailure(res: Response): Promise<UpstreamError> {
  const body = await readBounded(res, 64 * 1024);
  let detail = body.trim() || res.statusText;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === "string" ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof m === "string") detail = m;
  } catch { /* not JSON: keep the text */ }
  if (res.status === 429) {
    const retry = res.headers.get("retry-after");
    const headers = retry && isRetryAfter(retry.trim()) ? { "retry-after": retry.trim() } : undefined;
    return new UpstreamError("status", 429, "upstream rate limited", { headers, detail });
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
    return new UpstreamError("status", res.status, `upstream rejected the request (${res.status})`, { detail });
  }
  return new UpstreamError("status", 502, `upstream answered ${res.status}`, { detail });
}

/** Error for an upstream's `{"error": …}` event inside a stream (its text is upstream-supplied: kept as detail). */
export function streamedFailure(error: unknown): UpstreamError {
  const m = typeof error === "string" ? error : typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  return new UpstreamError("status", 502, "upstream reported an error mid-stream", { detail: typeof m === "string" ? m : undefined });
}

/** Error for a thrown fetch/read failure, given whether any response had arrived yet. */
export function transportFailure(err: unknown, signal: AbortSignal, started: boolean): UpstreamError {
  if (signal.reason instanceof UpstreamTimeout) return new UpstreamError("timeout", 504, signal.reason.message, { cause: err });
  const why = err instanceof Error ? err.message : String(err);
  return started
    ? new UpstreamError("reset", 502, `upstream connection lost mid-stream: ${why}`, { cause: err })
    : new UpstreamError("connect", 502, `upstream unreachable: ${why}`, { cause: err });
}

/** A Retry-After value worth passing on: delay seconds or an HTTP date (anything else from an upstream is dropped). */
function isRetryAfter(value: string): boolean {
  return /^[0-9]{1,6}$/.test(value) || (value.length <= 40 && /^[A-Za-z0-9 ,:]+$/.test(value) && !Number.isNaN(Date.parse(value)));
}

/** An error body's first `limit` bytes as text (a broken body still yields the status). */
async function readBounded(res: Response, limit: number): Promise<string> {
  try {
    return (await readBody(res, limit, true)).text;
  } catch {
    return "";
  }
}

/** Reads a response body up to `limit` bytes; `truncate` false throws (kind "too_large") past it instead of cutting. */
export async function readBody(res: Response, limit: number, truncate = false): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0, truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        truncated = true;
        if (!truncate) throw new UpstreamError("too_large", 502, `upstream response body is larger than ${limit} bytes`);
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return { text: new TextDecoder().decode(joinBytes(chunks, size)), truncated };
}
