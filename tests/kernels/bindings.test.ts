/**
 * The Python (ctypes) and Go (cgo) bindings draw the same seeded tokens as the TS API on the native kernels: the
 * draws are computed here, written to a temp JSON, and `python3 -m unittest` and `go test` must reproduce them.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { type Distribution, type SampleParams, maskOf, newMask } from "../../ffi/kernels.ts";
import { loadKernelsOf, nativePaths } from "../../ffi/mod.ts";
import { missingTools } from "../system-tools.ts";
import { plain, prng, randomLogits } from "./impls.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const native = await loadKernelsOf("native");

/** One row of the table: a sampler over random logits, drawn for `steps` consecutive steps (or refused). */
interface Case {
  readonly name: string;
  readonly vocab: number;
  readonly params: Partial<SampleParams>;
  readonly steps?: number;
  /** Fraction of tokens the mask allows (absent: no mask). */
  readonly allowed?: number;
  /** Recent-window length and number of logit-bias entries (one of them a ban). */
  readonly recent?: number;
  readonly bias?: number;
  /** A logit replaced before sampling (NaN, +inf). */
  readonly poison?: number;
}

const cases: readonly Case[] = [
  { name: "greedy", vocab: 1000, params: { temperature: 0 }, steps: 2 },
  { name: "temperature 0.7", vocab: 500, params: { temperature: 0.7 }, steps: 3 },
  { name: "top-k 40", vocab: 2000, params: { topK: 40 }, steps: 4 },
  { name: "top-p 0.9", vocab: 1500, params: { topP: 0.9 }, steps: 4 },
  { name: "min-p 0.05", vocab: 3000, params: { minP: 0.05 }, steps: 4 },
  { name: "typical-p 0.9, min_keep 2", vocab: 800, params: { typicalP: 0.9, minKeep: 2 }, steps: 3 },
  { name: "top-k 40 → top-p 0.95 → temperature 0.8", vocab: 4096, params: { topK: 40, topP: 0.95, temperature: 0.8 }, steps: 4 },
  { name: "Mirostat 2.0, mu carried over 8 steps", vocab: 2048, params: { mirostat: 2, tau: 5, eta: 0.1, mu: 10 }, steps: 8 },
  { name: "Mirostat 2.0 under a mask", vocab: 1024, params: { mirostat: 2, tau: 3, eta: 0.3, mu: 6, temperature: 0.9 }, steps: 6, allowed: 0.3 },
  { name: "top-k 40 under a grammar-like mask", vocab: 5000, params: { topK: 40 }, steps: 3, allowed: 0.02 },
  { name: "min-p under a mask", vocab: 700, params: { minP: 0.1, temperature: 1.2 }, steps: 3, allowed: 0.5 },
  {
    name: "penalties and logit bias (with a ban) → top-p 0.9", vocab: 600, steps: 3, recent: 32, bias: 4,
    params: { repeatPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.4, topP: 0.9 },
  },
  { name: "seed above 2^32, step near 2^40", vocab: 300, params: { topK: 10, seed: 2 ** 52 + 3, step: 2 ** 40 }, steps: 3 },
  { name: "V = 64, top-k 40", vocab: 64, params: { topK: 40 }, steps: 6 },
  { name: "V = 1", vocab: 1, params: {}, steps: 2 },
  { name: "refused: top_k above the vocabulary", vocab: 10, params: { topK: 11 } },
  { name: "refused: every token masked", vocab: 100, params: {}, allowed: 0 },
  { name: "refused: a NaN logit", vocab: 100, params: {}, poison: Number.NaN },
  { name: "refused: a +inf logit", vocab: 100, params: {}, poison: Number.POSITIVE_INFINITY },
  // Mirostat 1 is outside SampleParams' type: the kernels (and each binding's config) must refuse it at run time.
  { name: "refused: Mirostat 1", vocab: 100, params: { mirostat: 1 } as unknown as Partial<SampleParams> },
];

/** Rows of one batch (V = 64): each binding's batch call must draw what the TS API draws row by row. */
const batchRows: readonly Case[] = [
  { name: "greedy", vocab: 64, params: { temperature: 0 }, steps: 1 },
  { name: "top-k 40", vocab: 64, params: { topK: 40 }, steps: 1 },
  { name: "top-p 0.9", vocab: 64, params: { topP: 0.9 }, steps: 1 },
  { name: "min-p 0.05", vocab: 64, params: { minP: 0.05 }, steps: 1 },
  { name: "top-k 40 → top-p 0.95 → temperature 0.8", vocab: 64, params: { topK: 40, topP: 0.95, temperature: 0.8 }, steps: 1 },
  { name: "Mirostat 2.0", vocab: 64, params: { mirostat: 2, tau: 5, eta: 0.1, mu: 10, step: 17 }, steps: 1 },
  { name: "Mirostat 2.0 under a mask", vocab: 64, params: { mirostat: 2, tau: 2, eta: 0.2, mu: 4 }, steps: 1, allowed: 0.5 },
  { name: "top-k 8 under a mask", vocab: 64, params: { topK: 8 }, steps: 1, allowed: 0.3 },
  { name: "penalties and bias", vocab: 64, params: { repeatPenalty: 1.2, presencePenalty: 0.5 }, steps: 1, recent: 8, bias: 3 },
  { name: "refused: every token masked", vocab: 64, params: {}, allowed: 0 },
  { name: "refused: top_k above the vocabulary", vocab: 64, params: { topK: 65 } },
  { name: "plain", vocab: 64, params: {}, steps: 1 },
];

/** Little-endian float32 bytes in base64: exact, and NaN / ±inf survive JSON. */
function float32s(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

/** The bindings' config names (llama.cpp's) for the kernel parameters. */
function configOf(p: SampleParams) {
  return {
    temperature: p.temperature, top_k: p.topK, top_p: p.topP, min_p: p.minP, typical_p: p.typicalP, min_keep: p.minKeep,
    mirostat: p.mirostat, mirostat_tau: p.tau, mirostat_eta: p.eta, mirostat_mu: p.mu, repeat_penalty: p.repeatPenalty,
    frequency_penalty: p.frequencyPenalty, presence_penalty: p.presencePenalty, seed: p.seed, step: p.step,
  };
}

function sampleCase(c: Case, random: () => number) {
  const values = randomLogits(random, c.vocab);
  if (c.poison !== undefined) values[Math.floor(random() * c.vocab)] = c.poison;
  let mask: ReturnType<typeof newMask> | undefined;
  if (c.allowed !== undefined) {
    mask = newMask(c.vocab, false);
    for (let i = 0; i < c.vocab; i++) if (random() < c.allowed) mask[i >>> 5]! |= 1 << (i & 31);
  }
  const recent = Int32Array.from({ length: c.recent ?? 0 }, () => Math.floor(random() * c.vocab));
  const bias = {
    ids: Int32Array.from({ length: c.bias ?? 0 }, () => Math.floor(random() * c.vocab)),
    values: Float32Array.from({ length: c.bias ?? 0 }, (_, i) => (i === 0 ? -Infinity : (random() - 0.5) * 6)),
  };
  const params: SampleParams = { ...plain, seed: Math.floor(random() * 2 ** 40), ...c.params };
  const logits = native.logits(c.vocab);
  logits.set(values);
  const out: Distribution = { ids: new Int32Array(c.vocab), probs: new Float64Array(c.vocab) };
  const base = {
    name: c.name, logits: float32s(values), config: configOf(params), mask: mask ? Array.from(mask) : null,
    recent: Array.from(recent), bias: { ids: Array.from(bias.ids), values: float32s(bias.values) },
  };
  const draws = [];
  const state = { ...params };
  for (let s = 0; s < (c.steps ?? 1); s++) {
    const r = native.sample(logits, { params: state, mask, recent, bias }, out);
    if (!r.ok) {
      assert.equal(c.steps, undefined, `${c.name}: refused with status ${r.status}`);
      return { ...base, status: r.status };
    }
    draws.push({
      token: r.token, prob: r.prob, mu_next: r.muNext, size: r.size, uniform: r.uniform,
      ids: Array.from(out.ids.subarray(0, r.size)), probs: Array.from(out.probs.subarray(0, r.size)),
    });
    state.step++;
    state.mu = r.muNext;
  }
  assert.ok(c.steps !== undefined, `${c.name}: expected a refusal`);
  return { ...base, draws };
}

function maskCase(vocab: number, random: () => number) {
  const words = Math.ceil(vocab / 32);
  const a = maskOf(Uint32Array.from({ length: words }, () => Math.floor(random() * 2 ** 32)), vocab);
  const b = maskOf(Uint32Array.from({ length: words }, () => Math.floor(random() * 2 ** 32)), vocab);
  const and = newMask(vocab, false), or = newMask(vocab, false);
  native.maskAnd(and, a, b);
  native.maskOr(or, a, b);
  const values = Float32Array.from({ length: vocab }, () => (random() - 0.5) * 10);
  const applied = native.logits(vocab);
  applied.set(values);
  native.maskApply(applied, a);
  return {
    vocab, a: Array.from(a), b: Array.from(b), and: Array.from(and), or: Array.from(or),
    counts: [native.maskCount(a, vocab), native.maskCount(b, vocab)], logits: float32s(values), applied: float32s(applied),
  };
}

const random = prng(18);
const parity = {
  cases: cases.map((c) => sampleCase(c, random)),
  masks: [1, 31, 33, 100, 1000, 4097].map((vocab) => maskCase(vocab, random)),
  batch: batchRows.map((c) => sampleCase(c, random)),
};
const dir = mkdtempSync(join(tmpdir(), "rsk-bindings-"));
const parityFile = join(dir, "parity.json");
writeFileSync(parityFile, JSON.stringify(parity));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, RSK_PARITY_FILE: parityFile, RSK_LIBRARY: nativePaths.library };

function run(command: string, args: string[], cwd: string, environment: NodeJS.ProcessEnv = env) {
  const r = spawnSync(command, args, { cwd, env: environment, encoding: "utf8", timeout: 280_000 });
  assert.equal(r.error, undefined, `${command}: ${String(r.error)}`);
  assert.equal(r.status, 0, `${command} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

describe("Python binding (bindings/python)", { skip: missingTools(["python3", "--version"]) }, () => {
  test("python3 -m unittest: the binding's tests and the same seeded draws and masks as the TS API", { timeout: 120_000 }, () => {
    const python = join(root, "bindings/python");
    const output = run("python3", ["-m", "unittest", "discover", "-v", "-s", "tests", "-t", "."], python, {
      ...env, PYTHONPATH: python, PYTHONDONTWRITEBYTECODE: "1",
    });
    assert.match(output, /test_seeded_draws_match_the_typescript_api \(.*\) \.\.\. ok/);
    assert.match(output, /test_masks_match_the_typescript_api \(.*\) \.\.\. ok/);
    assert.match(output, /test_batch_matches_the_typescript_api_row_by_row \(.*\) \.\.\. ok/);
  });

  test("pip install ./bindings/python offline into a fresh venv packages the checkout's library", { timeout: 120_000 }, () => {
    const venv = join(dir, "venv");
    const { RSK_LIBRARY: _, ...withoutOverride } = env;
    run("python3", ["-m", "venv", venv], dir);
    const pip = ["install", "--no-index", "--no-cache-dir", "--disable-pip-version-check", join(root, "bindings/python")];
    run(join(venv, "bin/pip"), pip, dir, withoutOverride);
    const script = "import rsk; print(rsk.library()._name); print(rsk.sample([0.0, 3.0, 1.0], rsk.SamplerConfig(temperature=0)).token)";
    const r = spawnSync(join(venv, "bin/python"), ["-c", script], { cwd: dir, env: withoutOverride, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const [library, token] = r.stdout.trim().split("\n");
    assert.ok(library!.startsWith(realpathSync(venv)) && library!.endsWith("/site-packages/rsk/librsk.so"), `loaded ${library}`);
    assert.equal(token, "1");
  });
});

describe("Go binding (bindings/go)", { skip: missingTools(["go", "version"]) }, () => {
  test("go test: the binding's tests and the same seeded draws and masks as the TS API", { timeout: 300_000 }, () => {
    const output = run("go", ["test", "-count=1", "-v", "./..."], join(root, "bindings/go"));
    assert.match(output, /--- PASS: TestParityDraws/);
    assert.match(output, /--- PASS: TestParityMasks/);
    assert.match(output, /--- PASS: TestParityBatch/);
  });
});
