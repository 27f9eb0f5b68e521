/** The edge audit sink against a real HTTP collector: order, the file log's MACs, batching, retries, drops and the gap
 * `rsk audit verify` reports, waitUntil, refusals, close, the maxPending bound; and that it imports nothing host-specific. */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { HttpAuditSink, type HttpAuditSinkOptions, RUN_HEADER } from "../../src/audit/http-sink.ts";
import { sealRecord } from "../../src/audit/mac.ts";
import { type AuditRecord, GENESIS_MAC, openRecord } from "../../src/audit/record.ts";
import { verifyAuditFile, verifyAuditLog } from "../../src/audit/verify.ts";
import { importGraph } from "./import-graph.ts";

const KEY = "edge-audit-key-0123456789abcdef";
const SINK = fileURLToPath(new URL("../../src/audit/http-sink.ts", import.meta.url));

/** One POST the collector saw, whatever it answered. */
interface Seen {
  status: number | "hung";
  body: string;
  headers: IncomingHttpHeaders;
}

/** A collector on port 0 appending every accepted body to `file`, with one named mode per misbehaviour. */
interface Collector {
  url: string;
  file: string;
  seen: Seen[];
  /** Answer the next `n` POSTs 500 (body not kept). */
  fail(n: number): void;
  /** Never answer the next `n` POSTs (body not kept). */
  hang(n: number): void;
  /** Keep POSTs waiting until the returned release is called (then they are taken as usual). */
  hold(): () => void;
  stop(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "rsk-edge-audit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function startCollector(): Promise<Collector> {
  const file = join(dir, `collected-${crypto.randomUUID()}.jsonl`);
  writeFileSync(file, "");
  const seen: Seen[] = [];
  const hung = new Set<ServerResponse>();
  let failing = 0, hanging = 0;
  let held: Promise<void> | undefined;
  const server = createServer(async (req, res) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk as Uint8Array);
    const body = Buffer.concat(chunks).toString("utf8");
    const entry: Seen = { status: 200, body, headers: req.headers };
    seen.push(entry);
    if (hanging > 0) {
      hanging--;
      entry.status = "hung";
      hung.add(res);
      return;
    }
    if (held) await held;
    if (failing > 0) {
      failing--;
      entry.status = 500;
      res.writeHead(500).end("collector down");
      return;
    }
    appendFileSync(file, body);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/audit`,
    file,
    seen,
    fail: (n) => void (failing = n),
    hang: (n) => void (hanging = n),
    hold() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
    async stop() {
      for (const res of hung) res.destroy();
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections?.();
      });
    },
  };
}

/** A sink to `c` with test-sized defaults and the errors it reported. */
function sinkTo(c: Collector, options: Partial<HttpAuditSinkOptions> = {}): { sink: HttpAuditSink; errors: unknown[] } {
  const errors: unknown[] = [];
  const sink = new HttpAuditSink({ url: c.url, key: KEY, flushMs: 0, timeoutMs: 500, onError: (e) => errors.push(e), ...options });
  return { sink, errors };
}

const decision = (i: number) => ({ event: "decision" as const, request: `r${i}`, policy: "default", rule: "email", action: "redact", offset: i });
const lines = (text: string) => text.split("\n").filter((l) => l !== "");
const seqs = (text: string) => lines(text).map((l) => (JSON.parse(l) as AuditRecord).seq);
const records = (text: string) => lines(text).map((l) => JSON.parse(l) as AuditRecord & { mac: string });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, ok: () => boolean, ms = 1000): Promise<void> {
  for (const start = Date.now(); !ok(); await sleep(5)) if (Date.now() - start > ms) assert.fail(`timed out waiting for ${what}`);
}

describe("HTTP audit sink", () => {
  test("imports nothing host-specific: Web APIs only", () => {
    const graph = importGraph(SINK);
    for (const node of graph.values()) {
      for (const spec of node.imports) assert.ok(spec.startsWith("./"), `${node.path} imports ${spec}`);
      assert.doesNotMatch(node.source, /\b(?:Buffer|process)\.|from "node:|require\(/, node.path);
    }
  });

  test("records arrive in order, verify with the key, and carry exactly the file log's lines", async () => {
    const c = await startCollector();
    const { sink, errors } = sinkTo(c, { batchSize: 3, run: "edge-run-1", headers: { authorization: "Bearer collector-token" } });
    try {
      for (let i = 0; i < 7; i++) assert.equal(sink.append(decision(i)), i + 1);
      await sink.close();
      const text = readFileSync(c.file, "utf8");
      assert.deepEqual(seqs(text), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
      const report = verifyAuditFile(c.file, KEY);
      assert.equal(report.ok, true, JSON.stringify(report.firstBad));
      assert.equal(report.verified, 9);
      assert.equal(report.sealed, true);
      assert.equal(report.runs, 1);
      assert.equal(verifyAuditLog(text, `${KEY}x`).ok, false);
      // Line for line what sealRecord (node:crypto, the file log) writes for the same records.
      let prev = GENESIS_MAC;
      for (const line of lines(text)) {
        const { body } = openRecord(line)!;
        const sealed = sealRecord(KEY, prev, JSON.parse(body) as AuditRecord);
        assert.equal(sealed.line, line);
        prev = sealed.mac;
      }
      const [open, ...rest] = records(text);
      assert.deepEqual({ ...open, ts: undefined, mac: undefined }, { seq: 0, ts: undefined, event: "open", prevSeq: null, prevMac: GENESIS_MAC, prevEnd: "none", run: "edge-run-1", mac: undefined });
      assert.equal(rest.at(-1)!.event, "close");
      for (const s of c.seen) {
        assert.equal(s.headers["content-type"], "application/x-ndjson");
        assert.equal(s.headers.authorization, "Bearer collector-token");
        assert.equal(s.headers[RUN_HEADER], "edge-run-1");
        assert.ok(s.body.endsWith("\n"));
      }
      assert.deepEqual(errors, []);
    } finally {
      await c.stop();
    }
  });

  test("batches by size without waiting for the timer", async () => {
    const c = await startCollector();
    const { sink } = sinkTo(c, { batchSize: 3, flushMs: 10_000 });
    try {
      for (let i = 0; i < 8; i++) sink.append(decision(i));
      await waitFor("three batches", () => c.seen.length === 3);
      assert.deepEqual(c.seen.map((s) => seqs(s.body)), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
      await sink.close();
      assert.deepEqual(c.seen.map((s) => seqs(s.body)).at(-1), [9]);
    } finally {
      await c.stop();
    }
  });

  test("batches by time: a batch waits flushMs after its first record", async () => {
    const c = await startCollector();
    const { sink } = sinkTo(c, { batchSize: 100, flushMs: 80 });
    try {
      const start = Date.now();
      sink.append(decision(0));
      sink.append(decision(1));
      await sleep(20);
      assert.equal(c.seen.length, 0);
      await waitFor("the timed batch", () => c.seen.length === 1);
      assert.ok(Date.now() - start >= 70, `sent after ${Date.now() - start} ms`);
      assert.deepEqual(seqs(c.seen[0]!.body), [0, 1, 2]);
      sink.append(decision(2));
      await waitFor("the next timed batch", () => c.seen.length === 2);
      assert.deepEqual(seqs(c.seen[1]!.body), [3]);
      await sink.close();
      assert.equal(verifyAuditFile(c.file, KEY).ok, true);
    } finally {
      await c.stop();
    }
  });

  test("a transient 500 is retried: no duplicate, no gap", async () => {
    const c = await startCollector();
    const { sink, errors } = sinkTo(c, { batchSize: 2 });
    try {
      c.fail(1);
      for (let i = 0; i < 4; i++) sink.append(decision(i));
      await sink.close();
      assert.equal(c.seen[0]!.status, 500);
      assert.equal(c.seen[1]!.body, c.seen[0]!.body);
      assert.deepEqual(seqs(readFileSync(c.file, "utf8")), [0, 1, 2, 3, 4, 5]);
      assert.equal(verifyAuditFile(c.file, KEY).ok, true);
      assert.equal(sink.dropped, 0);
      assert.deepEqual(errors, []);
    } finally {
      await c.stop();
    }
  });

  test("a POST that hangs times out and is retried", async () => {
    const c = await startCollector();
    const { sink, errors } = sinkTo(c, { timeoutMs: 150 });
    try {
      c.hang(1);
      sink.append(decision(0));
      await sink.close();
      assert.equal(c.seen[0]!.status, "hung");
      assert.deepEqual(seqs(readFileSync(c.file, "utf8")), [0, 1, 2]);
      assert.equal(verifyAuditFile(c.file, KEY).ok, true);
      assert.deepEqual(errors, []);
    } finally {
      await c.stop();
    }
  });

  test("a batch failing every retry is dropped, counted and reported; the chain goes on and verify names the gap", async () => {
    const c = await startCollector();
    const { sink, errors } = sinkTo(c, { batchSize: 2, flushMs: 10_000, retries: 1 });
    try {
      sink.append(decision(0));
      await sink.flush();
      c.fail(2);
      sink.append(decision(1));
      sink.append(decision(2));
      await sink.flush();
      assert.equal(sink.dropped, 2);
      assert.equal(sink.droppedBatches, 1);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /did not take 2 records \(seq 2–3\) in 2 attempt/);
      assert.match(String((errors[0] as Error).cause), /500/);
      sink.append(decision(3));
      await sink.close();
      const text = readFileSync(c.file, "utf8");
      assert.deepEqual(seqs(text), [0, 1, 4, 5]);
      const report = verifyAuditLog(text, KEY);
      assert.equal(report.ok, false);
      assert.equal(report.verified, 2);
      assert.deepEqual({ line: report.firstBad?.line, seq: report.firstBad?.seq }, { line: 3, seq: 4 });
      assert.match(report.firstBad!.reason, /seq 4 where 2 was expected: a record was deleted/);
      // The lost batch (as the failed POSTs carried it) fits the gap exactly: the chain went on over it.
      const lost = c.seen.find((s) => s.status === 500)!.body;
      const [head, tail] = [lines(text).slice(0, 2), lines(text).slice(2)];
      const whole = verifyAuditLog([...head, ...lines(lost), ...tail].map((l) => `${l}\n`).join(""), KEY);
      assert.equal(whole.ok, true, JSON.stringify(whole.firstBad));
      assert.equal(whole.verified, 6);
    } finally {
      await c.stop();
    }
  });

  test("waitUntil gets every batch's promise, timed batches included, and nothing before the first record", async () => {
    const c = await startCollector();
    const handed: Promise<unknown>[] = [];
    const { sink } = sinkTo(c, { batchSize: 2, flushMs: 50, waitUntil: (p) => handed.push(p) });
    try {
      await sleep(20);
      assert.equal(handed.length, 0);
      assert.equal(c.seen.length, 0);
      for (let i = 0; i < 4; i++) sink.append(decision(i));
      assert.equal(handed.length, 3);
      await Promise.all(handed); // no flush: the host alone keeps the sink alive until the last (timed) batch is out
      assert.deepEqual(seqs(readFileSync(c.file, "utf8")), [0, 1, 2, 3, 4]);
      assert.equal(verifyAuditFile(c.file, KEY, true).ok, true);
      await sink.close();
      assert.equal(handed.length, 4);
      assert.equal(verifyAuditFile(c.file, KEY).ok, true);
    } finally {
      await c.stop();
    }
  });

  test("refusals are aggregated per source and reason, and every one is counted", async () => {
    const c = await startCollector();
    const { sink } = sinkTo(c, { refusals: { windowMs: 60_000 } });
    try {
      const refusal = { event: "auth" as const, status: 401, reason: "invalid_api_key" };
      for (let i = 0; i < 5; i++) sink.refused({ ...refusal, request: `a${i}` }, "addr:10.0.0.1");
      for (let i = 0; i < 2; i++) sink.refused({ ...refusal, request: `b${i}` }, "addr:10.0.0.2");
      await sink.close();
      const text = readFileSync(c.file, "utf8");
      const auth = records(text).filter((r) => r.event === "auth");
      assert.deepEqual(auth.map((r) => [r.source, r.aggregate ?? false, r.count ?? 1]), [
        ["addr:10.0.0.1", false, 1],
        ["addr:10.0.0.2", false, 1],
        ["addr:10.0.0.1", true, 4],
        ["addr:10.0.0.2", true, 1],
      ]);
      const report = verifyAuditFile(c.file, KEY);
      assert.equal(report.ok, true);
      assert.equal(report.refusals, 7);
    } finally {
      await c.stop();
    }
  });

  test("close is idempotent, writes one close record last, and nothing is recorded after it", async () => {
    const c = await startCollector();
    const { sink } = sinkTo(c, { flushMs: 10_000 });
    const unused = sinkTo(c).sink;
    try {
      sink.append(decision(0));
      const first = sink.close();
      assert.equal(sink.close(), first);
      await first;
      await sink.close();
      assert.equal(sink.append(decision(1)), -1);
      sink.refused({ event: "auth", reason: "invalid_api_key" }, "addr:10.0.0.1");
      await sink.flush();
      const text = readFileSync(c.file, "utf8");
      assert.deepEqual(records(text).map((r) => r.event), ["open", "decision", "close"]);
      assert.equal(verifyAuditFile(c.file, KEY).sealed, true);
      const posts = c.seen.length;
      await unused.close(); // recorded nothing: no chain, nothing sent
      assert.equal(c.seen.length, posts);
    } finally {
      await c.stop();
    }
  });

  test("maxPending bounds what is held: the oldest waiting batches are dropped and counted", async () => {
    const c = await startCollector();
    const { sink, errors } = sinkTo(c, { batchSize: 2, maxPending: 4 });
    try {
      const release = c.hold();
      for (let i = 0; i < 6; i++) sink.append(decision(i)); // [0 1] in flight, [2 3] [4 5] waiting, then 6
      assert.equal(sink.pending, 3);
      assert.equal(sink.dropped, 4);
      assert.equal(sink.droppedBatches, 2);
      assert.deepEqual(errors.map(String), [
        "Error: audit: more than 4 records waiting to be sent; dropped 2 records (seq 2–3)",
        "Error: audit: more than 4 records waiting to be sent; dropped 2 records (seq 4–5)",
      ]);
      release();
      await sink.close();
      const text = readFileSync(c.file, "utf8");
      assert.deepEqual(seqs(text), [0, 1, 6, 7]);
      const report = verifyAuditLog(text, KEY);
      assert.deepEqual({ line: report.firstBad?.line, seq: report.firstBad?.seq }, { line: 3, seq: 6 });
      assert.equal(sink.pending, 0);
    } finally {
      await c.stop();
    }
  });

  test("rejects options it cannot honour", () => {
    const base = { url: "http://127.0.0.1:1/audit", key: KEY };
    assert.throws(() => new HttpAuditSink({ ...base, key: "" }), /key is empty/);
    assert.throws(() => new HttpAuditSink({ ...base, url: "not a url" }), /is not a URL/);
    assert.throws(() => new HttpAuditSink({ ...base, batchSize: 0 }), /batchSize/);
    assert.throws(() => new HttpAuditSink({ ...base, batchSize: 10, maxPending: 5 }), /maxPending must be a whole number ≥ 10/);
  });
});
