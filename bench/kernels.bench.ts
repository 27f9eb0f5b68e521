/**
 * Per-step sampling latency of the kernels (native, WASM, TS reference) next to llama.cpp's own sampler
 * chains on the same logits in the same run, at LLM vocabulary sizes; small-vocabulary throughput; bare
 * call baselines. Writes bench/results/kernels.json (kernels-deno.json under Deno).
 *   bun bench/kernels.bench.ts            full suite (also: deno run -A bench/kernels.bench.ts)
 *   bun bench/kernels.bench.ts --check    V=128k only, native/wasm/llama.cpp, plus V=64 top-k 40 batched vs llama.cpp;
 *                                         fails on a >10% ratio regression
 *   bun bench/kernels.bench.ts --small    small-vocabulary rows only, printed (no JSON written)
 * Small vocabulary (V=64): samples/s per call (`sample`) and in batches of 256 rows (`batch(...).run`, rows staged
 * once with `advance`, each row's status read back), next to llama.cpp's chain on the same logits.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { stageRow } from "../ffi/batch.ts";
import { io, type Kernels, type Logits, type SampleParams } from "../ffi/kernels.ts";
import { LlamaSamplerChain, type LlamaSamplerConfig } from "../ffi/llama/sampler.ts";
import { loadKernelsOf } from "../ffi/mod.ts";

const check = process.argv.includes("--check");
const smallOnly = process.argv.includes("--small");
const root = fileURLToPath(new URL("..", import.meta.url));
const runtime = "Deno" in globalThis ? "deno" : "bun";

const plain: SampleParams = {
  temperature: 1, topK: 0, topP: 1, minP: 0, typicalP: 1, minKeep: 0, mirostat: 0, tau: 5, eta: 0.1, mu: 10,
  repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, seed: 1, step: 0,
};
/** The four chains, as rsk parameters and as the llama.cpp chain they are compared with. */
const chains: ReadonlyArray<{ name: string; params: SampleParams; llama: LlamaSamplerConfig }> = [
  { name: "greedy", params: { ...plain, temperature: 0 }, llama: { kind: "greedy" } },
  {
    name: "top-k 40 → top-p 0.95 → temp 0.8",
    params: { ...plain, topK: 40, topP: 0.95, temperature: 0.8 },
    llama: { kind: "top-k-top-p", topK: 40, topP: 0.95, temperature: 0.8 },
  },
  { name: "min-p 0.05", params: { ...plain, minP: 0.05 }, llama: { kind: "min-p", minP: 0.05, temperature: 1 } },
  {
    name: "mirostat 2.0",
    params: { ...plain, mirostat: 2, tau: 5, eta: 0.1, mu: 10 },
    llama: { kind: "mirostat-v2", tau: 5, eta: 0.1, temperature: 1 },
  },
];
const sizes = check ? [128256] : smallOnly ? [] : [32000, 128256, 151936, 256000];

/** LLM-like logits: a wide normal-ish body and a handful of strong candidates (deterministic). */
function logitsLike(vocab: number): Float32Array {
  let a = 12345;
  const random = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  const out = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) out[i] = (random() + random() + random() - 1.5) * 6 - 2;
  for (let j = 0; j < 8; j++) out[Math.floor(random() * vocab)] = 14 + random() * 4;
  return out;
}

const implementations: Kernels[] = [await loadKernelsOf("native"), await loadKernelsOf("wasm")];
if (!check) implementations.push(await loadKernelsOf("ts"));

const llama = new Map<string, LlamaSamplerChain>();
let llamaProblem: string | undefined;
for (const chain of chains) {
  try {
    llama.set(chain.name, await LlamaSamplerChain.create(chain.llama, Math.max(64, ...sizes), 1));
  } catch (error) {
    llamaProblem = String(error);
  }
}
if (llamaProblem) console.warn(`llama.cpp baseline unavailable: ${llamaProblem}`);

const label = (what: string, chain: string, vocab: number) => `${what} · ${chain} · V=${vocab}`;

for (const chain of chains) {
  for (const vocab of sizes) {
    const values = logitsLike(vocab);
    summary(() => {
      group(`${chain.name} · V=${vocab}`, () => {
        for (const k of implementations) {
          // Generator bench: the buffer is made when this bench runs (a WASM memory grow detaches older views).
          bench(label(k.kind, chain.name, vocab), function* () {
            const logits: Logits<number> = k.logits(vocab);
            logits.set(values);
            const params = { ...chain.params };
            yield () => {
              params.step++;
              return do_not_optimize(k.sample(logits, { params }));
            };
          });
        }
        const peer = llama.get(chain.name);
        if (peer) bench(label("llama.cpp", chain.name, vocab), () => do_not_optimize(peer.sample(values)));
      });
    });
  }
}

/** Small-vocabulary chains: rsk parameters and the llama.cpp chain they are compared with. */
const smallChains: ReadonlyArray<{ name: string; params: SampleParams; llama: LlamaSamplerConfig }> = [
  { name: "top-k 40", params: { ...plain, topK: 40 }, llama: { kind: "top-k-top-p", topK: 40, topP: 1, temperature: 1 } },
  { name: "top-p 0.95", params: { ...plain, topP: 0.95 }, llama: { kind: "top-k-top-p", topK: 0, topP: 0.95, temperature: 1 } },
  { name: chains[1]!.name, params: chains[1]!.params, llama: chains[1]!.llama },
  { name: "mirostat 2.0", params: chains[3]!.params, llama: chains[3]!.llama },
];
const BATCH_ROWS = 256;
const smallPeers = new Map<string, LlamaSamplerChain>();
{
  const small = logitsLike(64);
  for (const { name, params, llama: config } of check ? smallChains.slice(0, 1) : smallChains) {
    const peer = await LlamaSamplerChain.create(config, 64, 1).catch(() => undefined);
    if (peer) smallPeers.set(name, peer);
    summary(() => {
      group(`small vocabulary (V=64): ${name}`, () => {
        for (const k of implementations) {
          bench(label(k.kind, `small ${name}`, 64), function* () {
            const logits = k.logits(64);
            logits.set(small);
            const p = { ...params };
            yield () => {
              p.step++;
              return do_not_optimize(k.sample(logits, { params: p }));
            };
          });
          // One call per 256 rows: rows are staged once and advance themselves (step, mu) on every run.
          bench(label(`${k.kind} batch`, `small ${name}`, 64), function* () {
            const batch = k.batch(64, BATCH_ROWS, 0);
            for (let r = 0; r < BATCH_ROWS; r++) {
              batch.logits().set(small, r * 64);
              stageRow(batch, r, { params: { ...params, seed: r }, advance: true });
            }
            yield () => {
              if (batch.run(BATCH_ROWS) !== 0) throw new Error("a batch row failed");
              const slots = batch.io();
              let tokens = 0;
              for (let r = 0; r < BATCH_ROWS; r++) tokens += slots[r * io.length + io.token]!;
              return do_not_optimize(tokens);
            };
          });
        }
        if (peer) bench(label("llama.cpp", `small ${name}`, 64), () => do_not_optimize(peer.sample(small)));
      });
    });
  }
}
if (!check) {
  group("bare call baselines", () => {
    const noop = (x: number) => x;
    bench("js function noop", () => do_not_optimize(noop(1)));
    for (const k of implementations) bench(`${k.kind} noop (${k.kind === "native" ? runtime + " FFI" : k.kind})`, () => do_not_optimize(k.noop(1)));
  });
}

const { benchmarks } = await run({ format: check ? "quiet" : "mitata" });
const ns = new Map<string, number>();
// Medians: on a shared machine the mean is dragged by preemptions, the median much less.
for (const trial of benchmarks) for (const r of trial.runs) if (r.stats) ns.set(r.name, r.stats.p50);

/** Per chain and size: ns per step for each implementation and the ratios that matter. */
const steps: Record<string, Record<string, Record<string, number>>> = {};
for (const chain of chains) {
  steps[chain.name] = {};
  for (const vocab of sizes) {
    const row: Record<string, number> = {};
    for (const what of ["native", "wasm", "ts", "llama.cpp"]) {
      const t = ns.get(label(what, chain.name, vocab));
      if (t !== undefined) row[`${what}_ns`] = Math.round(t);
    }
    if (row["llama.cpp_ns"] && row.native_ns) row.llama_over_native = +(row["llama.cpp_ns"] / row.native_ns).toFixed(2);
    if (row["llama.cpp_ns"] && row.wasm_ns) row.llama_over_wasm = +(row["llama.cpp_ns"] / row.wasm_ns).toFixed(2);
    if (row.wasm_ns && row.native_ns) row.wasm_over_native = +(row.wasm_ns / row.native_ns).toFixed(2);
    steps[chain.name]![String(vocab)] = row;
  }
}
const results = {
  runtime,
  date: new Date().toISOString(),
  isa: implementations[0]!.isa,
  steps,
  small_vocab_samples_per_s: Object.fromEntries(smallChains.map(({ name }) => {
    const rate = (what: string, rows = 1) => Math.round((rows * 1e9) / (ns.get(label(what, `small ${name}`, 64)) ?? Infinity));
    const row: Record<string, number> = {};
    for (const k of implementations) {
      row[k.kind] = rate(k.kind);
      row[`${k.kind}_batch`] = rate(`${k.kind} batch`, BATCH_ROWS);
    }
    if (smallPeers.has(name)) row["llama.cpp"] = rate("llama.cpp");
    return [name, row];
  })),
  batch_rows: BATCH_ROWS,
  noop_ns: Object.fromEntries([...ns].filter(([name]) => name.includes("noop")).map(([name, t]) => [name, +t.toFixed(2)])),
  llama_baseline: llamaProblem ?? "ok",
};

/** Ratio budgets live under "kernels" in bench/budgets.json: step time relative to llama.cpp's chain at V=128k, and
 * V=64 samples/s batched (native) relative to llama.cpp's per-step chain. */
type KernelBudgets = Record<string, number>;
const budgetsPath = `${root}bench/budgets.json`;
if (check) {
  const budgets = (JSON.parse(readFileSync(budgetsPath, "utf8")) as {
    kernels?: { native_over_llama_max?: KernelBudgets; small_batch_over_llama_min?: KernelBudgets };
  }).kernels;
  const failures: string[] = [];
  for (const [name, budget] of Object.entries(budgets?.small_batch_over_llama_min ?? {})) {
    const row = results.small_vocab_samples_per_s[name];
    if (!row?.native_batch || !row["llama.cpp"]) {
      failures.push(`${name} @64: no measurement (llama.cpp baseline: ${results.llama_baseline})`);
      continue;
    }
    const ratio = row.native_batch / row["llama.cpp"];
    const verdict = ratio < budget / 1.1 ? "REGRESSION" : "ok";
    console.log(`${verdict.padEnd(10)} ${name} @64: native batch/llama.cpp samples/s = ${ratio.toFixed(2)} (budget ${budget}, -10% = ${(budget / 1.1).toFixed(2)})`);
    if (verdict !== "ok") failures.push(`${name} @64`);
  }
  for (const [name, budget] of Object.entries(budgets?.native_over_llama_max ?? {})) {
    const row = steps[name]?.["128256"];
    if (!row?.native_ns || !row["llama.cpp_ns"]) {
      failures.push(`${name}: no measurement (llama.cpp baseline: ${results.llama_baseline})`);
      continue;
    }
    const ratio = row.native_ns / row["llama.cpp_ns"];
    const verdict = ratio > budget * 1.1 ? "REGRESSION" : "ok";
    console.log(`${verdict.padEnd(10)} ${name} @128k: native/llama.cpp = ${ratio.toFixed(3)} (budget ${budget}, +10% = ${(budget * 1.1).toFixed(3)})`);
    if (verdict !== "ok") failures.push(name);
  }
  if (failures.length > 0) {
    console.error(`bench:check failed: ${failures.join(", ")}`);
    process.exit(1);
  }
} else if (smallOnly) {
  console.log(JSON.stringify({ runtime, small_vocab_samples_per_s: results.small_vocab_samples_per_s }, null, 2));
} else {
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/${runtime === "bun" ? "kernels.json" : "kernels-deno.json"}`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
for (const chain of [...llama.values(), ...smallPeers.values()]) chain.close();
