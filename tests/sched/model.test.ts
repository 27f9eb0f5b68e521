/**
 * Model-based tests (fast-check `fc.commands`): random interleavings of arrivals, starts, tokens, completions,
 * blocks, failures, aborts and clock advances drive the REAL scheduler, and after every step its queue, slots,
 * per-state counts and every request's state must match a plain model written without linked lists or tables.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { STATES, type State } from "../../src/sched/lifecycle.ts";
import { Scheduler, type Ticket } from "../../src/sched/scheduler.ts";
import { ManualClock } from "./clock.ts";

const SLOTS = 2;
const QUEUE = 3;
const QUEUE_MS = 101; // odd, and request deadlines even: no two timers of different kinds ever tie
const TOTAL_MS = 300;
const STEP_MS = 2;

type Live = "queued" | "admitted" | "prefilling" | "streaming";

interface ModelRequest {
  tenant: string;
  arrivedAt: number;
  state: State;
  tokens: number;
}

/** The reference: arrays and a rotation list, the obvious way. */
class Model {
  now = 0;
  readonly requests: ModelRequest[] = [];
  readonly lanes = new Map<string, number[]>();
  readonly rotation: string[] = [];
  rejected = 0;

  get running(): number {
    return this.requests.filter((r) => r.state === "admitted" || r.state === "prefilling" || r.state === "streaming").length;
  }

  get queued(): number {
    return this.requests.filter((r) => r.state === "queued").length;
  }

  arrive(tenant: string): number | undefined {
    if (this.queued >= QUEUE) {
      this.rejected++;
      return undefined;
    }
    const id = this.requests.push({ tenant, arrivedAt: this.now, state: "queued", tokens: 0 }) - 1;
    if (!this.lanes.has(tenant)) {
      this.lanes.set(tenant, []);
      this.rotation.push(tenant);
    }
    this.lanes.get(tenant)!.push(id);
    this.pump();
    return id;
  }

  /** Moves a live request to `to`; frees what it held and refills slots. */
  end(id: number, to: State): void {
    const r = this.requests[id]!;
    if (r.state === "queued") this.unqueue(id);
    r.state = to;
    this.pump();
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let next: { id: number; at: number } | undefined;
      this.requests.forEach((r, id) => {
        const at = r.state === "queued" ? r.arrivedAt + QUEUE_MS : isRunning(r.state) ? r.arrivedAt + TOTAL_MS : Infinity;
        if (at <= until && (!next || at < next.at)) next = { id, at };
      });
      if (!next) break;
      this.now = next.at;
      this.end(next.id, "timed_out");
    }
    this.now = until;
  }

  private unqueue(id: number): void {
    const tenant = this.requests[id]!.tenant;
    const lane = this.lanes.get(tenant)!;
    lane.splice(lane.indexOf(id), 1);
    if (lane.length === 0) {
      this.lanes.delete(tenant);
      this.rotation.splice(this.rotation.indexOf(tenant), 1);
    }
  }

  private pump(): void {
    while (this.running < SLOTS && this.rotation.length > 0) {
      const tenant = this.rotation.shift()!;
      const lane = this.lanes.get(tenant)!;
      const id = lane.shift()!;
      if (lane.length > 0) this.rotation.push(tenant);
      else this.lanes.delete(tenant);
      this.requests[id]!.state = "admitted";
    }
  }
}

const isRunning = (s: State) => s === "admitted" || s === "prefilling" || s === "streaming";

interface Real {
  scheduler: Scheduler;
  clock: ManualClock;
  tickets: (Ticket | undefined)[];
}

/** Picks the `pick`-th request (modulo) among those in `states`, or undefined when none is. */
const choose = (m: Model, states: readonly Live[], pick: number) => {
  const ids = m.requests.flatMap((r, id) => ((states as readonly State[]).includes(r.state) ? [id] : []));
  return ids.length === 0 ? undefined : ids[pick % ids.length];
};

function agree(m: Model, r: Real): void {
  const status = r.scheduler.status();
  assert.equal(status.queue.depth, m.queued, "queue depth");
  assert.equal(status.slots.inUse, m.running, "slots in use");
  assert.ok(status.slots.inUse <= SLOTS && status.queue.depth <= QUEUE, "bounds");
  assert.equal(status.rejected, m.rejected, "rejections");
  for (const s of STATES) {
    if (s === "new") continue;
    assert.equal(status.states[s], m.requests.filter((q) => q.state === s).length, `count of ${s}`);
  }
  m.requests.forEach((q, id) => {
    assert.equal(r.tickets[id]?.state, q.state, `request ${id}`);
    assert.equal(r.tickets[id]?.tokens, q.tokens, `tokens of request ${id}`);
  });
  if (m.queued > 0) assert.equal(m.running, SLOTS, "nobody waits while a slot is free");
}

type Cmd = fc.Command<Model, Real>;

/** Every command first lets STEP_MS pass (timers fire in deadline order), then acts. */
abstract class Step implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.advance(STEP_MS);
    r.clock.advance(STEP_MS);
    this.act(m, r);
    agree(m, r);
  }
  abstract act(m: Model, r: Real): void;
  abstract toString(): string;
}

class Arrive extends Step {
  constructor(readonly tenant: string) {
    super();
  }
  act(m: Model, r: Real): void {
    const id = m.arrive(this.tenant);
    const ticket = r.scheduler.arrive(this.tenant);
    assert.equal(ticket === undefined, id === undefined, "refused exactly when the queue is full");
    if (ticket) r.tickets.push(ticket);
  }
  toString(): string {
    return `arrive(${this.tenant})`;
  }
}

/** A lifecycle event on one request chosen among those in `states`. */
class Event extends Step {
  constructor(readonly event: "start" | "token" | "complete" | "block" | "fail" | "cancel", readonly pick: number) {
    super();
  }
  act(m: Model, r: Real): void {
    const from: Record<Event["event"], readonly Live[]> = {
      start: ["admitted"],
      token: ["prefilling", "streaming"],
      complete: ["prefilling", "streaming"],
      block: ["prefilling", "streaming"],
      fail: ["admitted", "prefilling", "streaming"],
      cancel: ["queued", "admitted", "prefilling", "streaming"],
    };
    const id = choose(m, from[this.event], this.pick);
    if (id === undefined) return;
    const q = m.requests[id]!;
    if (this.event === "start") q.state = "prefilling";
    else if (this.event === "token") {
      if (q.state === "streaming") q.tokens++;
      q.state = "streaming";
    } else m.end(id, ({ complete: "completed", block: "blocked", fail: "failed", cancel: "cancelled" } as const)[this.event]);
    assert.equal(r.scheduler.fire(r.tickets[id]!, this.event), true);
  }
  toString(): string {
    return `${this.event}(#${this.pick})`;
  }
}

class Wait extends Step {
  constructor(readonly ms: number) {
    super();
  }
  act(m: Model, r: Real): void {
    m.advance(this.ms);
    r.clock.advance(this.ms);
  }
  toString(): string {
    return `wait(${this.ms})`;
  }
}

test("the scheduler agrees with the model under random arrivals, completions, aborts and timeouts", () => {
  const pick = fc.nat(50);
  const commands = [
    fc.constantFrom("a", "b", "c").map((t) => new Arrive(t)),
    fc.constantFrom("a", "b", "c").map((t) => new Arrive(t)),
    ...(["start", "token", "complete", "block", "fail", "cancel"] as const).map((e) => pick.map((p) => new Event(e, p))),
    fc.integer({ min: 1, max: 80 }).map((n) => new Wait(n * STEP_MS)),
  ];
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 80, size: "max" }), (cmds) => {
      const clock = new ManualClock();
      const scheduler = new Scheduler({ slots: SLOTS, queueSize: QUEUE, queueTimeoutMs: QUEUE_MS, requestTimeoutMs: TOTAL_MS }, clock);
      fc.modelRun(() => ({ model: new Model(), real: { scheduler, clock, tickets: [] } }), cmds);
    }),
    { numRuns: 500 },
  );
});
