/** Loading packs: only a pack signed by a trusted key, with every hash matching and the right ABI, is installed. */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { GateKernelTable } from "../../src/gates/kernel/table.ts";
import { readPackFolder } from "../../src/packs/folder.ts";
import { PackError } from "../../src/packs/open.ts";
import { PackRegistry } from "../../src/packs/registry.ts";
import { packFiles, packFolder, sha256, spinKernel, testKey } from "./fixture.ts";

/** A registry trusting `keys`, publishing into its own table (so tests never touch the process's). */
function registry(...keys: Awaited<ReturnType<typeof testKey>>[]): { registry: PackRegistry; table: GateKernelTable } {
  const table = new GateKernelTable();
  return { registry: new PackRegistry(keys.map((k) => k.trusted), {}, table), table };
}

/** Installing is refused with a PackError whose message matches `reason`; nothing is published. */
async function refused(r: { registry: PackRegistry; table: GateKernelTable }, files: Promise<ReturnType<typeof readPackFolder>>, reason: RegExp): Promise<void> {
  await assert.rejects(r.registry.install(await files), (err: unknown) => {
    assert.ok(err instanceof PackError, String(err));
    assert.match(err.message, reason);
    assert.match(err.message, /^kernel pack \S+: /);
    return true;
  });
  assert.equal(r.table.has("acme"), false);
  assert.equal(r.registry.get("acme"), undefined);
}

describe("kernel pack loading", () => {
  test("a pack signed by a trusted key installs, passes its self-test and publishes its gate kernel", async () => {
    const key = await testKey();
    const r = registry(key);
    const pack = await r.registry.install(await packFiles({ key }));
    assert.equal(pack.id, "acme");
    assert.equal(pack.version, "1.0.0");
    assert.equal(pack.signer, key.trusted.kid);
    assert.deepEqual([...pack.gates.keys()], ["employee_id"]);
    assert.equal(r.table.get("acme", "employee_id"), pack.gates.get("employee_id"));
  });

  test("a pack signed by another key is refused as a bad signature", async () => {
    const [key, other] = [await testKey(), await testKey()];
    await refused(registry(key), packFiles({ key: other }), /^kernel pack \/.*: bad signature: signed by key "[\w-]+", which is not among the 1 trusted pack keys/);
  });

  test("a forged signature (trusted kid, wrong signature bytes) is refused", async () => {
    const key = await testKey();
    const dir = await packFolder({ key });
    const files = readPackFolder(dir);
    const [header, , signature] = files.signature!.trim().split(".");
    const flipped = signature!.startsWith("A") ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
    writeFileSync(join(dir, "kernels.json.jws"), `${header}..${flipped}`);
    await refused(registry(key), Promise.resolve(readPackFolder(dir)), /bad signature: the signature does not verify against trusted key/);
  });

  test("a manifest changed after signing is refused (the signature covers its exact bytes)", async () => {
    const key = await testKey();
    const dir = await packFolder({ key });
    const files = readPackFolder(dir);
    const text = new TextDecoder().decode(files.manifest).replace(/"budgetMs": \d+/, '"budgetMs": 999');
    writeFileSync(join(dir, "kernels.json"), text);
    await refused(registry(key), Promise.resolve(readPackFolder(dir)), /bad signature: the signature does not verify/);
  });

  test("an unsigned pack is refused", async () => {
    const key = await testKey();
    await refused(registry(key), packFiles(), /unsigned \(no kernels\.json\.jws\)/);
  });

  test("a kernel file whose sha256 differs from the signed manifest is refused as a hash mismatch", async () => {
    const key = await testKey();
    const dir = await packFolder({ key });
    writeFileSync(join(dir, "employee_id.wasm"), spinKernel());
    await refused(registry(key), Promise.resolve(readPackFolder(dir)), /^kernel pack acme: kernel employee_id: hash mismatch: employee_id\.wasm has sha256 [0-9a-f]{64}, the signed manifest says [0-9a-f]{64} \(not loaded: the built-in gates and kernels stay\)$/);
  });

  test("a missing kernel file is refused", async () => {
    const key = await testKey();
    const dir = await packFolder({ key });
    rmSync(join(dir, "employee_id.wasm"));
    await refused(registry(key), Promise.resolve(readPackFolder(dir)), /kernel employee_id: employee_id\.wasm is missing/);
  });

  test("a pack built for another ABI is refused, though correctly signed", async () => {
    const key = await testKey();
    await refused(registry(key), packFiles({ key, manifest: (m) => void (m.abi = 2) }), /^kernel pack acme: ABI mismatch: the pack is built for ABI 2, this rsk loads ABI 1/);
  });

  test("a module whose rsk_gate_abi() disagrees with the manifest is refused", async () => {
    const key = await testKey();
    const abi = spinKernel(1, 7);
    await refused(registry(key), packFiles({
      key, files: { "spin.wasm": abi },
      manifest: (m) => void (m.kernels = [{ name: "spin", kind: "gate", file: "spin.wasm", sha256: sha256(abi), maxLength: 16, budgetMs: 1, selfTest: [{ text: "", matches: [] }] }]),
    }), /kernel spin: rsk_gate_abi\(\) is 7, this rsk speaks gate ABI 1/);
  });

  test("an invalid manifest is refused listing its problems by JSON path", async () => {
    const key = await testKey();
    await refused(registry(key), packFiles({ key, manifest: (m) => void (m.kernels[0]!.sha256 = "XYZ") }), /invalid kernels\.json:\n {2}kernels\.json: \$\.kernels\.0\.sha256: must be 64 lowercase hex digits/);
  });

  test("no trusted keys configured: every pack is refused", async () => {
    const key = await testKey();
    await refused(registry(), packFiles({ key }), /no trusted pack keys are configured \(RSK_PACK_KEYS\)/);
  });
});
