/**
 * The bad-input battery: every class of hostile or broken request the issue lists, runnable against any gateway URL
 * (tests/hardening/battery.test.ts on a harness, bench/battery.ts on a running server). Header-level attacks go over a
 * raw socket, since fetch refuses to send them.
 */
import { connect } from "node:net";

/** What a class must get: an exact status, any 4xx, or "bounded" (any answer below 500, in time, server alive). */
export type Expectation = number | "4xx" | "bounded";

/** One class of bad input. */
export interface BatteryCase {
  /** Class name, as in the README table. */
  name: string;
  /** Expected answer. */
  expect: Expectation;
  /** Sends the request to `base` (no trailing slash, no /v1) and resolves with the HTTP status. */
  send(base: string, headers: Record<string, string>): Promise<number>;
}

const ok = { model: "battery", max_tokens: 16, messages: [{ role: "user", content: "hi" }] };
const CHAT = "/v1/chat/completions";

/** A JSON-ish body (string or bytes) posted with fetch. */
function post(body: string | Uint8Array<ArrayBuffer>, extra: Record<string, string> = {}, path = CHAT, method = "POST") {
  return async (base: string, headers: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers, ...extra },
      body: method === "GET" ? undefined : body,
    });
    await res.arrayBuffer();
    return res.status;
  };
}

const json = (o: unknown) => post(JSON.stringify(o));
const withFields = (fields: object) => json({ ...ok, ...fields });
const schemaFormat = (schema: object) => withFields({ response_format: { type: "json_schema", json_schema: { name: "bomb", schema } } });

/** Writes `request` on a raw TCP connection; resolves with the status of the first response line (0 if none). */
export function rawRequest(base: string, request: (host: string) => string | Uint8Array, timeoutMs = 10_000): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let head = "";
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.on("connect", () => socket.write(request(url.host)));
    socket.on("data", (d) => {
      head += d.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) done(Number(m[1]));
    });
    socket.on("error", () => done(0));
    socket.on("close", () => done(0));
  });
}

const raw = (build: (host: string, auth: string) => string) => (base: string, headers: Record<string, string>) =>
  rawRequest(base, (host) => build(host, headers.authorization ? `Authorization: ${headers.authorization}\r\n` : ""));
const okBody = JSON.stringify(ok);

/** Every class, in README order. */
export const BATTERY: BatteryCase[] = [
  { name: "malformed JSON", expect: 400, send: post('{"model":') },
  { name: "empty body", expect: 400, send: post("") },
  { name: "JSON null", expect: 400, send: post("null") },
  { name: "not an object", expect: 400, send: post("[1,2]") },
  { name: "wrong types", expect: 400, send: withFields({ temperature: "hot", stream: "yes" }) },
  { name: "missing messages", expect: 400, send: json({ model: "m" }) },
  { name: "missing model", expect: 400, send: json({ messages: ok.messages }) },
  { name: "empty messages", expect: 400, send: withFields({ messages: [] }) },
  { name: "too many messages", expect: 400, send: withFields({ messages: Array.from({ length: 5000 }, () => ok.messages[0]) }) },
  { name: "unknown field", expect: 400, send: withFields({ temprature: 1 }) },
  { name: "huge body (2 MiB)", expect: 413, send: withFields({ messages: [{ role: "user", content: "x".repeat(2 << 20) }] }) },
  { name: "huge chunked body, no length", expect: 413, send: async (base, headers) => {
    const chunk = new TextEncoder().encode(`${"x".repeat(65_536)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 64) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await fetch(`${base}${CHAT}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, duplex: "half" } as RequestInit);
    await res.arrayBuffer();
    return res.status;
  } },
  { name: "deep nesting (arrays)", expect: 400, send: post("[".repeat(100_000) + "]".repeat(100_000)) },
  { name: "deep nesting (in a message)", expect: 400, send: post(`{"model":"m","messages":[{"role":"user","content":${"[".repeat(50_000)}${"]".repeat(50_000)}}]}`) },
  { name: "invalid UTF-8", expect: 400, send: post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])) },
  { name: "overlong UTF-8 / CESU surrogate bytes", expect: 400, send: post(new Uint8Array([...new TextEncoder().encode('{"model":"'), 0xed, 0xa0, 0x80, 0x22, 0x7d])) },
  { name: "lone surrogate escape", expect: 400, send: post('{"model":"m","messages":[{"role":"user","content":"\\ud800"}]}') },
  { name: "lone surrogate in a key", expect: 400, send: post('{"model":"m","messages":[{"role":"user","content":"x"}],"\\udc00":1}') },
  { name: "NaN literal", expect: 400, send: post('{"model":"m","messages":[],"temperature":NaN}') },
  { name: "Infinity literal", expect: 400, send: post('{"model":"m","messages":[],"top_p":Infinity}') },
  { name: "1e999 (overflows to Infinity)", expect: 400, send: post(`{"model":"m","messages":${JSON.stringify(ok.messages)},"temperature":1e999}`) },
  { name: "negative temperature", expect: 400, send: withFields({ temperature: -1 }) },
  { name: "negative max_tokens", expect: 400, send: withFields({ max_tokens: -5 }) },
  { name: "top_p above 1", expect: 400, send: withFields({ top_p: 1.5 }) },
  { name: "n over the limit", expect: 400, send: withFields({ n: 1000 }) },
  { name: "giant max_tokens", expect: 400, send: withFields({ max_tokens: 1e12 }) },
  { name: "fractional max_tokens", expect: 400, send: withFields({ max_tokens: 1.5 }) },
  { name: "huge logit_bias", expect: 400, send: withFields({ logit_bias: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [String(i), 1])) }) },
  { name: "too many stop strings", expect: 400, send: withFields({ stop: ["a", "b", "c", "d", "e"] }) },
  { name: "logprobs (would bypass gates)", expect: 400, send: withFields({ logprobs: true }) },
  { name: "tools: parameters that are not an object schema", expect: 400, send: withFields({ tools: [{ type: "function", function: { name: "f", parameters: { type: "array" } } }] }) },
  { name: "tool_choice naming a tool not in tools", expect: 400, send: withFields({ tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "function", function: { name: "g" } } }) },
  { name: "200 tools", expect: 400, send: withFields({ tools: Array.from({ length: 200 }, (_, i) => ({ type: "function", function: { name: `f${i}` } })) }) },
  { name: "token-id prompt", expect: 400, send: post(JSON.stringify({ model: "m", prompt: [1, 2] }), {}, "/v1/completions") },
  { name: "unknown policy", expect: 400, send: post(okBody, { "x-rsk-policy": "no-such-policy" }) },
  { name: "unknown model", expect: "4xx", send: withFields({ model: "no-such-model" }) },
  { name: "unknown route", expect: 404, send: post("{}", {}, "/v1/nope") },
  { name: "wrong method", expect: 404, send: post("", {}, CHAT, "GET") },
  { name: "header injection: CRLF in x-rsk-policy", expect: "4xx", send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Type: application/json\r\nX-Rsk-Policy: default\rX-Injected: 1\r\nContent-Length: ${okBody.length}\r\nConnection: close\r\n\r\n${okBody}`) },
  { name: "header injection: control chars in x-rsk-policy", expect: "4xx", send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Type: application/json\r\nX-Rsk-Policy: default\u0001\u007f\u0000x\r\nContent-Length: ${okBody.length}\r\nConnection: close\r\n\r\n${okBody}`) },
  { name: "header injection: non-ASCII policy name", expect: 400, send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Type: application/json\r\nX-Rsk-Policy: d\u00e9fault\u00ff\r\nContent-Length: ${okBody.length}\r\nConnection: close\r\n\r\n${okBody}`) },
  { name: "header injection: obs-fold continuation", expect: "4xx", send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Type: application/json\r\nX-Rsk-Policy: default\r\n x-injected: 1\r\nContent-Length: ${okBody.length}\r\nConnection: close\r\n\r\n${okBody}`) },
  { name: "request smuggling: Content-Length + Transfer-Encoding", expect: "bounded", send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: ${host}\r\n\r\n`) },
  { name: "oversized header (256 KiB)", expect: "4xx", send: raw((host, auth) =>
    `POST ${CHAT} HTTP/1.1\r\nHost: ${host}\r\n${auth}X-Big: ${"a".repeat(256 * 1024)}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`) },
  { name: "schema bomb: $ref recursion", expect: "bounded", send: schemaFormat({ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" }) },
  { name: "schema bomb: deep nesting", expect: "4xx", send: post(`{"model":"m","messages":${JSON.stringify(ok.messages)},"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${'{"items":'.repeat(20_000)}{}${"}".repeat(20_000)}}}}`) },
  { name: "schema bomb: huge enum", expect: "bounded", send: schemaFormat({ enum: Array.from({ length: 50_000 }, (_, i) => `value-${i}`) }) },
  { name: "schema bomb: exponential regex", expect: "bounded", send: schemaFormat({ type: "string", pattern: "^(a|a?)+(a|aa)*(a+)+$".repeat(20) }) },
];

/** Whether `status` meets `expect`. */
export function meets(expect: Expectation, status: number): boolean {
  if (expect === "4xx") return status >= 400 && status < 500;
  if (expect === "bounded") return status >= 200 && status < 500;
  return status === expect;
}

/** One row of the battery's table. */
export interface BatteryRow {
  /** Class name. */
  name: string;
  /** What was expected. */
  expect: Expectation;
  /** What came back (0: connection closed without an answer). */
  status: number;
  /** Wall time in ms. */
  ms: number;
  /** Whether /healthz answered 200 right after. */
  alive: boolean;
  /** Whether status met the expectation and the server stayed alive. */
  pass: boolean;
}

/** Runs every class against `base` in turn, probing /healthz after each. */
export async function runBattery(base: string, headers: Record<string, string> = {}, cases = BATTERY): Promise<BatteryRow[]> {
  const rows: BatteryRow[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    const status = await c.send(base, headers).catch(() => 0);
    const ms = Math.round(performance.now() - t0);
    const alive = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    rows.push({ name: c.name, expect: c.expect, status, ms, alive, pass: alive && meets(c.expect, status) });
  }
  return rows;
}

/** The rows as a fixed-width table. */
export function formatTable(rows: BatteryRow[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  const lines = rows.map((r) =>
    `${r.pass ? "ok  " : "FAIL"}  ${r.name.padEnd(width)}  ${String(r.status).padStart(3)}  ${String(r.expect).padEnd(7)}  ${String(r.ms).padStart(6)} ms  ${r.alive ? "alive" : "DOWN"}`);
  return [`      ${"class".padEnd(width)}  got  expect   ${"time".padStart(9)}  server`, ...lines].join("\n");
}
