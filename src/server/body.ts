/**
 * Reads a request body once, under a size limit and a deadline, before any handler sees it (the handler's
 * `c.req.arrayBuffer()` then returns the bytes read here). A body that trickles in is cut with a 408 and the
 * connection is closed, so a slow sender cannot hold a connection and a file descriptor for ever.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError, oneLine } from "./errors.ts";

/** Limits of one body read. */
export interface BodyLimits {
  /** Largest body accepted, in bytes (413 beyond). */
  maxBytes: number;
  /** Longest time from the handler's start to the body's last byte, in ms (408 beyond). */
  timeoutMs: number;
  /** One-line notes (a client that went away mid-body); never a stack trace. */
  log?: (line: string) => void;
}

/** The middleware: 413 for too large, 408 for too slow, a one-line note for a client that left mid-body. */
export function requestBody(limits: BodyLimits): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = Number(c.req.header("content-length") ?? NaN);
    if (declared > limits.maxBytes && !c.req.raw.headers.has("transfer-encoding")) throw tooLarge(limits.maxBytes);
    const bytes = await readAll(body, limits, `${c.req.method} ${new URL(c.req.url).pathname}`);
    // Hono 4 keeps each body reading's promise here (typed as Partial<Body>, which is not what it stores).
    (c.req.bodyCache as { arrayBuffer?: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(bytes);
    return next();
  };
}

/** Every chunk of `body`, or an ApiError; the stream is cancelled on every early exit (the runtime then drops it). */
async function readAll(body: ReadableStream<Uint8Array>, limits: BodyLimits, what: string): Promise<ArrayBuffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError(408, `request body not received within ${limits.timeoutMs} ms`, {
      code: "read_timeout",
      headers: { connection: "close" },
    })), limits.timeoutMs);
  });
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await Promise.race([reader.read(), deadline]);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        limits.log?.(`rsk: ${what}: client left while sending the body (${size} bytes received): ${oneLine(err)}`);
        throw new ApiError(400, "the connection closed before the request body was complete", { code: "incomplete_body" });
      }
      if (step.done) break;
      size += step.value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(step.value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return joinBytes(chunks, size).buffer as ArrayBuffer;
}

/** Chunks read from a stream as one array of `size` bytes. */
export function joinBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const tooLarge = (max: number) => new ApiError(413, `request body is larger than ${max} bytes`, { code: "body_too_large" });
