/** rsk as a library: the gateway as a Hono app to mount in your own Bun or Deno server, plus its building blocks. */
import type { Hono } from "hono";
import { UpstreamBackend } from "./backends/upstream/backend.ts";
import type { Backend } from "./backends/types.ts";
import type { AccessOptions } from "./auth/access.ts";
import { GatewayMetrics } from "./metrics/gateway.ts";
import { PolicyStore } from "./policy/store.ts";
import { Scheduler, type SchedulerLimits } from "./sched/scheduler.ts";
import { createGateway } from "./server/app.ts";
import type { BrowserRules } from "./server/browser.ts";
import { DEFAULT_POLICY } from "./server/config.ts";
import type { RequestRecord } from "./obs/request-log.ts";

/** Options for `rsk()`: a backend (or an upstream to build one) and where the policies live. */
export interface RskOptions {
  /** An OpenAI-compatible upstream; ignored when `backend` is given. */
  upstream?: { url: string; apiKey?: string; firstByteTimeoutMs?: number; idleTimeoutMs?: number; maxResponseBytes?: number };
  /** Any backend (e.g. a custom one); takes precedence over `upstream`. */
  backend?: Backend;
  /** Policy file or folder, or an already-loaded store (default: the shipped `policies/default.json`). */
  policy?: string | PolicyStore;
  /** Reload policies when their files change (default true when `policy` is a path). */
  watch?: boolean;
  /** Request body limit in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest `max_tokens` and `n` accepted (defaults 32768 and 8). */
  limits?: { maxTokens?: number; maxChoices?: number };
  /** Metric families to record into (default: a fresh set, exposed at `/metrics`). */
  metrics?: GatewayMetrics;
  /** Admission bounds (default: 4,096 queue places, 30 s queue wait, the backend's slots or 256). */
  admission?: Partial<SchedulerLimits>;
  /** API keys/JWT, rate limits and audit log (default: open, unlimited, unaudited). */
  access?: Omit<AccessOptions, "policies">;
  /**
   * Browser rules. Default: no `Host` check (your app owns its names; pass `hosts: { bindHost, allowedHosts }` to
   * turn the DNS-rebinding check on) and no foreign origin (`corsOrigins` to allow some). JSON bodies are always
   * required on `/v1` POSTs.
   */
  browser?: BrowserRules;
  /** Longest time to receive a request body, in ms (default 30 s; 408 beyond). */
  readTimeoutMs?: number;
  /** Silence before an SSE `: keep-alive` comment, in ms (default 15 s). */
  sseHeartbeatMs?: number;
  /** Where each `/v1` request's record goes when it ends (default: nowhere). */
  requestLog?: (record: RequestRecord) => void;
}

/** The gateway as a Hono sub-app: `app.route("/ai", rsk({ upstream: { url } }))` serves `/ai/v1/chat/completions`. */
export function rsk(options: RskOptions): Hono {
  const metrics = options.metrics ?? new GatewayMetrics();
  const policies = options.policy instanceof PolicyStore
    ? options.policy
    : new PolicyStore(options.policy ?? DEFAULT_POLICY, (r) => metrics.reloads.inc({ result: r.ok ? "ok" : "error" }));
  if (options.watch ?? !(options.policy instanceof PolicyStore)) policies.watch();
  const backend = options.backend ?? upstreamBackend(options, metrics);
  return createGateway({
    backend,
    policies,
    metrics,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    access: options.access,
    browser: options.browser,
    readTimeoutMs: options.readTimeoutMs,
    sseHeartbeatMs: options.sseHeartbeatMs,
    requestLog: options.requestLog,
    limits: { maxTokens: options.limits?.maxTokens ?? 32_768, maxChoices: options.limits?.maxChoices ?? 8 },
    scheduler: options.admission && new Scheduler({ slots: backend.slots, ...options.admission }),
  });
}

function upstreamBackend(options: RskOptions, metrics: GatewayMetrics): Backend {
  if (!options.upstream) throw new Error("rsk(): give a `backend` or an `upstream: { url }`");
  return new UpstreamBackend({
    url: options.upstream.url,
    apiKey: options.upstream.apiKey,
    firstByteTimeoutMs: options.upstream.firstByteTimeoutMs ?? 60_000,
    idleTimeoutMs: options.upstream.idleTimeoutMs ?? 60_000,
    maxResponseBytes: options.upstream.maxResponseBytes,
    onFailure: (kind) => metrics.upstreamErrors.inc({ kind }),
    onUnknownLines: (count) => metrics.upstreamUnknownLines.inc({}, count),
  });
}

export { createGateway, type GatewayOptions } from "./server/app.ts";
export { ApiError } from "./server/errors.ts";
export type { RequestEnd, RequestRecord } from "./obs/request-log.ts";
export { type BrowserRules, type HostCheck } from "./server/browser.ts";
export { GatewayMetrics } from "./metrics/gateway.ts";
export { PolicyStore } from "./policy/store.ts";
export { loadPolicies, PolicyLoadError, type Policy, type PolicySet } from "./policy/load.ts";
export { PolicySchema, type PolicyFile } from "./policy/schema.ts";
export { UpstreamBackend, type UpstreamOptions } from "./backends/upstream/backend.ts";
export type { Backend, BackendEvent, BackendRequest, ModelCard } from "./backends/types.ts";
export * from "./gates/mod.ts";
export { compileConstraint, GrammarError, GrammarMatcher, masksFor, parseGbnf, regexGrammar, schemaGrammar, type Constraint, type ConstraintSpec } from "./grammar/mod.ts";
export { zodResponseFormat } from "./grammar/zod.ts";
export { accessControl, type AccessOptions, type Caller } from "./auth/access.ts";
export { Authenticator, hashKey, type Principal } from "./auth/authenticator.ts";
export { loadAuthFile, AuthFileSchema, type AuthFile } from "./auth/file.ts";
export { MemoryBucketStore, type BucketStore } from "./auth/bucket.ts";
export { RedisBucketStore } from "./auth/redis-store.ts";
export { RateLimiter, RateLimited } from "./auth/limiter.ts";
export { AuditLog, type AuditLogOptions } from "./audit/log.ts";
export { verifyAuditLog, verifyAuditFile, type VerifyReport } from "./audit/verify.ts";
export { Scheduler, type SchedulerLimits, type SchedulerStatus } from "./sched/scheduler.ts";
export { LIFECYCLE, transition, type State } from "./sched/lifecycle.ts";
