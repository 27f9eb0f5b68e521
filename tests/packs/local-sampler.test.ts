/**
 * A pack's sampler kernel chosen by a request (`sampler_kernel`) on the local backend: the decode loop samples the
 * request's sequences in one batched call on the pack kernel, drawing the seeded tokens rsk's own kernels draw.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { APIError } from "openai";
import { GateKernelTable } from "../../src/gates/kernel/table.ts";
import type { PackKernelInfo } from "../../src/gates/kernel/kernel.ts";
import { PackRegistry } from "../../src/packs/registry.ts";
import { type LocalHarness, startLocalHarness } from "../server/local-harness.ts";
import { packFiles, sha256, testKey } from "./fixture.ts";

const RSK_WASM = new Uint8Array(readFileSync(new URL("../../kernels/rsk.wasm", import.meta.url)));

describe("pack sampler kernels in the local decode loop, through the gateway", () => {
  let h: LocalHarness | undefined;
  after(() => h?.close());
  /** Pack calls heard by the registry's observer: rows per batch call (undefined: a single-row sample call). */
  const calls: (number | undefined)[] = [];

  /** The gateway on the fixture model, started on first use after the pack (rsk.wasm as sampler kernel "rsk") installs. */
  async function gateway(): Promise<LocalHarness> {
    if (h) return h;
    const key = await testKey();
    const registry = new PackRegistry([key.trusted], { called: (k: PackKernelInfo, _s: number, rows?: number) => void (k.kind === "sampler" && calls.push(rows)) }, new GateKernelTable());
    await registry.install(await packFiles({
      key, files: { "sampler.wasm": RSK_WASM },
      manifest: (m) => {
        m.id = "sampler-local";
        m.kernels = [{ name: "rsk", kind: "sampler", file: "sampler.wasm", sha256: sha256(RSK_WASM), budgetMs: 50, selfTest: [{ logits: [0, 3, 1, 2], params: { temperature: 0 }, token: 1 }] }];
      },
    }));
    return (h = await startLocalHarness());
  }

  test("n = 4 seeded choices: one batched pack call per step, the same text as rsk's built-in kernels", { timeout: 120_000 }, async () => {
    const g = await gateway();
    const request = { model: "fixture", seed: 11, n: 4, max_tokens: 12, temperature: 0.9, top_k: 30, top_p: 0.95, messages: [{ role: "user" as const, content: "tell me a story" }] };
    const builtIn = await g.client.chat.completions.create(request);
    const steps = g.backend.engine.stats.batchedSteps;
    calls.length = 0;
    const packed = await g.client.chat.completions.create({ ...request, sampler_kernel: "sampler-local/rsk" } as typeof request);
    assert.deepEqual(packed.choices.map((c) => c.message.content), builtIn.choices.map((c) => c.message.content));
    assert.ok(calls.length > 0 && calls.every((rows) => rows !== undefined), `pack calls: ${JSON.stringify(calls)}`);
    assert.ok(calls.some((rows) => rows === 4), `a step sampled all 4 choices in one pack call: ${JSON.stringify(calls)}`);
    assert.ok(g.backend.engine.stats.batchedSteps - steps >= calls.length);
  });

  test("a sampler_kernel that is not loaded, or malformed, is a 400 naming the field", { timeout: 60_000 }, async () => {
    const g = await gateway();
    for (const [name, message] of [["sampler-local/nope", /sampler_kernel "sampler-local\/nope" is not loaded \(loaded: .*sampler-local\/rsk/], ["Bad Name", /sampler_kernel: sampler_kernel must be "pack\/kernel"/]] as const) {
      await assert.rejects(
        g.client.chat.completions.create({ model: "fixture", max_tokens: 2, messages: [{ role: "user", content: "hi" }], sampler_kernel: name } as never),
        (err: unknown) => err instanceof APIError && err.status === 400 && message.test(err.message),
      );
    }
  });
});
