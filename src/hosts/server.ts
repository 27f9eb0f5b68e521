/**
 * `rsk/server`: what a server host (Bun, Node, Deno with file access, the CLI) adds to the core: policy files with hot reload,
 * the auth file, Redis buckets, the file audit log, process metrics, and serving with a graceful drain on signals.
 */
import { readFileSync } from "node:fs";
import { AuditLog } from "../audit/log.ts";
import { RoutingStore } from "../backends/router/load.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import { Authenticator } from "../auth/authenticator.ts";
import { loadAuthFile } from "../auth/load-file.ts";
import { RedisBucketStore } from "../auth/redis-store.ts";
import { Log, type NoteLog } from "../obs/log.ts";
import { startTracing } from "../obs/otel.ts";
import { processMetrics } from "../obs/process-metrics.ts";
import type { ReloadResult } from "../policy/source.ts";
import { DEFAULT_POLICY, PolicyStore } from "../policy/store.ts";
import { buildGateway, type BuiltGateway, type HostParts, noteReload } from "../server/build.ts";
import { type GatewayConfig, readConfig } from "../server/config.ts";
import { ApiError } from "../server/errors.ts";

/** The rsk package version, from its package.json (two folders up from the sources, three from the built JS). */
export function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version: string };
      if (pkg.name === "rsk") return pkg.version;
    } catch {
      // not there: the built copy is one folder deeper
    }
  }
  return "unknown";
}

/** A server's log: request records on stdout, notes on stderr, at RSK_LOG_LEVEL in RSK_LOG_FORMAT. */
export function serverLog(config: GatewayConfig): Log {
  return new Log({
    level: config["log-level"],
    format: config["log-format"],
    out: (line) => void process.stdout.write(line),
    err: (line) => void process.stderr.write(line),
  });
}

/**
 * The host parts a server reads from files and sockets, and its traces (OTEL_* in `env`); throws at start-up on a
 * bad file, an unreachable Redis or a bad OTLP endpoint.
 */
export async function serverParts(config: GatewayConfig, host: string, log: NoteLog, env: Record<string, string | undefined> = process.env): Promise<HostParts> {
  log(`rsk: settings: ${JSON.stringify(shownSettings(config))}`, "debug");
  const tracing = await startTracing(env, { version: packageVersion(), log });
  const urls = config.policy !== undefined && /^https?:\/\//i.test(config.policy);
  const policies = urls ? undefined : new PolicyStore(config.policy ?? DEFAULT_POLICY, (result) => noteReload(log, result));
  policies?.watch();
  const audit = config["audit-log"]
    ? new AuditLog({ path: config["audit-log"], key: config.auditKey!, flushMs: config["audit-flush-ms"], onError: (err) => log(`rsk: audit write failed (will retry): ${String(err)}`, "error") })
    : undefined;
  if (audit?.previous.end === "unclean") {
    log(`rsk: WARNING: audit log ${config["audit-log"]}: the previous run did not end with a close record (last record on disk: seq ${audit.previous.seq}): ` +
      "it crashed or was killed, or the file was truncated; records after that seq may be lost. This run's open record says so and `rsk audit verify` reports it.", "warn");
  }
  const routes = config.upstreams;
  return {
    host,
    backend: routes ? (metrics) => routedBackend(routes, env, metrics, log) : undefined,
    policies,
    authenticator: config.auth ? new Authenticator(loadAuthFile(config.auth)) : undefined,
    buckets: config.redis ? await RedisBucketStore.connect(config.redis, "rsk:rl:", (err) => log(`rsk: redis: ${err.message}`, "error")) : undefined,
    audit,
    extraMetrics: processMetrics(packageVersion(), host),
    log,
    // One line per request on stdout (rsk's own notes go to stderr).
    requestLog: serverLog(config).request,
    flush: tracing?.flush,
  };
}

/** RSK_UPSTREAMS' routes (hot-reloaded), reporting to the gateway's metrics and notes. */
function routedBackend(path: string, env: Record<string, string | undefined>, metrics: GatewayMetrics, log: NoteLog): RoutingStore {
  return new RoutingStore(path, env, {
    breaker: (upstream, state) => {
      metrics.breakerChanges.inc({ upstream, state });
      log(`rsk: upstream ${upstream}: circuit ${state.replace("_", "-")}`, state === "open" ? "warn" : "info");
    },
    retry: (upstream, error, next) => {
      metrics.upstreamRetries.inc({ upstream });
      log(`rsk: upstream ${upstream} failed before its first event (${error.code}); trying ${next}`, "info");
    },
    failure: (kind) => metrics.upstreamErrors.inc({ kind }),
    reload: (error) => log(error ? `rsk: routing reload failed, keeping the last good routes\n${error.message}` : `rsk: routes reloaded from ${path}`, error ? "error" : "info"),
  });
}

/** The settings in effect, for a debug note: secrets left out, URLs without credentials. */
function shownSettings(config: GatewayConfig): Record<string, unknown> {
  const { upstreamApiKey: _k, auditKey: _a, authJson: _j, ...shown } = config;
  return Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, typeof v === "string" ? v.replace(/\/\/[^/@]*@/g, "//") : v]));
}

/** The listener a server host runs the gateway on. */
export interface Listener {
  /** Stops accepting new connections; requests in flight go on. */
  stopAccepting(): void;
  /** Closes what is left. */
  close(): Promise<void>;
}

/**
 * On SIGTERM/SIGINT: not ready, no new requests, in-flight ones finish until RSK_DRAIN_MS, the rest end with an
 * error event; then audit records out, the listener closed, exit 0.
 */
export function drainOnSignals(built: BuiltGateway, listener: Listener, drainMs: number, log: NoteLog, onStop: () => void = () => {}): void {
  const stop = async () => {
    const { drain } = built;
    drain.start();
    listener.stopAccepting();
    if (drain.inFlight > 0) log(`rsk: draining ${drain.inFlight} request(s) for up to ${drainMs} ms`);
    await until(() => drain.inFlight === 0, drainMs);
    if (drain.inFlight > 0) {
      log(`rsk: drain deadline passed: ending ${drain.inFlight} request(s) with server_shutting_down`, "warn");
      drain.abortAll();
      await until(() => drain.inFlight === 0, 2000);
    }
    await built.flush();
    onStop();
    await listener.close().then(() => built.close()).catch((err) => log(`rsk: shutdown: ${String(err)}`, "error"));
    log("rsk: stopped");
    process.exit(0);
  };
  let stopping = false;
  const once = () => {
    if (!stopping) void stop();
    stopping = true;
  };
  process.on("SIGINT", once);
  process.on("SIGTERM", once);
}

/** Resolves once `done()` holds or `ms` passed (checked every 20 ms). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** A started server host. */
export interface StartedServer {
  /** The bound port. */
  readonly port: number;
  readonly built: BuiltGateway;
}

/** What differs between server hosts besides listening. */
export interface ServerOptions {
  /** Settings (default: process.env). */
  env?: Record<string, string | undefined>;
  /** The client's address from Hono's context on this host. */
  clientAddress?: HostParts["clientAddress"];
}

/** The 503 a server answers beyond RSK_MAX_CONNECTIONS. */
export function overloaded(config: GatewayConfig): () => Response {
  const busy = new ApiError(503, `too many connections (RSK_MAX_CONNECTIONS = ${config["max-connections"]}); retry shortly`, {
    code: "too_many_connections",
    headers: { "retry-after": "1" },
  });
  return () => Response.json(busy.toBody(), { status: 503, headers: busy.headers });
}

/** How a host listens: the app's fetch on the configured port and interface. */
export type Listen = (built: BuiltGateway, config: GatewayConfig) => (Listener & { readonly port: number }) | Promise<Listener & { readonly port: number }>;

/**
 * A server host's whole start: settings from `env` (RSK_*, PORT), file-backed parts, the gateway, the listener, and
 * a drain on SIGTERM/SIGINT. On any bad setting or file: one `rsk: cannot start:` line and exit 1.
 */
export async function startServer(host: string, listen: Listen, options: ServerOptions = {}): Promise<StartedServer> {
  try {
    const env = options.env ?? process.env;
    const config = readConfig({}, env);
    const log = serverLog(config).note;
    const built = buildGateway(config, { ...await serverParts(config, host, log, env), clientAddress: options.clientAddress });
    const listener = await listen(built, config);
    drainOnSignals(built, listener, config["drain-ms"], log);
    log(`rsk: listening on http://${config.host}:${listener.port} (${host}; ${built.summary})`);
    return { port: listener.port, built };
  } catch (err) {
    // A server's main: one clear, plain line (the settings may be what is wrong) and a failed exit, not a stack trace.
    console.error(`rsk: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

/** Policy files at `path` (a file or a folder), reloaded when they change unless `watch` is false. */
export function filePolicies(path: string, options: { watch?: boolean; onReload?: (result: ReloadResult) => void } = {}): PolicyStore {
  const store = new PolicyStore(path, options.onReload);
  if (options.watch ?? true) store.watch();
  return store;
}

export { AuditLog, type AuditLogOptions } from "../audit/log.ts";
export { verifyAuditFile, verifyAuditLog, type VerifyReport } from "../audit/verify.ts";
export { loadAuthFile } from "../auth/load-file.ts";
export { RedisBucketStore } from "../auth/redis-store.ts";
export { loadPolicies } from "../policy/load.ts";
export { DEFAULT_POLICY, PolicyStore } from "../policy/store.ts";
