/**
 * Per-token cost of a pack gate kernel (examples/packs/acme: employee ids, C → WASM) against the same detector as a
 * built-in linear-time regex rule (`EMP-[0-9]{7}` at word boundaries, no check digit), on ~4-char tokens of prose
 * with ids, streamed through one gate stream each; plus a whole-text scan of the same 64 KB.
 *   bun bench/packs.bench.ts          → bench/results/packs.json
 *   deno run -A bench/packs.bench.ts  → bench/results/packs-deno.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { compileGates, type GateRule, type GateSet } from "../src/gates/mod.ts";
import { PackRegistry } from "../src/packs/registry.ts";
import { generatePackKeys, signManifest, trustedKey } from "../src/packs/signature.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const packDir = `${root}examples/packs/acme/`;

// A key made for this run only: the example pack ships unsigned.
const keys = await generatePackKeys();
const manifest = new Uint8Array(readFileSync(`${packDir}kernels.json`));
await new PackRegistry([await trustedKey(JSON.stringify(keys.publicJwk), "bench key")]).install({
  origin: packDir,
  manifest,
  signature: await signManifest(manifest, keys.privateJwk),
  file: async (name) => new Uint8Array(readFileSync(`${packDir}${name}`)),
});

const rules: Record<string, GateRule> = {
  "pack kernel (WASM)": { id: "emp", type: "kernel", pack: "acme", kernel: "employee_id", action: "redact" },
  "regex rule": { id: "emp", type: "regex", pattern: "\\bEMP-[0-9]{7}\\b", action: "redact" },
};
const sets: Record<string, GateSet> = Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, compileGates([rule])]));

const sentence = "Please ask EMP-4020178 about the migration; EMP-1234566 signed off on version 1.2.3 last week. ";
let text = "";
while (text.length < 64 * 1024) text += sentence;
const tokens = text.match(/.{1,4}/gs)!;

for (const [name, set] of Object.entries(sets)) {
  const out = set.scan(text).text;
  if (out.includes("EMP-4020178")) throw new Error(`${name} leaked an id`);
}

summary(() => {
  group(`one stream, ${tokens.length} tokens of ~4 chars (64 KB)`, () => {
    for (const [name, set] of Object.entries(sets)) {
      bench(name, () => {
        const stream = set.open();
        for (const t of tokens) do_not_optimize(stream.push(t));
        do_not_optimize(stream.end());
      });
    }
  });
  group("whole text scan (64 KB)", () => {
    for (const [name, set] of Object.entries(sets)) bench(name, () => do_not_optimize(set.scan(text)));
  });
});

const result = await run();
const rows = result.benchmarks.map((b, i) => {
  const avgNs = b.runs[0]?.stats?.avg ?? NaN;
  return i < 2 ? { case: `stream: ${b.alias}`, avgNs, nsPerToken: Math.round(avgNs / tokens.length) } : { case: `scan: ${b.alias}`, avgNs };
});
const ratio = (a: number, b: number) => (rows[a]!.avgNs / rows[b]!.avgNs).toFixed(2);
console.log(`pack kernel / regex rule: stream ${ratio(0, 1)}×, whole-text scan ${ratio(2, 3)}×`);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/packs${"Bun" in globalThis ? "" : "-deno"}.json`, `${JSON.stringify({ tokens: tokens.length, rows, ratios: { stream: ratio(0, 1), scan: ratio(2, 3) } }, null, 2)}\n`);
