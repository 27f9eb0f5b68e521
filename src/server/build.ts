/**
 * The gateway a host serves, built from the validated settings (`readConfig`) and what the host itself provides.
 * Runtime-neutral: every host entry (workers, deno, node, bun, the CLI) goes through here, so a setting means the
 * same everywhere, and a setting the host cannot honour (a file on a host without a file system) is a start-up
 * error that names the setting, the host and what to use instead.
 */
import type { Hono } from "hono";
import { HttpAuditSink } from "../audit/http-sink.ts";
import type { AuditSink } from "../audit/sink.ts";
import type { AccessOptions } from "../auth/access.ts";
import { Authenticator } from "../auth/authenticator.ts";
import { type BucketStore, MemoryBucketStore } from "../auth/bucket.ts";
import { parseAuthFile } from "../auth/file.ts";
import { RateLimiter } from "../auth/limiter.ts";
import { UpstreamBackend } from "../backends/upstream/backend.ts";
import type { Backend } from "../backends/types.ts";
import { GatewayMetrics } from "../metrics/gateway.ts";
import type { Exposable } from "../metrics/registry.ts";
import type { NoteLog } from "../obs/log.ts";
import type { RequestRecord } from "../obs/request-log.ts";
import { defaultPolicies } from "../policy/default.ts";
import { policiesFromUrls, type PolicySource, PollingPolicies, type ReloadResult } from "../policy/source.ts";
import { Scheduler } from "../sched/scheduler.ts";
import { createGateway } from "./app.ts";
import type { GatewayConfig } from "./config.ts";
import { Drain } from "./drain.ts";

/** What the host provides; anything left out is built from the settings or is a start-up error naming them. */
export interface HostParts {
  /** The host's name for messages (`workers`, `deno`, `node`, `bun`). */
  host: string;
  /** A backend of the host's own (the local llama.cpp one, RSK_UPSTREAMS' routes, given the gateway's metrics);
   * default: the upstream of RSK_UPSTREAM_URL. */
  backend?: Backend | ((metrics: GatewayMetrics) => Backend);
  /** Policies the host loaded (files); default: RSK_POLICY as http(s) URLs, else the bundled default policy. */
  policies?: PolicySource;
  /** API keys the host read (RSK_AUTH file); default: RSK_AUTH_JSON. */
  authenticator?: Authenticator;
  /** Shared rate-limit buckets (Redis, Durable Objects); default: this instance's memory. */
  buckets?: BucketStore;
  /** When memory buckets would be wrong on this host (one per isolate): how to provide shared ones. Rate limits without
   * `buckets` are then a start-up error saying so. */
  sharedBuckets?: string;
  /** Audit destination the host opened (the file log); default: RSK_AUDIT_URL's HTTP sink. */
  audit?: AuditSink;
  /** Hands a background promise to the host (Workers' `ctx.waitUntil`) so audit batches are sent before it sleeps. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** The client's address for refusal counts (see AccessOptions). */
  clientAddress?: AccessOptions["clientAddress"];
  /** Host metrics for `/metrics` (process metrics on servers). */
  extraMetrics?: readonly Exposable[];
  /** Operational notes with their level (stderr on servers, console.log at the edge). */
  log: NoteLog;
  /** Where each `/v1` request's record goes. */
  requestLog?: (record: RequestRecord) => void;
  /** Reachable by others whatever RSK_HOST says (edge hosts): the playground then needs API keys. */
  exposed?: boolean;
  /** Send SSE headers after this long without a first event (hosts that see a client leave only by a cancelled body). */
  sseHeadersAfterMs?: number;
  /** Also awaited by the gateway's `flush()` on shutdown (the trace exporter's batch). */
  flush?: () => Promise<void>;
}

/** The built gateway and what its host's shutdown needs. */
export interface BuiltGateway {
  app: Hono;
  policies: PolicySource;
  backend: Backend;
  drain: Drain;
  metrics: GatewayMetrics;
  /** One line for the start-up log. */
  summary: string;
  /** Sends or writes pending audit records (and the host's spans). */
  flush(): Promise<void>;
  /** Closes the audit sink, the bucket store and the policy source. */
  close(): Promise<void>;
}

/** Addresses only this machine can reach. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/** A setting the host cannot honour: names the setting, the host and what to do instead. */
export class HostFeatureError extends Error {
  constructor(setting: string, host: string, instead: string) {
    super(`${setting} needs a feature ${host} does not have: ${instead}`);
    this.name = "HostFeatureError";
  }
}

/** Builds the gateway of `config` on a host; throws (HostFeatureError, PolicyLoadError, AuthFileError) at start-up. */
export function buildGateway(config: GatewayConfig, parts: HostParts): BuiltGateway {
  const metrics = new GatewayMetrics();
  const onReload = (r: ReloadResult) => {
    metrics.reloads.inc({ result: r.ok ? "ok" : "error" });
    noteReload(parts.log, r);
  };
  const policies = parts.policies ?? policySource(config, parts.host, onReload);
  const backend = typeof parts.backend === "function" ? parts.backend(metrics) : parts.backend ?? upstream(config, parts, metrics);
  const authenticator = parts.authenticator ?? authFromJson(config, parts.host);
  if (!parts.buckets && config.redis) throw new HostFeatureError("RSK_REDIS_URL", parts.host, "a TCP socket shared between requests; use the host's own store (Durable Objects on workers)");
  if (!parts.buckets && parts.sharedBuckets && authenticator?.limited) throw new HostFeatureError("rate limits (`limits` in the auth file)", parts.host, parts.sharedBuckets);
  const buckets = parts.buckets ?? new MemoryBucketStore();
  const audit = parts.audit ?? auditSink(config, parts);
  if (config.playground && !authenticator && (parts.exposed ?? !LOOPBACK.test(config.host))) {
    throw new Error(`RSK_PLAYGROUND is on for a gateway others can reach (${parts.exposed ? parts.host : `RSK_HOST=${config.host}`}) without API keys: set RSK_AUTH (or RSK_AUTH_JSON), or keep the playground on a loopback address`);
  }
  const drain = new Drain();
  const app = createGateway({
    drain,
    backend,
    policies,
    metrics,
    extraMetrics: parts.extraMetrics,
    access: {
      authenticator,
      limiter: new RateLimiter(buckets),
      audit,
      onMeterError: (err) => parts.log(`rsk: token metering failed: ${String(err)}`, "error"),
      clientAddress: parts.clientAddress,
    },
    maxBodyBytes: config["max-body-bytes"],
    limits: { maxTokens: config["max-tokens"], maxChoices: config["max-choices"] },
    scheduler: new Scheduler({
      slots: config["max-concurrent"] ?? backend.slots,
      queueSize: config["queue-size"],
      queueTimeoutMs: config["queue-timeout-ms"],
      requestTimeoutMs: config["request-timeout-ms"],
    }),
    onInternalError: (err) => parts.log(`rsk: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`, "error"),
    browser: { hosts: { bindHost: config.host, allowedHosts: config["allowed-hosts"] }, corsOrigins: config["cors-origins"] },
    readTimeoutMs: config["read-timeout-ms"],
    sseHeartbeatMs: config["sse-heartbeat-ms"],
    sseHeadersAfterMs: parts.sseHeadersAfterMs,
    playground: config.playground,
    log: parts.log,
    requestLog: parts.requestLog,
  });
  const summary = [
    config.upstreams ? `routes ${config.upstreams}` : config.upstream ? `upstream ${config.upstream}` : "local backend",
    authenticator ? `auth: ${authenticator.describe()}` : "auth: OPEN",
    `rate limits: ${parts.buckets ? "shared" : "memory"}`,
    `audit: ${config["audit-log"] ?? config["audit-url"] ?? "off"}`,
  ].join(", ");
  if (!authenticator) {
    parts.log("rsk: WARNING: no RSK_AUTH configured: the gateway is OPEN. Anyone who can reach it can use it, with every policy and no rate limit.", "warn");
  }
  return {
    app,
    policies,
    backend,
    drain,
    metrics,
    summary,
    flush: async () => {
      await Promise.all([audit?.flush(), parts.flush?.()]);
    },
    close: async () => {
      policies.close();
      await audit?.close();
      await buckets.close();
    },
  };
}

/** A policy reload's note: info when it loaded, an error with its cause when the last good policies stay. */
export function noteReload(log: NoteLog, r: ReloadResult): void {
  if (r.ok) log(`rsk: policies reloaded (${r.policies})`);
  else log(`rsk: policy reload failed, keeping the last good policies\n${r.error.message}`, "error");
}

/** RSK_POLICY as http(s) URLs (polled), else the bundled default; a path needs a host that reads files. */
function policySource(config: GatewayConfig, host: string, onReload: (r: ReloadResult) => void): PolicySource {
  if (!config.policy) return defaultPolicies();
  const urls = config.policy.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (urls.every((u) => /^https?:\/\//i.test(u))) {
    return new PollingPolicies({ load: policiesFromUrls(urls), intervalMs: config["policy-refresh-ms"], onReload });
  }
  throw new HostFeatureError(`RSK_POLICY=${config.policy}`, host, "a file system; give http(s) URLs, or bundle the policy (`rsk({ policy })`)");
}

function upstream(config: GatewayConfig, parts: HostParts, metrics: GatewayMetrics): Backend {
  if (config.upstreams) throw new HostFeatureError(`RSK_UPSTREAMS=${config.upstreams}`, parts.host, "a file system; set RSK_UPSTREAM_URL, or build a RoutedBackend from a bundled routing file");
  if (!config.upstream) throw new HostFeatureError("a gateway without RSK_UPSTREAM_URL", parts.host, "the local llama.cpp backend runs on servers (`npm start`); set RSK_UPSTREAM_URL");
  let lastNote = -Infinity;
  return new UpstreamBackend({
    url: config.upstream,
    dialect: config["upstream-dialect"],
    apiKey: config.upstreamApiKey,
    firstByteTimeoutMs: config["upstream-timeout-ms"],
    idleTimeoutMs: config["upstream-idle-ms"],
    maxResponseBytes: config["max-response-bytes"],
    onFailure: (kind) => metrics.upstreamErrors.inc({ kind }),
    onUnknownLines: (count, sample) => {
      metrics.upstreamUnknownLines.inc({}, count);
      if (Date.now() - lastNote < 10_000) return;
      lastNote = Date.now();
      parts.log(`rsk: upstream sent ${count} SSE line(s) that are not SSE fields (skipped), e.g. ${JSON.stringify(sample)}`, "warn");
    },
  });
}

function authFromJson(config: GatewayConfig, host: string): Authenticator | undefined {
  if (config.authJson) {
    let json: unknown;
    try {
      json = JSON.parse(config.authJson);
    } catch (err) {
      throw new Error(`RSK_AUTH_JSON: not valid JSON: ${(err as Error).message}`);
    }
    return new Authenticator(parseAuthFile(json, "RSK_AUTH_JSON"));
  }
  if (config.auth) throw new HostFeatureError(`RSK_AUTH=${config.auth}`, host, "a file system; put the auth file's JSON in RSK_AUTH_JSON");
}

function auditSink(config: GatewayConfig, parts: HostParts): AuditSink | undefined {
  if (config["audit-url"]) {
    return new HttpAuditSink({
      url: config["audit-url"],
      key: config.auditKey!,
      flushMs: config["audit-flush-ms"],
      waitUntil: parts.waitUntil,
      onError: (err) => parts.log(`rsk: audit batch failed: ${String(err)}`, "error"),
    });
  }
  if (config["audit-log"]) throw new HostFeatureError(`RSK_AUDIT_LOG=${config["audit-log"]}`, parts.host, "a file system; send records to a collector with RSK_AUDIT_URL");
}
