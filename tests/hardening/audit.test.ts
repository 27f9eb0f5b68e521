/** The audit log: HMAC chain, verify names the first bad record for every kind of tampering, gateway records. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AuditLog } from "../../src/audit/log.ts";
import { sealRecord } from "../../src/audit/mac.ts";
import { type AuditEvent, type AuditRecord, GENESIS_MAC } from "../../src/audit/record.ts";
import { RefusalTally } from "../../src/audit/refusals.ts";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { loadPolicies } from "../../src/policy/load.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { HeldBackend } from "../sched/held-backend.ts";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { AuthFileSchema } from "../../src/auth/file.ts";
import { MemoryBucketStore } from "../../src/auth/bucket.ts";
import { RateLimiter } from "../../src/auth/limiter.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import type { AccessOptions } from "../../src/auth/access.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "../server/scripted-upstream.ts";
import { authFile, chat, KEYS, POLICIES, tempDir, writeJson } from "./fixtures.ts";
import { killHard, runCli, startGateway } from "./gateway-process.ts";
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

  test("batched: records wait for the interval (only the open record is written at once), flush() writes them", () => {
    const path = join(tmp.dir, "batched.jsonl");
    const log = new AuditLog({ path, key: KEY, flushMs: 60_000 });
    log.append({ event: "decision", rule: "x" });
    assert.deepEqual(readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l).event), ["open"]);
    log.flush();
    assert.equal(readFileSync(path, "utf8").trimEnd().split("\n").length, 2);
    log.close();
    assert.ok(verifyAuditLog(readFileSync(path, "utf8"), KEY).ok);
  });
});

/** The records of the log at `path`. */
const recordsOf = (path: string): Record<string, unknown>[] =>
  readFileSync(path, "utf8").trimEnd().split("\n").filter((l) => l).map((l) => JSON.parse(l));

/** A log text of `records` chained with KEY from genesis (for files no gateway would write). */
function forged(records: Omit<AuditRecord, "ts">[]): string {
  let mac = GENESIS_MAC;
  return records.map((r) => {
    const sealed = sealRecord(KEY, mac, { ts: new Date().toISOString(), ...r } as AuditRecord);
    mac = sealed.mac;
    return `${sealed.line}\n`;
  }).join("");
}

describe("audit log runs: every start records how the previous run ended", () => {
  const tmp = tempDir("audit-runs");
  after(() => tmp.remove());

  test("a new file starts with an open record naming no previous run, on disk before anything else", () => {
    const path = join(tmp.dir, "new.jsonl");
    const log = new AuditLog({ path, key: KEY, flushMs: 60_000 });
    assert.deepEqual(log.previous, { seq: null, mac: GENESIS_MAC, end: "none" });
    const [open, ...rest] = recordsOf(path);
    assert.equal(rest.length, 0);
    assert.deepEqual([open!.seq, open!.event, open!.prevSeq, open!.prevMac, open!.prevEnd], [0, "open", null, GENESIS_MAC, "none"]);
    log.close();
  });

  test("clean restarts verify; each open names the previous run's close by seq and MAC", () => {
    const path = join(tmp.dir, "clean.jsonl");
    for (let run = 0; run < 3; run++) {
      const log = new AuditLog({ path, key: KEY, flushMs: 50 });
      log.append({ event: "decision", rule: `r${run}` });
      log.close();
    }
    const report = verifyAuditLog(readFileSync(path, "utf8"), KEY);
    assert.deepEqual([report.ok, report.runs, report.verified, report.uncleanEnds], [true, 3, 9, []], report.firstBad?.reason ?? "");
    const records = recordsOf(path);
    for (const i of [3, 6]) {
      assert.deepEqual([records[i]!.event, records[i]!.prevEnd, records[i]!.prevSeq, records[i]!.prevMac], ["open", "close", i - 1, records[i - 1]!.mac]);
    }
  });

  test("a log cut back to a line boundary (its close gone), then restarted and closed cleanly, fails naming the gap", () => {
    const { path, lines } = sampleLog(tmp.dir, 5); // seq 0 open, 1-5 decisions, 6 close
    writeFileSync(path, text(lines.slice(0, 4))); // seq 3 is now the last record
    const restarted = new AuditLog({ path, key: KEY, flushMs: 0 });
    assert.deepEqual([restarted.previous.seq, restarted.previous.end], [3, "unclean"]);
    restarted.append({ event: "decision", rule: "after" });
    restarted.close();
    new AuditLog({ path, key: KEY, flushMs: 0 }).close(); // a later clean run does not hide it
    const report = verifyAuditLog(readFileSync(path, "utf8"), KEY);
    assert.equal(report.ok, false);
    assert.deepEqual([report.firstBad?.line, report.firstBad?.seq, report.uncleanEnds, report.runs, report.verified], [5, 4, [3], 3, 9]);
    assert.match(report.firstBad!.reason, /no close record after seq 3: that run ended uncleanly \(crash, kill -9, or the file was cut back/);
    const open = recordsOf(path)[4]!;
    assert.deepEqual([open.event, open.prevEnd, open.prevSeq], ["open", "unclean", 3]);
    // --live is for a last run still being written; it does not excuse an earlier one.
    assert.equal(verifyAuditLog(readFileSync(path, "utf8"), KEY, true).ok, false);
    const cli = runCli(["audit", "verify", path], { RSK_AUDIT_KEY: KEY });
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^FAIL: .*:5 \(seq 4\): no close record after seq 3/);
    assert.match(cli.stdout, /runs that ended without close: after seq 3\n/);
  });

  test("an empty file fails", () => {
    const report = verifyAuditLog("", KEY);
    assert.deepEqual([report.ok, report.firstBad?.line], [false, 1]);
    assert.match(report.firstBad!.reason, /empty file/);
    const empty = join(tmp.dir, "empty.jsonl");
    writeFileSync(empty, "");
    const cli = runCli(["audit", "verify", empty], { RSK_AUDIT_KEY: KEY });
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^FAIL: .*empty\.jsonl:1: empty file/);
  });

  test("a headerless file (chained and closed, but no open record first) fails at line 1", () => {
    const headless = forged([{ seq: 0, event: "decision", rule: "x" }, { seq: 1, event: "close" }]);
    const report = verifyAuditLog(headless, KEY);
    assert.deepEqual([report.ok, report.firstBad?.line, report.firstBad?.seq], [false, 1, 0]);
    assert.match(report.firstBad!.reason, /not an open record: the log's beginning is missing \(headerless\)/);
  });

  test("an open record whose account of the previous run does not match the record before it fails", () => {
    const open = { event: "open" as const, prevSeq: null, prevMac: GENESIS_MAC, prevEnd: "none" as const };
    const lying = forged([{ seq: 0, ...open }, { seq: 1, event: "decision" }, { seq: 2, event: "open", prevSeq: 1, prevMac: "f".repeat(64), prevEnd: "close" }]);
    const report = verifyAuditLog(lying, KEY, true);
    assert.equal(report.firstBad?.line, 3);
    assert.match(report.firstBad!.reason, /says the previous run ended at seq 1 \(close\), but the record before it is seq 1 \(unclean\)/);
    const appended = forged([{ seq: 0, ...open }, { seq: 1, event: "close" }, { seq: 2, event: "decision" }]);
    assert.match(verifyAuditLog(appended, KEY, true).firstBad!.reason, /follows a close without an open record/);
  });

  test("tampering after an unclean end is still named", () => {
    const { path, lines } = sampleLog(tmp.dir, 2);
    writeFileSync(path, text(lines.slice(0, 2)));
    const log = new AuditLog({ path, key: KEY, flushMs: 0 });
    log.append({ event: "decision", offset: 1 });
    log.close();
    const after = readFileSync(path, "utf8").replace('"offset":1', '"offset":2');
    const report = verifyAuditLog(after, KEY);
    assert.deepEqual([report.firstBad?.line, report.broken?.line], [3, 4]);
    assert.match(report.broken!.reason, /MAC does not match/);
  });
});

describe("audit log across kill -9 (real gateway processes)", () => {
  const tmp = tempDir("audit-kill");
  const path = join(tmp.dir, "audit.jsonl");
  let upstream: ScriptedUpstream;
  before(() => {
    upstream = startScriptedUpstream();
    upstream.scripts.set("pii", { text: "write to a@example.com", chunking: 5 });
  });
  after(async () => {
    await upstream.close();
    tmp.remove();
  });

  test("kill -9 loses the batch in memory (flush N ms), not what flush 0 wrote; the next start records the unclean end and verify reports it", { timeout: 120_000 }, async () => {
    const args = ["--upstream", upstream.url, "--auth", writeJson(tmp.dir, "auth.json", authFile())];
    const env = { RSK_AUDIT_LOG: path, RSK_AUDIT_KEY: KEY };
    const send = async (url: string, key: string) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "pii", messages: [{ role: "user", content: "hi" }] }),
      });
      await res.text();
      return res.status;
    };

    // Run 1, a one-minute batch interval: everything but the open record is in memory when the process dies.
    const first = await startGateway(args, { ...env, RSK_AUDIT_FLUSH_MS: "60000" });
    try {
      for (let i = 0; i < 5; i++) assert.equal(await send(first.url, KEYS.admin), 200); // one email finding each
      assert.equal(await send(first.url, "sk-wrong"), 401);
    } finally {
      await killHard(first);
    }
    assert.deepEqual(recordsOf(path).map((r) => r.event), ["open"], "5 decisions and a 401 answered, none on disk");

    // Run 2, flush 0: each record is on disk before its request goes on, so kill -9 loses none of them.
    const second = await startGateway(args, { ...env, RSK_AUDIT_FLUSH_MS: "0" });
    try {
      assert.match(second.log(), /WARNING: audit log .*audit\.jsonl: the previous run did not end with a close record \(last record on disk: seq 0\)/);
      assert.equal(await send(second.url, KEYS.admin), 200);
      assert.equal(await send(second.url, "sk-wrong"), 401);
    } finally {
      await killHard(second);
    }
    const afterSecond = recordsOf(path);
    assert.deepEqual(afterSecond.map((r) => `${r.event}${r.event === "open" ? `:${r.prevEnd}` : ""}`), ["open:none", "open:unclean", "decision", "auth"]);
    assert.equal(afterSecond[1]!.prevSeq, 0);

    // Run 3, default flush, stopped cleanly: its clean end does not hide the two before it.
    const third = await startGateway(args, env);
    // Serve one request first: Bun 1.4.5 sometimes dies of a SIGTERM sent the instant the gateway logs "listening".
    assert.equal(await send(third.url, KEYS.admin), 200);
    const code = await third.stop();
    assert.ok(code === 0 || (code === null && "Deno" in globalThis), `exit code ${code}\n${third.log()}`);
    assert.equal(recordsOf(path).at(-1)!.event, "close");
    const verify = runCli(["audit", "verify", path], { RSK_AUDIT_KEY: KEY });
    assert.equal(verify.status, 1, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^FAIL: .*audit\.jsonl:2 \(seq 1\): no close record after seq 0: that run ended uncleanly/);
    assert.match(verify.stdout, /runs that ended without close: after seq 0, 3\n/);
    assert.match(verify.stdout, /7 records verified; .*3 run\(s\), 1 refused request\(s\)/);
  });
});

describe("refusals counted per client address by a served gateway (real processes)", () => {
  const tmp = tempDir("audit-address");
  after(() => tmp.remove());

  test("the host hands the peer address to the app: 30 keyless requests count under addr:<loopback>", { timeout: 60_000 }, async () => {
    const path = join(tmp.dir, "audit.jsonl");
    const gw = await startGateway(["--upstream", "http://127.0.0.1:9/v1", "--auth", writeJson(tmp.dir, "auth.json", authFile())], {
      RSK_AUDIT_LOG: path,
      RSK_AUDIT_KEY: KEY,
    });
    try {
      for (let i = 0; i < 30; i++) assert.equal((await fetch(`${gw.url}/v1/models`)).status, 401);
    } finally {
      await gw.stop();
    }
    const refusals = recordsOf(path).filter((r) => r.event === "auth");
    assert.ok(refusals.length > 0 && refusals.every((r) => /^addr:(::ffff:)?127\.0\.0\.1$|^addr:::1$/.test(String(r.source))), JSON.stringify(refusals));
    assert.equal(refusals.reduce((n, r) => n + (r.aggregate ? Number(r.count) : 1), 0), 30);
  });
});

describe("refusal floods: counted per source per second, not written one by one", () => {
  const tmp = tempDir("audit-flood");
  after(() => tmp.remove());

  /** The gateway app (no server: `app.request()`) with auth and an audit log at a new path. */
  function flooded(clientAddress?: AccessOptions["clientAddress"]) {
    const path = join(tmp.dir, `flood-${crypto.randomUUID()}.jsonl`);
    const log = new AuditLog({ path, key: KEY, flushMs: 100 });
    const policies = new PolicyStore(POLICIES);
    const app = createGateway({
      backend: new HeldBackend(),
      policies,
      maxBodyBytes: 1 << 20,
      limits: { maxTokens: 100, maxChoices: 1 },
      access: { authenticator: new Authenticator(v.parse(AuthFileSchema, authFile())), audit: log, clientAddress },
    });
    const send = (headers: Record<string, string> = {}) =>
      app.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
    const close = () => {
      log.close();
      policies.close();
      return recordsOf(path);
    };
    return { path, send, close };
  }
  const refusalsIn = (records: Record<string, unknown>[]) => records.filter((r) => r.event === "auth" || r.event === "rate_limit");
  const counted = (records: Record<string, unknown>[]) => records.reduce((n, r) => n + (r.aggregate ? Number(r.count) : 1), 0);

  test("2,000 requests without a key: a handful of records whose counts sum to 2,000; verify accepts and counts them", async () => {
    const gw = flooded();
    const started = performance.now();
    for (let i = 0; i < 2000; i += 100) {
      const replies = await Promise.all(Array.from({ length: 100 }, () => gw.send()));
      for (const res of replies) assert.equal(res.status, 401);
    }
    const windows = Math.ceil((performance.now() - started) / 1000) + 1;
    const refusals = refusalsIn(gw.close());
    assert.equal(counted(refusals), 2000);
    // One full record and one aggregate per one-second window the flood spanned.
    assert.ok(refusals.length <= 2 * windows, `${refusals.length} records for ${windows} window(s)`);
    const full = refusals[0]!;
    assert.deepEqual([full.source, full.key, full.status, full.reason, full.aggregate], ["anonymous", "unauthenticated", 401, "invalid_api_key", undefined]);
    assert.match(String(full.request), /^[0-9a-f-]{36}$/);
    const aggregate = refusals.find((r) => r.aggregate)!;
    assert.ok(aggregate, JSON.stringify(refusals));
    assert.deepEqual([aggregate.event, aggregate.source, aggregate.status, aggregate.reason, aggregate.firstSeq], ["auth", "anonymous", 401, "invalid_api_key", full.seq]);
    assert.ok(Date.parse(String(aggregate.windowEnd)) - Date.parse(String(aggregate.windowStart)) <= 1000);
    assert.ok(!("request" in aggregate) && !("latencyMs" in aggregate));
    const report = verifyAuditLog(readFileSync(gw.path, "utf8"), KEY);
    assert.deepEqual([report.ok, report.refusals], [true, 2000], report.firstBad?.reason ?? "");
  });

  test("the source is the key id when known, else the address the host's lookup gives (unknown without one)", async () => {
    const gw = flooded((c) => c.req.header("x-test-client"));
    const sends: [Record<string, string>, number][] = [
      [{ "x-test-client": "10.0.0.1" }, 401],
      [{ "x-test-client": "10.0.0.2", authorization: "Bearer sk-wrong" }, 401],
      [{}, 401],
      [{ "x-test-client": "10.0.0.1", authorization: `Bearer ${KEYS.strictOnly}` }, 403],
    ];
    for (const [headers, status] of sends) {
      for (let i = 0; i < 5; i++) assert.equal((await gw.send(headers)).status, status);
    }
    const bySource = new Map<string, number>();
    for (const r of refusalsIn(gw.close())) bySource.set(`${r.source} ${r.status}`, (bySource.get(`${r.source} ${r.status}`) ?? 0) + (r.aggregate ? Number(r.count) : 1));
    assert.deepEqual(Object.fromEntries(bySource), { "addr:10.0.0.1 401": 5, "addr:10.0.0.2 401": 5, "unknown 401": 5, "strict-only 403": 5 });
  });

  test("windows: full record first, the rest counted until the window ends; beyond maxWindows sources count as overflow", () => {
    let now = 0;
    const written: AuditEvent[] = [];
    const tally = new RefusalTally((e) => written.push(e) - 1, { windowMs: 1000, maxWindows: 3, now: () => now });
    const refusal: AuditEvent = { event: "auth", status: 401, reason: "invalid_api_key", request: "r" };
    tally.record(refusal, "a");
    now = 999;
    tally.record(refusal, "a");
    tally.record(refusal, "a");
    assert.deepEqual(written.map((e) => [e.source, e.aggregate, e.count]), [["a", undefined, undefined]]);
    now = 1000; // a's window ended: its count is written, and this refusal opens the next one in full
    tally.record(refusal, "a");
    assert.deepEqual(written.slice(1).map((e) => [e.source, e.aggregate, e.count, e.firstSeq, e.windowStart, e.windowEnd]), [
      ["a", true, 2, 0, new Date(0).toISOString(), new Date(1000).toISOString()],
      ["a", undefined, undefined, undefined, undefined, undefined],
    ]);
    written.length = 0;
    for (let i = 0; i < 10; i++) tally.record(refusal, `s${i}`); // a + s0 + s1 fill the 3 windows
    assert.equal(tally.size, 4, "bounded: maxWindows plus one overflow window per reason");
    tally.drain();
    assert.deepEqual(written.map((e) => `${e.source}${e.aggregate ? `×${e.count}` : ""}`), ["s0", "s1", "overflow", "overflow×7"]);
    assert.equal(tally.size, 0);
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
