/**
 * Many upstreams (RSK_UPSTREAMS): real scripted upstreams that refuse connections, hang before headers, answer
 * 500/503/429 or reset mid-stream, behind a real gateway. Every retry, fallback and breaker path is exercised; a
 * failure after the first event is never retried; weighted balancing shares load; the routing file is validated with
 * every problem named and reloaded with the last good routes kept.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import * as v from "valibot";
import { serve } from "../../ffi/serve.ts";
import { loadRouting, RoutingStore } from "../../src/backends/router/load.ts";
import { RoutedBackend } from "../../src/backends/router/router.ts";
import { RoutingSchema, routingJsonSchemaText } from "../../src/backends/router/schema.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { DEFAULT_POLICY, PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { freePorts } from "../net.ts";
import { startHost } from "../edge/hosts.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream.ts";

/** A gateway whose backend routes over `file`; a client; what the router reported. */
function gatewayOver(file: unknown, env: Record<string, string> = {}) {
  const metrics = new GatewayMetrics();
  const notes: string[] = [];
  const backend = new RoutedBackend(v.parse(RoutingSchema, file), env, {
    breaker: (u, state) => (notes.push(`${u}:${state}`), metrics.breakerChanges.inc({ upstream: u, state })),
    retry: (u, err, next) => (notes.push(`${u}->${next}:${err.code}`), metrics.upstreamRetries.inc({ upstream: u })),
  });
  const policies = new PolicyStore(DEFAULT_POLICY);
  const app = createGateway({ backend, policies, metrics, maxBodyBytes: 1 << 20, limits: { maxTokens: 1024, maxChoices: 4 } });
  const server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const url = `http://127.0.0.1:${server.port}/v1`;
  return { url, client: new OpenAI({ baseURL: url, apiKey: "k", maxRetries: 0 }), notes, metrics, close: () => server.close() };
}

const ask = async (client: OpenAI, model: string) => {
  let text = "";
  for await (const c of await client.chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "hi" }] })) text += c.choices[0]?.delta.content ?? "";
  return text;
};

describe("routing over many upstreams", () => {
  let a: ScriptedUpstream, b: ScriptedUpstream;
  let dead: string;
  before(async () => {
    a = startScriptedUpstream();
    b = startScriptedUpstream();
    dead = `http://127.0.0.1:${(await freePorts(1))[0]}/v1`; // nothing listens there: connection refused
    for (const up of [a, b]) up.scripts.set("m", { text: `from ${up === a ? "a" : "b"}`, chunking: 3 });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  const fast = { retry: { attempts: 1, baseMs: 5, maxMs: 2000 } };

  test("connection refused: retried, then the next target answers", async () => {
    const g = gatewayOver({ ...fast, upstreams: { dead: { url: dead }, b: { url: b.url } }, models: { m: ["dead", "b"] } });
    try {
      assert.equal(await ask(g.client, "m"), "from b");
      assert.deepEqual(g.notes, ["dead->dead:upstream_connect", "dead->b:upstream_connect"]);
    } finally {
      await g.close();
    }
  });

  test("503 then success on the same upstream: one retry with backoff, no fallback", async () => {
    a.scripts.set("flaky", { text: "made it", chunking: 2, status: 503, failFirst: 1 });
    const g = gatewayOver({ ...fast, upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { flaky: ["a", "b"] } });
    try {
      assert.equal(await ask(g.client, "flaky"), "made it");
      assert.deepEqual(g.notes, ["a->a:upstream_status"]);
    } finally {
      await g.close();
    }
  });

  test("429: a short Retry-After is waited for; a long one falls back at once", async () => {
    a.scripts.set("limited", { text: "after wait", chunking: 2, status: 429, failFirst: 1, headers: { "retry-after": "1" } });
    const g = gatewayOver({ ...fast, upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { limited: ["a", "b"], busy: ["a", "b"] } });
    try {
      const t0 = performance.now();
      assert.equal(await ask(g.client, "limited"), "after wait");
      assert.ok(performance.now() - t0 >= 900, "waited for Retry-After: 1");
      a.scripts.set("busy", { status: 429, headers: { "retry-after": "60" } });
      b.scripts.set("busy", { text: "b took it", chunking: 2 });
      const t1 = performance.now();
      assert.equal(await ask(g.client, "busy"), "b took it");
      assert.ok(performance.now() - t1 < 900, "no 60 s wait");
    } finally {
      await g.close();
    }
  });

  test("an upstream that hangs before its headers times out and the next one answers", async () => {
    a.scripts.set("slow", { text: "late", headerDelayMs: 3000 });
    b.scripts.set("slow", { text: "b was quick", chunking: 4 });
    const g = gatewayOver({ retry: { attempts: 0 }, upstreams: { a: { url: a.url, firstByteTimeoutMs: 200 }, b: { url: b.url } }, models: { slow: ["a", "b"] } });
    try {
      assert.equal(await ask(g.client, "slow"), "b was quick");
      assert.deepEqual(g.notes, ["a->b:upstream_timeout"]);
    } finally {
      await g.close();
    }
  });

  test("a reset after the first event is never retried: the response ends with the upstream's failure", async () => {
    a.scripts.set("cut", { text: "partial text here", chunking: 2, faultAfter: 3, fault: "reset" });
    b.scripts.set("cut", { text: "should not be asked" });
    const seenB = b.received.length;
    const g = gatewayOver({ ...fast, upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { cut: ["a", "b"] } });
    try {
      const res = await fetch(`${g.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "cut", stream: true, messages: [{ role: "user", content: "x" }] }) });
      const body = await res.text();
      // An error event, or a 502 when the guard had released nothing yet: either way the failure, not a retry.
      assert.match(body, /upstream_reset/);
      assert.ok(!body.includes("[DONE]"));
      assert.equal(b.received.length, seenB, "no fallback after the first event");
    } finally {
      await g.close();
    }
  });

  test("a client error (400) is passed on, not retried", async () => {
    a.scripts.set("bad", { status: 400 });
    const seenB = b.received.length;
    const g = gatewayOver({ ...fast, upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { bad: ["a", "b"] } });
    try {
      await assert.rejects(ask(g.client, "bad"), (err: unknown) => err instanceof OpenAI.BadRequestError);
      assert.equal(b.received.length, seenB);
      assert.deepEqual(g.notes, []);
    } finally {
      await g.close();
    }
  });

  test("circuit breaker: open after N failures (the dead upstream is skipped), half-open probe, closed on success", async () => {
    a.scripts.set("cb", { status: 500 });
    b.scripts.set("cb", { text: "b", chunking: 1 });
    const g = gatewayOver({ retry: { attempts: 0 }, breaker: { failures: 2, openMs: 300 }, upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { cb: ["a", "b"] } });
    try {
      const seenA = () => a.received.filter((r) => r.body.model === "cb").length;
      await ask(g.client, "cb");
      await ask(g.client, "cb");
      assert.equal(seenA(), 2);
      assert.ok(g.notes.includes("a:open"), g.notes.join());
      await ask(g.client, "cb");
      assert.equal(seenA(), 2, "open: a is not asked");
      await new Promise((r) => setTimeout(r, 350));
      a.scripts.set("cb", { text: "a is back", chunking: 2 });
      assert.equal(await ask(g.client, "cb"), "a is back");
      assert.ok(g.notes.includes("a:half_open") && g.notes.at(-1) === "a:closed", g.notes.join());
      assert.match(await (await fetch(`${g.url.replace(/\/v1$/, "")}/metrics`)).text(), /rsk_upstream_breaker_transitions_total\{upstream="a",state="open"\} 1/);
    } finally {
      await g.close();
    }
  });

  test("weighted balancing: 3:1 weights share 200 requests about 3:1", async () => {
    const g = gatewayOver({ upstreams: { a: { url: a.url }, b: { url: b.url } }, models: { m: [{ upstream: "a", weight: 3 }, { upstream: "b", weight: 1 }] } });
    try {
      const counts = { a: 0, b: 0 };
      for (let i = 0; i < 200; i++) counts[(await ask(g.client, "m")) === "from a" ? "a" : "b"]++;
      // 3:1 is a share of 0.75 for a: 150 ± 6 (one sd) of 200; ±4.9 sd still tells it from 1:1 (100) and 1:0.
      assert.ok(counts.a >= 120 && counts.a <= 180, JSON.stringify(counts));
    } finally {
      await g.close();
    }
  });

  test("wildcards and per-target model names; an unrouted model is 404; /v1/models lists the routed ones", async () => {
    a.scripts.set("real-model", { text: "renamed", chunking: 3 });
    const g = gatewayOver({ upstreams: { a: { url: a.url } }, models: { "gpt-*": [{ upstream: "a", model: "real-model" }], fixed: ["a"] } });
    try {
      assert.equal(await ask(g.client, "gpt-anything"), "renamed");
      assert.equal(a.received.at(-1)!.body.model, "real-model");
      await assert.rejects(ask(g.client, "claude"), (err: unknown) => err instanceof OpenAI.NotFoundError);
      assert.deepEqual((await g.client.models.list()).data.map((m) => m.id), ["fixed"]);
    } finally {
      await g.close();
    }
  });

  test("/readyz is 503 while a routed model has no reachable upstream", async () => {
    const g = gatewayOver({ upstreams: { dead: { url: dead }, a: { url: a.url } }, models: { ok: ["a"], lost: ["dead"] } });
    try {
      assert.equal((await fetch(`${g.url.replace(/\/v1$/, "")}/readyz`)).status, 503);
    } finally {
      await g.close();
    }
  });
});

describe("the routing file", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "rsk-routes-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("its JSON Schema (rsk upstreams schema) accepts a valid file", async () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(routingJsonSchemaText()));
    assert.ok(validate({ upstreams: { a: { url: "http://x/v1", dialect: "anthropic" } }, models: { "m-*": [{ upstream: "a", weight: 2 }] } }), JSON.stringify(validate.errors));
    assert.ok(!validate({ upstreams: { a: { url: "http://x/v1", dialect: "gemini" } }, models: {} }));
  });

  test("every problem is named with its JSON path; an unset key variable is named", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ upstreams: { "a b": { url: "ftp://x" } }, models: { m: ["nope"] }, retry: { attempts: 99 } }));
    assert.throws(() => loadRouting(file, {}), (err: Error) => {
      assert.match(err.message, /bad\.json: \$\.upstreams/);
      assert.match(err.message, /bad\.json: \$\.retry\.attempts/);
      return true;
    });
    writeFileSync(file, JSON.stringify({ upstreams: { a: { url: "http://x/v1", apiKeyEnv: "RSK_TEST_KEY" } }, models: { m: ["a"] } }));
    assert.throws(() => loadRouting(file, {}), /\$\.upstreams\.a\.apiKeyEnv: RSK_TEST_KEY is not set/);
    writeFileSync(file, JSON.stringify({ upstreams: { a: { url: "http://x/v1" } }, models: { m: ["b"] } }));
    assert.throws(() => loadRouting(file, {}), /\$\.models: a target names an upstream that is not in upstreams/);
  });

  test("the key comes from its variable; a broken edit keeps the last good routes; a good one takes effect", async () => {
    const up = startScriptedUpstream();
    up.scripts.set("m", { text: "one", chunking: 2 });
    up.scripts.set("m2", { text: "two", chunking: 2 });
    const file = join(dir, "routes.json");
    writeFileSync(file, JSON.stringify({ upstreams: { a: { url: up.url, apiKeyEnv: "UP_KEY" } }, models: { m: ["a"] } }));
    const reloads: (string | undefined)[] = [];
    const store = new RoutingStore(file, { UP_KEY: "sk-up" }, { reload: (err) => reloads.push(err?.message) });
    try {
      const request = (model: string) => ({ kind: "chat" as const, body: { model, messages: [{ role: "user" as const, content: "x" }] }, signal: new AbortController().signal, tokens: { ban: [], bias: {} } });
      const text = async (model: string) => {
        let out = "";
        for await (const e of store.generate(request(model) as never)) if (e.type === "text") out += e.text;
        return out;
      };
      assert.equal(await text("m"), "one");
      assert.equal(up.received.at(-1)!.authorization, "Bearer sk-up");
      writeFileSync(file, "{ broken");
      await until(() => reloads.length >= 1);
      assert.match(reloads.at(-1) ?? "", /routes\.json/);
      assert.equal(await text("m"), "one", "last good routes");
      writeFileSync(file, JSON.stringify({ upstreams: { a: { url: up.url, apiKeyEnv: "UP_KEY" } }, models: { m2: ["a"] } }));
      await until(() => reloads.at(-1) === undefined && reloads.length >= 2);
      assert.equal(await text("m2"), "two");
    } finally {
      store.close();
      await up.close();
    }
  });
});

async function until(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("RSK_UPSTREAMS on a server host (examples/bun)", () => {
  test("the routes serve, fall back past a dead upstream, and show in /metrics; RSK_UPSTREAM_DIALECT is validated", { timeout: 90_000 }, async () => {
    const up = startScriptedUpstream();
    up.scripts.set("m", { text: "routed", chunking: 2 });
    const dir = mkdtempSync(join(tmpdir(), "rsk-routes-host-"));
    const file = join(dir, "routes.json");
    const dead = `http://127.0.0.1:${(await freePorts(1))[0]}/v1`;
    writeFileSync(file, JSON.stringify({ retry: { attempts: 0 }, upstreams: { dead: { url: dead }, live: { url: up.url, apiKeyEnv: "LIVE_KEY" } }, models: { m: ["dead", "live"] } }));
    const host = await startHost("bun", { RSK_UPSTREAMS: file, LIVE_KEY: "sk-live" });
    try {
      const client = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: "k", maxRetries: 0 });
      assert.equal(await ask(client, "m"), "routed");
      assert.equal(up.received.at(-1)!.authorization, "Bearer sk-live");
      const metrics = await (await fetch(`${host.url}/metrics`)).text();
      assert.match(metrics, /rsk_upstream_retries_total\{upstream="dead"\} 1/);
      assert.deepEqual((await client.models.list()).data.map((m) => m.id), ["m"]);
    } finally {
      await host.stop();
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = await startHost("bun", { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", RSK_UPSTREAM_DIALECT: "gemini" }, { until: /RSK_UPSTREAM_DIALECT="gemini": must be openai or anthropic/ });
    await bad.stop();
  });
});
