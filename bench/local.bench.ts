/**
 * The local backend on the fixture model (V = 100,277), in one run:
 *  1. per-step overhead of rsk's decode loop with llama_decode stubbed out (batch assembly, in-place logits
 *     views, pick dispatch, detokenize, stop strings, stream enqueue, KV bookkeeping) at 1/4/16 sequences;
 *  2. generation tokens/s with 1/4/16 concurrent streams: rsk's loop (picking with llama.cpp's own greedy
 *     sampler through the shim, and with a plain-JS argmax) vs node-llama-cpp's own generation, same model,
 *     threads and context, alternating rounds so machine noise hits both alike.
 *   bun bench/local.bench.ts [tokens=48] [rounds=3]
 * Writes bench/results/latest/local.json and bench/results/local.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { LlamaSamplerChain } from "../ffi/llama/sampler.ts";
import { LlamaEngine } from "../src/backends/local/engine.ts";
import { DecodeLoop, type DecodeTarget } from "../src/backends/local/loop.ts";
import { Sequence } from "../src/backends/local/sequence.ts";
import { ensureFixtureModel } from "../tests/fixture/model.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const self = fileURLToPath(import.meta.url);
const peerMode = process.argv[2] === "--peer";
const args = process.argv.slice(peerMode ? 3 : 2);
const tokensPerStream = Number(args[0] ?? 48);
const rounds = Number(args[1] ?? 3);
const threads = 2;
const streams = [1, 4, 16] as const;
const modelPath = await ensureFixtureModel();
const prompts = Array.from({ length: 16 }, (_, i) => `request ${i}: tell me something`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (peerMode) {
  console.log(JSON.stringify(await nodeLlamaCppRounds()));
  process.exit(0);
}
const engine = await LlamaEngine.open({ modelPath, nSeqMax: 16, nCtxPerSequence: 256, nThreads: threads });
const { model, context } = engine;
const nVocab = model.nVocab;

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

// ---- 1. loop overhead with llama_decode stubbed (real in-place logits views over a real decode's output) ----
for (let s = 0; s < 16; s++) {
  context.batch.token[s] = 9906;
  context.batch.pos[s] = 0;
  context.batch.seq[s] = s;
  context.batch.output[s] = 1;
}
if (context.decode(16) !== 0) throw new Error("warm-up decode failed");
const warmRows = context.logitsRows(16);
const stub: DecodeTarget = {
  batch: context.batch,
  nBatch: context.nBatch,
  nSeqMax: context.nSeqMax,
  nCtxSeq: 1 << 30,
  decode: () => 0,
  decodeOffThread: async () => 0,
  logitsRows: (n) => context.logitsRows(n),
  removeSequence: () => {},
  lastError: () => "",
  model: { nVocab },
};
const world = model.tokenize(" world")[0]!;
const stubLoops = new Map<number, DecodeLoop>();
for (const n of streams) {
  const loop = new DecodeLoop(stub, model.vocabularyBytes(), (t) => model.isEndOfGeneration(t));
  for (let i = 0; i < n; i++) loop.submit(new Sequence(Int32Array.of(9906), Number.MAX_SAFE_INTEGER, ["never matches"], () => world, Number.MAX_SAFE_INTEGER));
  loop.step(); // prefill step
  stubLoops.set(n, loop);
}
const view = warmRows[0]!;
summary(() => {
  group("decode-loop step without llama_decode (constant pick)", () => {
    bench("noop", () => {});
    bench("logitsRows (shim call + cached in-place views)", () => do_not_optimize(context.logitsRows(16)));
    bench("JS argmax over one row (what a naive pick costs)", () => do_not_optimize(argmax(view)));
    bench("step, $n sequences", function* (state: { get(name: string): number }) {
      const loop = stubLoops.get(state.get("n"))!;
      yield () => do_not_optimize(loop.step());
    }).args("n", [...streams]);
  });
});
const micro = await run();
for (const loop of stubLoops.values()) loop.close();
for (let s = 0; s < 16; s++) context.removeSequence(s);

// ---- 2. tokens/s: rsk vs node-llama-cpp, same model, threads and per-sequence context ----
const greedyChains = await Promise.all(prompts.map(() => LlamaSamplerChain.create({ kind: "greedy" }, nVocab, 0)));

async function rskRun(n: number, pick: "llama-greedy" | "js-argmax"): Promise<number> {
  const started = performance.now();
  const results = await Promise.all(
    prompts.slice(0, n).map(async (content, i) => {
      const chain = greedyChains[i]!;
      const generation = engine.generate({
        prompt: model.tokenizeChat([{ role: "user", content }]),
        maxTokens: tokensPerStream,
        pick: pick === "js-argmax" ? argmax : (logits) => chain.sample(logits),
      });
      for await (const _ of generation);
      return (await generation.finish).completionTokens;
    }),
  );
  return (results.reduce((a, b) => a + b, 0) / (performance.now() - started)) * 1000;
}

const rskSamples = new Map(streams.map((n) => [n, { greedy: [] as number[], argmax: [] as number[] }]));
async function rskRounds(): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const n of streams) {
      rskSamples.get(n)!.greedy.push(await rskRun(n, "llama-greedy"));
      rskSamples.get(n)!.argmax.push(await rskRun(n, "js-argmax"));
    }
  }
}
await rskRun(1, "llama-greedy");
await rskRounds();
const peer = peerInChildProcess();
await rskRounds(); // rsk before and after the peer, so drift in machine load shows up in both medians
const throughput: Record<string, { rsk_llama_greedy: number; rsk_js_argmax: number; node_llama_cpp: number; ratio_vs_node_llama_cpp: number }> = {};
for (const n of streams) {
  const samples = rskSamples.get(n)!;
  const rsk = median(samples.greedy);
  const other = peer[n]!;
  throughput[`${n}_streams`] = {
    rsk_llama_greedy: Math.round(rsk),
    rsk_js_argmax: Math.round(median(samples.argmax)),
    node_llama_cpp: Math.round(other),
    ratio_vs_node_llama_cpp: Number((rsk / other).toFixed(2)),
  };
}
console.table(throughput);

const stepNs: Record<string, number> = {};
for (const trial of micro.benchmarks) {
  for (const r of trial.runs) if (r.stats) stepNs[r.name] = Math.round(r.stats.avg);
}
const overhead = Object.fromEntries(
  streams.map((n) => {
    const ns = stepNs[`step, ${n} sequences`] ?? NaN;
    return [`${n}_sequences`, { step_us: ns / 1000, per_token_us: Number((ns / 1000 / n).toFixed(2)) }];
  }),
);
const stats = engine.stats;
const result = {
  bench: "local",
  date: new Date().toISOString(),
  runtime: "Bun" in globalThis ? "bun" : "deno",
  model: "fixture (llama arch, n_embd 64, 2 layers, cl100k_base vocabulary)",
  n_vocab: nVocab,
  threads,
  tokens_per_stream: tokensPerStream,
  rounds,
  loop_overhead_without_decode: overhead,
  micro_ns: stepNs,
  tokens_per_second: throughput,
  share_of_step_time_in_llama_decode: Number((stats.decodeMs / stats.stepMs).toFixed(3)),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(`${root}bench/results/latest`, { recursive: true });
writeFileSync(`${root}bench/results/latest/local.json`, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(`${root}bench/results/local.json`, `${JSON.stringify(result, null, 2)}\n`);

// Budgets: fail loudly (exit 1) when the loop's own cost or the ratio to node-llama-cpp regresses.
const budgets = (JSON.parse(readFileSync(`${root}bench/budgets.json`, "utf8")) as Record<string, Record<string, number>>).local;
if (budgets) {
  const failures: string[] = [];
  const perToken = overhead["16_sequences"]!.per_token_us;
  if (budgets.loop_overhead_per_token_us !== undefined && perToken > budgets.loop_overhead_per_token_us) {
    failures.push(`loop overhead ${perToken} µs/token > ${budgets.loop_overhead_per_token_us}`);
  }
  const ratio = throughput["16_streams"]!.ratio_vs_node_llama_cpp;
  if (budgets.min_ratio_vs_node_llama_cpp_16 !== undefined && ratio < budgets.min_ratio_vs_node_llama_cpp_16) {
    failures.push(`16-stream tokens/s ratio vs node-llama-cpp ${ratio} < ${budgets.min_ratio_vs_node_llama_cpp_16}`);
  }
  if (failures.length > 0) {
    console.error(`budget exceeded:\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  }
}
for (const chain of greedyChains) chain.close();
engine.close();

/**
 * node-llama-cpp's own generation (greedy, temperature 0), run in a child process: two llama.cpp thread pools in
 * one process on a 2-core machine starve each other, and node-llama-cpp replaces llama.cpp's log callback.
 * One context per stream count, sized like rsk's sequences (node-llama-cpp is much slower on a 16-sequence
 * context even with one stream, so each count gets its best-fitting context).
 */
async function nodeLlamaCppRounds(): Promise<Record<number, number>> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const chatml = (content: string) => `<|im_start|>user\n${content}<|im_end|>\n<|im_start|>assistant\n`;
  const result: Record<number, number> = {};
  for (const n of streams) {
    const context = await model.createContext({ contextSize: 256 * n, sequences: n, batchSize: 512, threads });
    const sequences = prompts.slice(0, n).map(() => context.getSequence());
    const runOnce = async (): Promise<number> => {
      await Promise.all(sequences.map((sequence) => sequence.clearHistory()));
      const started = performance.now();
      const counts = await Promise.all(
        sequences.map(async (sequence, i) => {
          let count = 0;
          for await (const _ of sequence.evaluate(model.tokenize(chatml(prompts[i]!), true), { temperature: 0 })) {
            if (++count >= tokensPerStream) break;
          }
          return count;
        }),
      );
      return (counts.reduce((a, b) => a + b, 0) / (performance.now() - started)) * 1000;
    };
    await runOnce();
    const samples: number[] = [];
    for (let r = 0; r < rounds * 2; r++) samples.push(await runOnce());
    result[n] = median(samples);
    await context.dispose();
  }
  await model.dispose();
  return result;
}

function peerInChildProcess(): Record<number, number> {
  const child = spawnSync(process.execPath, [self, "--peer", String(tokensPerStream), String(rounds)], { encoding: "utf8" });
  const line = child.stdout.trim().split("\n").pop() ?? "";
  if (child.status !== 0 || !line.startsWith("{")) throw new Error(`node-llama-cpp run failed: ${child.stderr}`);
  return JSON.parse(line) as Record<number, number>;
}
