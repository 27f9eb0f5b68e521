/** `rsk pack keygen | sign | verify`, and a served gateway loading a pack from RSK_PACKS and hot-swapping it on re-sign. */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runCli, startGateway, waitForLog } from "../hardening/gateway-process.ts";
import { startScriptedUpstream } from "../server/scripted-upstream.ts";
import { EXAMPLE_PACK } from "./fixture.ts";

/** A scratch folder with a key pair made by `rsk pack keygen` and an unsigned copy of the example pack. */
function scratch(): { dir: string; pack: string; key: string; pub: string } {
  const dir = mkdtempSync(join(tmpdir(), "rsk-pack-cli-"));
  const pack = join(dir, "acme");
  cpSync(EXAMPLE_PACK, pack, { recursive: true });
  const r = runCli(["pack", "keygen", "--out", join(dir, "test")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^key [\w-]{43}: .*test\.private\.jwk .* and .*test\.public\.jwk/);
  return { dir, pack, key: join(dir, "test.private.jwk"), pub: join(dir, "test.public.jwk") };
}

/** Rewrites the pack's manifest through `edit` (unsigned until `rsk pack sign` runs again). */
function editManifest(pack: string, edit: (m: { version: string; kernels: { selfTest: { matches: number[][] }[] }[] }) => void): void {
  const manifest = JSON.parse(readFileSync(join(pack, "kernels.json"), "utf8"));
  edit(manifest);
  writeFileSync(join(pack, "kernels.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

describe("rsk pack CLI", () => {
  test("keygen writes a private key only its owner reads; sign then verify passes; another key or a tampered file fails", { timeout: 60_000 }, () => {
    const s = scratch();
    assert.equal(statSync(s.key).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(s.pub, "utf8")).d, undefined, "the public file holds no private part");
    let r = runCli(["pack", "sign", s.pack, "--key", s.key]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^signed acme 1\.0\.0: .*kernels\.json\.jws/);
    r = runCli(["pack", "verify", s.pack, "--pub", s.pub]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok: acme 1\.0\.0 signed by [\w-]{43}; every kernel passed its self-test: employee_id \(gate\)/);

    const other = scratch();
    r = runCli(["pack", "verify", s.pack, "--pub", other.pub]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^rsk pack verify: kernel pack .*acme: bad signature: signed by key "[\w-]+", which is not among the 1 trusted pack keys/);

    writeFileSync(join(s.pack, "employee_id.wasm"), Buffer.concat([readFileSync(join(s.pack, "employee_id.wasm")), Buffer.from([0])]));
    r = runCli(["pack", "verify", s.pack, "--pub", s.pub]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kernel pack acme: kernel employee_id: hash mismatch/);
    r = runCli(["pack", "sign", s.pack, "--key", s.key]);
    assert.equal(r.status, 1, "sign refuses a manifest whose hashes are wrong");
    assert.match(r.stderr, /employee_id\.wasm has sha256 [0-9a-f]{64}, kernels\.json says [0-9a-f]{64}; refusing to sign/);
  });

  test("the server loads RSK_PACKS, serves the kernel rule, rolls back a bad re-signed version and swaps in a good one", { timeout: 90_000 }, async () => {
    const s = scratch();
    assert.equal(runCli(["pack", "sign", s.pack, "--key", s.key]).status, 0);
    const policy = join(s.dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ name: "default", output: [{ id: "emp", type: "kernel", pack: "acme", kernel: "employee_id", action: "redact" }] }));
    const upstream = startScriptedUpstream();
    upstream.scripts.set("ids", { text: "badge EMP-4020178 ok", chunking: 1 });
    const gateway = await startGateway([], { RSK_UPSTREAM_URL: upstream.url, RSK_POLICY: policy, RSK_PACKS: s.pack, RSK_PACK_KEYS: s.pub });
    try {
      assert.match(gateway.log(), /kernel pack acme 1\.0\.0 loaded from .*acme \(signed by [\w-]+; kernels: employee_id \(gate\)\)/);
      const ask = async () => {
        const res = await fetch(`${gateway.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "ids", messages: [{ role: "user", content: "hi" }] }) });
        return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
      };
      assert.equal(await ask(), "badge [REDACTED] ok");

      let from = gateway.log().length;
      editManifest(s.pack, (m) => ((m.version = "1.0.1"), (m.kernels[0]!.selfTest[0]!.matches = [[0, 1]])));
      assert.equal(runCli(["pack", "sign", s.pack, "--key", s.key]).status, 0);
      await waitForLog(gateway, /kernel pack acme: version 1\.0\.1: kernel employee_id failed its self-test: .* \(rolled back: version 1\.0\.0 stays in service\)/, 1, from);
      assert.equal(await ask(), "badge [REDACTED] ok");

      from = gateway.log().length;
      editManifest(s.pack, (m) => ((m.version = "1.0.2"), (m.kernels[0]!.selfTest[0]!.matches = [[4, 15]])));
      assert.equal(runCli(["pack", "sign", s.pack, "--key", s.key]).status, 0);
      await waitForLog(gateway, /kernel pack acme swapped to version 1\.0\.2/, 1, from);
      assert.equal(await ask(), "badge [REDACTED] ok");
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });

  test("policy check loads RSK_PACKS first, so a kernel rule checks as the server would serve it", { timeout: 60_000 }, () => {
    const s = scratch();
    assert.equal(runCli(["pack", "sign", s.pack, "--key", s.key]).status, 0);
    const policy = join(s.dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ name: "ids", output: [{ id: "emp", type: "kernel", pack: "acme", kernel: "employee_id", action: "redact" }] }));
    let r = runCli(["policy", "check", policy], { RSK_PACKS: s.pack, RSK_PACK_KEYS: s.pub });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok: ids \(policy\.json, [0-9a-f]{12}\)/);
    r = runCli(["policy", "check", policy], { RSK_PACKS: "", RSK_PACK_KEYS: "" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^rsk: invalid policy:[\s\S]*kernel pack "acme" is not loaded \(RSK_PACKS\)/, "a check is not a start-up: no 'cannot start'");
  });

  test("a refused pack stops the server at start, naming the pack and the reason", { timeout: 60_000 }, async () => {
    const s = scratch();
    await assert.rejects(startGateway([], { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", RSK_PACKS: s.pack, RSK_PACK_KEYS: s.pub }),
      /rsk: cannot start: kernel pack .*acme: unsigned \(no kernels\.json\.jws\)/);
  });
});
