/**
 * The scheduler: bounded admission in front of the backend's slots. Every state change goes through
 * `transition()` over the lifecycle table, and the resource effects applied are the table's own, so what spin
 * proves about the table holds for this code.
 */
import { Histogram } from "../metrics/registry.ts";
import { type LifecycleEvent, type Move, STATES, type State, TERMINAL, transition } from "./lifecycle.ts";
import { TenantQueue } from "./queue.ts";

/** Bounds and deadlines of one scheduler. */
export interface SchedulerLimits {
  /** Requests the backend serves at once (upstream: RSK_MAX_CONCURRENT; local: the engine's n_seq_max). */
  readonly slots: number;
  /** Requests that may wait for a slot (RSK_QUEUE_SIZE); one more is refused with 429. */
  readonly queueSize: number;
  /** Longest wait for a slot, in ms (RSK_QUEUE_TIMEOUT_MS); 0 waits forever. */
  readonly queueTimeoutMs: number;
  /** Longest life of a request from arrival, in ms (RSK_REQUEST_TIMEOUT_MS); 0 means no limit. */
  readonly requestTimeoutMs: number;
}

/** Defaults: the 4,096-request queue, 256 upstream slots, 30 s queue wait, no total limit. */
export const DEFAULT_LIMITS: SchedulerLimits = { slots: 256, queueSize: 4096, queueTimeoutMs: 30_000, requestTimeoutMs: 0 };

/** The clock and timers the scheduler uses; tests substitute ones they fire by hand. */
export interface SchedulerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for `clear`. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels a pending `set`. */
  clear(handle: unknown): void;
}

/** The runtime's timers (setTimeout and performance.now exist on Bun and Deno alike). */
export const REAL_CLOCK: SchedulerClock = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One request's scheduler state: kept small on purpose (a few fields; measured in the README). */
export class Ticket {
  /** Lifecycle state; changed only by the scheduler through the table. */
  state: State = "new";
  /** Text events streamed so far: the token index, which only grows. */
  tokens = 0;
  /** Previous ticket in its tenant's queue lane, while queued. */
  prev: Ticket | undefined = undefined;
  /** Next ticket in its tenant's queue lane, while queued. */
  next: Ticket | undefined = undefined;
  /** Pending queue-wait or total-time timer. */
  timer: unknown = undefined;
  /** Told after every state change (admitted, timed out...), so the request's owner can react. */
  onMove: ((ticket: Ticket) => void) | undefined = undefined;

  constructor(
    /** Fairness key: requests of one tenant queue FIFO, tenants take turns. */
    readonly tenant: string,
    /** Arrival time on the scheduler's clock, for the total-time limit. */
    readonly arrivedAt: number,
  ) {}
}

/** A move the table refuses for a live request: a bug in the caller, never a client error. */
export class LifecycleError extends Error {
  constructor(
    /** State the request was in. */
    readonly from: State,
    /** The refused event. */
    readonly event: string,
  ) {
    super(`lifecycle: no transition for event "${event}" in state "${from}"`);
    this.name = "LifecycleError";
  }
}

/** Queue depth, slot use and per-state counts, for `/v1/rsk/status` and `/metrics`. */
export interface SchedulerStatus {
  /** Requests waiting, the bound, and how many tenants they belong to. */
  queue: { depth: number; capacity: number; tenants: number };
  /** Backend slots held and available in total. */
  slots: { inUse: number; total: number };
  /** Requests now in each live state; for terminal states, how many ended there since start. */
  states: Record<State, number>;
  /** Arrivals refused with 429 since start. */
  rejected: number;
}

/** Admission-wait buckets in seconds: fine below 1 ms, where the 100/250 µs goals sit. */
const WAIT_S = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2, 0.1, 1, 10];

/** Admission queue + slots + deadlines, driven by lifecycle events. */
export class Scheduler {
  /** The bounds in force. */
  readonly limits: SchedulerLimits;
  /** Arrival to slot, per admitted request: the scheduler's queueing latency (exposed in `/metrics`). */
  readonly admissionWait = new Histogram("rsk_admission_wait_seconds", "Time from arrival to holding a backend slot, in seconds.", WAIT_S);
  readonly #clock: SchedulerClock;
  readonly #queue = new TenantQueue<Ticket>();
  readonly #counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<State, number>;
  #queued = 0;
  #slotsInUse = 0;
  #rejected = 0;

  constructor(limits: Partial<SchedulerLimits> = {}, clock: SchedulerClock = REAL_CLOCK) {
    const pick = (k: keyof SchedulerLimits) => limits[k] ?? DEFAULT_LIMITS[k];
    this.limits = { slots: pick("slots"), queueSize: pick("queueSize"), queueTimeoutMs: pick("queueTimeoutMs"), requestTimeoutMs: pick("requestTimeoutMs") };
    this.#clock = clock;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /** Backend slots held. */
  get slotsInUse(): number {
    return this.#slotsInUse;
  }

  /**
   * A new request from `tenant`: admitted at once when a slot is free, else queued; undefined when the queue is
   * full (the caller answers 429). Watch `ticket.onMove` for the admission or the queue timeout.
   */
  arrive(tenant: string): Ticket | undefined {
    if (this.#queued >= this.limits.queueSize) {
      this.#rejected++;
      return undefined;
    }
    const ticket = new Ticket(tenant, this.#clock.now());
    this.#counts.new++;
    this.fire(ticket, "arrive");
    this.#pump();
    if (ticket.state === "queued" && this.limits.queueTimeoutMs > 0) {
      ticket.timer = this.#clock.set(() => this.fire(ticket, "timeout"), this.limits.queueTimeoutMs);
    }
    return ticket;
  }

  /**
   * Applies one event through the table. False when the request already ended (a client abort racing a backend
   * end is normal: the first terminal event wins); throws LifecycleError when a live request cannot take it.
   */
  fire(ticket: Ticket, event: LifecycleEvent): boolean {
    const from = ticket.state;
    if (TERMINAL.has(from)) return false;
    const move = transition(from, event);
    if (!("to" in move)) throw new LifecycleError(from, event);
    if (move.to === from) {
      ticket.tokens++;
      return true;
    }
    this.#apply(ticket, move);
    ticket.onMove?.(ticket);
    if (move.slot < 0) this.#pump();
    return true;
  }

  /** Snapshot for the status route and the metrics. */
  status(): SchedulerStatus {
    return {
      queue: { depth: this.#queued, capacity: this.limits.queueSize, tenants: this.#queue.tenants },
      slots: { inUse: this.#slotsInUse, total: this.limits.slots },
      states: { ...this.#counts },
      rejected: this.#rejected,
    };
  }

  #apply(ticket: Ticket, move: Move): void {
    const from = ticket.state;
    if (move.queue > 0) this.#queue.push(ticket);
    else if (move.queue < 0) this.#queue.remove(ticket);
    this.#queued += move.queue;
    this.#slotsInUse += move.slot;
    this.#counts[from]--;
    this.#counts[move.to]++;
    ticket.state = move.to;
    // The queue-wait timer ends with the wait; the total-time timer lives until the request ends.
    if (ticket.timer !== undefined && (move.queue < 0 || TERMINAL.has(move.to))) {
      this.#clock.clear(ticket.timer);
      ticket.timer = undefined;
    }
    if (move.to === "admitted") {
      this.admissionWait.observe((this.#clock.now() - ticket.arrivedAt) / 1000);
      this.#armDeadline(ticket);
    }
  }

  #armDeadline(ticket: Ticket): void {
    const { requestTimeoutMs } = this.limits;
    if (requestTimeoutMs <= 0) return;
    const left = Math.max(0, ticket.arrivedAt + requestTimeoutMs - this.#clock.now());
    ticket.timer = this.#clock.set(() => this.fire(ticket, "timeout"), left);
  }

  /** Fills free slots from the queue, round-robin between tenants. */
  #pump(): void {
    while (this.#slotsInUse < this.limits.slots) {
      const next = this.#queue.peek();
      if (!next) return;
      this.fire(next, "admit");
      this.#queue.served(next.tenant);
    }
  }
}
