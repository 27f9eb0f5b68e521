/**
 * Browser-shaped attacks, one table of cases run through `app.request()` and through a real server on port 0 (raw
 * sockets, so `Host` and `Origin` are exactly what a browser would send): form-shaped `text/plain` and urlencoded
 * CSRF bodies, a missing content type, foreign origins, DNS rebinding (`Host: evil.example` on a loopback-bound
 * gateway), allowed origins with CORS and preflight, allowed host lists, and the plugin (no `Host` check).
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Hono } from "hono";
import { type RunningServer, serve } from "../../ffi/serve.ts";
import { UpstreamBackend } from "../../src/backends/upstream/backend.ts";
import { rsk } from "../../src/mod.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import type { BrowserRules } from "../../src/server/browser.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream.ts";

const CHAT = "/v1/chat/completions";
const JSON_BODY = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
/** What `<form enctype="text/plain">` with one field named `{"model":...,"x":"` and value `"}` posts. */
const FORM_TEXT_BODY = `${JSON_BODY.slice(0, -1)},"x":"="}\r\n`;
const EVIL = "http://evil.example";
const APP = "https://app.example";

/** One request of the table; `host` is the `Host` header (default: the address the server was reached at). */
interface Case {
  name: string;
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code?: string;
  /** Extra checks on the reply. */
  check?: (r: Reply) => void;
}

interface Reply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

const json = { "content-type": "application/json" };
const refused = (status: number, code: string) => ({ status, code });

/** The gateway bound to 127.0.0.1 with defaults: loopback names only, no browser origin. */
const LOOPBACK_CASES: Case[] = [
  { name: "JSON without Origin (SDKs, curl)", headers: json, body: JSON_BODY, status: 200 },
  { name: "JSON with charset", headers: { "content-type": "application/json; charset=UTF-8" }, body: JSON_BODY, status: 200 },
  { name: "form-shaped text/plain body", headers: { "content-type": "text/plain" }, body: FORM_TEXT_BODY, ...refused(415, "unsupported_media_type") },
  { name: "form-shaped text/plain from a foreign Origin", headers: { "content-type": "text/plain", origin: EVIL }, body: FORM_TEXT_BODY, ...refused(403, "origin_not_allowed") },
  { name: "urlencoded body", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `a=${encodeURIComponent(JSON_BODY)}`, ...refused(415, "unsupported_media_type") },
  { name: "urlencoded from a foreign Origin", headers: { "content-type": "application/x-www-form-urlencoded", origin: EVIL }, body: "a=1", ...refused(403, "origin_not_allowed") },
  { name: "multipart body", headers: { "content-type": "multipart/form-data; boundary=x" }, body: "--x--\r\n", ...refused(415, "unsupported_media_type") },
  { name: "missing content-type", body: JSON_BODY, ...refused(415, "unsupported_media_type") },
  { name: "JSON with a foreign charset", headers: { "content-type": "application/json; charset=latin1" }, body: JSON_BODY, ...refused(415, "unsupported_media_type") },
  { name: "/v1/completions with text/plain", path: "/v1/completions", headers: { "content-type": "text/plain" }, body: JSON.stringify({ model: "m", prompt: "x" }), ...refused(415, "unsupported_media_type") },
  { name: "a future /v1 POST door with text/plain", path: "/v1/embeddings", headers: { "content-type": "text/plain" }, body: "{}", ...refused(415, "unsupported_media_type") },
  { name: "JSON from a foreign Origin", headers: { ...json, origin: EVIL }, body: JSON_BODY, ...refused(403, "origin_not_allowed") },
  { name: "GET /v1/models from a foreign Origin", method: "GET", path: "/v1/models", headers: { origin: EVIL }, ...refused(403, "origin_not_allowed") },
  { name: "Origin: null (sandboxed frame, file://)", headers: { ...json, origin: "null" }, body: JSON_BODY, ...refused(403, "origin_not_allowed") },
  { name: "preflight from a foreign Origin", method: "OPTIONS", headers: { origin: EVIL, "access-control-request-method": "POST" }, ...refused(403, "origin_not_allowed") },
  { name: "same-origin page", host: "localhost:8787", headers: { ...json, origin: "http://localhost:8787" }, body: JSON_BODY, status: 200 },
  { name: "DNS rebinding: Host evil.example", host: "evil.example", headers: json, body: JSON_BODY, ...refused(403, "host_not_allowed") },
  { name: "DNS rebinding, same-origin to the page", host: "evil.example:8787", headers: { ...json, origin: "http://evil.example:8787" }, body: JSON_BODY, ...refused(403, "host_not_allowed") },
  { name: "DNS rebinding on /metrics", method: "GET", path: "/metrics", host: "evil.example", ...refused(403, "host_not_allowed") },
  { name: "DNS rebinding on /healthz", method: "GET", path: "/healthz", host: "rebind.evil.example:80", ...refused(403, "host_not_allowed") },
  { name: "Host localhost", host: "localhost", headers: json, body: JSON_BODY, status: 200 },
  { name: "Host localhost with a port", method: "GET", path: "/healthz", host: "localhost:1234", status: 200 },
  { name: "Host [::1]", method: "GET", path: "/healthz", host: "[::1]:8787", status: 200 },
  { name: "Host 127.0.0.1", method: "GET", path: "/healthz", host: "127.0.0.1", status: 200 },
];

/** Allowed origin https://app.example and allowed host api.example. */
const LISTED_CASES: Case[] = [
  {
    name: "allowed Origin gets CORS headers", headers: { ...json, origin: APP }, body: JSON_BODY, status: 200,
    check: (r) => {
      assert.equal(r.headers.get("access-control-allow-origin"), APP);
      assert.match(r.headers.get("vary") ?? "", /origin/i);
      assert.match(r.headers.get("access-control-expose-headers") ?? "", /x-rsk-policy/);
    },
  },
  {
    name: "preflight from the allowed Origin", method: "OPTIONS",
    headers: { origin: APP, "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization, x-rsk-policy" }, status: 204,
    check: (r) => {
      assert.equal(r.headers.get("access-control-allow-origin"), APP);
      assert.match(r.headers.get("access-control-allow-methods") ?? "", /POST/);
      assert.match(r.headers.get("access-control-allow-headers") ?? "", /authorization/);
      assert.equal(r.headers.get("access-control-max-age"), "600");
    },
  },
  { name: "another Origin is still refused", headers: { ...json, origin: EVIL }, body: JSON_BODY, ...refused(403, "origin_not_allowed") },
  { name: "the allowed Origin still needs JSON", headers: { "content-type": "text/plain", origin: APP }, body: FORM_TEXT_BODY, ...refused(415, "unsupported_media_type") },
  { name: "listed Host", host: "api.example", headers: json, body: JSON_BODY, status: 200 },
  { name: "listed Host with a port", method: "GET", path: "/healthz", host: "api.example:443", status: 200 },
  { name: "loopback Host still served", method: "GET", path: "/healthz", host: "localhost", status: 200 },
  { name: "unlisted Host", host: "evil.example", headers: json, body: JSON_BODY, ...refused(403, "host_not_allowed") },
];

/** Bound to 0.0.0.0 without a list: no Host check (a network service answers to whatever names point at it). */
const WILDCARD_BIND_CASES: Case[] = [
  { name: "any Host when bound to 0.0.0.0 without a list", host: "gateway.internal", headers: json, body: JSON_BODY, status: 200 },
  { name: "JSON still required", host: "gateway.internal", headers: { "content-type": "text/plain" }, body: JSON_BODY, ...refused(415, "unsupported_media_type") },
];

/** Bound to 0.0.0.0 with a list: the list applies. */
const WILDCARD_LISTED_CASES: Case[] = [
  { name: "listed Host", host: "gateway.internal:8787", headers: json, body: JSON_BODY, status: 200 },
  { name: "unlisted Host", host: "evil.example", headers: json, body: JSON_BODY, ...refused(403, "host_not_allowed") },
];

/** `*` in RSK_ALLOWED_HOSTS and RSK_CORS_ORIGINS: everything goes (an explicit choice). */
const STAR_CASES: Case[] = [
  { name: "any Host with *", host: "evil.example", headers: json, body: JSON_BODY, status: 200 },
  { name: "any Origin with *", headers: { ...json, origin: EVIL }, body: JSON_BODY, status: 200, check: (r) => assert.equal(r.headers.get("access-control-allow-origin"), EVIL) },
];

/** The plugin inside someone else's app: no Host check by default, the JSON and origin rules kept. */
const PLUGIN_CASES: Case[] = [
  { name: "plugin: JSON", path: `/ai${CHAT}`, headers: json, body: JSON_BODY, status: 200 },
  { name: "plugin: no Host check by default", path: `/ai${CHAT}`, host: "evil.example", headers: json, body: JSON_BODY, status: 200 },
  { name: "plugin: form-shaped text/plain", path: `/ai${CHAT}`, headers: { "content-type": "text/plain" }, body: FORM_TEXT_BODY, ...refused(415, "unsupported_media_type") },
  { name: "plugin: urlencoded", path: `/ai/v1/completions`, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1", ...refused(415, "unsupported_media_type") },
  { name: "plugin: foreign Origin", path: `/ai${CHAT}`, headers: { ...json, origin: EVIL }, body: JSON_BODY, ...refused(403, "origin_not_allowed") },
  { name: "plugin: the host app's own routes are untouched", method: "POST", path: "/form", headers: { "content-type": "text/plain" }, body: "x", status: 200 },
];

/** A request through `app.request()`: the `Host` goes in the URL (and the header, where the runtime keeps it). */
async function viaApp(app: Hono, c: Case): Promise<Reply> {
  const host = c.host ?? "127.0.0.1:8787";
  const res = await app.request(`http://${host}${c.path ?? CHAT}`, { method: c.method ?? "POST", headers: { host, ...c.headers }, body: c.body });
  return { status: res.status, headers: new Map(res.headers), body: await res.text() };
}

/** A request over a raw socket, exactly as written (a browser would send these headers). */
function viaSocket(port: number, c: Case): Promise<Reply> {
  const lines = [`${c.method ?? "POST"} ${c.path ?? CHAT} HTTP/1.1`, `Host: ${c.host ?? `127.0.0.1:${port}`}`, "Connection: close"];
  for (const [k, v] of Object.entries(c.headers ?? {})) lines.push(`${k}: ${v}`);
  const body = Buffer.from(c.body ?? "");
  if (c.body !== undefined) lines.push(`Content-Length: ${body.length}`);
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no reply to ${c.name}`)));
    socket.on("connect", () => socket.write(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), body])));
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      try {
        resolve(parseReply(Buffer.concat(chunks).toString("latin1")));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseReply(raw: string): Reply {
  const split = raw.indexOf("\r\n\r\n");
  assert.ok(split > 0, `no complete response: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...headerLines] = raw.slice(0, split).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const at = line.indexOf(":");
    const key = line.slice(0, at).trim().toLowerCase();
    headers.set(key, headers.has(key) ? `${headers.get(key)}, ${line.slice(at + 1).trim()}` : line.slice(at + 1).trim());
  }
  let body = raw.slice(split + 4);
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    let out = "";
    for (let at = 0; ;) {
      const eol = body.indexOf("\r\n", at);
      const size = parseInt(body.slice(at, eol), 16);
      if (!size) break;
      out += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    body = out;
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: Buffer.from(body, "latin1").toString("utf8") };
}

function expectCase(c: Case, r: Reply): void {
  assert.equal(r.status, c.status, `${c.name}: status ${r.status}, body ${r.body.slice(0, 300)}`);
  if (c.code) {
    const { error } = JSON.parse(r.body) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"], c.name);
    assert.equal(error.code, c.code, c.name);
    assert.equal(typeof error.message, "string");
    if (c.code === "unsupported_media_type") {
      assert.equal(error.param, "content-type");
      assert.match(String(error.message), /Content-Type must be application\/json/);
    }
    if (c.code === "host_not_allowed") assert.match(String(error.message), /RSK_ALLOWED_HOSTS/);
    if (c.code === "origin_not_allowed") assert.match(String(error.message), /RSK_CORS_ORIGINS/);
    if (c.status === 403) assert.equal(error.type, "permission_error");
  }
  c.check?.(r);
}

describe("browser rules: CSRF, foreign origins, DNS rebinding", () => {
  let upstream: ScriptedUpstream;
  const policies = new PolicyStore(DEFAULT_POLICY);
  const servers: RunningServer[] = [];
  before(() => void (upstream = startScriptedUpstream()));
  after(async () => {
    for (const s of servers) await s.close();
    policies.close();
    await upstream.close();
  });

  const gateway = (browser: BrowserRules) =>
    createGateway({
      backend: new UpstreamBackend({ url: upstream.url, firstByteTimeoutMs: 5000, idleTimeoutMs: 5000 }),
      policies,
      maxBodyBytes: 1 << 20,
      limits: { maxTokens: 1024, maxChoices: 2 },
      browser,
    });
  const plugin = () => {
    const app = new Hono();
    app.post("/form", (c) => c.text("the host app's own form handler"));
    app.route("/ai", rsk({ backend: new UpstreamBackend({ url: upstream.url, firstByteTimeoutMs: 5000, idleTimeoutMs: 5000 }), policy: policies }));
    return app;
  };

  const suites: [string, () => Hono, Case[]][] = [
    ["bound to 127.0.0.1, defaults", () => gateway({ hosts: { bindHost: "127.0.0.1" } }), LOOPBACK_CASES],
    ["allowed origin and host lists", () => gateway({ hosts: { bindHost: "127.0.0.1", allowedHosts: ["api.example"] }, corsOrigins: [APP] }), LISTED_CASES],
    ["bound to 0.0.0.0 without a list", () => gateway({ hosts: { bindHost: "0.0.0.0" } }), WILDCARD_BIND_CASES],
    ["bound to 0.0.0.0 with a list", () => gateway({ hosts: { bindHost: "0.0.0.0", allowedHosts: ["gateway.internal"] } }), WILDCARD_LISTED_CASES],
    ["* for hosts and origins", () => gateway({ hosts: { bindHost: "127.0.0.1", allowedHosts: ["*"] }, corsOrigins: ["*"] }), STAR_CASES],
    ["plugin mode (rsk() in a user's app)", plugin, PLUGIN_CASES],
  ];

  for (const [title, build, cases] of suites) {
    describe(title, () => {
      let app: Hono;
      let server: RunningServer;
      before(() => {
        app = build();
        // Always served on loopback (tests never listen on the network); the Host rule follows `bindHost` above.
        server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
        servers.push(server);
      });
      for (const c of cases) {
        test(`app.request: ${c.name} → ${c.status}`, async () => expectCase(c, await viaApp(app, c)));
        test(`real server: ${c.name} → ${c.status}`, async () => expectCase(c, await viaSocket(server.port, c)));
      }
    });
  }
});
