/** The lifecycle table, the transition function and the scheduler, driven directly with a manual clock. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HOLDS, LIFECYCLE, STATES, TERMINAL, transition } from "../../src/sched/lifecycle.ts";
import { LifecycleError, Scheduler } from "../../src/sched/scheduler.ts";
import { ManualClock } from "./clock.ts";

const live = (s: Scheduler) => {
  const { states } = s.status();
  return Object.fromEntries(STATES.filter((st) => !TERMINAL.has(st) && states[st] > 0).map((st) => [st, states[st]]));
};

describe("lifecycle table", () => {
  test("transition() returns the row, or a refusal for moves the table lacks", () => {
    assert.deepEqual(transition("queued", "admit"), { to: "admitted", queue: -1, slot: 1 });
    assert.deepEqual(transition("queued", "token"), { from: "queued", event: "token" });
    assert.deepEqual(transition("completed", "cancel"), { from: "completed", event: "cancel" });
    assert.deepEqual(transition("streaming", "toString"), { from: "streaming", event: "toString" }, "no prototype keys");
  });

  test("every row's effects agree with what its two states hold (the property spin checks too)", () => {
    const count = (st: keyof typeof HOLDS, what: string) => (HOLDS[st] === what ? 1 : 0);
    for (const from of STATES) {
      for (const [event, move] of Object.entries(LIFECYCLE[from])) {
        assert.equal(move.queue, count(move.to, "queue") - count(from, "queue"), `${from} --${event}--> queue`);
        assert.equal(move.slot, count(move.to, "slot") - count(from, "slot"), `${from} --${event}--> slot`);
      }
    }
  });

  test("terminal states are exactly those that hold nothing and have no rows", () => {
    assert.deepEqual([...TERMINAL].sort(), ["blocked", "cancelled", "completed", "failed", "timed_out"]);
    for (const st of TERMINAL) assert.equal(HOLDS[st], "none");
  });
});

describe("scheduler", () => {
  test("admits at once while slots are free, queues after, refuses beyond the queue bound", () => {
    const s = new Scheduler({ slots: 2, queueSize: 2, queueTimeoutMs: 0 }, new ManualClock());
    const t = [1, 2, 3, 4].map(() => s.arrive("a")!);
    assert.deepEqual(t.map((x) => x.state), ["admitted", "admitted", "queued", "queued"]);
    assert.equal(s.arrive("a"), undefined);
    assert.deepEqual(s.status().queue, { depth: 2, capacity: 2, tenants: 1 });
    assert.deepEqual(s.status().slots, { inUse: 2, total: 2 });
    assert.equal(s.status().rejected, 1);
    assert.deepEqual(live(s), { queued: 2, admitted: 2 });
  });

  test("a freed slot is taken by the next queued request synchronously, and it is told so", () => {
    const s = new Scheduler({ slots: 1, queueTimeoutMs: 0 }, new ManualClock());
    const a = s.arrive("t")!;
    const b = s.arrive("t")!;
    const seen: string[] = [];
    b.onMove = (x) => seen.push(x.state);
    s.fire(a, "start");
    s.fire(a, "cancel");
    assert.equal(b.state, "admitted");
    assert.deepEqual(seen, ["admitted"]);
    assert.equal(s.slotsInUse, 1);
    assert.equal(s.queued, 0);
  });

  test("round-robin between tenants, FIFO within one", () => {
    const s = new Scheduler({ slots: 1, queueTimeoutMs: 0 }, new ManualClock());
    let running = s.arrive("x")!;
    const order: string[] = [];
    const names = ["a1", "a2", "a3", "b1", "c1", "b2"];
    for (const name of names) {
      s.arrive(name[0]!)!.onMove = (t) => {
        if (t.state !== "admitted") return;
        order.push(name);
        running = t;
      };
    }
    for (let i = 0; i < names.length; i++) {
      s.fire(running, "start");
      s.fire(running, "complete");
    }
    assert.deepEqual(order, ["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  test("a queued request that leaves keeps its tenant's turn and frees its place at once", () => {
    const s = new Scheduler({ slots: 1, queueSize: 3, queueTimeoutMs: 0 }, new ManualClock());
    const running = s.arrive("a")!;
    const a = s.arrive("a")!;
    const b = s.arrive("b")!;
    s.fire(a, "cancel");
    assert.equal(a.state, "cancelled");
    assert.equal(s.queued, 1);
    s.fire(running, "start");
    s.fire(running, "complete");
    assert.equal(b.state, "admitted");
  });

  test("token index only grows; terminal requests ignore later events; live ones refuse unknown moves", () => {
    const s = new Scheduler({ slots: 1 }, new ManualClock());
    const t = s.arrive("a")!;
    assert.throws(() => s.fire(t, "token"), LifecycleError);
    s.fire(t, "start");
    for (let i = 0; i < 5; i++) s.fire(t, "token");
    assert.equal(t.state, "streaming");
    assert.equal(t.tokens, 4, "the first token moves prefilling → streaming, the next four count");
    assert.equal(s.fire(t, "complete"), true);
    assert.equal(s.fire(t, "cancel"), false);
    assert.equal(s.fire(t, "token"), false);
    assert.equal(t.tokens, 4);
    assert.equal(s.slotsInUse, 0);
  });

  test("queue timeout: the request ends timed_out and its place is freed", () => {
    const clock = new ManualClock();
    const s = new Scheduler({ slots: 1, queueTimeoutMs: 100 }, clock);
    s.arrive("a");
    const waiting = s.arrive("a")!;
    clock.advance(99);
    assert.equal(waiting.state, "queued");
    clock.advance(1);
    assert.equal(waiting.state, "timed_out");
    assert.equal(s.queued, 0);
    assert.equal(clock.pending.size, 0);
  });

  test("total-time limit counts from arrival, frees the slot and admits the next", () => {
    const clock = new ManualClock();
    const s = new Scheduler({ slots: 1, queueTimeoutMs: 0, requestTimeoutMs: 500 }, clock);
    const a = s.arrive("a")!;
    clock.advance(200);
    const b = s.arrive("a")!;
    s.fire(a, "start");
    clock.advance(300);
    assert.equal(a.state, "timed_out");
    assert.equal(b.state, "admitted");
    clock.advance(199);
    assert.equal(b.state, "admitted");
    clock.advance(1);
    assert.equal(b.state, "timed_out", "b's 500 ms started at its arrival, 200 ms in");
    assert.equal(s.slotsInUse, 0);
  });

  test("finishing clears the timer (no stray timeouts, nothing pending)", () => {
    const clock = new ManualClock();
    const s = new Scheduler({ slots: 1, queueTimeoutMs: 50, requestTimeoutMs: 500 }, clock);
    const a = s.arrive("a")!;
    s.fire(a, "start");
    s.fire(a, "complete");
    assert.equal(clock.pending.size, 0);
    clock.advance(1000);
    assert.equal(a.state, "completed");
    assert.equal(s.status().states.timed_out, 0);
  });
});
