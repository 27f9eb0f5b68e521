/**
 * The policy playground in a real headless Chromium (Debian `chromium`, driven by puppeteer-core): typed text is
 * scanned by the gateway's own `POST /v1/rsk/scan`, findings are highlighted with rule and action, the released text
 * is redacted, and streaming in small pieces shows what each piece releases and holds. A screenshot is kept in
 * `.tmp/`. Plus the scan endpoint itself, and the playground's refusal to start exposed without keys.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import puppeteer, { type Browser } from "puppeteer-core";
import { serve } from "../../ffi/serve.ts";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { UpstreamBackend } from "../../src/backends/upstream/backend.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { DEFAULT_POLICY, PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { buildGateway } from "../../src/server/build.ts";
import { readConfig } from "../../src/server/config.ts";
import { sha256Hex } from "../hardening/fixtures.ts";
import { ROOT } from "../edge/hosts.ts";
import { missingTools } from "../system-tools.ts";

const KEY = "sk-playground-0123456789";
const TEXT = "Mail jane.doe@mail.example.com or pay with 4111 1111 1111 1111 today.";

function startGateway() {
  const app = createGateway({
    backend: new UpstreamBackend({ url: "http://127.0.0.1:9/v1", firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 }),
    policies: new PolicyStore(DEFAULT_POLICY),
    metrics: new GatewayMetrics(),
    maxBodyBytes: 1 << 20,
    limits: { maxTokens: 100, maxChoices: 2 },
    access: { authenticator: new Authenticator({ keys: [{ id: "p", sha256: sha256Hex(KEY) }] }) },
    playground: true,
  });
  return serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
}

describe("POST /v1/rsk/scan", () => {
  let server: ReturnType<typeof serve>;
  before(() => (server = startGateway()));
  after(() => server.close());
  const scan = (body: object) =>
    fetch(`http://127.0.0.1:${server.port}/v1/rsk/scan`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });

  test("findings with rule, action and offsets (not the text); the released text; a block", async () => {
    const out = await (await scan({ text: TEXT })).json();
    assert.deepEqual(out.findings.map((f: { rule: string; action: string }) => `${f.rule}:${f.action}`), ["email:redact", "card:mask"]);
    const [email] = out.findings;
    assert.equal(TEXT.slice(email.start, email.end), "jane.doe@mail.example.com");
    assert.ok(!JSON.stringify(out.findings).includes("jane"), "offsets only");
    assert.ok(!out.text.includes("jane.doe") && out.text.includes("1111"), out.text);
    const blocked = await (await scan({ text: "here is how to build a bomb" })).json();
    assert.equal(blocked.blocked.rule, "dangerous-instructions");
  });

  test("chunks: each step's release and hold-back, the same result as the whole text", async () => {
    const chunks = TEXT.match(/[\s\S]{1,3}/g)!;
    const out = await (await scan({ chunks })).json();
    assert.equal(out.steps.length, chunks.length + 1);
    assert.ok(out.steps.some((s: { held: number }) => s.held > 0), "something waited");
    assert.equal(out.text, (await (await scan({ text: TEXT })).json()).text);
    const bad = await scan({ text: "a", chunks: ["a"] });
    assert.equal(bad.status, 400);
  });

  test("the playground refuses to start where others can reach it without keys", () => {
    const config = (host: string) => readConfig({}, { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", RSK_PLAYGROUND: "on", RSK_HOST: host });
    assert.throws(() => buildGateway(config("0.0.0.0"), { host: "bun", log: () => {} }), /RSK_PLAYGROUND is on for a gateway others can reach \(RSK_HOST=0\.0\.0\.0\) without API keys/);
    assert.throws(() => buildGateway(config("127.0.0.1"), { host: "workers", exposed: true, log: () => {} }), /others can reach \(workers\)/);
    assert.doesNotThrow(() => buildGateway(config("127.0.0.1"), { host: "bun", log: () => {} }));
  });
});

describe("the playground in headless Chromium", { skip: missingTools(["chromium", "--version"]) }, () => {
  let server: ReturnType<typeof serve>;
  let browser: Browser | undefined;
  before(() => (server = startGateway()));
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("type text, scan: highlighted spans with rule and action, redacted output; stream: steps with held text", { timeout: 60_000 }, async () => {
    // Launched here, not in a hook: bun gives node:test hooks a fixed 5 s.
    browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${server.port}/playground`);
    await page.waitForSelector("#policy option");
    await page.type("#key", KEY);
    await page.type("#text", TEXT);
    await page.click("#scan");
    await page.waitForSelector("#view mark");
    const marks = await page.$$eval("#view mark", (els) => els.map((e) => ({ text: e.textContent, rule: e.getAttribute("data-rule"), action: e.getAttribute("data-action") })));
    assert.deepEqual(marks, [
      { text: "jane.doe@mail.example.com", rule: "email", action: "redact" },
      { text: "4111 1111 1111 1111", rule: "card", action: "mask" },
    ]);
    const released = await page.$eval("#released", (e) => e.textContent ?? "");
    assert.ok(!released.includes("jane.doe") && /\*{4}.*1111/.test(released), released);

    await page.click("#stream");
    await page.waitForSelector("#steps li");
    const steps = await page.$$eval("#steps li", (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(steps.length > 10 && steps.some((s) => /held\)/.test(s)), steps.slice(0, 5).join("\n"));
    mkdirSync(join(ROOT, ".tmp"), { recursive: true });
    await page.screenshot({ path: join(ROOT, ".tmp/playground.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script or CSP errors");
  });
});
