/** Real gateway process: a watched policy file deleted, truncated mid-write, invalid or huge → last good stays, error logged. */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ScriptedUpstream, startScriptedUpstream } from "../server/scripted-upstream.ts";
import { tempDir } from "./fixtures.ts";
import { type GatewayProcess, startGateway, waitForLog } from "./gateway-process.ts";

const policy = (replacement: string) => JSON.stringify({
  name: "default",
  output: [{ id: "sauce", type: "phrases", phrases: ["secret sauce"], action: "redact", replacement }],
}, null, 2);

describe("policy files going bad while watched (real gateway process)", () => {
  const tmp = tempDir("policy-faults");
  const file = join(tmp.dir, "policy.json");
  let upstream: ScriptedUpstream;
  let gw: GatewayProcess;
  let goodVersion = "";

  before(async () => {
    writeFileSync(file, policy("[V1]"));
    upstream = startScriptedUpstream();
    upstream.scripts.set("m", { text: "the secret sauce is ketchup", chunking: 4 });
    gw = await startGateway(["--upstream", upstream.url, "--policy", file]);
  });
  after(async () => {
    await gw?.stop();
    await upstream.close();
    tmp.remove();
  });

  async function served(): Promise<{ version: string; content: string }> {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    return { version: res.headers.get("x-rsk-policy-version")!, content: body.choices[0]!.message.content };
  }

  test("the starting policy serves", async () => {
    const s = await served();
    assert.equal(s.content, "the [V1] is ketchup");
    goodVersion = s.version;
  });

  const faults: [string, () => void, RegExp][] = [
    ["deleted", () => rmSync(file), /cannot read/],
    ["truncated mid-write", () => writeFileSync(file, policy("[V2]").slice(0, 60)), /not valid JSON/],
    ["invalid (schema)", () => writeFileSync(file, JSON.stringify({ name: "default", output: [{ id: "x", type: "regex", pattern: "(a", action: "block" }] })), /\$\.output\[0\]\.pattern/],
    ["a ReDoS-shaped regex with a backreference", () => writeFileSync(file, JSON.stringify({ name: "default", output: [{ id: "x", type: "regex", pattern: "(a+)+\\1", action: "block" }] })), /\$\.output\[0\]\.pattern/],
    ["huge", () => writeFileSync(file, policy("[V3]") + " ".repeat(5 * 1024 * 1024)), /larger than 4194304 bytes/],
    ["not text", () => writeFileSync(file, new Uint8Array(4096).map((_, i) => (i * 131) & 0xff)), /not valid JSON/],
  ];
  for (const [name, apply, reason] of faults) {
    test(`${name} → error logged, the last good policy stays`, { timeout: 30_000 }, async () => {
      const seen = gw.log().length;
      apply();
      await waitForLog(gw, reason, 1, seen);
      assert.match(gw.log().slice(seen), /policy reload failed, keeping the last good policies/);
      const s = await served();
      assert.deepEqual(s, { version: goodVersion, content: "the [V1] is ketchup" });
    });
  }

  test("a good file again is picked up", { timeout: 30_000 }, async () => {
    const seen = gw.log().length;
    writeFileSync(file, policy("[V4]"));
    await waitForLog(gw, /policies reloaded/, 1, seen);
    // Rewriting a file can fire several change events; wait until the new version serves.
    for (let i = 0; i < 100 && (await served()).content !== "the [V4] is ketchup"; i++) await new Promise((r) => setTimeout(r, 50));
    const s = await served();
    assert.equal(s.content, "the [V4] is ketchup");
    assert.notEqual(s.version, goodVersion);
  });
});
