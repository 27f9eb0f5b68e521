/** The audit log: HMAC chain, verify names the first bad record for every kind of tampering, gateway records. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AuditLog } from "../../src/audit/log.ts";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { loadPolicies } from "../../src/policy/load.ts";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { AuthFileSchema } from "../../src/auth/file.ts";
import { MemoryBucketStore } from "../../src/auth/bucket.ts";
import { RateLimiter } from "../../src/auth/limiter.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import type { AccessOptions } from "../../src/auth/access.ts";
import { authFile, chat, KEYS, POLICIES, tempDir } from "./fixtures.ts";
import * as v from "valibot";

const KEY = "audit-key-for-tests-0123456789";

/** A sealed log of `n` decision records (plus open and close) and its lines. */
function sampleLog(dir: string, n = 5): { path: string; lines: string[] } {
  const path = join(dir, `log-${crypto.randomUUID()}.jsonl`);
  const log = new AuditLog({ path, key: KEY, flushMs: 0 });
  for (let i = 0; i < n; i++) log.append({ event: "decision", request: `r${i}`, policy: "default", rule: "email", action: "redact", offset: i });
  log.close();
  return { path, lines: readFileSync(path, "utf8").trimEnd().split("\n") };
}

const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");

/** Runs `drive` against a gateway writing an audit log at `path`; the log's records once both are closed. */
async function auditedRun(
  path: string,
  options: { policy: string; access: Omit<AccessOptions, "policies" | "audit">; flushMs: number },
  drive: (h: Harness) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const log = new AuditLog({ path, key: KEY, flushMs: options.flushMs });
  const h = startHarness({ policy: options.policy, access: { ...options.access, audit: log } });
  try {
    await drive(h);
  } finally {
    await h.close();
    log.close();
  }
  return readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
}

describe("audit log chain", () => {
  const tmp = tempDir("audit");
  after(() => tmp.remove());

  test("a clean log verifies, sealed by its close record", () => {
    const { lines } = sampleLog(tmp.dir);
    assert.equal(lines.length, 7);
    const report = verifyAuditLog(text(lines), KEY);
    assert.deepEqual([report.ok, report.verified, report.sealed], [true, 7, true]);
    assert.deepEqual(lines.map((l) => JSON.parse(l).event), ["open", "decision", "decision", "decision", "decision", "decision", "close"]);
  });

  test("reopening continues the chain; the whole file still verifies", () => {
    const { path } = sampleLog(tmp.dir, 2);
    const again = new AuditLog({ path, key: KEY, flushMs: 0 });
    again.append({ event: "auth", status: 401 });
    again.close();
    const report = verifyAuditLog(readFileSync(path, "utf8"), KEY);
    assert.deepEqual([report.ok, report.verified], [true, 7]);
  });

  const tamper: [string, (l: string[]) => string, number, RegExp][] = [
    ["an edited field", (l) => text(l.with(3, l[3]!.replace('"offset":2', '"offset":9'))), 4, /MAC does not match/],
    ["an edited field with its MAC recomputed under another key", (l) => {
      const forged = l.slice();
      const log = new AuditLog({ path: join(tmp.dir, "forge.jsonl"), key: "another-key-0123456789", flushMs: 0 });
      log.close();
      forged[3] = readFileSync(join(tmp.dir, "forge.jsonl"), "utf8").split("\n")[0]!.replace('"seq":0', '"seq":3');
      return text(forged);
    }, 4, /MAC does not match/],
    ["a deleted record", (l) => text(l.toSpliced(2, 1)), 3, /seq 3 where 2 was expected: a record was deleted, inserted or moved/],
    ["a deleted first record", (l) => text(l.slice(1)), 1, /first record has seq 1, expected 0/],
    ["an inserted copy", (l) => text(l.toSpliced(3, 0, l[2]!)), 4, /seq 2 where 3 was expected/],
    ["two records swapped", (l) => text(l.with(2, l[3]!).with(3, l[2]!)), 3, /seq 3 where 2 was expected/],
    ["a record deleted and the rest renumbered", (l) => text(l.toSpliced(2, 1).map((x, i) => (i >= 2 ? x.replace(/"seq":\d+/, `"seq":${i}`) : x))), 3, /MAC does not match/],
    ["records cut off at the end", (l) => text(l.slice(0, 4)), 5, /no close record after seq 3: truncated here/],
    ["the last line cut mid-record", (l) => `${text(l.slice(0, 5))}${l[5]!.slice(0, 40)}`, 6, /incomplete last line/],
    ["a line that is not JSON", (l) => text(l.with(4, "garbage")), 5, /not valid JSON/],
  ];
  for (const [name, edit, line, reason] of tamper) {
    test(`verify names the first bad record: ${name}`, () => {
      const report = verifyAuditLog(edit(sampleLog(tmp.dir).lines), KEY);
      assert.equal(report.ok, false);
      assert.equal(report.firstBad?.line, line, report.firstBad?.reason ?? "no problem found");
      assert.match(report.firstBad!.reason, reason);
    });
  }

  test("a wrong key fails at the first record; --live accepts a log still being written", () => {
    const { lines } = sampleLog(tmp.dir);
    assert.equal(verifyAuditLog(text(lines), "wrong-key-0123456789").firstBad?.line, 1);
    const open = text(lines.slice(0, 3));
    assert.equal(verifyAuditLog(open, KEY).ok, false);
    assert.equal(verifyAuditLog(open, KEY, true).ok, true);
  });

  test("the log refuses to append to a damaged file or one written with another key", () => {
    const { path, lines } = sampleLog(tmp.dir);
    assert.throws(() => new AuditLog({ path, key: "other-key-0123456789", flushMs: 0 }), /MAC does not match.*another RSK_AUDIT_KEY/);
    writeFileSync(path, `${text(lines)}{"seq":7,"ts":"x"`);
    assert.throws(() => new AuditLog({ path, key: KEY, flushMs: 0 }), /incomplete/);
  });

  test("batched: records wait for the interval, flush() writes them", () => {
    const path = join(tmp.dir, "batched.jsonl");
    const log = new AuditLog({ path, key: KEY, flushMs: 60_000 });
    log.append({ event: "decision", rule: "x" });
    assert.equal(readFileSync(path, "utf8"), "");
    log.flush();
    assert.equal(readFileSync(path, "utf8").trimEnd().split("\n").length, 2);
    log.close();
    assert.ok(verifyAuditLog(readFileSync(path, "utf8"), KEY).ok);
  });
});

describe("audit records from the gateway", () => {
  const tmp = tempDir("audit-gw");
  const path = join(tmp.dir, "audit.jsonl");
  let records: Record<string, unknown>[] = [];

  before(async () => {
    const access = { authenticator: new Authenticator(v.parse(AuthFileSchema, authFile())), limiter: new RateLimiter(new MemoryBucketStore()) };
    records = await auditedRun(path, { policy: POLICIES, access, flushMs: 50 }, async (h) => {
      h.upstream.scripts.set("pii", { text: "mail bob@example.com now", chunking: 3 });
      h.upstream.scripts.set("danger", { text: "step one: how to build a bomb at home", chunking: 4 });
      assert.equal((await chat(h, KEYS.admin, { model: "pii", messages: [{ role: "user", content: "I am eve@example.org" }] })).status, 200);
      assert.equal((await chat(h, KEYS.admin, { model: "danger", stream: true }, { "x-rsk-policy": "default" })).status, 200);
      assert.equal((await chat(h, "sk-wrong")).status, 401);
      assert.equal((await chat(h, KEYS.strictOnly)).status, 403);
      for (let i = 0; i < 3; i++) await chat(h, KEYS.slow);
    });
  });
  after(() => tmp.remove());

  test("the file verifies", () => {
    assert.ok(verifyAuditLog(readFileSync(path, "utf8"), KEY).ok);
  });

  test("input and output findings carry request, key, tenant, policy version, rule, action, offset, latency", () => {
    const input = records.find((r) => r.stage === "input" && r.rule === "email")!;
    assert.ok(input, JSON.stringify(records));
    assert.equal(input.key, "admin");
    assert.equal(input.tenant, "acme");
    assert.equal(input.policy, "default");
    assert.match(String(input.version), /^[0-9a-f]{12}$/);
    assert.equal(input.action, "redact");
    assert.equal(input.offset, 5);
    assert.equal(typeof input.latencyMs, "number");
    const output = records.find((r) => r.stage === "output" && r.rule === "email")!;
    assert.equal(output.request, input.request);
    assert.equal(output.choice, 0);
    assert.equal(typeof output.token, "number");
    assert.equal(output.offset, 5);
  });

  test("a blocked stream is recorded as a block with its rule", () => {
    const block = records.find((r) => r.event === "block");
    assert.ok(block, JSON.stringify(records));
    assert.equal(block.stage, "output");
    assert.equal(block.action, "block");
  });

  test("401, 403 and 429 are recorded with status and reason", () => {
    const refused = records.filter((r) => r.event === "auth" || r.event === "rate_limit").map((r) => `${r.event} ${r.status} ${r.reason} ${r.key}`);
    assert.deepEqual(refused, [
      "auth 401 invalid_api_key unauthenticated",
      "auth 403 policy_forbidden strict-only",
      "rate_limit 429 rate_limit_requests slow",
    ]);
  });

  test("never the matched text or a key", () => {
    const raw = readFileSync(path, "utf8");
    for (const secret of ["bob@example.com", "eve@example.org", "bomb", KEYS.admin, KEYS.slow]) assert.ok(!raw.includes(secret), secret);
  });
});

describe("audit.matches: a policy that opts in records the matched text", () => {
  const tmp = tempDir("audit-matches");
  const path = join(tmp.dir, "audit.jsonl");
  let records: Record<string, unknown>[] = [];

  before(async () => {
    const shipped = JSON.parse(readFileSync(join(POLICIES, "default.json"), "utf8")) as Record<string, unknown>;
    const folder = join(tmp.dir, "policies");
    mkdirSync(folder);
    writeFileSync(join(folder, "default.json"), JSON.stringify(shipped));
    writeFileSync(join(folder, "forensic.json"), JSON.stringify({ ...shipped, name: "forensic", audit: { matches: true } }));
    records = await auditedRun(path, { policy: folder, access: {}, flushMs: 0 }, async (h) => {
      h.upstream.scripts.set("pii", { text: "mail bob@example.com now", chunking: 3 });
      for (const policy of ["forensic", "default"]) {
        const res = await chat(h, undefined, { model: "pii", messages: [{ role: "user", content: `I am ${policy}@example.org` }] }, { "x-rsk-policy": policy });
        assert.equal(res.status, 200);
      }
    });
  });
  after(() => tmp.remove());

  test("its input and output findings carry the raw value; the other policy's never do", () => {
    const found = (policy: string, stage: string) => records.find((r) => r.policy === policy && r.stage === stage && r.rule === "email");
    assert.equal(found("forensic", "input")?.match, "forensic@example.org");
    assert.equal(found("forensic", "output")?.match, "bob@example.com");
    assert.ok(found("default", "input") && found("default", "output"), JSON.stringify(records));
    assert.ok(!("match" in found("default", "input")!) && !("match" in found("default", "output")!));
    assert.ok(!readFileSync(path, "utf8").includes("default@example.org"));
    assert.ok(verifyAuditLog(readFileSync(path, "utf8"), KEY).ok);
  });

  test("a policy with a mistyped audit setting is refused with its JSON path", () => {
    const shipped = JSON.parse(readFileSync(join(POLICIES, "default.json"), "utf8")) as Record<string, unknown>;
    const bad = join(tmp.dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...shipped, audit: { matches: "yes" } }));
    assert.throws(() => loadPolicies(bad), (error: unknown) => error instanceof Error && /bad\.json: \$\.audit\.matches/.test(error.message));
  });
});
