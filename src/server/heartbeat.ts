/**
 * SSE keep-alive: a `: keep-alive` comment after a stretch of silence, so a stream whose backend is thinking still
 * moves bytes. Proxies and the server's own idle timeout (Bun's `idleTimeout`) then never mistake it for a dead
 * connection, and a client that stopped reading is found out (its writes stall) instead of held for ever.
 */

/** Default silence before a keep-alive comment, in ms. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;

declare module "hono" {
  interface ContextVariableMap {
    /** Silence before an SSE keep-alive comment, in ms; set by the gateway app on every request. */
    sseHeartbeatMs: number;
  }
}

/** The part of Hono's SSE stream the heartbeat writes to. */
export interface CommentSink {
  /** Writes raw text to the stream. */
  write(text: string): Promise<unknown>;
  /** True once the stream was closed or aborted. */
  readonly closed: boolean;
  /** True once the client went away. */
  readonly aborted: boolean;
}

/** SSE comment line clients ignore (the spec's `:` prefix). */
export const KEEP_ALIVE = ": keep-alive\n\n";

/** Writes a keep-alive comment whenever the stream has been silent for `everyMs`. */
export class SseHeartbeat {
  #last = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing = false;
  #stopped = false;

  constructor(private readonly sink: CommentSink, private readonly everyMs: number) {
    this.#schedule(everyMs);
  }

  /** Data was just written: the silence starts again. */
  touch(): void {
    this.#last = performance.now();
  }

  /** Ends the heartbeat (idempotent). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), Math.max(1, ms));
  }

  #tick(): void {
    const silent = performance.now() - this.#last;
    if (this.sink.closed || this.sink.aborted) return this.stop();
    if (silent < this.everyMs) return this.#schedule(this.everyMs - silent);
    // A write still pending means the client is not reading: piling comments behind it would only buffer memory.
    if (!this.#writing) {
      this.#writing = true;
      this.sink.write(KEEP_ALIVE).catch(() => {}).finally(() => (this.#writing = false));
      this.touch();
    }
    this.#schedule(this.everyMs);
  }
}
