/** Hot swap: a new pack version replaces the old atomically for new streams; one failing its self-test is rolled back. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";
import { gateKernels } from "../../src/gates/kernel/table.ts";
import { PackError } from "../../src/packs/open.ts";
import { PackRegistry } from "../../src/packs/registry.ts";
import { gateEntry, packFiles, spinKernel, spinning, testKey } from "./fixture.ts";

/** A redact rule on pack `pack`'s kernel `kernel`. */
const rule = (pack: string, kernel = "employee_id"): GateRule => ({ id: "emp", type: "kernel", pack, kernel, action: "redact" });

describe("kernel pack hot swap", () => {
  test("a new version failing its self-test is rolled back: the old version keeps serving, its error names both", async () => {
    const key = await testKey();
    const registry = new PackRegistry([key.trusted]);
    await registry.install(await packFiles({ key, manifest: (m) => void (m.id = "acme-rollback") }));
    const gates = compileGates([rule("acme-rollback")]);
    const broken = packFiles({
      key,
      manifest: (m) => {
        m.id = "acme-rollback";
        m.version = "1.0.1";
        gateEntry(m).selfTest[0]!.matches = [[4, 14]];
      },
    });
    await assert.rejects(registry.install(await broken), (err: unknown) => {
      assert.ok(err instanceof PackError);
      assert.equal(err.message,
        'kernel pack acme-rollback: version 1.0.1: kernel employee_id failed its self-test: golden vector 0 ("Ask EMP-4020178 about it."): ' +
        "expected [[4,14]], got [[4,15]] (rolled back: version 1.0.0 stays in service)");
      return true;
    });
    assert.equal(registry.get("acme-rollback")?.version, "1.0.0");
    assert.equal(gateKernels.get("acme-rollback", "employee_id")?.spec.version, "1.0.0");
    assert.equal(gates.scan("badge EMP-4020178.").text, "badge [REDACTED].");
  });

  test("a kernel overrunning its budget on a golden vector fails its self-test and is not installed (nor reported as quarantined)", async () => {
    const key = await testKey();
    const quarantines: string[] = [];
    const registry = new PackRegistry([key.trusted], { quarantined: (k) => void quarantines.push(k.label) });
    const files = packFiles({
      key, files: { "spin.wasm": spinKernel() },
      manifest: (m) => {
        m.id = "spin-selftest";
        spinning(m);
        m.kernels[0]!.selfTest = [{ text: "x", matches: [] }];
      },
    });
    await assert.rejects(registry.install(await files), /^PackError: kernel pack spin-selftest: version 1\.0\.0: kernel spin failed its self-test: golden vector 0: gate kernel spin-selftest\/spin@1\.0\.0: a call on 1 units took [\d.]+ ms, over its 1 ms budget \(not loaded: the built-in gates and kernels stay\)$/);
    assert.equal(gateKernels.has("spin-selftest"), false);
    assert.deepEqual(quarantines, []);
  });

  test("a swap is atomic per stream: a stream opened before it finishes on the old kernel, new streams get the new one", async () => {
    const key = await testKey();
    const registry = new PackRegistry([key.trusted]);
    await registry.install(await packFiles({ key, manifest: (m) => void (m.id = "acme-hot") }));
    const gates = compileGates([rule("acme-hot", "employee_id")]);
    const before = gates.open();
    let out = before.push("badge EMP-402").text;
    // Version 2 holds only the spinning kernel, under the same name: any stream using it fails.
    await registry.install(await packFiles({
      key, files: { "spin.wasm": spinKernel() },
      manifest: (m) => {
        m.id = "acme-hot";
        m.version = "2.0.0";
        spinning(m);
        m.kernels[0]!.name = "employee_id";
        gateEntry(m).maxLength = 11;
      },
    }));
    assert.equal(registry.get("acme-hot")?.version, "2.0.0");
    out += before.push("0178, welcome").text + before.end().text;
    assert.equal(out, "badge [REDACTED], welcome");
    const after = gates.open();
    assert.throws(() => after.push("badge EMP-4020178"), /gate kernel acme-hot\/employee_id@2\.0\.0: a call on \d+ units took [\d.]+ ms, over its 1 ms budget/);
  });
});

describe("kernel rules in policies", () => {
  test("a rule naming a pack or kernel that is not loaded, or a maxLength under the kernel's, is a compile error naming the field", async () => {
    const key = await testKey();
    await new PackRegistry([key.trusted]).install(await packFiles({ key, manifest: (m) => void (m.id = "acme-rules") }));
    assert.throws(() => compileGates([rule("no-such-pack")]), /\[0\.pack\] kernel pack "no-such-pack" is not loaded \(RSK_PACKS\)/);
    assert.throws(() => compileGates([rule("acme-rules", "nope")]), /\[0\.kernel\] pack "acme-rules" has no gate kernel "nope"/);
    assert.throws(() => compileGates([{ ...rule("acme-rules"), maxLength: 8 } as GateRule]),
      /\[0\.maxLength\] 8 is shorter than the longest match gate kernel acme-rules\/employee_id@1\.0\.0 declares \(11\)/);
    const gates = compileGates([{ ...rule("acme-rules"), action: "mask", maxLength: 32 } as GateRule]);
    assert.equal(gates.scan("id EMP-4020178").text, "id ***-***0178");
  });
});
