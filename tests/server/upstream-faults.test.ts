/** Upstream failures: a JSON 4xx/5xx when nothing was sent, an SSE error event (no [DONE]) mid-stream; aborts reach it. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./harness.ts";
import type { Script } from "./scripted-upstream.ts";

async function call(h: Harness, model: string, stream: boolean) {
  const res = await fetch(`${h.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "x" }] }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const lastEvent = (text: string) => text.trim().split("\n\n").at(-1)!;

describe("upstream faults", () => {
  let h: Harness;
  before(() => (h = startHarness({ firstByteTimeoutMs: 300, idleTimeoutMs: 300 })));
  after(() => h.close());

  // Whether a reset before the first chunk happens before or after the response headers depends on the fixture's
  // runtime (Bun sends nothing, Deno sends headers first): either way the client gets a 502 and no stream.
  const beforeAnything: [string, Script, number, RegExp][] = [
    ["upstream 500", { status: 500 }, 502, /^upstream_status$/],
    ["upstream 503", { status: 503 }, 502, /^upstream_status$/],
    ["upstream 400 passes on", { status: 400 }, 400, /^upstream_status$/],
    ["slow headers", { headerDelayMs: 1500, text: "late" }, 504, /^upstream_timeout$/],
    ["reset before the first chunk", { text: "abc", faultAfter: 0, fault: "reset" }, 502, /^upstream_(connect|reset)$/],
    ["malformed first event", { text: "abc", faultAfter: 0, fault: "malformed" }, 502, /^upstream_malformed$/],
  ];
  for (const [name, script, status, code] of beforeAnything) {
    for (const stream of [true, false]) {
      test(`${name} (${stream ? "stream" : "json"}) → ${status} ${code}`, async () => {
        h.upstream.scripts.set(name, script);
        const res = await call(h, name, stream);
        assert.equal(res.status, status, res.text);
        assert.match(JSON.parse(res.text).error.code, code);
      });
    }
  }

  test("upstream 429 keeps its Retry-After", async () => {
    h.upstream.scripts.set("429", { status: 429, headers: { "retry-after": "7" } });
    const res = await call(h, "429", true);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
  });

  const midStream: [string, Script, string][] = [
    ["reset mid-stream", { text: "a b c d e f", chunking: 2, faultAfter: 3, fault: "reset" }, "upstream_reset"],
    ["malformed mid-stream", { text: "a b c d e f", chunking: 2, faultAfter: 3, fault: "malformed" }, "upstream_malformed"],
    ["stall mid-stream", { text: "a b c d e f", chunking: 2, faultAfter: 3, fault: "stall" }, "upstream_timeout"],
    ["eof before the end marker", { text: "a b c d e f", chunking: 2, faultAfter: 3, fault: "eof" }, "upstream_reset"],
  ];
  for (const [name, script, code] of midStream) {
    test(`${name} → SSE error event, no [DONE]`, async () => {
      h.upstream.scripts.set(name, script);
      const res = await call(h, name, true);
      assert.equal(res.status, 200);
      const last = lastEvent(res.text);
      assert.match(last, /^event: error/);
      assert.equal(JSON.parse(last.split("data: ")[1]!).error.code, code);
      assert.ok(!res.text.includes("[DONE]"));
      assert.ok(res.text.includes("\"content\":\"a \""), "text before the fault was delivered");
    });
  }

  test("failures are counted in metrics", () => {
    assert.ok(h.metrics.upstreamErrors.get({ kind: "timeout" }) >= 2);
    assert.ok(h.metrics.upstreamErrors.get({ kind: "reset" }) >= 2);
    assert.ok(h.metrics.streamEnds.get({ reason: "failed" }) >= 4);
  });

  test("a client disconnect aborts the upstream request at once", async () => {
    h.upstream.scripts.set("slow", { text: "x".repeat(200), chunking: 1, pieceDelayMs: 20 });
    const ctl = new AbortController();
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "x" }] }),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const upstreamRequest = h.upstream.received.at(-1)!;
    ctl.abort();
    await upstreamRequest.closed; // hangs (and the test times out) if the abort never reaches the upstream
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.metrics.activeStreams, 0);
    assert.ok(h.metrics.streamEnds.get({ reason: "aborted" }) >= 1);
  });
});
