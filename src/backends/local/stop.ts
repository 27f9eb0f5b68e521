/**
 * Stop strings over streamed text: releases text as soon as it cannot be the start of a stop string, holds
 * back at most the longest live partial match, and reports a full match even when it spans many tokens.
 */

/** The outcome of feeding text: what may be emitted now, and whether a stop string ended the text. */
export interface StopScan {
  /** Text safe to emit (before any stop string). */
  readonly emit: string;
  /** True when a stop string matched; nothing after `emit` may be emitted. */
  readonly stopped: boolean;
}

/** Streaming matcher for one request's stop strings (OpenAI semantics: the stop string itself is not emitted). */
export class StopMatcher {
  private held = "";
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds newly decoded text. */
  push(text: string): StopScan {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const pending = this.held + text;
    let first = -1;
    for (const stop of this.stops) {
      const at = pending.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      this.held = "";
      return { emit: pending.slice(0, first), stopped: true };
    }
    const keep = this.partialSuffix(pending);
    this.held = pending.slice(pending.length - keep);
    return { emit: pending.slice(0, pending.length - keep), stopped: false };
  }

  /** Releases held-back text at the end of generation (it never completed a stop string). */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
  private partialSuffix(text: string): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > best; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
