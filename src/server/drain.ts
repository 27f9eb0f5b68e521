/**
 * Graceful drain: once it starts, readiness goes false and new `/v1` requests get 503; requests in flight may finish
 * until the host's deadline, then `abortAll()` ends each with `server_shutting_down` (an SSE error event for a stream).
 */
import { ApiError } from "./errors.ts";

/** The error in-flight requests end with when the drain deadline passes. */
export const SHUTTING_DOWN = new ApiError(503, "the server is shutting down; retry on another instance", {
  type: "server_error",
  code: "server_shutting_down",
  headers: { "retry-after": "1", connection: "close" },
});

/** The gateway's drain state and its requests in flight. */
export class Drain {
  /** True once draining started: not ready, no new requests. */
  draining = false;
  readonly #live = new Set<AbortController>();

  /** Completion requests in flight. */
  get inFlight(): number {
    return this.#live.size;
  }

  /** Tracks a request until `done()`. */
  track(abort: AbortController): { done(): void } {
    this.#live.add(abort);
    return { done: () => void this.#live.delete(abort) };
  }

  /** Stop taking requests. */
  start(): void {
    this.draining = true;
  }

  /** The deadline passed: every request still in flight ends with `SHUTTING_DOWN`. */
  abortAll(): void {
    for (const abort of this.#live) abort.abort(SHUTTING_DOWN);
  }
}
