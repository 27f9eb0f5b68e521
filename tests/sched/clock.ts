/** A scheduler clock the test moves by hand: timers fire only when `advance` passes them. */
import type { SchedulerClock } from "../../src/sched/scheduler.ts";

/** Manual time for deterministic deadline tests and model-based runs. */
export class ManualClock implements SchedulerClock {
  /** Current time in ms. */
  time = 0;
  /** Pending timers by handle. */
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  now(): number {
    return this.time;
  }

  set(fn: () => void, ms: number): unknown {
    const handle = this.#next++;
    this.pending.set(handle, { at: this.time + ms, fn });
    return handle;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time forward, firing due timers in deadline order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = until;
  }
}
