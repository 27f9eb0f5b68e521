/**
 * Refused requests, counted per source per window: a client hammering the gateway without a key (or past its rate
 * limit) writes one full record and one aggregate record per second, not one line per request, yet every refusal is
 * counted. The first refusal of a (source, reason) in a window is recorded in full; the others in that window are
 * counted and written as one `aggregate` record when the window ends, or when the log is flushed or closed.
 */
import type { AuditEvent } from "./record.ts";

/** How refusals are grouped. */
export interface RefusalTallyOptions {
  /** Window length in ms (default 1000). */
  windowMs?: number;
  /** Most (source, reason) windows kept at once (default 10,000); refusals of further sources count under `overflow`. */
  maxWindows?: number;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
}

/** Appends an event to the log and returns its seq (negative once the log is closed). */
export type AppendRecord = (event: AuditEvent) => number;

/** One (source, reason)'s current window. */
interface RefusalWindow {
  /** The refusal recorded in full (request-specific fields dropped for the aggregate). */
  first: AuditEvent;
  /** Its seq. */
  firstSeq: number;
  /** When it happened (ms). */
  startedAt: number;
  /** Refusals since, not written one by one. */
  count: number;
}

/** The source refusals count under once `maxWindows` sources are being counted. */
export const OVERFLOW_SOURCE = "overflow";

/** Counts refusals per (source, reason) per window; see the file comment. */
export class RefusalTally {
  readonly #sink: AppendRecord;
  readonly #windowMs: number;
  readonly #maxWindows: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, RefusalWindow>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(sink: AppendRecord, options: RefusalTallyOptions = {}) {
    this.#sink = sink;
    this.#windowMs = options.windowMs ?? 1000;
    this.#maxWindows = options.maxWindows ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Windows open right now (bounded by maxWindows plus one `overflow` window per reason). */
  get size(): number {
    return this.#windows.size;
  }

  /** Records a refusal of `source`: in full when it opens a window, else as one more in the window's count. */
  record(event: AuditEvent, source: string): void {
    const now = this.#now();
    const why = `${event.event}\n${event.reason ?? ""}`;
    let slot = `${source}\n${why}`;
    // Full: count under `overflow` until the timer's sweep frees windows (no sweep here: O(1) per refusal in a flood).
    if (!this.#windows.has(slot) && this.#windows.size >= this.#maxWindows) {
      source = OVERFLOW_SOURCE;
      slot = `${source}\n${why}`;
    }
    const window = this.#windows.get(slot);
    if (window && now - window.startedAt < this.#windowMs) {
      window.count++;
      return;
    }
    if (window) this.#emit(window, window.startedAt + this.#windowMs);
    const first = { ...event, source };
    this.#windows.set(slot, { first, firstSeq: this.#sink(first), startedAt: now, count: 0 });
    // Windows end on a timer, so a flood that stops still has its count written within about a window.
    if (!this.#timer) {
      this.#timer = setInterval(() => this.sweep(), Math.max(1, this.#windowMs / 4));
      // Node and Bun timers keep a process alive unless unref'd; other hosts have no unref and no such problem.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** Writes the aggregates of windows that have ended and forgets them. */
  sweep(): void {
    const now = this.#now();
    for (const [slot, window] of this.#windows) {
      if (now - window.startedAt < this.#windowMs) continue;
      this.#emit(window, window.startedAt + this.#windowMs);
      this.#windows.delete(slot);
    }
    this.#stopIfIdle();
  }

  /** Writes every pending count now (flush and close): nothing counted is left only in memory. */
  drain(): void {
    const now = this.#now();
    for (const window of this.#windows.values()) this.#emit(window, Math.min(now, window.startedAt + this.#windowMs));
    this.#windows.clear();
    this.#stopIfIdle();
  }

  #emit(window: RefusalWindow, endsAt: number): void {
    if (window.count === 0) return;
    const { request: _, latencyMs: __, ...first } = window.first;
    this.#sink({
      ...first,
      aggregate: true,
      count: window.count,
      firstSeq: window.firstSeq,
      windowStart: new Date(window.startedAt).toISOString(),
      windowEnd: new Date(endsAt).toISOString(),
    });
  }

  #stopIfIdle(): void {
    if (this.#windows.size > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
