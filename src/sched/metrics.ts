/** The scheduler's gauges and counters in Prometheus text format, appended to the gateway's `/metrics`. */
import type { Exposable } from "../metrics/registry.ts";
import { STATES, TERMINAL } from "./lifecycle.ts";
import type { Scheduler } from "./scheduler.ts";

const family = (name: string, type: "gauge" | "counter", help: string, lines: string[]) =>
  [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join("\n");

/** Scrape-time view of one scheduler (read at exposition, so it costs nothing per request). */
export class SchedulerMetrics implements Exposable {
  constructor(private readonly scheduler: Scheduler) {}

  /** Exposition lines. */
  expose(): string {
    const s = this.scheduler.status();
    const live = STATES.filter((st) => st !== "new" && !TERMINAL.has(st));
    const ended = STATES.filter((st) => TERMINAL.has(st));
    return [
      family("rsk_queue_depth", "gauge", "Requests waiting for a backend slot.", [`rsk_queue_depth ${s.queue.depth}`]),
      family("rsk_queue_capacity", "gauge", "Most requests that may wait (RSK_QUEUE_SIZE).", [`rsk_queue_capacity ${s.queue.capacity}`]),
      family("rsk_slots_in_use", "gauge", "Backend slots held by admitted requests.", [`rsk_slots_in_use ${s.slots.inUse}`]),
      family("rsk_slots", "gauge", "Backend slots available.", [`rsk_slots ${s.slots.total}`]),
      family("rsk_requests_in_state", "gauge", "Live requests by lifecycle state.", live.map((st) => `rsk_requests_in_state{state="${st}"} ${s.states[st]}`)),
      family("rsk_requests_ended_total", "counter", "Requests by the terminal state they ended in.", ended.map((st) => `rsk_requests_ended_total{state="${st}"} ${s.states[st]}`)),
      this.scheduler.admissionWait.expose(),
      family("rsk_admission_rejected_total", "counter", "Arrivals refused with 429 because the queue was full.", [`rsk_admission_rejected_total ${s.rejected}`]),
    ].join("\n");
  }
}
