/**
 * The append-only audit log (`RSK_AUDIT_LOG`): records are chained in memory at once and written in batches, each
 * batch followed by fsync. `close()` (called from the SIGTERM handler) writes what is pending and a `close` record.
 * Writes are synchronous: a batch is one write + one fsync every `flushMs`, and a synchronous flush is the only
 * kind that still completes inside a signal handler about to exit.
 */
import { closeSync, fsyncSync, openSync, readSync, fstatSync, writeSync } from "node:fs";
import { setInterval } from "node:timers";
import { type AuditEvent, type AuditRecord, GENESIS_MAC, macOf, openRecord, sealRecord } from "./record.ts";

/** How the log is written. */
export interface AuditLogOptions {
  /** JSONL file, appended to (the chain continues from its last record). */
  path: string;
  /** HMAC key (`RSK_AUDIT_KEY`). */
  key: string;
  /** Batch interval in ms; 0 writes and fsyncs every record before `append` returns. */
  flushMs: number;
  /** Where write failures are reported (the log keeps the records and retries on the next flush). */
  onError?: (err: unknown) => void;
}

/** Records pending beyond this are written at once instead of waiting for the timer. */
const MAX_PENDING = 4096;
/** How much of an existing log's end is read to find its last record. */
const TAIL_BYTES = 64 * 1024;

/** An open audit log. */
export class AuditLog {
  readonly #fd: number;
  readonly #options: AuditLogOptions;
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #pending: string[] = [];
  #mac: string;
  #seq: number;
  #closed = false;

  /** Opens (or creates) the log; throws when its last record is damaged or was not written with this key. */
  constructor(options: AuditLogOptions) {
    this.#options = options;
    this.#fd = openSync(options.path, "a+", 0o600);
    const last = lastRecord(this.#fd, options);
    this.#mac = last?.mac ?? GENESIS_MAC;
    this.#seq = last ? last.seq + 1 : 0;
    if (options.flushMs > 0) {
      this.#timer = setInterval(() => this.flush(), options.flushMs);
      this.#timer.unref();
    }
    this.append({ event: "open" });
  }

  /** Chains `event` now (its sequence number is fixed here) and queues it for the next batch. */
  append(event: AuditEvent): void {
    if (this.#closed) return;
    const record: AuditRecord = { seq: this.#seq++, ts: new Date().toISOString(), ...event };
    const { line, mac } = sealRecord(this.#options.key, this.#mac, record);
    this.#mac = mac;
    this.#pending.push(`${line}\n`);
    if (this.#options.flushMs === 0 || this.#pending.length >= MAX_PENDING) this.flush();
  }

  /** Writes pending records and fsyncs; on failure the records stay pending and the error is reported. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending.join("");
    try {
      const bytes = Buffer.from(batch, "utf8");
      let off = 0;
      while (off < bytes.length) off += writeSync(this.#fd, bytes, off);
      fsyncSync(this.#fd);
      this.#pending = [];
    } catch (err) {
      this.#options.onError?.(err);
    }
  }

  /** Appends a `close` record, writes everything and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.append({ event: "close" });
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.flush();
    closeSync(this.#fd);
  }
}

/** The last record of an existing log (checked against the key), or undefined for an empty file. */
function lastRecord(fd: number, options: AuditLogOptions): { seq: number; mac: string } | undefined {
  const size = fstatSync(fd).size;
  if (size === 0) return undefined;
  const length = Math.min(size, TAIL_BYTES);
  const buf = Buffer.alloc(length);
  readSync(fd, buf, 0, length, size - length);
  const text = buf.toString("utf8");
  const damaged = (why: string) => new Error(`audit log ${options.path}: ${why}; run \`rsk audit verify ${options.path}\` and move the file aside`);
  if (!text.endsWith("\n")) throw damaged("the last record is incomplete (the file was truncated or a write was cut off)");
  const lines = text.slice(0, -1).split("\n");
  const line = lines.at(-1)!, prev = lines.at(-2);
  const opened = openRecord(line);
  let seq: unknown;
  try {
    seq = (JSON.parse(line) as { seq?: unknown }).seq;
  } catch {
    seq = undefined;
  }
  if (!opened || typeof seq !== "number") throw damaged("the last line is not an audit record");
  // The last record's MAC can be checked only against its predecessor's; a single-record file chains from genesis.
  const prevMac = prev === undefined ? (length === size ? GENESIS_MAC : undefined) : openRecord(prev)?.mac;
  if (prevMac !== undefined && macOf(options.key, prevMac, opened.body) !== opened.mac) {
    throw damaged("the last record's MAC does not match (edited, or written with another RSK_AUDIT_KEY)");
  }
  return { seq, mac: opened.mac };
}
