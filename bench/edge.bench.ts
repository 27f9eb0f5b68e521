/**
 * What rsk costs at the edge, in one run:
 * - bundle: the Workers bundle wrangler uploads (`wrangler deploy --dry-run --minify` of examples/workers), gzipped,
 *   and what is in it;
 * - the edge entry built with code splitting: what start-up loads, and what loads with the first request that needs it;
 * - cold start: fresh Node processes (module loader warmed) import that build, which builds the gateway with the
 *   bundled default policy (compiled at module scope), and answer a first request; median and p90 over the runs;
 *   then the first scan, a column of its own: a response's first gate work (detector programs and DFA states are
 *   built on the process's first stream, so the first gated request of an isolate pays it);
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

/** Output files of a split build: the entry, and whether each chunk is loaded at start-up (statically) or lazily. */
interface SplitBuild {
  entry: string;
  startup: { files: number; bytes: number; gzip: number };
  lazy: { files: number; bytes: number; gzip: number };
}

/**
 * The edge entry (the `rsk/deno` host's gateway: bundled default policy, upstream backend) built with code splitting,
 * as a host that loads modules sees it (Deno, Node, Bun, workerd with its modules uploaded apart): what start-up loads
 * (the entry and the chunks it imports statically) and what only a request that needs it loads (the grammar engine,
 * the Messages and Responses doors, the playground).
 */
function splitBuild(): SplitBuild {
  const entry = join(scratch, "edge.ts");
  writeFileSync(entry, `import { buildGateway } from ${JSON.stringify(join(root, "src/server/build.ts"))};
import { readConfig } from ${JSON.stringify(join(root, "src/server/config.ts"))};
import policy from ${JSON.stringify(join(root, "policies/default.json"))};
import { compileGates } from ${JSON.stringify(join(root, "src/gates/mod.ts"))};
export const app = buildGateway(readConfig({}, { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1" }), { host: "bench", exposed: true, log() {} }).app;
/** The first response's gate work: detector programs and their DFA states are built on a process's first stream. */
export const firstScan = (text: string) => {
  const stream = compileGates(policy.output).open();
  return stream.push(text).findings.length + stream.end().findings.length;
};
`);
  const out = join(scratch, "split");
  const meta = join(scratch, "meta.json");
  execFileSync(join(root, "node_modules/.bin/esbuild"), [entry, "--bundle", "--splitting", "--minify", "--format=esm", "--platform=neutral", "--conditions=workerd,worker,browser", "--main-fields=module,main", `--outdir=${out}`, `--metafile=${meta}`], { stdio: "pipe", cwd: root });
  const outputs = JSON.parse(readFileSync(meta, "utf8")).outputs as Record<string, { imports: { path: string; kind: string }[]; entryPoint?: string }>;
  const absolute = (path: string) => join(root, path);
  const main = Object.keys(outputs).find((k) => outputs[k]!.entryPoint)!;
  const startup = new Set<string>();
  const visit = (file: string) => {
    if (startup.has(file)) return;
    startup.add(file);
    for (const i of outputs[file]!.imports) if (i.kind === "import-statement") visit(i.path);
  };
  visit(main);
  const sum = (files: string[]) => {
    const code = files.map((f) => readFileSync(absolute(f)));
    return { files: files.length, bytes: code.reduce((n, c) => n + c.length, 0), gzip: code.reduce((n, c) => n + gzipSync(c, { level: 9 }).length, 0) };
  };
  const all = Object.keys(outputs).filter((k) => !k.endsWith(".map"));
  return { entry: absolute(main), startup: sum([...startup]), lazy: sum(all.filter((f) => !startup.has(f))) };
}

/** What the cold-start probe's first scan gates: prose with an email, a phone number, a card and two addresses. */
const FIRST_SCAN_TEXT = "Ada wrote from ada@example.com and +1 (555) 123-4567; card 4111 1111 1111 1111; she lives at 221B Baker Street, London, and Via Roma 10.";

/**
 * Cold starts: each run a new Node process imports the split edge build (the gateway and its default policy are built
 * at module scope) and serves one request. Node's module loader is warmed first on an empty module, so the time is
 * rsk's own (compile, module code, policy compile), which is what an edge host's isolate pays too. The first
 * request's time is mostly Node's own lazy loading (its fetch classes and Web Crypto), which edge hosts have built in.
 */
function coldStarts(entry: string): { start: number[]; firstRequest: number[]; firstScan: number[] } {
  const empty = join(scratch, "empty.mjs");
  writeFileSync(empty, "export {};\n");
  const probe = join(scratch, "probe.mjs");
  writeFileSync(probe, `await import(${JSON.stringify(empty)});
const t0 = performance.now();
const { app, firstScan } = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const res = await app.request("/healthz");
if (res.status !== 200) throw new Error(await res.text());
const t2 = performance.now();
if (firstScan(${JSON.stringify(FIRST_SCAN_TEXT)}) === 0) throw new Error("the first scan found nothing");
console.log(JSON.stringify([t1 - t0, t2 - t1, performance.now() - t2]));
`);
  const runs = Array.from({ length: coldRuns }, () => JSON.parse(execFileSync("node", [probe], { encoding: "utf8" })) as [number, number, number]);
  return { start: runs.map((r) => r[0]), firstRequest: runs.map((r) => r[1]), firstScan: runs.map((r) => r[2]) };
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
  const split = splitBuild();
  const cold = coldStarts(split.entry);
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
    split: {
      startup: { files: split.startup.files, bytes: split.startup.bytes, gzip_kb: +(split.startup.gzip / 1024).toFixed(1) },
      lazy: { files: split.lazy.files, bytes: split.lazy.bytes, gzip_kb: +(split.lazy.gzip / 1024).toFixed(1) },
    },
    cold_start_ms: {
      module_and_build_median: +median(cold.start).toFixed(2),
      module_and_build_p90: +pct(cold.start, 90).toFixed(2),
      first_request_median: +median(cold.firstRequest).toFixed(2),
      first_scan_median: +median(cold.firstScan).toFixed(2),
      runs: coldRuns,
      host: `node ${execFileSync("node", ["--version"], { encoding: "utf8" }).trim()}`,
    },
    cpu_ms_per_500_events: { gateway: +median(gated).toFixed(2), direct: +median(direct).toFixed(2) },
    cpu_us_per_event_added: +(((median(gated) - median(direct)) * 1000) / EVENTS).toFixed(2),
  };
  const verdict = (ok: boolean) => (ok ? "ok" : "OVER BUDGET");
  console.log(`Workers bundle (wrangler --minify): ${result.bundle.bytes} bytes, ${result.bundle.gzip_kb} KB gzipped  [budget ${budgets.bundle_gzip_kb_max} KB: ${verdict(result.bundle.gzip_kb <= budgets.bundle_gzip_kb_max)}]`);
  console.log(`split build: start-up loads ${result.split.startup.files} files, ${result.split.startup.gzip_kb} KB gzipped; ${result.split.lazy.files} files (${result.split.lazy.gzip_kb} KB gzipped) load with the first request that needs them`);
  const c = result.cold_start_ms;
  console.log(`cold start (import + gateway + default policy at module scope, Node): median ${c.module_and_build_median} ms, p90 ${c.module_and_build_p90} ms; then the first request ${c.first_request_median} ms, the first scan (default output gates: compile, open, push, end of a short prose+PII text) ${c.first_scan_median} ms  [budget ${budgets.cold_start_ms_max} ms: ${verdict(c.module_and_build_median <= budgets.cold_start_ms_max)}]`);
  console.log(`CPU per ${EVENTS}-event response: gateway ${result.cpu_ms_per_500_events.gateway} ms, reading the upstream directly ${result.cpu_ms_per_500_events.direct} ms; added per event ${result.cpu_us_per_event_added} µs  [budget ${budgets.cpu_ms_per_500_events_max} ms: ${verdict(result.cpu_ms_per_500_events.gateway <= budgets.cpu_ms_per_500_events_max)}]`);
  writeFileSync(join(root, "bench/results/edge.json"), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
