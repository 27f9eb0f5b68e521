/**
 * ffi/edge.ts on the real workerd, through `wrangler dev --local` (offline): the imported rsk.wasm (a CompiledWasm
 * module) binds as the WASM kernels and samples like the TS reference; the same module's bytes are refused by the
 * host, so the worker falls back to the reference and logs why.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { referenceKernels } from "../../ffi/reference.ts";
import { logitsFor, plain } from "../kernels/impls.ts";
import { missingTools } from "../system-tools.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
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

/** Two distinct free TCP ports on 127.0.0.1 (held open together so they differ, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
    servers.push(server);
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Signals wrangler's whole process group (node, node, two workerd); a group already gone is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

test("workerd: the imported rsk.wasm Module gives WASM kernels; its bytes are refused and fall back, logged", {
  skip: missingTools(["node", "--version"]),
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rsk-wasm-workerd-"));
  writeFileSync(join(dir, "worker.js"), WORKER);
  writeFileSync(join(dir, "wrangler.toml"), CONFIG);
  copyFileSync(join(ROOT, "kernels/rsk.wasm"), join(dir, "rsk.bin"));
  mkdirSync(join(dir, "config"));
  const [port, inspector] = await freePorts(2);
  const child = spawn(join(ROOT, "node_modules/.bin/wrangler"), [
    "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
    "--config", join(dir, "wrangler.toml"), "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false",
  ], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", XDG_CONFIG_HOME: join(dir, "config") },
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`wrangler exited ${child.exitCode} before ready:\n${log}`);
      if (Date.now() > deadline) throw new Error(`wrangler not ready after 60 s:\n${log}`);
      const ok = await fetch(`${base}/ready`).then((r) => r.text().then((t) => r.ok && t === "ok"), () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const ts = referenceKernels();
    const expected = (params: typeof plain) => ts.sample(logitsFor(ts, Float32Array.from(LOGITS), LOGITS.length), { params });

    const module = await (await fetch(`${base}/module`)).json();
    assert.equal(module.kind, "wasm", log);
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
    while (!log.includes(bytes.lines[0]) && Date.now() < logged) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(log.includes(bytes.lines[0]), `the fallback line reaches wrangler's output:\n${log}`);
  } finally {
    // SIGTERM to wrangler lets it stop its workerd children (wrangler.js forwards it); it does not wait for them,
    // so SIGKILL then sweeps whatever of the group is still running.
    child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    killGroup(child.pid!, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
