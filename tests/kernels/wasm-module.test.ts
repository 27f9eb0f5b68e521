/** The runtime-neutral WASM binding: from a compiled Module or bytes, with a logged fallback to the TS reference. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { kernelsFromModule } from "../../ffi/edge.ts";
import { type Distribution, type Kernels, newMask } from "../../ffi/kernels.ts";
import { referenceKernels } from "../../ffi/reference.ts";
import { wasmKernelsFrom } from "../../ffi/wasm-module.ts";
import { wasmKernels, wasmPath } from "../../ffi/wasm.ts";
import { importGraph } from "../edge/import-graph.ts";
import { chains, logitsFor, plain, prng, randomLogits } from "./impls.ts";

const bytes = Uint8Array.from(readFileSync(wasmPath()));
const compiled = await WebAssembly.compile(bytes);
const ts = referenceKernels();
/** The smallest valid module: compiles and instantiates, but exports nothing. */
const emptyModule = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
/** A valid header followed by a bogus section id: `WebAssembly.compile` throws a CompileError. */
const badBytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]);

/** Samples `values` under every chain preset and returns each draw with its support. */
function draws(k: Kernels, values: Float32Array, seed: number) {
  const V = values.length;
  return Object.entries(chains).map(([name, chain]) => {
    const out: Distribution = { ids: new Int32Array(V), probs: new Float64Array(V) };
    const params = { ...plain, ...chain, seed, step: 3, topK: Math.min(chain.topK ?? 0, V) };
    const draw = k.sample(logitsFor(k, values, V), { params, recent: Int32Array.of(1, 2, 2) }, out);
    const size = draw.ok ? draw.size : 0;
    return { name, draw, ids: Array.from(out.ids.subarray(0, size)), probs: Array.from(out.probs.subarray(0, size)) };
  });
}

test("a compiled Module binds as the wasm kernels and agrees with the TS reference", async () => {
  const wasm = await wasmKernelsFrom(compiled);
  assert.equal(wasm.kind, "wasm");
  const random = prng(23);
  for (let c = 0; c < 20; c++) {
    const values = randomLogits(random, 1 + Math.floor(random() * 2000));
    const seed = Math.floor(random() * 2 ** 40);
    const [a, r] = [draws(wasm, values, seed), draws(ts, values, seed)];
    a.forEach(({ name, draw, ids, probs }, i) => {
      const ref = r[i]!;
      assert.equal(draw.ok, ref.draw.ok, `case ${c} ${name}`);
      if (!draw.ok || !ref.draw.ok) return;
      assert.equal(draw.token, ref.draw.token, `token, case ${c} ${name}`);
      assert.deepEqual(ids, ref.ids, `support, case ${c} ${name}`);
      probs.forEach((p, j) => assert.ok(Math.abs(p - ref.probs[j]!) <= 1e-6, `probs, case ${c} ${name}`));
    });
  }
  const V = 70, mask = newMask(V, false);
  for (const id of [0, 33, 69]) mask[id >>> 5]! |= 1 << (id & 31);
  assert.equal(wasm.maskCount(mask, V), ts.maskCount(mask, V));
  const values = randomLogits(random, V), inWasm = logitsFor(wasm, values, V), inTs = logitsFor(ts, values, V);
  wasm.maskApply(inWasm, mask);
  ts.maskApply(inTs, mask);
  assert.deepEqual(Array.from(inWasm), Array.from(inTs));
  assert.equal(inWasm.filter((x) => x !== -Infinity).length, 3);
  assert.equal(wasm.uniform(2 ** 40 + 5, 9), ts.uniform(2 ** 40 + 5, 9));
  assert.equal(wasm.noop(41), 41);
});

test("bytes still work: wasmKernelsFrom compiles them, wasmKernels reads the committed file", async () => {
  assert.equal((await wasmKernelsFrom(bytes)).kind, "wasm");
  assert.equal((await wasmKernels()).kind, "wasm");
  const lines: string[] = [];
  assert.equal((await kernelsFromModule(bytes, (line) => lines.push(line))).kind, "wasm");
  assert.equal((await kernelsFromModule(compiled, (line) => lines.push(line))).kind, "wasm");
  assert.deepEqual(lines, [], "no fallback, nothing logged");
});

test("a missing or refused module falls back to the TS reference, logging one line with the reason", async () => {
  const cases = [
    [undefined, /\(no rsk\.wasm module given\)/],
    [badBytes, /\(CompileError: [^)]+\)/],
    [emptyModule, /\(TypeError: not rsk\.wasm: the module lacks the exports memory, __heap_base, rsk_noop, /],
  ] as const;
  for (const [source, why] of cases) {
    const lines: string[] = [];
    const k = await kernelsFromModule(source, (line) => lines.push(line));
    assert.equal(k.kind, "ts");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /^rsk: WASM kernels unavailable \(.+\): using the TypeScript reference kernels$/);
    assert.match(lines[0]!, why);
    assert.doesNotMatch(lines[0]!, /\n/);
    const greedy = { params: { ...plain, temperature: 0 } };
    assert.deepEqual(k.sample(logitsFor(k, Float32Array.of(0, 3, 1), 3), greedy), ts.sample(logitsFor(ts, Float32Array.of(0, 3, 1), 3), greedy));
  }
});

test("ffi/edge.ts reaches no host module and no import.meta (edge bundles import it)", () => {
  const graph = importGraph(fileURLToPath(new URL("../../ffi/edge.ts", import.meta.url)));
  assert.ok(graph.size >= 4, `edge graph: ${[...graph.keys()].join(", ")}`);
  for (const node of graph.values()) {
    for (const spec of node.imports) assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${node.path} imports ${spec}`);
    assert.doesNotMatch(node.source, /import\.meta/, node.path);
  }
});
