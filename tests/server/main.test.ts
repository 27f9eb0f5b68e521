/** The CLI entry as users run it (`npm start` / `deno task start`): real processes on Bun and on Deno. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIMES = {
  bun: [`${root}node_modules/.bin/bun`, `${root}src/main.ts`],
  deno: [`${root}node_modules/.bin/deno`, "run", "-A", `--config=${root}deno.json`, `${root}src/main.ts`],
  "deno task": [`${root}node_modules/.bin/deno`, "task", "start"],
} as const;

/** Starts the gateway process and resolves with its URL once it logs that it listens. */
function start(runtime: keyof typeof RUNTIMES, args: string[]): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const [bin, ...pre] = RUNTIMES[runtime];
  const child = spawn(bin, [...pre, ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PORT: "0" } });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) resolve({ url: m[1]!, child, log: () => err });
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe("CLI entry", () => {
  let upstream: ScriptedUpstream;
  before(() => (upstream = startScriptedUpstream()));
  after(() => upstream.close());

  for (const runtime of Object.keys(RUNTIMES) as (keyof typeof RUNTIMES)[]) {
    test(`${runtime}: serves gated completions from an upstream and exits cleanly on SIGTERM`, { timeout: 60_000 }, async () => {
      const { url, child, log } = await start(runtime, ["--upstream", upstream.url]);
      try {
        upstream.scripts.set("cli", { text: "ping me at q@example.net", chunking: 2 });
        const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "k", maxRetries: 0 });
        const res = await client.chat.completions.create({ model: "cli", messages: [{ role: "user", content: "x" }] });
        assert.equal(res.choices[0]?.message.content, "ping me at [EMAIL]");
      } finally {
        const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
        child.kill("SIGTERM");
        const code = await exited;
        // Deno 2.9's node:child_process reports (null, "SIGTERM") even when the child handled it and exited 0.
        assert.ok(code === 0 || (code === null && "Deno" in globalThis), `exit code ${code}`);
        assert.match(log(), /rsk: stopped/);
      }
    });
  }

  test("a bad setting stops start-up naming the flag and the variable", () => {
    const [bin, ...pre] = RUNTIMES.bun;
    const run = spawnSync(bin, [...pre, "--upstream", "ftp://x"], { encoding: "utf8", env: { ...process.env, PORT: "http", RSK_GRAMMAR_CACHE_MB: "0" }, timeout: 20_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /--port \/ PORT="http": must be a whole number/);
    assert.match(run.stderr, /--grammar-cache-mb \/ RSK_GRAMMAR_CACHE_MB="0": Invalid value: Expected >=1/);
    assert.match(run.stderr, /--upstream \/ RSK_UPSTREAM_URL="ftp:\/\/x": must be http or https/);
  });

  test("a missing or corrupt GGUF stops start-up with llama.cpp's reason", () => {
    const [bin, ...pre] = RUNTIMES.bun;
    const missing = spawnSync(bin, [...pre, "--model", "/nonexistent/model.gguf"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot start: model file not found: \/nonexistent\/model\.gguf/);
    const corrupt = join(mkdtempSync(join(tmpdir(), "rsk-gguf-")), "bad.gguf");
    writeFileSync(corrupt, "not a gguf file at all");
    const bad = spawnSync(bin, [...pre, "--model", corrupt], { encoding: "utf8", timeout: 30_000 });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot start: cannot load GGUF model .*bad\.gguf: .*invalid magic/);
  });

  test("policy check validates files like the server does", () => {
    const [bin, ...pre] = RUNTIMES.bun;
    const ok = spawnSync(bin, [...pre, "policy", "check", `${root}policies`], { encoding: "utf8", timeout: 20_000 });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^ok: default \(default\.json, [0-9a-f]{12}\)/);
  });
});
