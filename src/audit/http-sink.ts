/**
 * The audit sink for hosts without a file system (Cloudflare Workers, Deno Deploy): the file log's records and HMAC
 * chain, sealed with Web Crypto and POSTed in chain order as JSONL batches to a collector that appends them to a file,
 * one file per `run` (each sink instance starts its own chain with an `open` record, as a new file log would).
 * A batch the collector does not take after every retry is dropped, counted and reported, and the chain goes on over
 * it, so `rsk audit verify` on the collected file names the gap. Web APIs only; nothing runs at construction, since
 * Workers forbid timers, random values and I/O at global scope: the open record, run id and key come with the first use.
 */
import { type AuditEvent, type AuditRecord, GENESIS_MAC, macInput, sealedLine } from "./record.ts";
import { RefusalTally, type RefusalTallyOptions } from "./refusals.ts";
import type { AuditSink } from "./sink.ts";

/** Request header naming the run (chain) a batch belongs to, so a collector can route batches without parsing them. */
export const RUN_HEADER = "x-rsk-audit-run";

/** Where and how the sink sends. */
export interface HttpAuditSinkOptions {
  /** Collector endpoint: POSTs of newline-terminated records (`application/x-ndjson`), one at a time, in chain order. */
  url: string;
  /** HMAC key (`RSK_AUDIT_KEY`): the collected file verifies with it. */
  key: string;
  /** Extra request headers, e.g. the collector's authorization. */
  headers?: Record<string, string>;
  /** Most records per POST (default 100). */
  batchSize?: number;
  /** How long a batch waits for more records, ms (default 1000); 0 sends at once (what comes during a POST goes in the next). */
  flushMs?: number;
  /** Most records held unsent, in flight included (default 10,000): past it the oldest waiting batches are dropped. */
  maxPending?: number;
  /** Retries of a failed POST (default 3), the n-th after 100 ms · 2^n. */
  retries?: number;
  /** Time limit of one POST attempt, response included, ms (default 5000). */
  timeoutMs?: number;
  /** The fetch to send with (default: the global one); narrower than `typeof fetch` so a host or test can wrap it. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Given each batch's promise when the batch starts (Workers: `ctx.waitUntil`), so the isolate lives until it is out. */
  waitUntil?: (p: Promise<unknown>) => void;
  /** Where dropped batches and seal failures are reported. */
  onError?: (err: unknown) => void;
  /** How refused requests are counted (as the file log). */
  refusals?: RefusalTallyOptions;
  /** Id of this sink's chain, in its open record and the RUN_HEADER of every POST (default: a UUID made at first use). */
  run?: string;
}

/** Records sent together; created open, closed by size, timer or flush, then sent or dropped whole. */
interface Batch {
  /** Sealed lines, newline-terminated, in seq order (filled by the seal chain). */
  readonly lines: string[];
  /** Records assigned to it, sealed or not. */
  count: number;
  /** Seq of its first record. */
  readonly firstSeq: number;
  /** Seq of its last record. */
  lastSeq: number;
  /** No more records join it. */
  closed: boolean;
  /** Given up: records still unsealed are sealed (they are part of the chain) and thrown away. */
  dropped: boolean;
  /** Resolves once it is sent or dropped; never rejects. */
  readonly done: Promise<void>;
  /** Resolves `done`. */
  readonly settle: () => void;
}

const UTF8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Batches audit records to an HTTP collector; see the file comment. */
export class HttpAuditSink implements AuditSink {
  readonly #options: HttpAuditSinkOptions;
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #maxPending: number;
  readonly #retries: number;
  readonly #timeoutMs: number;
  readonly #refusals: RefusalTally;
  #run: string | undefined;
  #key: Promise<CryptoKey> | undefined;
  #seq = 0;
  #mac = GENESIS_MAC;
  /** Tail of the seal chain: every record is sealed after the one before it. */
  #sealing: Promise<void> = Promise.resolve();
  /** Batches waiting, oldest first; the last may be open. */
  #batches: Batch[] = [];
  #open: Batch | undefined;
  /** The batch being sealed or sent (never dropped for maxPending: it may already be at the collector). */
  #current: Batch | undefined;
  #sending = false;
  #held = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;
  #dropped = 0;
  #droppedBatches = 0;

  /** Checks the options; starts nothing (no timer, request or key import until the first record). */
  constructor(options: HttpAuditSinkOptions) {
    if (!URL.canParse(options.url)) throw new TypeError(`HttpAuditSink: url ${JSON.stringify(options.url)} is not a URL`);
    if (!options.key) throw new RangeError("HttpAuditSink: key is empty (Web Crypto refuses an empty HMAC key)");
    this.#options = options;
    this.#batchSize = whole("batchSize", options.batchSize ?? 100, 1);
    this.#flushMs = whole("flushMs", options.flushMs ?? 1000, 0);
    this.#maxPending = whole("maxPending", options.maxPending ?? 10_000, this.#batchSize);
    this.#retries = whole("retries", options.retries ?? 3, 0);
    this.#timeoutMs = whole("timeoutMs", options.timeoutMs ?? 5000, 1);
    this.#run = options.run;
    this.#refusals = new RefusalTally((event) => this.append(event), options.refusals);
  }

  /** Records dropped so far (collector failures and the maxPending bound). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Batches dropped so far. */
  get droppedBatches(): number {
    return this.#droppedBatches;
  }

  /** Records held: waiting, being sealed or in flight. */
  get pending(): number {
    return this.#held;
  }

  /** Chains `event` now (its seq is fixed here, after the open record on first use) and queues it; returns its seq
   * (-1 once closed). */
  append(event: AuditEvent): number {
    if (this.#closing) return -1;
    if (this.#seq === 0) {
      this.#run ??= crypto.randomUUID();
      this.#push({ event: "open", prevSeq: null, prevMac: GENESIS_MAC, prevEnd: "none", run: this.#run });
    }
    const seq = this.#push(event);
    this.#kick();
    return seq;
  }

  /** Records a refused request (401/403/429) of `source`, aggregated per source and reason (see RefusalTally). */
  refused(event: AuditEvent, source: string): void {
    if (!this.#closing) this.#refusals.record(event, source);
  }

  /** Sends everything queued so far, refusal counts included; resolves once all of it is sent or dropped. */
  flush(): Promise<void> {
    this.#refusals.drain();
    this.#closeOpen();
    this.#kick();
    const waiting = this.#current ? [this.#current, ...this.#batches] : this.#batches;
    return Promise.all(waiting.map((b) => b.done)).then(() => undefined);
  }

  /** Appends a `close` record (none for a sink that recorded nothing: it has no chain), sends everything and stops
   * its timers. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#refusals.drain();
      if (this.#seq > 0) this.append({ event: "close" });
      this.#closing = this.flush();
    }
    return this.#closing;
  }

  /** Numbers, stamps and serializes `event` now (the caller may reuse it), queues its seal and its batch. */
  #push(event: AuditEvent): number {
    const record: AuditRecord = { seq: this.#seq++, ts: new Date().toISOString(), ...event };
    const body = JSON.stringify(record);
    const batch = this.#open ?? this.#startBatch(record.seq);
    batch.count++;
    batch.lastSeq = record.seq;
    this.#held++;
    this.#sealing = this.#sealing.then(() => this.#seal(body, batch));
    if (batch.count >= this.#batchSize) this.#closeOpen();
    // Oldest first: the newest records say the most about what is going on now.
    while (this.#held > this.#maxPending && this.#batches.length > 0) {
      const oldest = this.#batches.shift()!;
      if (oldest === this.#open) this.#closeOpen();
      this.#drop(oldest, new Error(`audit: more than ${this.#maxPending} records waiting to be sent; dropped ${span(oldest)}`));
    }
    return record.seq;
  }

  /** Computes the record's MAC over the previous one's (the chain goes on over dropped batches); never rejects. */
  async #seal(body: string, batch: Batch): Promise<void> {
    try {
      this.#key ??= crypto.subtle.importKey("raw", UTF8.encode(this.#options.key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await this.#key, UTF8.encode(macInput(this.#mac, body))));
      let mac = "";
      for (const byte of sig) mac += HEX[byte];
      this.#mac = mac;
      if (!batch.dropped) batch.lines.push(`${sealedLine(body, mac)}\n`);
    } catch (err) {
      // The batch now lacks a line and will be dropped; the chain goes on from the last sealed record.
      this.#report(err);
    }
  }

  /** A new open batch, its timer, and its promise handed to the host. */
  #startBatch(firstSeq: number): Batch {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const batch: Batch = { lines: [], count: 0, firstSeq, lastSeq: firstSeq, closed: false, dropped: false, done, settle };
    this.#batches.push(batch);
    this.#open = batch;
    if (this.#flushMs > 0) {
      this.#timer = setTimeout(() => {
        this.#closeOpen();
        this.#kick();
      }, this.#flushMs);
      // Node and Bun timers keep a process alive unless unref'd; Deno and Workers return a number and have no unref.
      (this.#timer as { unref?: () => void }).unref?.();
    }
    try {
      this.#options.waitUntil?.(done);
    } catch (err) {
      this.#report(err);
    }
    return batch;
  }

  /** Closes the open batch, if any, and its timer. */
  #closeOpen(): void {
    if (!this.#open) return;
    this.#open.closed = true;
    this.#open = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Starts the sender unless it is running. */
  #kick(): void {
    if (!this.#sending) void this.#pump();
  }

  /** The sender: one batch at a time, in order, so the collector appends in chain order. */
  async #pump(): Promise<void> {
    this.#sending = true;
    try {
      for (let batch = this.#batches[0]; batch; batch = this.#batches[0]) {
        if (!batch.closed) {
          if (this.#flushMs > 0) break; // its timer or a flush closes it
          this.#closeOpen();
        }
        this.#batches.shift();
        this.#current = batch;
        await this.#sealing; // covers every record of the batch: they were queued before it closed
        if (batch.lines.length < batch.count) this.#drop(batch, new Error(`audit: ${span(batch)} could not be sealed; dropped`));
        else await this.#send(batch);
        this.#current = undefined;
      }
    } finally {
      this.#sending = false;
      this.#current = undefined;
    }
  }

  /** POSTs a batch, retrying with backoff; drops it when every attempt failed. */
  async #send(batch: Batch): Promise<void> {
    const fetch = this.#options.fetch ?? globalThis.fetch;
    const headers = { ...this.#options.headers, "content-type": "application/x-ndjson", [RUN_HEADER]: this.#run! };
    const body = batch.lines.join("");
    let failure: unknown;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
      // Not AbortSignal.timeout: its timer outlives a quick answer (and trips Deno's test sanitizers).
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      try {
        const res = await fetch(this.#options.url, { method: "POST", headers, body, signal: abort.signal });
        // Read to the end so the connection is reused; its failure does not undo a 2xx (a retry would duplicate).
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.#held -= batch.count;
          batch.settle();
          return;
        }
        failure = new Error(`collector answered ${res.status} ${res.statusText}`.trimEnd());
      } catch (err) {
        failure = err;
      } finally {
        clearTimeout(timer);
      }
    }
    this.#drop(batch, new Error(`audit: the collector did not take ${span(batch)} in ${this.#retries + 1} attempt(s); dropped`, { cause: failure }));
  }

  /** Gives up a batch: counted, reported, settled. */
  #drop(batch: Batch, why: Error): void {
    batch.dropped = true;
    batch.lines.length = 0;
    this.#held -= batch.count;
    this.#dropped += batch.count;
    this.#droppedBatches++;
    this.#report(why);
    batch.settle();
  }

  #report(err: unknown): void {
    try {
      this.#options.onError?.(err);
    } catch {
      // A failing reporter must not stop the chain.
    }
  }
}

/** `value` when it is a whole number ≥ `min`, else a RangeError naming the option. */
function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`HttpAuditSink: ${name} must be a whole number ≥ ${min}, got ${value}`);
  return value;
}

/** "records seq a–b" of a batch, for messages. */
function span(batch: Batch): string {
  return batch.count === 1 ? `record seq ${batch.firstSeq}` : `${batch.count} records (seq ${batch.firstSeq}–${batch.lastSeq})`;
}
