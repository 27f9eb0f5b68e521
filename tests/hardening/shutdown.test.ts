/** Real processes: audit records batched in memory survive SIGTERM; `rsk audit verify` and `rsk auth hash-key` CLIs. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ScriptedUpstream, startScriptedUpstream } from "../server/scripted-upstream.ts";
import { authFile, KEYS, ROOT, sha256Hex, tempDir, writeJson } from "./fixtures.ts";
import { runCli, startGateway } from "./gateway-process.ts";

const AUDIT_KEY = "sigterm-test-key-0123456789";
const REQUESTS = 12;

describe("audit log across SIGTERM (real gateway process)", () => {
  const tmp = tempDir("sigterm");
  const log = join(tmp.dir, "audit.jsonl");
  let upstream: ScriptedUpstream;
  before(() => (upstream = startScriptedUpstream()));
  after(async () => {
    await upstream.close();
    tmp.remove();
  });

  test("records still pending at SIGTERM are written, sealed and verify", { timeout: 60_000 }, async () => {
    const auth = writeJson(tmp.dir, "auth.json", authFile());
    // A one-minute batch interval: nothing reaches the file before the signal unless shutdown flushes it.
    const gw = await startGateway(["--upstream", upstream.url, "--auth", auth], {
      RSK_AUDIT_LOG: log,
      RSK_AUDIT_KEY: AUDIT_KEY,
      RSK_AUDIT_FLUSH_MS: "60000",
    });
    let code: number | null;
    try {
      assert.match(gw.log(), /auth: 4 API key\(s\), rate limits: memory, audit: /);
      upstream.scripts.set("pii", { text: "write to a@example.com", chunking: 5 });
      for (let i = 0; i < REQUESTS; i++) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.admin}` },
          body: JSON.stringify({ model: "pii", stream: i % 2 === 0, messages: [{ role: "user", content: "hi" }] }),
        });
        assert.equal(res.status, 200);
        await res.text();
      }
      assert.equal((await fetch(`${gw.url}/v1/models`)).status, 401);
      assert.deepEqual(readFileSync(log, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l).event), ["open"], "records are batched: only the open record is written at start");
    } finally {
      code = await gw.stop();
    }
    // Deno 2.9's node:child_process reports (null, "SIGTERM") even when the child handled it and exited 0.
    assert.ok(code === 0 || (code === null && "Deno" in globalThis), `exit code ${code}\n${gw.log()}`);
    const records = readFileSync(log, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.filter((r) => r.event === "decision" && r.rule === "email").length, REQUESTS);
    assert.equal(records.filter((r) => r.event === "auth").length, 1);
    assert.equal(records.at(-1)!.event, "close");

    const verify = runCli(["audit", "verify", log], { RSK_AUDIT_KEY: AUDIT_KEY });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, new RegExp(`^ok: ${records.length} records, closed cleanly; last mac [0-9a-f]{64}`));
  });

  test("audit verify names the first bad line and exits 1", () => {
    const lines = readFileSync(log, "utf8").trimEnd().split("\n");
    const tampered = join(tmp.dir, "tampered.jsonl");
    writeFileSync(tampered, [...lines.slice(0, 3), ...lines.slice(4)].map((l) => `${l}\n`).join(""));
    const run = runCli(["audit", "verify", tampered], { RSK_AUDIT_KEY: AUDIT_KEY });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /^FAIL: .*tampered\.jsonl:4 \(seq 4\): seq 4 where 3 was expected/);
    const wrongKey = runCli(["audit", "verify", log], { RSK_AUDIT_KEY: "not-the-key-0123456789" });
    assert.equal(wrongKey.status, 1);
    assert.match(wrongKey.stdout, /:1 \(seq 0\): MAC does not match/);
  });

  test("auth hash-key prints the sha256 the auth file wants, from an argument or stdin", () => {
    const arg = runCli(["auth", "hash-key", "sk-some-key"]);
    assert.equal(arg.stdout.trim(), sha256Hex("sk-some-key"));
    const stdin = runCli(["auth", "hash-key"], {}, "sk-some-key\n");
    assert.equal(stdin.stdout.trim(), sha256Hex("sk-some-key"), stdin.stderr);
  });

  test("an audit log without a key, or a bad auth file, stops start-up with a clear message", () => {
    const noKey = runCli(["--upstream", upstream.url], { RSK_AUDIT_LOG: log, RSK_AUDIT_KEY: "" });
    assert.equal(noKey.status, 1);
    assert.match(noKey.stderr, /RSK_AUDIT_LOG needs RSK_AUDIT_KEY/);
    const bad = writeJson(tmp.dir, "bad-auth.json", { keys: [{ id: "x", sha256: "nope" }] });
    const badAuth = runCli(["--upstream", upstream.url, "--auth", bad]);
    assert.equal(badAuth.status, 1);
    assert.match(badAuth.stderr, /bad-auth\.json: \$\.keys\[0\]\.sha256: sha256 must be 64 lowercase hex digits/);
  });
});

describe("npm start delivers signals to the server", () => {
  test("SIGTERM to the npm process stops the gateway too (no orphan left listening)", { timeout: 60_000 }, async () => {
    const upstream = startScriptedUpstream();
    const npm = spawn("npm", ["start", "--", "--upstream", upstream.url, "--port", "0"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    try {
      let log = "";
      const url = await new Promise<string>((resolve, reject) => {
        npm.stderr!.on("data", (d) => {
          log += String(d);
          const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(log);
          if (m) resolve(m[1]!);
        });
        npm.once("exit", () => reject(new Error(`npm start exited early:\n${log}`)));
      });
      assert.equal((await fetch(`${url}/livez`)).status, 200);
      const exited = new Promise((resolve) => npm.once("exit", resolve));
      npm.kill("SIGTERM");
      await exited;
      let refused = false;
      for (let i = 0; i < 50 && !refused; i++) {
        await fetch(`${url}/livez`).then((r) => r.body?.cancel(), () => (refused = true));
        if (!refused) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(refused, `the gateway still answers after npm got SIGTERM:\n${log}`);
      assert.match(log, /rsk: stopped/);
    } finally {
      npm.kill("SIGKILL");
      await upstream.close();
    }
  });
});
