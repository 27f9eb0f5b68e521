/**
 * SSE bytes out: the events of one upstream read go out as one stream write, once pending I/O has run (a stream
 * write per event costs more than gating the event), bounded so the stream's backpressure still reaches the guard.
 */
import type { SSEStreamingApi } from "hono/streaming";
import { afterIo } from "../sched/slice.ts";

/** Text held before a push waits for it to go out. */
const FLUSH_BYTES = 16 * 1024;

/** Coalescing writer over Hono's SSE stream (events are written as raw `event:`/`data:` lines). */
export class SseOut {
  #pending = "";
  #scheduled = false;

  constructor(private readonly sse: SSEStreamingApi) {}

  /** Queues `text` (whole SSE events); resolves at once unless too much is waiting. */
  push(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= FLUSH_BYTES) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      afterIo(() => void this.flush());
    }
    return Promise.resolve();
  }

  /** Writes what is pending now (the stream keeps writes in order). */
  async flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    await this.sse.write(text);
  }
}
