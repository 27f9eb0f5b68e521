/**
 * What a door and a route cost, side by side in one run: CPU of this process per 500-event streamed response
 * through chat completions, Anthropic Messages and OpenAI Responses (the same upstream, in another process, and the
 * same default policy), and the added time to first byte of a request whose first upstream refuses connections
 * (one fallback) against one routed straight to a working upstream.
 *   bun bench/doors.bench.ts [responses=40] [routed=100]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { RoutedBackend } from "../src/backends/router/router.ts";
import { RoutingSchema } from "../src/backends/router/schema.ts";
import { rsk } from "../src/mod.ts";
import { startBenchUpstream } from "./upstream.ts";
import { freePorts } from "../tests/net.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const responses = Number(process.argv[2] ?? 40);
const routed = Number(process.argv[3] ?? 100);
const EVENTS = 500;
const scratch = mkdtempSync(join(tmpdir(), "rsk-doors-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type App = { request: (path: string, init: RequestInit) => Response | Promise<Response> };

async function cpuPerResponse(app: App, path: string, body: object): Promise<number> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  for (let i = 0; i < 5; i++) await (await app.request(path, init)).arrayBuffer();
  const before = process.cpuUsage();
  for (let i = 0; i < responses; i++) await (await app.request(path, init)).arrayBuffer();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / responses;
}

async function firstByteMs(app: App, model: string): Promise<number> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "go" }] }) };
  const t0 = performance.now();
  const res = await app.request("/v1/chat/completions", init);
  const reader = res.body!.getReader();
  await reader.read();
  const ms = performance.now() - t0;
  await reader.cancel();
  return ms;
}

try {
  const upstream = await startBenchUpstream(scratch, EVENTS);
  const app = rsk({ upstream: { url: upstream.url } });
  const doors: [string, string, object][] = [
    ["chat completions", "/v1/chat/completions", { model: "bench", stream: true, messages: [{ role: "user", content: "go" }] }],
    ["Anthropic messages", "/v1/messages", { model: "bench", stream: true, max_tokens: 1024, messages: [{ role: "user", content: "go" }] }],
    ["OpenAI responses", "/v1/responses", { model: "bench", stream: true, input: "go" }],
  ];
  const cpu = new Map<string, number[]>(doors.map(([name]) => [name, []]));
  for (let round = 0; round < 3; round++) for (const [name, path, body] of doors) cpu.get(name)!.push(await cpuPerResponse(app, path, body));

  const dead = `http://127.0.0.1:${(await freePorts(1))[0]}/v1`;
  const routes = v.parse(RoutingSchema, { retry: { attempts: 0 }, upstreams: { dead: { url: dead }, up: { url: upstream.url } }, models: { direct: [{ upstream: "up", model: "short" }], fallback: ["dead", { upstream: "up", model: "short" }] } });
  const routedApp = rsk({ backend: new RoutedBackend(routes, {}) });
  const direct: number[] = [], fallback: number[] = [];
  for (let i = 0; i < routed; i++) {
    direct.push(await firstByteMs(routedApp, "direct"));
    fallback.push(await firstByteMs(routedApp, "fallback"));
  }
  upstream.stop();

  const chat = median(cpu.get("chat completions")!);
  const result = {
    runtime: `bun ${process.versions.bun}`,
    cpu_ms_per_500_event_response: Object.fromEntries([...cpu].map(([name, xs]) => [name, +median(xs).toFixed(2)])),
    translation_us_per_event_vs_chat: Object.fromEntries([...cpu].filter(([n]) => n !== "chat completions").map(([name, xs]) => [name, +(((median(xs) - chat) * 1000) / EVENTS).toFixed(2)])),
    first_byte_ms: { routed_direct_p50: +median(direct).toFixed(2), one_fallback_p50: +median(fallback).toFixed(2), added_by_fallback_p50: +(median(fallback) - median(direct)).toFixed(2) },
  };
  for (const [name, ms] of Object.entries(result.cpu_ms_per_500_event_response)) console.log(`${name.padEnd(20)} CPU per ${EVENTS}-event response ${ms} ms`);
  console.log(`translation per event vs chat: ${JSON.stringify(result.translation_us_per_event_vs_chat)} µs`);
  console.log(`first byte: routed straight ${result.first_byte_ms.routed_direct_p50} ms, after one refused upstream ${result.first_byte_ms.one_fallback_p50} ms (p50 of ${routed})`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/doors.json"), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
