/**
 * Graceful drain. In-process: a draining gateway is not ready and refuses new requests with 503. With real
 * processes: on SIGTERM a stream that ends within RSK_DRAIN_MS completes normally, one that does not ends with an SSE
 * error `server_shutting_down` (never a cut connection), and the process exits 0.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { Drain } from "../../src/server/drain.ts";
import { UpstreamBackend } from "../../src/backends/upstream/backend.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "../server/scripted-upstream.ts";
import { startGateway } from "./gateway-process.ts";

describe("drain state (app.request)", () => {
  let upstream: ScriptedUpstream;
  before(() => (upstream = startScriptedUpstream()));
  after(() => upstream.close());

  test("/livez stays ok; /readyz follows the backend, then says draining; new /v1 requests get 503", async () => {
    const drain = new Drain();
    const policies = new PolicyStore(DEFAULT_POLICY);
    const backend = (url: string) => new UpstreamBackend({ url, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 });
    const app = createGateway({ backend: backend(upstream.url), policies, metrics: new GatewayMetrics(), maxBodyBytes: 1 << 20, limits: { maxTokens: 100, maxChoices: 2 }, drain });
    const down = createGateway({ backend: backend("http://127.0.0.1:9/v1"), policies, maxBodyBytes: 1 << 20, limits: { maxTokens: 100, maxChoices: 2 } });
    assert.equal((await app.request("/livez")).status, 200);
    assert.equal((await app.request("/readyz")).status, 200);
    assert.equal((await down.request("/readyz")).status, 503, "an unreachable upstream is not ready");
    drain.start();
    assert.equal((await app.request("/livez")).status, 200);
    const ready = await app.request("/readyz");
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: "draining" });
    const res = await app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "server_shutting_down");
    policies.close();
  });

  test("a stream whose upstream fails before its first byte stops counting as in flight (a drain does not wait for it)", async () => {
    const drain = new Drain();
    const policies = new PolicyStore(DEFAULT_POLICY);
    upstream.scripts.set("down", { status: 500 });
    const app = createGateway({ backend: new UpstreamBackend({ url: upstream.url, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 }), policies, maxBodyBytes: 1 << 20, limits: { maxTokens: 100, maxChoices: 2 }, drain });
    for (const stream of [true, false]) {
      const res = await app.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "down", stream, messages: [{ role: "user", content: "x" }] }) });
      assert.equal(res.status, 502);
      assert.equal(drain.inFlight, 0, stream ? "streamed" : "not streamed");
    }
    policies.close();
  });
});

describe("drain on SIGTERM (real gateway process)", () => {
  let upstream: ScriptedUpstream;
  before(() => {
    upstream = startScriptedUpstream();
    upstream.scripts.set("short", { text: "a b c d e f g h", chunking: 2, pieceDelayMs: 60 });
    upstream.scripts.set("long", { text: "x ", endless: true, pieceDelayMs: 50 });
  });
  after(() => upstream.close());

  /** Starts a stream; resolves once its headers arrived (the gateway answers after the first decision), with its body. */
  const open = async (url: string, model: string): Promise<{ body: Promise<string> }> => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 200);
    return { body: res.text() }; // wrapped: an async function returning a promise would wait for the whole body
  };

  for (const drainMs of [800, 0]) {
    test(`RSK_DRAIN_MS=${drainMs}: ${drainMs ? "the short stream completes, " : ""}the long one ends with server_shutting_down; exit 0`, { timeout: 60_000 }, async () => {
      const gw = await startGateway(["--upstream", upstream.url], { RSK_DRAIN_MS: String(drainMs) });
      const short = await open(gw.url, "short");
      const long = await open(gw.url, "long");
      await new Promise((r) => setTimeout(r, 100)); // both streams are sending
      const exited = new Promise<number | null>((resolve) => gw.child.once("exit", (code) => resolve(code)));
      gw.child.kill("SIGTERM");
      const [shortText, longText, code] = await Promise.all([short.body, long.body, exited]);
      if (drainMs) assert.match(shortText, /data: \[DONE\]/, "a stream that ends within the drain completes");
      else assert.match(shortText, /server_shutting_down/);
      assert.match(longText, /event: error\ndata: .*server_shutting_down/);
      assert.doesNotMatch(longText, /\[DONE\]/);
      assert.ok(code === 0 || (code === null && "Deno" in globalThis), `exit ${code}\n${gw.log()}`);
      assert.match(gw.log(), /rsk: stopped/);
    });
  }
});
