/** Where audit records go: the HMAC-chained file log on servers (`AuditLog`), a batching HTTP sink at the edge. */
import type { AuditEvent } from "./record.ts";

/** An audit destination: chains every event in order; the gateway never waits on it. */
export interface AuditSink {
  /** Chains `event` now (its sequence number is fixed here) and queues it; returns its seq (-1 once closed). */
  append(event: AuditEvent): number;
  /** Records a refused request (401/403/429) of `source`, aggregated per source and reason (see RefusalTally). */
  refused(event: AuditEvent, source: string): void;
  /** Sends or writes what is pending; resolves when it is out (or has failed and been reported). */
  flush(): void | Promise<void>;
  /** Appends a `close` record, flushes and stops. Idempotent. */
  close(): void | Promise<void>;
}
