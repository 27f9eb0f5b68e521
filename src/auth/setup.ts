/** Wiring for the CLI: access control from settings (auth file, Redis, audit log) and `rsk auth hash-key`. */
import { AuditLog } from "../audit/log.ts";
import type { AccessOptions } from "./access.ts";
import { Authenticator, hashKey } from "./authenticator.ts";
import { type BucketStore, MemoryBucketStore } from "./bucket.ts";
import { loadAuthFile } from "./file.ts";
import { RateLimiter } from "./limiter.ts";
import { RedisBucketStore } from "./redis-store.ts";

/** The access-related settings (see src/server/config.ts). */
export interface AccessSettings {
  /** RSK_AUTH: auth file path. */
  auth?: string;
  /** RSK_REDIS_URL: shared rate-limit store. */
  redis?: string;
  /** RSK_AUDIT_LOG: JSONL path. */
  auditLog?: string;
  /** RSK_AUDIT_KEY. */
  auditKey?: string;
  /** RSK_AUDIT_FLUSH_MS. */
  auditFlushMs: number;
  /** The host's client-address lookup (see AccessOptions.clientAddress); refusals count per address with it. */
  clientAddress?: AccessOptions["clientAddress"];
}

/** Access control ready to hand to createGateway, plus what shutdown must do. */
export interface AccessSetup {
  /** For `createGateway({ access })`. */
  access: Omit<AccessOptions, "policies">;
  /** One line for the start-up log. */
  summary: string;
  /** Writes pending audit records now (first thing on SIGTERM, before connections drain). */
  flush(): void;
  /** Seals and closes the audit log, disconnects Redis. */
  close(): Promise<void>;
}

/** Builds access control; warns loudly on `warn` when no auth is configured. Throws on a bad file or unreachable Redis. */
export async function openAccess(settings: AccessSettings, warn: (line: string) => void): Promise<AccessSetup> {
  const authenticator = settings.auth ? new Authenticator(loadAuthFile(settings.auth)) : undefined;
  if (!authenticator) {
    warn("rsk: WARNING: no RSK_AUTH configured: the gateway is OPEN. Anyone who can reach it can use it, with every policy and no rate limit.");
  }
  const store: BucketStore = settings.redis
    ? await RedisBucketStore.connect(settings.redis, "rsk:rl:", (err) => warn(`rsk: redis: ${err.message}`))
    : new MemoryBucketStore();
  const audit = settings.auditLog
    ? new AuditLog({ path: settings.auditLog, key: settings.auditKey!, flushMs: settings.auditFlushMs, onError: (err) => warn(`rsk: audit write failed (will retry): ${String(err)}`) })
    : undefined;
  if (audit?.previous.end === "unclean") {
    warn(`rsk: WARNING: audit log ${settings.auditLog}: the previous run did not end with a close record (last record on disk: seq ${audit.previous.seq}): ` +
      "it crashed or was killed, or the file was truncated; records after that seq may be lost. This run's open record says so and `rsk audit verify` reports it.");
  }
  const summary = [
    authenticator ? `auth: ${authenticator.describe()}` : "auth: OPEN",
    `rate limits: ${settings.redis ? "redis" : "memory"}`,
    `audit: ${settings.auditLog ?? "off"}`,
  ].join(", ");
  return {
    access: {
      authenticator,
      limiter: new RateLimiter(store),
      audit,
      onMeterError: (err) => warn(`rsk: token metering failed: ${String(err)}`),
      clientAddress: settings.clientAddress,
    },
    summary,
    flush: () => audit?.flush(),
    close: async () => {
      audit?.close();
      await store.close();
    },
  };
}

/** `rsk auth hash-key [key]`: prints the sha256 to put in the auth file; reads the key from stdin when not given. */
export async function hashKeyCommand(key: string | undefined): Promise<void> {
  let secret = key;
  if (secret === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  if (!secret) throw new Error("usage: rsk auth hash-key [key]   (or pipe the key on stdin)");
  console.log(hashKey(secret));
}
