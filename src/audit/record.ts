/**
 * The audit record format and its HMAC chain, shared by the writer and `rsk audit verify`.
 * A line is `{"seq":…,"ts":…,…,"mac":"<hex>"}` where mac = HMAC-SHA256(key, previous mac + the line without its
 * mac field). The MAC is computed by the writer (`mac.ts` on servers, Web Crypto in the HTTP sink). The MAC covers the exact bytes written, so any edit shows; chaining over the previous MAC makes a
 * deletion, insertion or reorder break the chain at the first record out of place.
 */

/** What is recorded: decisions and rejections; never a key, and the matched text only where a policy opts in. */
export interface AuditEvent {
  /** decision: a gate finding; block: a response/prompt ended by a rule; auth/rate_limit: a refused request;
   * open: a gateway run started (first line of every run); close: it stopped cleanly. A run whose last record is not a
   * close crashed or was truncated: the next run's open says so, and `rsk audit verify` reports it. */
  event: "decision" | "block" | "auth" | "rate_limit" | "open" | "close";
  /** Request id (the `x-request-id` response header). */
  request?: string;
  /** Key id or `jwt:<sub>` (anonymous on an open gateway). */
  key?: string;
  /** Tenant of the key. */
  tenant?: string | null;
  /** Policy name. */
  policy?: string;
  /** Policy file version (content hash). */
  version?: string;
  /** Which gate: the prompt or the generated text. */
  stage?: "input" | "output";
  /** Rule id (or gate_error). */
  rule?: string;
  /** Action taken (redact, mask, block, log, pass). */
  action?: string;
  /** Choice index. */
  choice?: number;
  /** Index of the backend text event (≈ token) within its choice. */
  token?: number;
  /** Offset of the match in the choice's text or the prompt message (UTF-16 code units). */
  offset?: number;
  /** Milliseconds since the request arrived. */
  latencyMs?: number;
  /** HTTP status of a refused request. */
  status?: number;
  /** Why a request was refused (stable error code). */
  reason?: string;
  /** The matched text, for policies that set `audit.matches` (raw PII: protect the log accordingly). */
  match?: string;
  /** open: seq of the last record found on disk when this run started; null for an empty (new) file. */
  prevSeq?: number | null;
  /** open: MAC of that record (the genesis MAC for a new file), so the run boundary can be checked without the chain. */
  prevMac?: string;
  /** open: how the previous run ended as found on disk: `close`, `unclean` (crash, kill -9, truncation) or `none`. */
  prevEnd?: PreviousEnd;
  /** open (HTTP sink): id of the chain it starts; every edge isolate starts its own, so a collector keeps one file per run. */
  run?: string;
  /** Refusals: who was refused, for counting floods: the key id, else `addr:<client address>`, else `unknown` (the
   * host gave no address) or `anonymous` (no address lookup configured); `overflow` once too many sources are counted. */
  source?: string;
  /** Refusals: this record stands for `count` refusals of `source` for `reason` not recorded one by one. */
  aggregate?: true;
  /** Aggregate: how many refusals it counts (besides the one recorded in full at `firstSeq`). */
  count?: number;
  /** Aggregate: seq of the full record that opened the window. */
  firstSeq?: number;
  /** Aggregate: start of the counting window (ISO time). */
  windowStart?: string;
  /** Aggregate: end of the counting window (ISO time; earlier than a full window when the log was flushed or closed). */
  windowEnd?: string;
}

/** How the run before an open record ended, as the log found it on disk. */
export type PreviousEnd = "close" | "unclean" | "none";

/** A written record: sequence number and timestamp added by the log. */
export type AuditRecord = AuditEvent & { seq: number; ts: string };

/** The MAC a log starts its chain from. */
export const GENESIS_MAC = "0".repeat(64);

const MAC_SUFFIX = /,"mac":"([0-9a-f]{64})"\}$/;

/** The line (without newline) for a record `body` (its JSON) sealed with `mac`. */
export function sealedLine(body: string, mac: string): string {
  return `${body.slice(0, -1)},"mac":"${mac}"}`;
}

/** Splits a line into the body its MAC covers and the MAC it carries; undefined when it has no MAC field. */
export function openRecord(line: string): { body: string; mac: string } | undefined {
  const m = MAC_SUFFIX.exec(line);
  if (!m) return undefined;
  return { body: `${line.slice(0, m.index)}}`, mac: m[1]! };
}

/** What a record's MAC is computed over: the previous MAC, a newline, the record body. */
export function macInput(prevMac: string, body: string): string {
  return `${prevMac}\n${body}`;
}
