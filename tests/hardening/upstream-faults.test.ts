/**
 * Upstream faults beyond tests/server/upstream-faults.test.ts: an upstream that never ends meets the total-time limit
 * (RSK_REQUEST_TIMEOUT_MS), and after every kind of fault the backend slot is free again and the end is counted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Scheduler } from "../../src/sched/scheduler.ts";
import { startHarness, type Harness } from "../server/harness.ts";
import type { Script } from "../server/scripted-upstream.ts";
import { chat, errorOf, sleep } from "./fixtures.ts";

const lastEvent = (text: string) => text.trim().split("\n\n").at(-1)!;

/** Polls until the scheduler holds no slot (the release happens as the stream's finally runs). */
async function slotsFreed(h: Harness, scheduler: Scheduler): Promise<void> {
  for (let i = 0; i < 200 && scheduler.slotsInUse > 0; i++) await sleep(10);
  assert.equal(scheduler.slotsInUse, 0, "backend slot freed");
  assert.equal(h.metrics.activeStreams, 0, "no stream left open");
}

describe("upstream that never ends", () => {
  let h: Harness;
  const scheduler = new Scheduler({ requestTimeoutMs: 600 });
  before(() => {
    h = startHarness({ scheduler, idleTimeoutMs: 5000 });
    h.upstream.scripts.set("endless", { text: "tick ", endless: true, pieceDelayMs: 20 });
  });
  after(() => h.close());

  test("stream: text, then an SSE error event request_timeout, no [DONE]; upstream request closed", { timeout: 20_000 }, async () => {
    const res = await chat(h, undefined, { model: "endless", stream: true });
    assert.equal(res.status, 200);
    assert.ok(res.text.includes("tick"), "text before the deadline was delivered");
    const last = lastEvent(res.text);
    assert.match(last, /^event: error/);
    assert.equal(JSON.parse(last.split("data: ")[1]!).error.code, "request_timeout");
    assert.ok(!res.text.includes("[DONE]"));
    await h.upstream.received.at(-1)!.closed; // hangs (test timeout) if the upstream request were left running
    await slotsFreed(h, scheduler);
  });

  test("non-stream: 504 request_timeout", { timeout: 20_000 }, async () => {
    const res = await chat(h, undefined, { model: "endless" });
    assert.equal(res.status, 504, res.text);
    assert.equal(errorOf(res).code, "request_timeout");
    await h.upstream.received.at(-1)!.closed;
    await slotsFreed(h, scheduler);
  });

  test("counted in /metrics", async () => {
    const metrics = await (await fetch(`${h.url.replace("/v1", "")}/metrics`)).text();
    assert.match(metrics, /rsk_requests_ended_total\{state="timed_out"\} 2/);
    assert.match(metrics, /rsk_stream_ends_total\{reason="failed"\} 1/);
    assert.match(metrics, /rsk_requests_total\{route="\/v1\/chat\/completions",status="504"\} 1/);
  });
});

describe("every upstream fault frees its slot", () => {
  let h: Harness;
  const scheduler = new Scheduler();
  before(() => (h = startHarness({ scheduler, firstByteTimeoutMs: 300, idleTimeoutMs: 300 })));
  after(() => h.close());

  const faults: [string, Script][] = [
    ["slow first byte", { headerDelayMs: 1000, text: "late" }],
    ["stall mid-stream", { text: "a b c d", chunking: 2, faultAfter: 1, fault: "stall" }],
    ["reset mid-stream", { text: "a b c d", chunking: 2, faultAfter: 1, fault: "reset" }],
    ["invalid JSON event", { text: "a b c d", chunking: 2, faultAfter: 1, fault: "malformed" }],
    ["HTTP 500", { status: 500 }],
    ["HTTP 429", { status: 429, headers: { "retry-after": "3" } }],
  ];
  for (const [name, script] of faults) {
    for (const stream of [true, false]) {
      test(`${name} (${stream ? "stream" : "json"})`, async () => {
        h.upstream.scripts.set(name, script);
        const res = await chat(h, undefined, { model: name, stream });
        assert.ok(res.status >= 400 || res.text.includes("event: error"), `${res.status} ${res.text}`);
        assert.ok(!res.text.includes("[DONE]"));
        await slotsFreed(h, scheduler);
      });
    }
  }

  test("every fault is counted; the gateway still serves", async () => {
    const ended = scheduler.status().states;
    assert.equal(ended.failed, faults.length * 2, JSON.stringify(ended));
    assert.ok(h.metrics.upstreamErrors.get({ kind: "timeout" }) >= 4);
    h.upstream.scripts.set("fine", { text: "fine" });
    const ok = await chat(h, undefined, { model: "fine" });
    assert.equal(ok.status, 200);
  });
});
