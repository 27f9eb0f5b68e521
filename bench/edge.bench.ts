/**
 * What rsk costs at the edge, in one run:
 * - bundle: the Workers bundle wrangler uploads (`wrangler deploy --dry-run --minify` of examples/workers), gzipped,
 *   and what is in it;
 * - cold start: fresh Node processes import the minified core bundle, build the gateway with the bundled default
 *   policy (compiled at module scope) and answer a first request; median and p90 over the runs;
 * - CPU per streamed event and per 500-event response: the gateway in this process (`app.request`, as a worker's
 *   fetch handler) streams from an upstream in another process, against reading the same upstream directly.
 *   bun bench/edge.bench.ts [coldRuns=21] [responses=40]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { rsk } from "../src/mod.ts";
import { startBenchUpstream } from "./upstream.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const coldRuns = Number(process.argv[2] ?? 21);
const responses = Number(process.argv[3] ?? 40);
const EVENTS = 500;
const budgets = JSON.parse(readFileSync(join(root, "bench/budgets.json"), "utf8")).edge as { bundle_gzip_kb_max: number; cold_start_ms_max: number; cpu_ms_per_500_events_max: number };
const scratch = mkdtempSync(join(tmpdir(), "rsk-edge-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** The bundle wrangler would upload, gzipped. */
function workerBundle(): { bytes: number; gzip: number } {
  const out = join(scratch, "worker");
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--minify", "--outdir", out, "--config", join(root, "examples/workers/wrangler.toml")], {
    stdio: "pipe",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", XDG_CONFIG_HOME: scratch },
  });
  const code = readFileSync(join(out, "worker.js"));
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/**
 * Cold starts: each run a new Node process imports the minified core bundle (the gateway and its default policy are
 * built at module scope) and serves one request. The first request's time is mostly Node's own lazy loading (its
 * fetch classes and Web Crypto), which edge hosts have built in.
 */
function coldStarts(): { start: number[]; firstRequest: number[] } {
  const entry = join(scratch, "entry.ts");
  writeFileSync(entry, `import { rsk } from ${JSON.stringify(join(root, "src/mod.ts"))};\nexport const app = rsk({ upstream: { url: "http://127.0.0.1:9/v1" } });\n`);
  const bundle = join(scratch, "core.mjs");
  execFileSync(join(root, "node_modules/.bin/esbuild"), [entry, "--bundle", "--minify", "--format=esm", "--platform=neutral", "--conditions=workerd,worker,browser", "--main-fields=module,main", `--outfile=${bundle}`], { stdio: "pipe" });
  const probe = join(scratch, "probe.mjs");
  writeFileSync(probe, `const t0 = performance.now();
const { app } = await import(${JSON.stringify(bundle)});
const t1 = performance.now();
const res = await app.request("/healthz");
if (res.status !== 200) throw new Error(await res.text());
console.log(JSON.stringify([t1 - t0, performance.now() - t1]));
`);
  const runs = Array.from({ length: coldRuns }, () => JSON.parse(execFileSync("node", [probe], { encoding: "utf8" })) as [number, number]);
  return { start: runs.map((r) => r[0]), firstRequest: runs.map((r) => r[1]) };
}

/** CPU ms this process spends per response read through `read`. */
async function cpuPerResponse(read: () => Response | Promise<Response>): Promise<number> {
  for (let i = 0; i < 5; i++) await (await read()).arrayBuffer(); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < responses; i++) await (await read()).arrayBuffer();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / responses;
}

try {
  mkdirSync(join(root, "bench/results"), { recursive: true });
  const bundle = workerBundle();
  const cold = coldStarts();
  const upstream = await startBenchUpstream(scratch, EVENTS);
  const body = JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "go" }] });
  const init = { method: "POST", headers: { "content-type": "application/json" }, body };
  const app = rsk({ upstream: { url: upstream.url } });
  // Alternating rounds, so machine noise hits both sides alike.
  const direct: number[] = [], gated: number[] = [];
  for (let round = 0; round < 3; round++) {
    direct.push(await cpuPerResponse(() => fetch(`${upstream.url}/chat/completions`, init)));
    gated.push(await cpuPerResponse(() => app.request("/v1/chat/completions", init)));
  }
  upstream.stop();
  const result = {
    runtime: `bun ${process.versions.bun}`,
    bundle: { bytes: bundle.bytes, gzip_kb: +(bundle.gzip / 1024).toFixed(1) },
    cold_start_ms: {
      module_and_build_median: +median(cold.start).toFixed(2),
      module_and_build_p90: +pct(cold.start, 90).toFixed(2),
      first_request_median: +median(cold.firstRequest).toFixed(2),
      runs: coldRuns,
      host: `node ${execFileSync("node", ["--version"], { encoding: "utf8" }).trim()}`,
    },
    cpu_ms_per_500_events: { gateway: +median(gated).toFixed(2), direct: +median(direct).toFixed(2) },
    cpu_us_per_event_added: +(((median(gated) - median(direct)) * 1000) / EVENTS).toFixed(2),
  };
  const verdict = (ok: boolean) => (ok ? "ok" : "OVER BUDGET");
  console.log(`Workers bundle (wrangler --minify): ${result.bundle.bytes} bytes, ${result.bundle.gzip_kb} KB gzipped  [budget ${budgets.bundle_gzip_kb_max} KB: ${verdict(result.bundle.gzip_kb <= budgets.bundle_gzip_kb_max)}]`);
  const c = result.cold_start_ms;
  console.log(`cold start (import + gateway + default policy at module scope, Node): median ${c.module_and_build_median} ms, p90 ${c.module_and_build_p90} ms; then the first request ${c.first_request_median} ms  [budget ${budgets.cold_start_ms_max} ms: ${verdict(c.module_and_build_median <= budgets.cold_start_ms_max)}]`);
  console.log(`CPU per ${EVENTS}-event response: gateway ${result.cpu_ms_per_500_events.gateway} ms, reading the upstream directly ${result.cpu_ms_per_500_events.direct} ms; added per event ${result.cpu_us_per_event_added} µs  [budget ${budgets.cpu_ms_per_500_events_max} ms: ${verdict(result.cpu_ms_per_500_events.gateway <= budgets.cpu_ms_per_500_events_max)}]`);
  writeFileSync(join(root, "bench/results/edge.json"), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
