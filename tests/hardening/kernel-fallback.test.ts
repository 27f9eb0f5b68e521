/**
 * Real gateway processes on the local backend, each from a copy of the checkout whose native kernel library is missing
 * or tampered (the committed build is never touched): the gateway falls back to WASM (or the TS reference), logs the
 * reason, and serves.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ROOT, tempDir } from "./fixtures.ts";
import { startGateway } from "./gateway-process.ts";

// The fixture-model generator's sources are imported by the local backend; its 50 MB output is not copied (--model).
const FIXTURE_SOURCES = readdirSync(`${ROOT}tests/fixture`).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => `tests/fixture/${f}`);
const COPIED = ["src", "ffi", "policies", "kernels/build", "kernels/rsk.wasm", "kernels/llama/build", "deno.json", "package.json", ...FIXTURE_SOURCES];
const MODEL = `${ROOT}tests/fixture/out/fixture.gguf`;

/** A copy of what the gateway loads at run time (node_modules linked), for one fault. */
function checkoutCopy(dir: string): string {
  for (const path of COPIED) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return `${dir}/`;
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at % bytes.length]! ^= 0x01;
  writeFileSync(path, bytes);
}

describe("native kernel library missing or tampered (real gateway process, local backend)", () => {
  const cases: [string, (root: string) => void, RegExp, string][] = [
    ["missing", (r) => rmSync(`${r}kernels/build/librsk.so`), /native kernels unavailable, falling back: librsk: library missing/, "wasm"],
    ["one byte flipped", (r) => flipByte(`${r}kernels/build/librsk.so`, 4097), /native kernels unavailable, falling back: librsk: sha256 mismatch, refusing to dlopen/, "wasm"],
    ["replaced by garbage with a matching manifest", (r) => {
      writeFileSync(`${r}kernels/build/librsk.so`, "not an ELF file");
      const manifest = JSON.parse(readFileSync(`${r}kernels/build/manifest.json`, "utf8"));
      manifest.sha256 = createHash("sha256").update("not an ELF file").digest("hex"); // passes the hash check, fails dlopen
      writeFileSync(`${r}kernels/build/manifest.json`, JSON.stringify(manifest));
    }, /native kernels unavailable, falling back: librsk: dlopen failed/, "wasm"],
    ["native missing and rsk.wasm corrupted", (r) => {
      rmSync(`${r}kernels/build/librsk.so`);
      writeFileSync(`${r}kernels/rsk.wasm`, "\0asm garbage");
    }, /wasm kernels unavailable, falling back: rsk\.wasm: cannot instantiate/, "ts"],
  ];
  const dirs: (() => void)[] = [];
  after(() => dirs.forEach((remove) => remove()));

  for (const [name, damage, reason, kind] of cases) {
    test(`${name} → ${kind} kernels, reason logged, completions served`, { timeout: 90_000 }, async () => {
      const tmp = tempDir("kernels");
      dirs.push(tmp.remove);
      const root = checkoutCopy(tmp.dir);
      damage(root);
      const gw = await startGateway(["--model", MODEL, "--n-seq-max", "2", "--ctx-per-seq", "256"], { RSK_KERNELS: "" }, root);
      try {
        assert.match(gw.log(), reason);
        assert.match(gw.log(), new RegExp(`listening on .*\\b${kind} kernels`));
        const res = await fetch(`${gw.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "fixture", prompt: "hello", max_tokens: 4, seed: 1 }),
        });
        assert.equal(res.status, 200, await res.clone().text());
        const body = (await res.json()) as { choices: { text: string }[] };
        assert.equal(typeof body.choices[0]?.text, "string");
      } finally {
        await gw.stop();
      }
    });
  }
});
