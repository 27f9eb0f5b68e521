/**
 * Load harness (seed 004's method): the same scenarios against rsk and against Portkey's gateway, both in front of
 * the same fast scripted upstream, each a separate process on loopback. Bounded in count and time; not part of
 * `npm test`. `npm run bench:load [-- <scenario>...]` (the script raises Bun's 256-connection fetch limit, which
 * would otherwise cap the client); writes bench/results/load.json.
 * Scenarios: saturation, steady500, hold4096, convoy, abortStorm.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bootstrapMeanCi, type StreamResult, streamOnce, summarize, type Target } from "./client.ts";
import { rssMb, type Served, startPortkey, startRsk, startUpstream } from "./processes.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Samples a process's RSS every 250 ms until stopped; returns the peak. */
function rssPeak(pid: number): () => number {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

/** Closed loop: `clients` clients each send requests back to back for `seconds`; throughput per second with a CI. */
async function saturation(gw: Served, clients = 64, seconds = 10, model = "t32-d0") {
  const perSecond = new Array<number>(seconds).fill(0);
  const results: StreamResult[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const peak = rssPeak(gw.pid);
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const r = await streamOnce(gw.target, model);
      const second = Math.floor((performance.now() - t0) / 1000);
      if (second < seconds && !r.error) perSecond[second]!++;
      results.push(r);
    }
  }));
  const steady = perSecond.slice(1); // the first second includes connection set-up
  const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
  return { clients, seconds, model, requestsPerSecond: round(mean, 1), ci95: bootstrapMeanCi(steady).map((x) => round(x, 1)), tokensPerSecond: round(mean * 32, 0), rssPeakMb: round(peak(), 1), ...summarize(results) };
}

/** Open loop at `rps` for `seconds`: TTFT percentiles; for rsk, the scheduler's admission wait from /metrics. */
async function steady(gw: Served, rps = 500, seconds = 10, model = "t16-d0") {
  const before = await admissionWait(gw.target);
  const peak = rssPeak(gw.pid);
  const pending: Promise<StreamResult>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < rps * seconds; i++) {
    const due = t0 + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(streamOnce(gw.target, model));
  }
  const results = await Promise.all(pending);
  const achieved = results.length / ((performance.now() - t0) / 1000);
  const after = await admissionWait(gw.target);
  return { rps, seconds, model, achievedRps: round(achieved, 1), rssPeakMb: round(peak(), 1), admissionWait: after ? waitQuantiles(before ?? new Map(), after) : undefined, ...summarize(results) };
}

/** `streams` concurrent slow streams held open together; errors and memory per 1,000 streams. */
async function hold(gw: Served, streams = 4096, model = "t30-d500") {
  const baseline = rssMb(gw.pid);
  const peak = rssPeak(gw.pid);
  let open = 0;
  let maxOpen = 0;
  const results = await Promise.all(Array.from({ length: streams }, async (_, i) => {
    await sleep(Math.floor(i / 256) * 100); // ramp: 256 new connections every 100 ms
    open++;
    maxOpen = Math.max(maxOpen, open);
    const r = await streamOnce(gw.target, model);
    open--;
    return r;
  }));
  const top = peak();
  return { streams, model, maxOpenAtOnce: maxOpen, rssBaselineMb: round(baseline, 1), rssPeakMb: round(top, 1), mbPer1000Streams: round(((top - baseline) * 1000) / streams, 2), ...summarize(results) };
}

/**
 * 100 short requests alone, then again while 10 long ones stream: the short requests' latency increase. A first
 * round is thrown away, so that the baseline is not the gateway's cold start.
 */
async function convoy(gw: Served) {
  const shorts = () => Promise.all(Array.from({ length: 100 }, async (_, i) => {
    await sleep(i * 5);
    return streamOnce(gw.target, "t8-d0");
  }));
  await shorts();
  const baseline = summarize(await shorts());
  const long = Array.from({ length: 10 }, () => streamOnce(gw.target, "t20000-d0"));
  await sleep(200);
  const loaded = summarize(await shorts());
  const longs = summarize(await Promise.all(long));
  const increase = (a: number, b: number) => round((100 * (b - a)) / a, 1);
  return {
    baseline, withLong: loaded, long: longs,
    shortTotalP99IncreasePct: increase(baseline.totalMs.p99, loaded.totalMs.p99),
    shortTtftP99IncreasePct: increase(baseline.ttftMs.p99, loaded.ttftMs.p99),
  };
}

/** Three rounds of 1,000 streams where every other client disconnects after 3 events: slots back to 0, RSS flat. */
async function abortStorm(gw: Served, clients = 1000) {
  const rounds = [];
  for (let round_ = 0; round_ < 3; round_++) {
    const results = await Promise.all(Array.from({ length: clients }, (_, i) => streamOnce(gw.target, "t100-d10", i % 2 === 0 ? 3 : undefined)));
    await sleep(500);
    const status = await fetch(`${gw.target.url}/rsk/status`).then((r) => (r.ok ? r.json() : undefined), () => undefined) as { slots: { inUse: number }; queue: { depth: number } } | undefined;
    const kept = results.filter((r) => !r.aborted);
    rounds.push({ aborted: results.length - kept.length, completedErrors: kept.filter((r) => r.error).length, slotsInUseAfter: status?.slots.inUse, queueDepthAfter: status?.queue.depth, rssMb: round(rssMb(gw.pid), 1) });
  }
  return { clients, rounds, rssGrowthAfterWarmupMb: round(rounds[2]!.rssMb - rounds[1]!.rssMb, 1) };
}

type Buckets = Map<number, number>;

async function admissionWait(target: Target): Promise<Buckets | undefined> {
  const res = await fetch(target.url.replace(/\/v1$/, "/metrics")).catch(() => undefined);
  if (!res?.ok) return undefined;
  const buckets: Buckets = new Map();
  for (const m of (await res.text()).matchAll(/^rsk_admission_wait_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    buckets.set(m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2]));
  }
  return buckets.size ? buckets : undefined;
}

/** Upper bucket bounds (µs) holding the 50th/99th/99.9th percentile of the admissions between two scrapes. */
function waitQuantiles(before: Buckets, after: Buckets) {
  const les = [...after.keys()].sort((a, b) => a - b);
  const counts = les.map((le) => after.get(le)! - (before.get(le) ?? 0));
  const total = counts.at(-1)!;
  const bound = (q: number) => {
    const i = counts.findIndex((c) => c >= q * total);
    return les[i] === Infinity ? "> largest bucket" : `<= ${round(les[i]! * 1e6, 0)} µs`;
  };
  return { admissions: total, p50: bound(0.5), p99: bound(0.99), p999: bound(0.999) };
}

/** rsk/Portkey ratios of the headline numbers both runs report (throughput: higher is better; the rest: lower). */
function ratios(rsk: unknown, portkey: unknown) {
  type Run = { requestsPerSecond?: number; achievedRps?: number; rssPeakMb?: number; ttftMs?: { p99: number } };
  const a = rsk as Run;
  const b = portkey as Run;
  const r = (x: number | undefined, y: number | undefined) => (x && y ? round(x / y, 2) : undefined);
  return { throughput: r(a.requestsPerSecond, b.requestsPerSecond), ttftP99: r(a.ttftMs?.p99, b.ttftMs?.p99), rssPeak: r(a.rssPeakMb, b.rssPeakMb) };
}

const SCENARIOS = { saturation, steady500: steady, hold4096: hold, convoy, abortStorm } as const;
type Scenario = keyof typeof SCENARIOS;

const asked = process.argv.slice(2).filter((a): a is Scenario => a in SCENARIOS);
const chosen: Scenario[] = asked.length ? asked : (Object.keys(SCENARIOS) as Scenario[]);
const upstream = await startUpstream();
const out: Record<string, unknown> = { date: new Date().toISOString(), runtime: "bun (rsk, Portkey, upstream and client: four processes)", cpus: (await import("node:os")).availableParallelism() };
try {
  for (const name of chosen) {
    const row: Record<string, unknown> = {};
    for (const [label, launch] of [["rsk", startRsk], ["portkey", startPortkey]] as const) {
      const gw = await launch(upstream.url);
      try {
        console.error(`${name} on ${label}… (${new Date().toISOString()})`);
        row[label] = await SCENARIOS[name](gw);
      } catch (err) {
        row[label] = { failed: err instanceof Error ? err.message : String(err) };
      } finally {
        await gw.stop();
      }
    }
    row.rskOverPortkey = ratios(row.rsk, row.portkey);
    out[name] = row;
    console.log(JSON.stringify({ [name]: row }));
  }
} finally {
  await upstream.stop();
}
const dir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}load.json`, JSON.stringify(out, null, 2) + "\n");
process.exit(0);
