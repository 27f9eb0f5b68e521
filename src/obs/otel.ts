/**
 * OpenTelemetry traces for the server hosts (Bun, Node, the CLI): an OTLP/HTTP (JSON) exporter when the standard
 * OTEL_* variables ask for one. The SDK is imported only then, so a gateway without them loads none of it and the
 * core's spans stay no-ops. Server-only (the SDK reads `process.env` and sends with `node:http`).
 */
import { DiagLogLevel, diag, trace } from "@opentelemetry/api";
import type { NoteLog } from "./log.ts";

/** The SDK modules tracing needs (a parameter so tests can see whether they were loaded). */
export interface TracingSdk {
  sdk: typeof import("@opentelemetry/sdk-trace-base");
  exporter: typeof import("@opentelemetry/exporter-trace-otlp-http");
  resources: typeof import("@opentelemetry/resources");
}

/** A registered tracer provider. */
export interface Tracing {
  /** Where spans go, for the start-up log. */
  readonly url: string;
  /** Sends the spans still batched. */
  flush(): Promise<void>;
}

/** How tracing is started. */
export interface TracingOptions {
  /** `service.version`. */
  version: string;
  /** Start-up notes and the exporter's errors. */
  log: NoteLog;
  /** Imports the SDK (default: the real packages, dynamically). */
  load?: () => Promise<TracingSdk>;
}

type Env = Record<string, string | undefined>;

/** Where OTEL_* says spans go, or undefined when it asks for no traces; throws on an endpoint that is no http(s) URL. */
export function tracesUrl(env: Env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER || "otlp").split(",").map((e) => e.trim().toLowerCase());
  if (exporters.includes("none") || !exporters.includes("otlp")) return undefined;
  const [name, base] = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]
    : ["OTEL_EXPORTER_OTLP_ENDPOINT", env.OTEL_EXPORTER_OTLP_ENDPOINT];
  if (!base) return undefined;
  if (!/^https?:\/\/[^/]/i.test(base) || !URL.canParse(base)) throw new Error(`${name}=${JSON.stringify(base.slice(0, 200))}: must be an http(s) URL`);
  // The signal-specific variable is the whole URL; the general one is a base to which `v1/traces` is appended.
  return name === "OTEL_EXPORTER_OTLP_ENDPOINT" ? `${base.replace(/\/+$/, "")}/v1/traces` : base;
}

/**
 * Registers a tracer provider exporting to OTLP/HTTP when `env` asks for it (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, not OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER unset or otlp); else nothing.
 * Service name: OTEL_SERVICE_NAME, else `rsk`; OTEL_RESOURCE_ATTRIBUTES are added. Sampling (OTEL_TRACES_SAMPLER/_ARG), batching (OTEL_BSP_*) and
 * headers (OTEL_EXPORTER_OTLP_HEADERS) are read by the SDK from the process environment.
 */
export async function startTracing(env: Env, options: TracingOptions): Promise<Tracing | undefined> {
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters && !/^(otlp|none)(,|$)/.test(exporters)) {
    options.log(`rsk: OTEL_TRACES_EXPORTER=${exporters.slice(0, 64)}: rsk exports traces with otlp only (or none); no traces`, "warn");
  }
  const url = tracesUrl(env);
  if (!url) return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== "http/json") {
    options.log(`rsk: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol.slice(0, 32)}: rsk sends http/json (collectors take it at the same path)`, "warn");
  }
  const { sdk, exporter, resources } = await (options.load ?? loadSdk)();
  diag.setLogger({
    error: (message) => options.log(`rsk: tracing: ${message}`, "error"),
    warn: (message) => options.log(`rsk: tracing: ${message}`, "warn"),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  }, DiagLogLevel.WARN);
  const resource = resources.defaultResource().merge(resources.resourceFromAttributes({
    "service.name": env.OTEL_SERVICE_NAME || "rsk",
    "service.version": options.version,
  })).merge(resources.detectResources({ detectors: [resources.envDetector] })); // OTEL_RESOURCE_ATTRIBUTES
  const provider = new sdk.BasicTracerProvider({
    resource,
    spanProcessors: [new sdk.BatchSpanProcessor(new exporter.OTLPTraceExporter({ url }))],
  });
  trace.setGlobalTracerProvider(provider);
  options.log(`rsk: tracing: OTLP/HTTP JSON to ${url} (sampler ${env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on"})`);
  return { url, flush: () => provider.forceFlush() };
}

async function loadSdk(): Promise<TracingSdk> {
  const [sdk, exporter, resources] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  return { sdk, exporter, resources };
}
