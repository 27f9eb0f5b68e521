/**
 * ffi/edge.ts on the real workerd, through `wrangler dev --local` (offline): the imported rsk.wasm (a CompiledWasm
 * module) binds as the WASM kernels and samples like the TS reference; the same module's bytes are refused by the
 * host, so the worker falls back to the reference and logs why.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { referenceKernels } from "../../ffi/reference.ts";
import { logitsFor, plain } from "../kernels/impls.ts";
import { missingTools } from "../system-tools.ts";
import { ROOT, startHost } from "./hosts.ts";

/** A seeded truncating chain, so agreement with the reference means more than argmax. */
const SEEDED = { ...plain, topK: 3, temperature: 0.8, seed: 42, step: 7 };
const LOGITS = [0.5, 3, -1, 2.5, 3];

/** The worker: `/module` samples with the imported Module, `/bytes` with the raw bytes, anything else answers ok. */
const WORKER = `
import compiled from ${JSON.stringify(`${ROOT}kernels/rsk.wasm`)};
import bytes from "./rsk.bin";
import { kernelsFromModule } from ${JSON.stringify(`${ROOT}ffi/edge.ts`)};

async function run(source) {
  const lines = [];
  const k = await kernelsFromModule(source, (line) => { lines.push(line); console.log(line); });
  const draw = (params) => { const l = k.logits(${LOGITS.length}); l.set(${JSON.stringify(LOGITS)}); return k.sample(l, { params }); };
  const plain = ${JSON.stringify(plain)};
  return { kind: k.kind, greedy: draw({ ...plain, temperature: 0 }), seeded: draw(${JSON.stringify(SEEDED)}), lines };
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path !== "/module" && path !== "/bytes") return new Response("ok");
    const result = await run(path === "/module" ? compiled : new Uint8Array(bytes));
    return Response.json({ ...result, isModule: compiled instanceof WebAssembly.Module, importMetaUrl: typeof import.meta.url });
  },
};
`;

const CONFIG = `name = "rsk-wasm-edge"
main = "worker.js"
compatibility_date = "2025-01-01"

[[rules]]
type = "Data"
globs = ["**/*.bin"]
`;

test("workerd: the imported rsk.wasm Module gives WASM kernels; its bytes are refused and fall back, logged", {
  skip: missingTools(["node", "--version"]),
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rsk-wasm-workerd-"));
  writeFileSync(join(dir, "worker.js"), WORKER);
  writeFileSync(join(dir, "wrangler.toml"), CONFIG);
  copyFileSync(join(ROOT, "kernels/rsk.wasm"), join(dir, "rsk.bin"));
  const worker = await startHost("workerd", {}, { workerConfig: join(dir, "wrangler.toml") });
  const base = worker.url;
  try {
    const ts = referenceKernels();
    const expected = (params: typeof plain) => ts.sample(logitsFor(ts, Float32Array.from(LOGITS), LOGITS.length), { params });

    const module = await (await fetch(`${base}/module`)).json();
    assert.equal(module.kind, "wasm", worker.log());
    assert.deepEqual(module.lines, []);
    assert.equal(module.isModule, true, "wrangler bundles a .wasm import as a compiled WebAssembly.Module");
    assert.equal(module.importMetaUrl, "undefined", "workerd has no import.meta.url");
    assert.deepEqual(module.greedy, expected({ ...plain, temperature: 0 }));
    assert.equal(module.greedy.token, 1, "argmax, lowest id wins the tie with 4");
    assert.deepEqual(module.seeded, expected(SEEDED));

    const bytes = await (await fetch(`${base}/bytes`)).json();
    assert.equal(bytes.kind, "ts");
    assert.equal(bytes.lines.length, 1);
    assert.match(bytes.lines[0], /^rsk: WASM kernels unavailable \(CompileError: .*disallowed by embedder\): using the TypeScript reference kernels$/);
    assert.deepEqual(bytes.greedy, module.greedy);
    assert.deepEqual(bytes.seeded, module.seeded);
    const logged = Date.now() + 5_000;
    while (!worker.log().includes(bytes.lines[0]) && Date.now() < logged) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(worker.log().includes(bytes.lines[0]), `the fallback line reaches wrangler's output:\n${worker.log()}`);
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
