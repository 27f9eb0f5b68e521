/**
 * Traces end to end: a real gateway process (OTEL_* set) exports with the real OTLP/HTTP exporter to a receiver in
 * this test, in front of the scripted upstream, which records the `traceparent` it got.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type GatewayProcess, startGateway } from "../hardening/gateway-process.ts";
import { startScriptedUpstream } from "../server/scripted-upstream.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.ts";

const PII = ["bob.smith@example.com", "555-123-4567"];
const SERVER = 2, CLIENT = 3, INTERNAL = 1, ERROR = 2;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("traces over OTLP/HTTP from a gateway process", () => {
  const upstream = startScriptedUpstream();
  upstream.scripts.set("pii", { text: "mail bob.smith@example.com or call 555-123-4567 now", chunking: 4 });
  upstream.scripts.set("down", { status: 500 });
  let receiver: OtlpReceiver;
  let gw: GatewayProcess | undefined;
  after(() => void gw?.child.kill("SIGKILL")); // only when a test failed before the last one stopped it

  /** Sends a chat request; resolves with its request id once its server span arrived. */
  async function chat(model: string, stream: boolean, headers: Record<string, string> = {}): Promise<{ id: string; server: ReceivedSpan; trace: ReceivedSpan[]; upstreamTraceparent: string | null }> {
    const sent = upstream.received.length;
    const res = await fetch(`${gw!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
    });
    await res.text();
    const id = res.headers.get("x-request-id")!;
    const deadline = Date.now() + 10_000;
    let servers: ReceivedSpan[] = [];
    while (Date.now() < deadline) {
      servers = receiver.spans.filter((s) => s.kind === SERVER && s.attributes["rsk.request_id"] === id);
      if (servers.length) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(servers.length, 1, `one server span for ${id}:\n${JSON.stringify(receiver.spans, null, 1).slice(0, 4000)}`);
    await new Promise((r) => setTimeout(r, 200)); // children end before the server span, but may come in the next batch
    const server = servers[0]!;
    return { id, server, trace: receiver.spans.filter((s) => s.traceId === server.traceId), upstreamTraceparent: upstream.received[sent]?.traceparent ?? null };
  }

  test("starts with OTEL_EXPORTER_OTLP_ENDPOINT set", { timeout: 30_000 }, async () => {
    receiver = await startOtlpReceiver();
    // A short drain: a stream that fails before its first byte stays counted in flight (reported as its own bug).
    gw = await startGateway(["--upstream", upstream.url, "--drain-ms", "500"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
      OTEL_SERVICE_NAME: "rsk-test",
      OTEL_BSP_SCHEDULE_DELAY: "50",
      OTEL_SDK_DISABLED: "",
      OTEL_TRACES_EXPORTER: "",
    });
    assert.match(gw.log(), /tracing: OTLP\/HTTP JSON to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
  });

  test("a streamed, redacted request: one server span with GenAI and rsk attributes, child spans, decision events without the PII", { timeout: 30_000 }, async () => {
    const { id, server, trace, upstreamTraceparent } = await chat("pii", true);
    assert.equal(server.name, "chat pii");
    assert.equal(server.service, "rsk-test");
    assert.equal(server.parentSpanId, "");
    const a = server.attributes;
    assert.equal(a["gen_ai.operation.name"], "chat");
    assert.equal(a["gen_ai.request.model"], "pii");
    assert.equal(a["gen_ai.usage.input_tokens"], 3);
    assert.equal(a["gen_ai.usage.output_tokens"], 13);
    assert.deepEqual(a["gen_ai.response.finish_reasons"], ["stop"]);
    assert.equal(a["server.address"], "127.0.0.1");
    assert.equal(a["http.response.status_code"], 200);
    assert.equal(a["rsk.policy"], "default");
    assert.match(String(a["rsk.policy.version"]), /^[0-9a-f]{12}$/);
    assert.equal(a["rsk.end_reason"], "completed");
    assert.equal(a["rsk.request_id"], id);

    const child = (name: string) => trace.find((s) => s.name === name)!;
    assert.equal(child("rsk.admission").parentSpanId, server.spanId);
    assert.equal(child("rsk.admission").kind, INTERNAL);
    const generate = child("rsk.generate");
    assert.equal(generate.parentSpanId, server.spanId);
    const call = trace.find((s) => s.kind === CLIENT)!;
    assert.equal(call.name, "chat pii");
    assert.equal(call.parentSpanId, generate.spanId);
    assert.equal(call.attributes["server.address"], "127.0.0.1");
    assert.equal(call.attributes["http.response.status_code"], 200);
    assert.equal(call.attributes["gen_ai.response.model"], "m", "the model the upstream named in its chunks");

    const redactions = server.events.filter((e) => e.name === "rsk.gate" && e.attributes["rsk.gate.action"] === "redact");
    assert.equal(redactions.length, 2, JSON.stringify(server.events));
    for (const e of redactions) {
      assert.equal(e.attributes["rsk.gate.stage"], "output");
      assert.equal(typeof e.attributes["rsk.gate.rule"], "string");
    }
    for (const body of receiver.bodies) for (const secret of PII) assert.ok(!body.includes(secret), `exported spans hold ${secret}`);

    assert.equal(upstreamTraceparent, `00-${server.traceId}-${call.spanId}-01`, "the upstream call carries the trace");
  });

  test("an incoming traceparent is continued, and reaches the upstream with the same trace id", { timeout: 30_000 }, async () => {
    const { server, upstreamTraceparent } = await chat("pii", false, { traceparent: `00-${TRACE}-${PARENT}-01` });
    assert.equal(server.traceId, TRACE);
    assert.equal(server.parentSpanId, PARENT);
    assert.match(upstreamTraceparent!, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });

  for (const malformed of [`00-${TRACE.toUpperCase()}-${PARENT}-01`, `00-${"0".repeat(32)}-${PARENT}-01`, `ff-${TRACE}-${PARENT}-01`, "00-xyz", `00-${TRACE}-${PARENT}-01-extra`]) {
    test(`a malformed traceparent (${malformed.slice(0, 24)}…) is ignored: a new trace`, { timeout: 30_000 }, async () => {
      const { server, upstreamTraceparent } = await chat("pii", false, { traceparent: malformed });
      assert.notEqual(server.traceId, TRACE);
      assert.match(server.traceId, /^[0-9a-f]{32}$/);
      assert.equal(server.parentSpanId, "");
      assert.match(upstreamTraceparent!, new RegExp(`^00-${server.traceId}-[0-9a-f]{16}-01$`));
    });
  }

  test("an upstream failure: the spans say error, with the status and the error's code", { timeout: 30_000 }, async () => {
    const { server, trace } = await chat("down", true);
    assert.equal(server.attributes["http.response.status_code"], 502);
    assert.equal(server.attributes["rsk.end_reason"], "failed");
    assert.equal(server.status, ERROR);
    assert.equal(typeof server.attributes["error.type"], "string");
    const call = trace.find((s) => s.kind === CLIENT)!;
    assert.equal(call.attributes["http.response.status_code"], 500);
    assert.equal(call.status, ERROR);
  });

  test("SIGTERM: exits 0", { timeout: 30_000 }, async () => {
    const t0 = performance.now();
    const code = await gw!.stop();
    assert.ok(code === 0 || (code === null && "Deno" in globalThis), `exit ${code} after ${performance.now() - t0} ms\n${gw!.log()}`);
    gw = undefined;
    await receiver.close();
    await upstream.close();
  });
});

describe("without OTEL_* variables", () => {
  test("nothing is exported; an incoming traceparent still reaches the upstream", { timeout: 30_000 }, async () => {
    const upstream = startScriptedUpstream();
    upstream.scripts.set("pii", { text: "mail bob.smith@example.com now" });
    const receiver = await startOtlpReceiver();
    const gw = await startGateway(["--upstream", upstream.url], { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" });
    try {
      assert.doesNotMatch(gw.log(), /tracing:/);
      for (const traceparent of [undefined, `00-${TRACE}-${PARENT}-01`]) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(traceparent ? { traceparent } : {}) },
          body: JSON.stringify({ model: "pii", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.equal(res.status, 200);
        await res.text();
      }
      assert.equal(upstream.received[0]!.traceparent, null, "no trace, no traceparent");
      assert.equal(upstream.received[1]!.traceparent, `00-${TRACE}-${PARENT}-01`, "passed on unchanged (no span of its own)");
    } finally {
      await gw.stop();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.bodies.length, 0);
      await receiver.close();
      await upstream.close();
    }
  });
});
