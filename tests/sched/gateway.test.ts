/** Admission in the gateway: 429 with Retry-After, queue and total-time deadlines, cancellation, status and metrics. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { Scheduler, type SchedulerLimits } from "../../src/sched/scheduler.ts";
import { createGateway } from "../../src/server/app.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { startHarness } from "../server/harness.ts";
import { HeldBackend } from "./held-backend.ts";

function gateway(limits: Partial<SchedulerLimits>) {
  const backend = new HeldBackend();
  const scheduler = new Scheduler(limits);
  const policies = new PolicyStore(DEFAULT_POLICY);
  const app = createGateway({ backend, policies, scheduler, metrics: new GatewayMetrics(), maxBodyBytes: 1 << 20, limits: { maxTokens: 100, maxChoices: 2 } });
  const call = async (init: { stream?: boolean; signal?: AbortSignal } = {}): Promise<Response> =>
    app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: init.stream ?? true, messages: [{ role: "user", content: "hi" }] }),
      signal: init.signal,
    });
  return { app, backend, scheduler, call };
}

/** Lets pending promise callbacks and timers run (admission hand-offs are promise resolutions). */
const settle = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await settle(5);
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe("admission in the gateway", () => {
  test("a full queue answers 429 with Retry-After and an OpenAI error body; queued requests then complete", async () => {
    const g = gateway({ slots: 1, queueSize: 1, queueTimeoutMs: 0 });
    const first = g.call();
    const second = g.call();
    await until(() => g.scheduler.queued === 1 && g.scheduler.slotsInUse === 1, "one running, one queued");
    const third = await g.call();
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "1");
    const body = (await third.json()) as { error: { type: string; code: string } };
    assert.equal(body.error.type, "rate_limit_error");
    assert.equal(body.error.code, "queue_full");
    g.backend.release();
    // Read both bodies concurrently: an unread stream holds its slot (that is backpressure working).
    const done = await Promise.all([first, second].map(async (p) => {
      const res = await p;
      return { status: res.status, text: await res.text() };
    }));
    for (const { status, text } of done) {
      assert.equal(status, 200);
      assert.match(text, /first, /);
      assert.match(text, /data: \[DONE\]/);
    }
    const s = g.scheduler.status();
    assert.equal(s.states.completed, 2);
    assert.equal(s.rejected, 1);
    assert.equal(s.slots.inUse, 0);
  });

  test("waiting past RSK_QUEUE_TIMEOUT_MS is a 504 and frees the queue place", async () => {
    const g = gateway({ slots: 1, queueTimeoutMs: 30 });
    const running = g.call({ stream: false });
    await until(() => g.scheduler.slotsInUse === 1, "the slot taken");
    const late = await g.call();
    assert.equal(late.status, 504);
    assert.equal(((await late.json()) as { error: { code: string } }).error.code, "queue_timeout");
    assert.equal(g.scheduler.queued, 0);
    g.backend.release();
    assert.equal((await running).status, 200);
  });

  test("the total-time limit ends a stream with an SSE error event (no [DONE]) and stops the backend", async () => {
    const g = gateway({ slots: 1, requestTimeoutMs: 60 });
    const res = await g.call();
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /first, /);
    assert.match(text, /event: error\ndata: .*"code":"request_timeout"/);
    assert.doesNotMatch(text, /\[DONE\]/);
    assert.equal(g.backend.aborted, 1);
    assert.equal(g.scheduler.status().states.timed_out, 1);
    assert.equal(g.scheduler.slotsInUse, 0);
  });

  test("the total-time limit on a non-streamed request is a 504", async () => {
    const g = gateway({ slots: 1, requestTimeoutMs: 40 });
    const res = await g.call({ stream: false });
    assert.equal(res.status, 504);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "request_timeout");
  });

  test("a client abort frees its queue place in the same event-loop turn", async () => {
    const g = gateway({ slots: 1, queueTimeoutMs: 0 });
    const running = g.call();
    const ctl = new AbortController();
    const queued = g.call({ signal: ctl.signal });
    await until(() => g.scheduler.queued === 1, "the second request queued");
    ctl.abort();
    assert.equal(g.scheduler.queued, 0, "freed synchronously by the abort event");
    assert.equal(g.scheduler.status().states.cancelled, 1);
    await queued.then((r) => r.body?.cancel(), () => {});
    g.backend.release();
    await (await running).text();
    assert.equal(g.backend.started, 1, "the cancelled request never reached the backend");
  });

  test("a client abort mid-stream frees the slot in the same turn, admits the next, and stops the backend", async () => {
    const g = gateway({ slots: 1, queueTimeoutMs: 0 });
    const ctl = new AbortController();
    const streaming = await g.call({ signal: ctl.signal });
    const reader = streaming.body!.getReader();
    await reader.read();
    await until(() => g.scheduler.status().states.streaming === 1, "the stream to start");
    const next = g.call({ stream: false });
    await until(() => g.scheduler.queued === 1, "the next request queued");
    ctl.abort();
    assert.equal(g.scheduler.status().states.cancelled, 1, "cancelled synchronously");
    assert.equal(g.scheduler.status().states.admitted, 1, "the queued request took the slot in the same turn");
    assert.equal(g.scheduler.slotsInUse, 1);
    await reader.cancel().catch(() => {});
    await until(() => g.backend.aborted === 1, "the backend to stop");
    g.backend.release();
    assert.equal((await next).status, 200);
    assert.equal(g.scheduler.slotsInUse, 0);
  });

  test("GET /v1/rsk/status and /metrics show queue depth, slots in use and per-state counts", async () => {
    const g = gateway({ slots: 2, queueSize: 8, queueTimeoutMs: 0 });
    const calls = [g.call(), g.call(), g.call()];
    await until(() => g.scheduler.queued === 1, "two running, one queued");
    const status = (await (await g.app.request("/v1/rsk/status")).json()) as ReturnType<Scheduler["status"]>;
    assert.deepEqual(status.queue, { depth: 1, capacity: 8, tenants: 1 });
    assert.deepEqual(status.slots, { inUse: 2, total: 2 });
    assert.equal(status.states.queued, 1);
    assert.equal(status.states.admitted + status.states.prefilling + status.states.streaming, 2);
    const metrics = await (await g.app.request("/metrics")).text();
    assert.match(metrics, /^rsk_queue_depth 1$/m);
    assert.match(metrics, /^rsk_slots_in_use 2$/m);
    assert.match(metrics, /^rsk_requests_in_state\{state="queued"\} 1$/m);
    g.backend.release();
    await Promise.all(calls.map(async (c) => (await c).text()));
    const after = await (await g.app.request("/metrics")).text();
    assert.match(after, /^rsk_requests_ended_total\{state="completed"\} 3$/m);
    assert.match(after, /^rsk_slots_in_use 0$/m);
  });
});

describe("admission on a real server", () => {
  test("a real client disconnect mid-stream frees the slot and closes the upstream request", async () => {
    const scheduler = new Scheduler({ slots: 4 });
    const h = startHarness({ scheduler });
    try {
      h.upstream.scripts.set("slow", { text: "tick ".repeat(200), chunking: "words", pieceDelayMs: 20 });
      const ctl = new AbortController();
      const res = await fetch(`${h.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
        signal: ctl.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      assert.equal(scheduler.slotsInUse, 1);
      ctl.abort();
      await until(() => scheduler.slotsInUse === 0, "the slot to be freed");
      assert.equal(scheduler.status().states.cancelled, 1);
      await h.upstream.received[0]!.closed;
      const status = (await (await fetch(`${h.url}/rsk/status`)).json()) as ReturnType<Scheduler["status"]>;
      assert.equal(status.slots.inUse, 0);
    } finally {
      await h.close();
    }
  });
});
