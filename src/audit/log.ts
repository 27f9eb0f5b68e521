/**
 * The append-only audit log (`RSK_AUDIT_LOG`): records are chained in memory at once and written in batches, each
 * batch followed by fsync. Every run starts with an `open` record, written and fsynced before the log is used, that
 * names the last record found on disk and whether it was a `close`: a run that crashed (kill -9, OOM, power loss) or
 * a file cut back at a line boundary shows up at the next start, and `rsk audit verify` reports it. `close()` (called
 * from the SIGTERM handler) writes what is pending and a `close` record.
 * Writes are synchronous: a batch is one write + one fsync every `flushMs`, and a synchronous flush is the only
 * kind that still completes inside a signal handler about to exit.
 */
import { closeSync, fsyncSync, openSync, readSync, fstatSync, writeSync } from "node:fs";
import { setInterval } from "node:timers";
import { macOf, sealRecord } from "./mac.ts";
import { type AuditEvent, type AuditRecord, GENESIS_MAC, openRecord, type PreviousEnd } from "./record.ts";
import { RefusalTally, type RefusalTallyOptions } from "./refusals.ts";
import type { AuditSink } from "./sink.ts";

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
  /** How refused requests are counted (default: per source and reason per second, at most 10,000 sources). */
  refusals?: RefusalTallyOptions;
}

/** The end of the previous run as this log found it on disk (also recorded in its `open` record). */
export interface PreviousRun {
  /** Seq of the last record on disk; null for an empty file. */
  seq: number | null;
  /** Its MAC (genesis for an empty file). */
  mac: string;
  /** `close`: it stopped cleanly; `unclean`: it crashed or the file was truncated; `none`: new file. */
  end: PreviousEnd;
}

/** Records pending beyond this are written at once instead of waiting for the timer. */
const MAX_PENDING = 4096;
/** How much of an existing log's end is read to find its last record. */
const TAIL_BYTES = 64 * 1024;

/** An open audit log. */
export class AuditLog implements AuditSink {
  /** How the previous run ended, as found on disk at open (start-up warns on `unclean`). */
  readonly previous: PreviousRun;
  readonly #fd: number;
  readonly #options: AuditLogOptions;
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  readonly #refusals: RefusalTally;
  #pending: string[] = [];
  #mac: string;
  #seq: number;
  #closed = false;

  /** Opens (or creates) the log and writes its `open` record; throws when the last record is damaged or was not
   * written with this key. */
  constructor(options: AuditLogOptions) {
    this.#options = options;
    this.#fd = openSync(options.path, "a+", 0o600);
    const last = lastRecord(this.#fd, options);
    this.previous = last
      ? { seq: last.seq, mac: last.mac, end: last.event === "close" ? "close" : "unclean" }
      : { seq: null, mac: GENESIS_MAC, end: "none" };
    this.#mac = this.previous.mac;
    this.#seq = last ? last.seq + 1 : 0;
    this.#refusals = new RefusalTally((event) => this.append(event), options.refusals);
    if (options.flushMs > 0) {
      this.#timer = setInterval(() => this.#write(), options.flushMs);
      this.#timer.unref();
    }
    this.append({ event: "open", prevSeq: this.previous.seq, prevMac: this.previous.mac, prevEnd: this.previous.end });
    // On disk before the first request, whatever flushMs is: a run killed before its first batch still leaves its
    // open record, so the next start finds an unclean end instead of a clean close from two runs ago.
    this.#write();
  }

  /** Chains `event` now (its sequence number is fixed here) and queues it for the next batch; returns its seq
   * (-1 once closed). */
  append(event: AuditEvent): number {
    if (this.#closed) return -1;
    const record: AuditRecord = { seq: this.#seq++, ts: new Date().toISOString(), ...event };
    const { line, mac } = sealRecord(this.#options.key, this.#mac, record);
    this.#mac = mac;
    this.#pending.push(`${line}\n`);
    if (this.#options.flushMs === 0 || this.#pending.length >= MAX_PENDING) this.#write();
    return record.seq;
  }

  /** Records a refused request (401/403/429) of `source`: in full when it is the first of its (source, reason) this
   * second, else counted into that window's aggregate record (see RefusalTally). */
  refused(event: AuditEvent, source: string): void {
    if (!this.#closed) this.#refusals.record(event, source);
  }

  /** Writes pending records, refusal counts included, and fsyncs; on failure the records stay pending and the error
   * is reported. */
  flush(): void {
    this.#refusals.drain();
    this.#write();
  }

  /** Appends a `close` record, writes everything and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#refusals.drain();
    this.append({ event: "close" });
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#write();
    closeSync(this.#fd);
  }

  /** One batch: write + fsync (the timer's flush; open refusal windows keep counting). */
  #write(): void {
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
}

/** The last record of an existing log (checked against the key), or undefined for an empty file. */
function lastRecord(fd: number, options: AuditLogOptions): { seq: number; mac: string; event: unknown } | undefined {
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
  let seq: unknown, event: unknown;
  try {
    ({ seq, event } = JSON.parse(line) as { seq?: unknown; event?: unknown });
  } catch {
    seq = undefined;
  }
  if (!opened || typeof seq !== "number") throw damaged("the last line is not an audit record");
  // The last record's MAC can be checked only against its predecessor's; a single-record file chains from genesis.
  const prevMac = prev === undefined ? (length === size ? GENESIS_MAC : undefined) : openRecord(prev)?.mac;
  if (prevMac !== undefined && macOf(options.key, prevMac, opened.body) !== opened.mac) {
    throw damaged("the last record's MAC does not match (edited, or written with another RSK_AUDIT_KEY)");
  }
  return { seq, mac: opened.mac, event };
}
