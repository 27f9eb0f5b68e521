/** A gate kernel over its per-call budget is quarantined: that request and every later one using it fail closed. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { APIError } from "openai";
import { compileGates } from "../../src/gates/mod.ts";
import type { PackKernelInfo } from "../../src/gates/kernel/kernel.ts";
import { fuelFor } from "../../src/packs/fuel.ts";
import { PackRegistry } from "../../src/packs/registry.ts";
import { startHarness } from "../server/harness.ts";
import { packFiles, sha256, spinKernel, spinning, testKey } from "./fixture.ts";

/** Installs the spinning kernel as pack `id` (global table); returns the quarantine reports. */
async function installSpin(id: string): Promise<{ label: string; reason: string }[]> {
  const key = await testKey();
  const quarantined: { label: string; reason: string }[] = [];
  const registry = new PackRegistry([key.trusted], { quarantined: (k: PackKernelInfo, reason) => quarantined.push({ label: k.label, reason }) });
  await registry.install(await packFiles({ key, files: { "spin.wasm": spinKernel() }, manifest: (m) => ((m.id = id), spinning(m)) }));
  return quarantined;
}

describe("gate kernel time budget", () => {
  test("the first call over budget throws and quarantines the kernel; later streams fail without calling it", async () => {
    const quarantined = await installSpin("spin-unit");
    const gates = compileGates([{ id: "spin", type: "kernel", pack: "spin-unit", kernel: "spin", action: "redact" }]);
    assert.throws(() => gates.open().push("hello"), /^KernelGateError: gate kernel spin-unit\/spin@1\.0\.0: a call on 5 units took [\d.]+ ms, over its 1 ms budget$/);
    assert.equal(quarantined.length, 1);
    assert.equal(quarantined[0]!.label, "spin-unit/spin@1.0.0");
    const t0 = performance.now();
    assert.throws(() => gates.scan("hello again"), /gate kernel spin-unit\/spin@1\.0\.0: quarantined: a call on 5 units took/);
    assert.ok(performance.now() - t0 < 1000, "a quarantined kernel is not called again");
    assert.equal(quarantined.length, 1);
  });

  test("a kernel that never returns runs out of its loop fuel: the call traps, the kernel is quarantined", { timeout: 30_000 }, async () => {
    const key = await testKey();
    const forever = spinKernel(1, 1, false, true);
    const quarantined: string[] = [];
    await new PackRegistry([key.trusted], { quarantined: (_k, reason) => quarantined.push(reason) }).install(await packFiles({
      key, files: { "spin.wasm": forever }, manifest: (m) => ((m.id = "forever-unit"), spinning(m, forever)),
    }));
    const gates = compileGates([{ id: "forever", type: "kernel", pack: "forever-unit", kernel: "spin", action: "redact" }]);
    const t0 = performance.now();
    assert.throws(() => gates.scan("abc"), new RegExp(`^KernelGateError: gate kernel forever-unit/spin@1\\.0\\.0: failed: ran out of fuel: over ${fuelFor(1)} loop iterations and calls in one call`));
    const ms = performance.now() - t0;
    assert.deepEqual(quarantined, [`failed: ran out of fuel: over ${fuelFor(1)} loop iterations and calls in one call (a kernel that may never return)`]);
    assert.throws(() => gates.scan("abc"), /quarantined: failed: ran out of fuel/);
    console.log(`a never-returning gate kernel under a 1 ms budget trapped after ${ms.toFixed(0)} ms (${fuelFor(1)} units of fuel)`);
  });

  test("a kernel answering outside its window is quarantined on that call", async () => {
    const key = await testKey();
    const bogus = spinKernel(0, 1, true);
    await new PackRegistry([key.trusted]).install(await packFiles({
      key, files: { "spin.wasm": bogus }, manifest: (m) => ((m.id = "bogus-unit"), spinning(m), (m.kernels[0]!.sha256 = sha256(bogus))),
    }));
    const gates = compileGates([{ id: "bogus", type: "kernel", pack: "bogus-unit", kernel: "spin", action: "redact" }]);
    assert.throws(() => gates.scan("abc"), /^KernelGateError: gate kernel bogus-unit\/spin@1\.0\.0: failed: rsk_gate_scan reported the match 0\.\.0 outside the window 0\.\.3$/);
    assert.throws(() => gates.scan("abc"), /quarantined: failed: rsk_gate_scan reported the match 0\.\.0/);
  });

  test("through the gateway: the response fails closed (content_blocked, gate_error) and nothing of the text leaks", { timeout: 30_000 }, async () => {
    await installSpin("spin-gateway");
    const dir = mkdtempSync(join(tmpdir(), "rsk-pack-policy-"));
    const policy = join(dir, "spin.json");
    writeFileSync(policy, JSON.stringify({ name: "default", onError: "block", output: [{ id: "spin", type: "kernel", pack: "spin-gateway", kernel: "spin", action: "redact" }] }));
    const h = startHarness({ policy });
    try {
      for (const attempt of [1, 2]) {
        h.upstream.scripts.set("spin", { text: "a secret that must not pass", chunking: 2 });
        const stream = await h.client.chat.completions.create({ model: "spin", stream: true, messages: [{ role: "user", content: "go" }] });
        let out = "";
        await assert.rejects(async () => {
          for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? "";
        }, (err: unknown) => {
          assert.ok(err instanceof APIError, String(err));
          assert.match(err.message, /the completion was blocked by policy "default" \(rule "gate_error"\)/, `attempt ${attempt}`);
          return true;
        });
        assert.equal(out, "", `attempt ${attempt} released ${JSON.stringify(out)}`);
      }
    } finally {
      await h.close();
    }
  });
});
