/** CLI entry (`bun src/main.ts` / `deno run -A src/main.ts`): serves the gateway, or `policy check|schema`. */
import { readFileSync } from "node:fs";
import { clientAddress, serve, throttled } from "../ffi/serve.ts";
import { helpText } from "./help.ts";
import { UpstreamBackend } from "./backends/upstream/backend.ts";
import { GatewayMetrics } from "./metrics/gateway.ts";
import { policyJsonSchemaText } from "./policy/json-schema.ts";
import { loadPolicies } from "./policy/load.ts";
import { PolicyStore } from "./policy/store.ts";
import { type GatewayConfig, readConfig } from "./server/config.ts";
import { LocalBackend } from "./backends/local/backend.ts";
import { ensureFixtureModel, LlamaEngine } from "./backends/local/mod.ts";
import { setMaskCacheBudget } from "./grammar/mod.ts";
import { selectKernels } from "../ffi/mod.ts";
import { createGateway } from "./server/app.ts";
import { Drain } from "./server/drain.ts";
import { processMetrics } from "./obs/process-metrics.ts";
import { ApiError } from "./server/errors.ts";
import { Scheduler } from "./sched/scheduler.ts";
import { hashKeyCommand, openAccess } from "./auth/setup.ts";
import { verifyCommand } from "./audit/verify.ts";

async function serveGateway(argv: string[]): Promise<void> {
  const config = readConfig(argv, process.env);
  const metrics = new GatewayMetrics();
  const policies = new PolicyStore(config.policy, (result) => {
    metrics.reloads.inc({ result: result.ok ? "ok" : "error" });
    if (result.ok) console.error(`rsk: policies reloaded (${result.policies})`);
    else console.error(`rsk: policy reload failed, keeping the last good policies\n${result.error.message}`);
  });
  policies.watch();
  const unknownLines = throttled((line) => console.error(line), 10_000);
  const backend = config.upstream
    ? new UpstreamBackend({
      url: config.upstream,
      apiKey: config.upstreamApiKey,
      firstByteTimeoutMs: config["upstream-timeout-ms"],
      idleTimeoutMs: config["upstream-idle-ms"],
      maxResponseBytes: config["max-response-bytes"],
      onFailure: (kind) => metrics.upstreamErrors.inc({ kind }),
      onUnknownLines: (count, sample) => {
        metrics.upstreamUnknownLines.inc({}, count);
        unknownLines(`rsk: upstream sent ${count} SSE line(s) that are not SSE fields (skipped), e.g. ${JSON.stringify(sample)}`);
      },
    })
    : await openLocalBackend(config);
  const access = await openAccess(
    { clientAddress, auth: config.auth, redis: config.redis, auditLog: config["audit-log"], auditKey: config.auditKey, auditFlushMs: config["audit-flush-ms"] },
    (line) => console.error(line),
  );
  const drain = new Drain();
  const runtime = "Bun" in globalThis ? `bun ${process.versions.bun}` : `deno ${process.versions.deno}`;
  const app = createGateway({
    drain,
    extraMetrics: processMetrics(version(), runtime),
    access: access.access,
    backend,
    policies,
    metrics,
    maxBodyBytes: config["max-body-bytes"],
    limits: { maxTokens: config["max-tokens"], maxChoices: config["max-choices"] },
    scheduler: new Scheduler({
      slots: config["max-concurrent"] ?? (backend instanceof LocalBackend ? backend.slots : undefined),
      queueSize: config["queue-size"],
      queueTimeoutMs: config["queue-timeout-ms"],
      requestTimeoutMs: config["request-timeout-ms"],
    }),
    onInternalError: (err) => console.error("rsk: internal error", err),
    browser: { hosts: { bindHost: config.host, allowedHosts: config["allowed-hosts"] }, corsOrigins: config["cors-origins"] },
    readTimeoutMs: config["read-timeout-ms"],
    sseHeartbeatMs: config["sse-heartbeat-ms"],
    log: throttled((line) => console.error(line), 1000),
    // One JSON line per request on stdout (rsk's own notes go to stderr).
    requestLog: (record) => process.stdout.write(`${JSON.stringify(record)}\n`),
  });
  const busy = new ApiError(503, `too many connections (RSK_MAX_CONNECTIONS = ${config["max-connections"]}); retry shortly`, {
    code: "too_many_connections",
    headers: { "retry-after": "1" },
  });
  // Signal listeners first: Deno 2.9.6 panics if one is first registered while a flood holds every descriptor.
  const stopSignals = new Promise<void>((resolve) => {
    process.on("SIGINT", () => resolve());
    process.on("SIGTERM", () => resolve());
  });
  const server = serve({
    port: config.port,
    hostname: config.host,
    fetch: app.fetch,
    // Bun's idle limit must outlast the SSE heartbeat (plus Bun's 4 s timer tick) or it would cut quiet streams.
    idleTimeoutMs: Math.max(config["read-timeout-ms"], config["sse-heartbeat-ms"] + 5000),
    maxInFlight: config["max-connections"],
    overloaded: () => Response.json(busy.toBody(), { status: 503, headers: busy.headers }),
    log: (line) => console.error(line),
  });
  const names = [...policies.current.byName.keys()].join(", ");
  const source = backend instanceof LocalBackend ? `local model ${backend.modelPath}, ${backend.kernels.kind} kernels` : `upstream ${config.upstream}`;
  console.error(`rsk: listening on http://${config.host}:${server.port} (${source}; policies: ${names}; ${access.summary})`);
  // Drain: not ready, no new requests, in-flight ones finish until RSK_DRAIN_MS, the rest end with an error event.
  const stop = async () => {
    drain.start();
    server.stopAccepting();
    const inFlight = drain.inFlight;
    if (inFlight > 0) console.error(`rsk: draining ${inFlight} request(s) for up to ${config["drain-ms"]} ms`);
    await until(() => drain.inFlight === 0, config["drain-ms"]);
    if (drain.inFlight > 0) {
      console.error(`rsk: drain deadline passed: ending ${drain.inFlight} request(s) with server_shutting_down`);
      drain.abortAll();
      await until(() => drain.inFlight === 0, 2000);
    }
    access.flush();
    policies.close();
    if (backend instanceof LocalBackend) backend.engine.close();
    await server.close().then(() => access.close()).catch((err) => console.error("rsk: shutdown:", err));
    console.error("rsk: stopped");
    process.exit(0);
  };
  void stopSignals.then(stop);
}

/** Resolves once `done()` holds or `ms` passed (checked every 20 ms). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** `rsk policy check <path>`: validates policy files the way the server does, exit 1 with every problem. */
function checkPolicies(path: string | undefined): void {
  if (!path) throw new Error("usage: rsk policy check <file-or-folder>");
  const set = loadPolicies(path);
  console.log(`ok: ${[...set.byName.values()].map((p) => `${p.name} (${p.file}, ${p.version})`).join(", ")}`);
}

/** The local backend: RSK_MODEL, or the generated fixture model (built now if missing). */
async function openLocalBackend(config: GatewayConfig): Promise<LocalBackend> {
  const modelPath = config.model ?? (await ensureFixtureModel());
  const engine = await LlamaEngine.open({ modelPath, nSeqMax: config["n-seq-max"], nCtxPerSequence: config["ctx-per-seq"], nThreads: config.threads,
    streamBufferBytes: config["stream-buffer-bytes"] });
  const backend = new LocalBackend(engine, await selectKernels(config.kernels), modelPath);
  setMaskCacheBudget(config["grammar-cache-mb"] * 2 ** 20);
  backend.prepareGrammars();
  return backend;
}

/** The package version, from package.json next to the sources. */
function version(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

try {
  const [command, sub, arg] = process.argv.slice(2);
  if (command === "help" || command === "--help" || command === "-h") process.stdout.write(helpText(version()));
  else if (command === "--version" || command === "-v") process.stdout.write(`${version()}\n`);
  else if (command === "policy" && sub === "check") checkPolicies(arg);
  else if (command === "policy" && sub === "schema") process.stdout.write(policyJsonSchemaText());
  else if (command === "auth" && sub === "hash-key") await hashKeyCommand(arg);
  else if (command === "audit" && sub === "verify") process.exitCode = verifyCommand(process.argv.slice(4));
  else await serveGateway(process.argv.slice(2));
} catch (err) {
  console.error(`rsk: cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
