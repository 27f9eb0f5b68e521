/**
 * rsk as a library (the package's `rsk` entry): the gateway as a Hono app to mount in your own app on any host, plus
 * its building blocks. Runtime-neutral: no file, socket or FFI here (those are `rsk/server` and `rsk/local`).
 */
import type { Hono } from "hono";
import { UpstreamBackend } from "./backends/upstream/backend.ts";
import type { Backend } from "./backends/types.ts";
import type { AccessOptions } from "./auth/access.ts";
import { GatewayMetrics } from "./metrics/gateway.ts";
import { defaultPolicies } from "./policy/default.ts";
import { BundledPolicies, type BundledPolicy, type PolicySource } from "./policy/source.ts";
import { Scheduler, type SchedulerLimits } from "./sched/scheduler.ts";
import { createGateway } from "./server/app.ts";
import type { BrowserRules } from "./server/browser.ts";
import type { RequestRecord } from "./obs/request-log.ts";

/** Options for `rsk()`: a backend (or an upstream to build one) and where the policies live. */
export interface RskOptions {
  /** An OpenAI-compatible upstream; ignored when `backend` is given. */
  upstream?: { url: string; apiKey?: string; firstByteTimeoutMs?: number; idleTimeoutMs?: number; maxResponseBytes?: number };
  /** Any backend (e.g. a custom one); takes precedence over `upstream`. */
  backend?: Backend;
  /**
   * Policies: a source (`filePolicies(path)` from `rsk/server`, `PollingPolicies`…) or bundled policies by name
   * (`{ "default.json": importedJson }`). Default: the shipped `policies/default.json`, bundled.
   */
  policy?: PolicySource | Record<string, BundledPolicy>;
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
  const policies = !options.policy ? defaultPolicies() : isSource(options.policy) ? options.policy : new BundledPolicies(options.policy);
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

function isSource(policy: PolicySource | Record<string, BundledPolicy>): policy is PolicySource {
  return typeof (policy as PolicySource).resolve === "function";
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
export { compilePolicies, PolicyLoadError, type Policy, type PolicySet, type PolicyText, policyVersion } from "./policy/compile.ts";
export { BundledPolicies, type BundledPolicy, policiesFromKv, policiesFromUrls, type PolicyKv, type PolicySource, PollingPolicies, type PollingOptions, type ReloadResult } from "./policy/source.ts";
export { defaultPolicies } from "./policy/default.ts";
export { buildGateway, type BuiltGateway, HostFeatureError, type HostParts } from "./server/build.ts";
export { type GatewayConfig, readConfig, SETTINGS } from "./server/config.ts";
export { PolicySchema, type PolicyFile } from "./policy/schema.ts";
export { UpstreamBackend, type UpstreamOptions } from "./backends/upstream/backend.ts";
export type { Backend, BackendEvent, BackendRequest, ModelCard } from "./backends/types.ts";
export * from "./gates/mod.ts";
export { compileConstraint, GrammarError, GrammarMatcher, parseGbnf, regexGrammar, schemaGrammar, type Constraint, type ConstraintSpec } from "./grammar/mod.ts";
export { zodResponseFormat } from "./grammar/zod.ts";
export { accessControl, type AccessOptions, type Caller } from "./auth/access.ts";
export { Authenticator, type AuthSettings, hashKey, type Principal } from "./auth/authenticator.ts";
export { AuthFileError, AuthFileSchema, parseAuthFile, type AuthFile } from "./auth/file.ts";
export { MemoryBucketStore, type BucketSpec, type BucketStore, type Take, type TakeResult } from "./auth/bucket.ts";
export { RateLimiter, RateLimited } from "./auth/limiter.ts";
export type { AuditSink } from "./audit/sink.ts";
export type { AuditEvent, AuditRecord } from "./audit/record.ts";
export { HttpAuditSink, type HttpAuditSinkOptions } from "./audit/http-sink.ts";
export { Scheduler, type SchedulerLimits, type SchedulerStatus } from "./sched/scheduler.ts";
export { LIFECYCLE, transition, type State } from "./sched/lifecycle.ts";
export { kernelsFromModule } from "../ffi/edge.ts";
export { DurableBucketStore, BucketObject } from "./auth/durable-store.ts";
