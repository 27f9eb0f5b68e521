/**
 * `rsk audit verify <file>`: re-computes the HMAC chain and names the first record that is out of place.
 * Edits and forged insertions fail their MAC; deletions, insertions and reorders show as a sequence gap or a MAC that
 * chains from the wrong predecessor; truncation shows as a last line cut short or a log that does not end with a
 * `close` record. Truncating exactly after an earlier `close` record cannot be seen from the file alone: compare the
 * printed final MAC with one kept elsewhere.
 */
import { readFileSync } from "node:fs";
import { GENESIS_MAC, macOf, openRecord } from "./record.ts";

/** Outcome of a verification. */
export interface VerifyReport {
  /** True when every record chains and the log ends with a `close` record (or `live` was asked for). */
  ok: boolean;
  /** Records that verified before the first problem. */
  verified: number;
  /** The first problem: its 1-based line, its seq when readable, and why. */
  firstBad?: { line: number; seq?: number; reason: string };
  /** MAC of the last good record: keep it elsewhere to detect truncation back to an earlier close. */
  lastMac: string;
  /** Whether the last record is a `close` (the gateway shut down cleanly). */
  sealed: boolean;
}

/** Verifies the log text; `live` accepts a log that does not end with `close` (a gateway still writing it). */
export function verifyAuditLog(text: string, key: string, live = false): VerifyReport {
  let mac = GENESIS_MAC;
  let verified = 0;
  let sealed = false;
  const bad = (line: number, reason: string, seq?: number): VerifyReport =>
    ({ ok: false, verified, firstBad: { line, seq, reason }, lastMac: mac, sealed: false });
  if (text.length > 0 && !text.endsWith("\n")) {
    const lines = text.split("\n").length;
    // Check everything before the cut-off line first, so an earlier problem is the one named.
    const before = verifyAuditLog(text.slice(0, text.lastIndexOf("\n") + 1), key, true);
    if (!before.ok) return before;
    return { ...before, ok: false, sealed: false, firstBad: { line: lines, reason: "incomplete last line: the log was truncated mid-record" } };
  }
  const lines = text.length === 0 ? [] : text.slice(0, -1).split("\n");
  let expectedSeq: number | undefined;
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    const opened = openRecord(line);
    let record: { seq?: unknown; event?: unknown } | null;
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      return bad(n, "not valid JSON (edited or truncated)");
    }
    const seq = typeof record?.seq === "number" ? record.seq : undefined;
    if (!opened || seq === undefined) return bad(n, "not an audit record (no seq or mac field)", seq);
    const expected = expectedSeq ?? 0;
    if (seq !== expected) {
      return bad(n, i === 0
        ? `first record has seq ${seq}, expected 0: records before it were deleted`
        : `seq ${seq} where ${expected} was expected: a record was deleted, inserted or moved here`, seq);
    }
    if (macOf(key, mac, opened.body) !== opened.mac) {
      return bad(n, "MAC does not match: this record was edited or inserted (or the previous one was replaced), or the key is wrong", seq);
    }
    mac = opened.mac;
    verified++;
    expectedSeq = seq + 1;
    sealed = record?.event === "close";
  }
  if (!sealed && lines.length > 0 && !live) {
    return {
      ok: false,
      verified,
      firstBad: { line: lines.length + 1, reason: `no close record after seq ${expectedSeq! - 1}: truncated here, or the gateway crashed or is still running (use --live)` },
      lastMac: mac,
      sealed,
    };
  }
  return { ok: true, verified, lastMac: mac, sealed };
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
  if (report.ok) {
    console.log(`ok: ${report.verified} records${report.sealed ? ", closed cleanly" : " (live: no close record yet)"}; last mac ${report.lastMac}`);
    return 0;
  }
  const bad = report.firstBad!;
  console.log(`FAIL: ${file}:${bad.line}${bad.seq === undefined ? "" : ` (seq ${bad.seq})`}: ${bad.reason}`);
  console.log(`  ${report.verified} records verified before it; last good mac ${report.lastMac}`);
  return 1;
}
