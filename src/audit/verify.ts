/**
 * `rsk audit verify <file>`: re-computes the HMAC chain and names the first record that is out of place.
 * Edits and forged insertions fail their MAC; deletions, insertions and reorders show as a sequence gap or a MAC that
 * chains from the wrong predecessor. Every gateway run starts with an `open` record, so a file that is empty or does
 * not begin with one is refused, and a run that did not end with `close` (crash, kill -9, or a file cut back at a line
 * boundary and then appended to by a restart) is reported as a gap at its last seq, however many clean runs follow.
 * A cut-off last line or a last run without `close` means truncation (or a gateway still running: `--live`).
 * Truncating exactly after an earlier `close` record, with no restart since, cannot be seen from the file alone:
 * compare the printed final MAC with one kept elsewhere.
 */
import { readFileSync } from "node:fs";
import { macOf } from "./mac.ts";
import { GENESIS_MAC, openRecord } from "./record.ts";

/** Outcome of a verification. */
export interface VerifyReport {
  /** True when every record chains, the file begins with `open`, every run ended with `close` (the last one may be
   * open with `live`). */
  ok: boolean;
  /** Records whose seq and MAC checked out (up to the first break of the chain; an unclean run end does not stop it). */
  verified: number;
  /** The first problem: its 1-based line, its seq when readable, and why. */
  firstBad?: Problem;
  /** Where the chain itself breaks (edit, deletion, insertion…), when that is not already firstBad: an earlier unclean
   * run end is reported first, but must not hide tampering after it. */
  broken?: Problem;
  /** MAC of the last good record: keep it elsewhere to detect truncation back to an earlier close. */
  lastMac: string;
  /** Whether the last record is a `close` (the gateway shut down cleanly). */
  sealed: boolean;
  /** Runs (open records) seen. */
  runs: number;
  /** Last seq of every run that ended without `close` and was followed by another run (crashed or truncated). */
  uncleanEnds: number[];
  /** Refused requests counted: refusal records, aggregate records counting for `count` each. */
  refusals: number;
}

/** One problem found: 1-based line, seq when readable, and why. */
export interface Problem {
  /** 1-based line. */
  line: number;
  /** Seq of the record there, when readable. */
  seq?: number;
  /** What is wrong and what it means. */
  reason: string;
}

interface Parsed {
  seq?: unknown;
  event?: unknown;
  prevSeq?: unknown;
  prevMac?: unknown;
  prevEnd?: unknown;
  aggregate?: unknown;
  count?: unknown;
}

/** Verifies the log text; `live` accepts a log whose last run has no `close` yet (a gateway still writing it). */
export function verifyAuditLog(text: string, key: string, live = false): VerifyReport {
  let mac = GENESIS_MAC;
  let verified = 0;
  let runs = 0;
  let refusals = 0;
  let firstBad: Problem | undefined;
  const uncleanEnds: number[] = [];
  const report = (sealed: boolean, broken?: Problem): VerifyReport =>
    ({ ok: !firstBad, verified, firstBad, ...(broken && broken !== firstBad ? { broken } : {}), lastMac: mac, sealed, runs, uncleanEnds, refusals });
  /** The chain breaks here: verification stops. */
  const bad = (line: number, reason: string, seq?: number): VerifyReport => {
    const problem = { line, seq, reason };
    firstBad ??= problem;
    return report(false, problem);
  };
  if (text.length === 0) return bad(1, "empty file: an audit log begins with an open record (the file was truncated to nothing, or is not an audit log)");
  if (!text.endsWith("\n")) {
    const lines = text.split("\n").length;
    if (lines === 1) return bad(1, "incomplete last line: the log was truncated mid-record");
    // Check everything before the cut-off line first, so an earlier problem is the one named.
    const before = verifyAuditLog(text.slice(0, text.lastIndexOf("\n") + 1), key, true);
    if (!before.ok) return before;
    return { ...before, ok: false, sealed: false, firstBad: { line: lines, reason: "incomplete last line: the log was truncated mid-record" } };
  }
  const lines = text.slice(0, -1).split("\n");
  let prev: { seq: number; event: unknown } | undefined;
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    const opened = openRecord(line);
    let record: Parsed;
    try {
      record = JSON.parse(line) as Parsed;
    } catch {
      return bad(n, "not valid JSON (edited or truncated)");
    }
    const seq = typeof record?.seq === "number" ? record.seq : undefined;
    if (!opened || seq === undefined) return bad(n, "not an audit record (no seq or mac field)", seq);
    const expected = prev ? prev.seq + 1 : 0;
    if (seq !== expected) {
      return bad(n, prev
        ? `seq ${seq} where ${expected} was expected: a record was deleted, inserted or moved here`
        : `first record has seq ${seq}, expected 0: records before it were deleted`, seq);
    }
    if (macOf(key, mac, opened.body) !== opened.mac) {
      return bad(n, "MAC does not match: this record was edited or inserted (or the previous one was replaced), or the key is wrong", seq);
    }
    const boundary = runBoundary(record, prev, mac, seq);
    if (boundary) return bad(n, boundary, seq);
    if (record.event === "open") {
      runs++;
      if (prev && prev.event !== "close") {
        uncleanEnds.push(prev.seq);
        firstBad ??= {
          line: n,
          seq,
          reason: `no close record after seq ${prev.seq}: that run ended uncleanly (crash, kill -9, or the file was cut back ` +
            `to a line boundary), so records after seq ${prev.seq} may be missing; the next run starts here`,
        };
      }
    }
    if (record.event === "auth" || record.event === "rate_limit") {
      refusals += record.aggregate === true && typeof record.count === "number" ? record.count : 1;
    }
    mac = opened.mac;
    verified++;
    prev = { seq, event: record.event };
  }
  const sealed = prev?.event === "close";
  if (!sealed && !live) {
    firstBad ??= { line: lines.length + 1, reason: `no close record after seq ${prev!.seq}: truncated here, or the gateway crashed or is still running (use --live)` };
  }
  return report(sealed);
}

/** What is wrong where runs meet (`record` at `seq` follows `prev`, whose MAC is `prevMac`), or undefined. */
function runBoundary(record: Parsed, prev: { seq: number; event: unknown } | undefined, prevMac: string, seq: number): string | undefined {
  if (!prev) {
    if (record.event !== "open") return `the first record is ${JSON.stringify(record.event)}, not an open record: the log's beginning is missing (headerless)`;
    if (record.prevEnd !== undefined && (record.prevEnd !== "none" || record.prevSeq !== null)) {
      return `the first record says a previous run ended at seq ${String(record.prevSeq)}: the records before it were removed`;
    }
    return undefined;
  }
  if (record.event !== "open") {
    return prev.event === "close" ? `a ${JSON.stringify(record.event)} record follows a close without an open record: it was not written by a gateway run` : undefined;
  }
  // An open from before these fields existed has only the chain to go by (checked above).
  if (record.prevEnd === undefined) return undefined;
  const end = prev.event === "close" ? "close" : "unclean";
  if (record.prevSeq !== prev.seq || record.prevMac !== prevMac || record.prevEnd !== end) {
    return `the open record at seq ${seq} says the previous run ended at seq ${String(record.prevSeq)} (${String(record.prevEnd)}), ` +
      `but the record before it is seq ${prev.seq} (${end}): the run boundary was rewritten`;
  }
  return undefined;
}

/** Verifies a file; see verifyAuditLog. */
export function verifyAuditFile(path: string, key: string, live = false): VerifyReport {
  return verifyAuditLog(readFileSync(path, "utf8"), key, live);
}

/** `rsk audit verify <file> [--live]`: prints the result; exit status 1 names the first bad record. Key: RSK_AUDIT_KEY. */
export function verifyCommand(args: string[]): number {
  const live = args.includes("--live");
  const file = args.find((a) => a !== "--live");
  const key = process.env.RSK_AUDIT_KEY;
  if (!file || !key) throw new Error("usage: RSK_AUDIT_KEY=... rsk audit verify <file> [--live]");
  const report = verifyAuditFile(file, key, live);
  const totals = `${report.runs} run(s), ${report.refusals} refused request(s)`;
  if (report.ok) {
    console.log(`ok: ${report.verified} records${report.sealed ? ", closed cleanly" : " (live: no close record yet)"}; last mac ${report.lastMac}; ${totals}`);
    return 0;
  }
  const bad = report.firstBad!;
  console.log(`FAIL: ${file}:${bad.line}${bad.seq === undefined ? "" : ` (seq ${bad.seq})`}: ${bad.reason}`);
  if (report.broken) console.log(`  and the chain breaks at line ${report.broken.line}${report.broken.seq === undefined ? "" : ` (seq ${report.broken.seq})`}: ${report.broken.reason}`);
  if (report.uncleanEnds.length > 0) console.log(`  runs that ended without close: after seq ${report.uncleanEnds.join(", ")}`);
  console.log(`  ${report.verified} records verified; last good mac ${report.lastMac}; ${totals}`);
  return 1;
}
