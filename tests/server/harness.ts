/** Starts a real gateway on port 0 in front of the scripted upstream, with an official OpenAI SDK client. */
import OpenAI from "openai";
import { serve } from "../../ffi/serve.ts";
import { UpstreamBackend } from "../../src/backends/upstream/backend.ts";
import type { AccessOptions } from "../../src/auth/access.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import type { RequestRecord } from "../../src/obs/request-log.ts";
import { Scheduler } from "../../src/sched/scheduler.ts";
import { createGateway } from "../../src/server/app.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream.ts";

/** A running gateway + upstream pair. */
export interface Harness {
  /** Gateway base URL with `/v1`. */
  url: string;
  /** SDK client pointed at the gateway. */
  client: OpenAI;
  /** The scripted upstream behind it. */
  upstream: ScriptedUpstream;
  /** The gateway's metrics. */
  metrics: GatewayMetrics;
  /** The gateway's policies. */
  policies: PolicyStore;
  /** The gateway's admission queue and slots. */
  scheduler: Scheduler;
  /** Stops both servers. */
  close(): Promise<void>;
}

/** Options for one harness. */
export interface HarnessOptions {
  /** Policy file or folder (default: the shipped default). */
  policy?: string;
  /** Upstream first-byte timeout. */
  firstByteTimeoutMs?: number;
  /** Upstream idle timeout. */
  idleTimeoutMs?: number;
  /** Body limit. */
  maxBodyBytes?: number;
  /** Auth, rate limits, audit (default: open). */
  access?: Omit<AccessOptions, "policies">;
  /** Admission queue and slots (default: the gateway's). */
  scheduler?: Scheduler;
  /** Upstream response bound (default: the backend's). */
  maxResponseBytes?: number;
  /** Where request records go (default: none). */
  requestLog?: (record: RequestRecord) => void;
}

/** Starts the pair. */
export function startHarness(options: HarnessOptions = {}): Harness {
  const upstream = startScriptedUpstream();
  const metrics = new GatewayMetrics();
  const policies = new PolicyStore(options.policy ?? DEFAULT_POLICY);
  const backend = new UpstreamBackend({
    url: upstream.url,
    apiKey: "upstream-secret",
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? 5000,
    idleTimeoutMs: options.idleTimeoutMs ?? 5000,
    maxResponseBytes: options.maxResponseBytes,
    onFailure: (kind) => metrics.upstreamErrors.inc({ kind }),
    onUnknownLines: (count) => metrics.upstreamUnknownLines.inc({}, count),
  });
  const scheduler = options.scheduler ?? new Scheduler();
  const app = createGateway({
    backend,
    policies,
    metrics,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    access: options.access,
    limits: { maxTokens: 32768, maxChoices: 8 },
    scheduler,
    requestLog: options.requestLog,
  });
  const server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const url = `http://127.0.0.1:${server.port}/v1`;
  return {
    url,
    client: new OpenAI({ baseURL: url, apiKey: "client-key", maxRetries: 0 }),
    upstream,
    metrics,
    policies,
    scheduler,
    close: async () => {
      policies.close();
      await server.close();
      await upstream.close();
    },
  };
}
