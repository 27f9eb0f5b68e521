/**
 * Gateway overhead vs calling the upstream directly, in one run: a scripted upstream streams N tokens, the same
 * client reads them directly and through `rsk` (a separate process, default policy), alternating request by
 * request so machine noise hits both sides alike. Reports TTFT and inter-token latency p50/p99 and their ratios.
 *   bun bench/proxy.bench.ts [requests=200] [tokens=100]
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createParser } from "eventsource-parser";
import { startScriptedUpstream } from "../tests/server/scripted-upstream.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const requests = Number(process.argv[2] ?? 200);
const tokens = Number(process.argv[3] ?? 100);
const words = "The gateway checks every token for personal data and blocked phrases before release. ".split(/(?<= )/);

interface Sample { ttft: number; gaps: number[] }

async function measure(base: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "go" }] }),
  });
  let last = 0;
  let ttft = 0;
  const gaps: number[] = [];
  const parser = createParser({
    onEvent: (e) => {
      if (e.data === "[DONE]" || !e.data.includes("\"content\":\"")) return;
      const now = performance.now();
      if (ttft === 0) ttft = now - t0;
      else gaps.push(now - last);
      last = now;
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of res.body!) parser.feed(decoder.decode(bytes, { stream: true }));
  return { ttft, gaps };
}

function startGateway(upstream: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(`${root}node_modules/.bin/bun`, [`${root}src/main.ts`, "--port", "0", "--upstream", upstream], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) resolve({ url: `${m[1]}/v1`, stop: () => child.kill() });
    });
    child.on("exit", (code) => reject(new Error(`gateway exited (${code}): ${err}`)));
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const upstream = startScriptedUpstream();
upstream.scripts.set("bench", { text: Array.from({ length: tokens }, (_, i) => words[i % words.length]).join(""), chunking: "words", pieceDelayMs: 1 });
const gateway = await startGateway(upstream.url);
try {
  const direct: Sample[] = [];
  const viaRsk: Sample[] = [];
  for (let i = 0; i < 10; i++) await Promise.all([measure(upstream.url), measure(gateway.url)]); // warm-up
  for (let i = 0; i < requests; i++) {
    direct.push(await measure(upstream.url));
    viaRsk.push(await measure(gateway.url));
  }
  const summary = (xs: Sample[]) => {
    const ttft = xs.map((s) => s.ttft);
    const gaps = xs.flatMap((s) => s.gaps);
    return { ttft_p50_ms: pct(ttft, 50), ttft_p99_ms: pct(ttft, 99), itl_p50_ms: pct(gaps, 50), itl_p99_ms: pct(gaps, 99) };
  };
  const d = summary(direct);
  const g = summary(viaRsk);
  const result = {
    bench: "proxy",
    date: new Date().toISOString(),
    runtime: "bun",
    requests,
    tokens_per_request: tokens,
    upstream_inter_token_ms: 1,
    direct: d,
    rsk: g,
    overhead_ms: {
      ttft_p50: g.ttft_p50_ms - d.ttft_p50_ms,
      ttft_p99: g.ttft_p99_ms - d.ttft_p99_ms,
      itl_p50: g.itl_p50_ms - d.itl_p50_ms,
      itl_p99: g.itl_p99_ms - d.itl_p99_ms,
    },
  };
  console.table({ direct: d, rsk: g });
  console.log(JSON.stringify(result.overhead_ms));
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/proxy.json`, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  gateway.stop();
  await upstream.close();
}
