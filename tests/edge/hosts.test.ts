/**
 * One scenario on every host, started the way the README says (examples/): Bun, Node (built JavaScript), `deno serve`
 * with only --allow-net --allow-env, and workerd (wrangler dev --local, rate limits in Durable Objects). An upstream
 * streams PII in 1–3 character pieces: the client gets it redacted, nothing leaked; a blocked stream ends with an
 * error event and no [DONE]; a client that goes away (mid-text or while the stream is silent) frees its slot; a
 * missing key is 401 and a spent rate limit 429; audit records reach a collector over HTTP, chained and verifiable.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { startScriptedUpstream, type ScriptedUpstream } from "../server/scripted-upstream.ts";
import { missingTools } from "../system-tools.ts";
import { type HostName, type RunningHost, startHost } from "./hosts.ts";

const KEY = "sk-edge-0123456789abcdef";
const FRUGAL = "sk-edge-frugal-0123456789";
const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
const AUTH = JSON.stringify({
  keys: [
    { id: "edge", sha256: sha256(KEY), limits: { requestsPerSecond: 100, burst: 100 } },
    { id: "frugal", sha256: sha256(FRUGAL), limits: { requestsPerSecond: 0.01, burst: 2 } },
  ],
});

const PII = { email: "jane.doe+work@mail.example.com", phone: "+1 415 555 2671", card: "4111 1111 1111 1111", aws: "AKIAIOSFODNN7EXAMPLE" };
const PII_TEXT = `Reach ${PII.email} or ${PII.phone}; card ${PII.card}; key ${PII.aws}. Done.`;

/** OpenAI chunks of `text` in pieces of 1, 2, 3, 1, 2, 3… characters, then the finish and [DONE]. */
function choppedSse(text: string): string[] {
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const out = [chunk({ role: "assistant", content: "" })];
  for (let i = 0, n = 1; i < text.length; i += n, n = (n % 3) + 1) out.push(chunk({ content: text.slice(i, i + n) }));
  return [...out, chunk({}, "stop"), "data: [DONE]\n\n"];
}

/** The hosts, each with the tools it needs on this machine. */
const HOSTS: [HostName, string | false][] = [
  ["bun", false],
  ["node", missingTools(["node", "--version"])],
  ["deno", false],
  ["workerd", missingTools(["node", "--version"])],
];

const AUDIT_KEY = "edge-audit-key-0123456789";
/** A collector: every batch POSTed, in arrival order, by the host's run id. */
let collector: Server;
const collected = new Map<string, string>();
let upstream: ScriptedUpstream;
before(async () => {
  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const run = String(req.headers["x-rsk-audit-run"]);
      collected.set(run, (collected.get(run) ?? "") + body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  upstream = startScriptedUpstream();
  upstream.scripts.set("pii", { sse: choppedSse(PII_TEXT) });
  upstream.scripts.set("block", { text: "Fine. Here is how to build a bomb, step by step.", chunking: 2 });
  upstream.scripts.set("endless", { text: "still going ", chunking: 4, pieceDelayMs: 100, endless: true });
  upstream.scripts.set("silent", { text: "thinking", chunking: 2, faultAfter: 2, fault: "stall" });
});
after(async () => {
  await upstream.close();
  await new Promise((resolve) => collector.close(resolve));
});

/** Per test: hosts share two cores with the test and the upstream. */
const T = { timeout: 90_000 };
const chat = (model: string) => JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "go" }] });
const headers = (key = KEY) => ({ "content-type": "application/json", authorization: `Bearer ${key}` });

for (const [host, skip] of HOSTS) {
  describe(`on ${host}`, { skip, timeout: 180_000 }, () => {
    // Started by the first test, not in a `before` hook: Bun gives node:test hooks a fixed 5 s (their timeout option
    // is ignored), and a host can take longer to start on a busy machine.
    let started: Promise<RunningHost> | undefined;
    const gateway = () => (started ??= startHost(host, {
      RSK_UPSTREAM_URL: upstream.url,
      RSK_AUTH_JSON: AUTH,
      RSK_MAX_CONCURRENT: "1",
      RSK_QUEUE_TIMEOUT_MS: "3000",
      // A client that left a silent stream is found out at the next write at the latest (workerd's dev proxy).
      RSK_SSE_HEARTBEAT_MS: "1000",
      RSK_AUDIT_URL: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/audit`,
      RSK_AUDIT_KEY: AUDIT_KEY,
      RSK_AUDIT_FLUSH_MS: "50",
    }));
    after(async () => (await started?.catch(() => undefined))?.stop());

    test("PII streamed in 1–3 character pieces reaches the client redacted (openai SDK)", T, async () => {
      const running = await gateway();
      const url = running.url;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY });
      let text = "";
      for await (const chunk of await client.chat.completions.create({ model: "pii", stream: true, messages: [{ role: "user", content: "go" }] })) {
        text += chunk.choices[0]?.delta.content ?? "";
      }
      for (const value of Object.values(PII)) assert.ok(!text.includes(value), `${value} leaked: ${text}`);
      assert.ok(!/\d{4} \d{4} \d{4}/.test(text) && !text.includes("AKIA") && !text.includes("@mail"), text);
      assert.match(text, /^Reach .+; card .*1111; key .+\. Done\.$/);
    });

    test("a blocked stream ends with an error event and no [DONE]", T, async () => {
      const running = await gateway();
      const url = running.url;
      const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: headers(), body: chat("block") });
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.match(body, /"code":"content_blocked"|"type":"content_blocked"|blocked/);
      assert.ok(!body.includes("[DONE]"), body);
      assert.ok(!body.includes("build a bomb"), body);
    });

    for (const model of ["endless", "silent"]) {
      test(`a client that goes away (${model === "endless" ? "mid-text" : "while nothing is sent"}) frees its slot and the upstream call`, T, async () => {
        const running = await gateway();
        const url = running.url;
        const seen = upstream.received.length;
        const abort = new AbortController();
        const res = fetch(`${url}/v1/chat/completions`, { method: "POST", headers: headers(), body: chat(model), signal: abort.signal });
        let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
        if (model === "endless") await (reader = (await res).body!.getReader()).read();
        else if (host === "workerd") {
          // Held back and silent: the worker answers its SSE headers after 1 s (sseHeadersAfterMs); a client that leaves
          // after that is a cancelled body, seen at the next heartbeat at the latest. One that leaves before, wrangler's
          // dev proxy never reports (not even with enable_request_signal): its slot waits for the upstream idle deadline.
          await res;
          await new Promise((r) => setTimeout(r, 500));
        } else {
          // Held back and silent: not even the headers have come; the client gives up while the gateway waits.
          while (upstream.received.length === seen) await new Promise((r) => setTimeout(r, 20));
          await new Promise((r) => setTimeout(r, 300));
        }
        abort.abort();
        await (reader ? reader.cancel() : res.then((r) => r.body?.cancel())).catch(() => {});
        const freed = Date.now() + 10_000;
        let status;
        while ((status = await (await fetch(`${url}/v1/rsk/status`, { headers: headers() })).json()).slots.inUse > 0 && Date.now() < freed) await new Promise((r) => setTimeout(r, 50));
        assert.equal(status.slots.inUse, 0, `the slot is still held: ${JSON.stringify(status)}\n${running.log().slice(-2000)}`);
        // workerd under wrangler dev does not always close its outbound connection when the fetch is aborted.
        if (host !== "workerd") await Promise.race([upstream.received[seen]!.closed, new Promise((_, reject) => setTimeout(() => reject(new Error("the upstream call was not cancelled")), 5000))]);
        // One slot (RSK_MAX_CONCURRENT=1): the next request is admitted, not queued into a 504.
        const next = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: headers(), body: chat("pii") });
        assert.equal(next.status, 200, await next.clone().text());
        assert.match(await next.text(), /\[DONE\]/);
      });
    }

    test("no key → 401; a spent rate limit → 429", T, async () => {
      const running = await gateway();
      const url = running.url;
      const none = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat("pii") });
      assert.equal(none.status, 401);
      assert.equal((await none.json()).error.type, "authentication_error");
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: headers(FRUGAL), body: chat("pii") });
        statuses.push(res.status);
        await res.text();
      }
      assert.deepEqual(statuses, [200, 200, 429]);
    });

    test("audit records reach the collector over HTTP: chained, verifiable, the redactions and the 401 in them", T, async () => {
      await gateway();
      const runs = () => [...collected.values()].filter((text) => text.includes('"rule":"email"') && text.includes('"event":"auth"'));
      const deadline = Date.now() + 10_000;
      while (runs().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [log] = runs();
      assert.ok(log, `no run with the email redaction and the refused key among ${collected.size} run(s)`);
      collected.clear();
      const report = verifyAuditLog(log, AUDIT_KEY, true);
      assert.ok(report.ok, JSON.stringify(report));
      assert.ok(!log.includes(PII.email), "never the matched text");
    });
  });
}
