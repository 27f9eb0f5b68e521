/**
 * Bytes of scheduler state per request: heap growth over 10,000 live requests (queued, and admitted/streaming),
 * after a forced GC, on whichever runtime runs it. `bun bench/load/state-size.ts`,
 * `deno run -A --v8-flags=--expose-gc bench/load/state-size.ts`. Prints JSON.
 */
import { Scheduler, type Ticket } from "../../src/sched/scheduler.ts";

const N = 10_000;
const g = globalThis as { Bun?: { gc(full: boolean): void }; gc?: () => void };

function collectGarbage(): void {
  if (g.Bun) g.Bun.gc(true);
  else if (g.gc) g.gc();
  else throw new Error("run with a GC hook: bun, or deno --v8-flags=--expose-gc");
}

function heapAfter(build: () => unknown): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const keep = build();
  collectGarbage();
  const used = process.memoryUsage().heapUsed - before;
  if (!keep) throw new Error("unreachable");
  return used / N;
}

const tenants = Array.from({ length: 16 }, (_, i) => `tenant-${i}`);
const timers = { queueTimeoutMs: 30_000, requestTimeoutMs: 600_000 };

const queued = heapAfter(() => {
  const s = new Scheduler({ slots: 1, queueSize: N + 1, ...timers });
  return Array.from({ length: N }, (_, i) => s.arrive(tenants[i % tenants.length]!));
});
const streaming = heapAfter(() => {
  const s = new Scheduler({ slots: N, queueSize: N, ...timers });
  return Array.from({ length: N }, (_, i) => {
    const t = s.arrive(tenants[i % tenants.length]!) as Ticket;
    s.fire(t, "start");
    for (let k = 0; k < 5; k++) s.fire(t, "token");
    return t;
  });
});
const runtime = g.Bun ? "bun" : "deno";
console.log(JSON.stringify({ runtime, requests: N, bytesPerQueuedRequest: Math.round(queued), bytesPerStreamingRequest: Math.round(streaming), note: "includes the pending timer of each request" }));
process.exit(0);
