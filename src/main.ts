/** CLI entry (`bun src/main.ts` / `deno run -A src/main.ts`): serves the gateway, or `policy check|schema`. */
import { parseArgs } from "node:util";
import { clientAddress, serve, throttled } from "../ffi/serve.ts";
import { helpText } from "./help.ts";
import { policyJsonSchemaText } from "./policy/json-schema.ts";
import { routingJsonSchemaText } from "./backends/router/schema.ts";
import { loadPolicies } from "./policy/load.ts";
import { FLAGS, type GatewayConfig, readConfig } from "./server/config.ts";
import { buildGateway } from "./server/build.ts";
import { LocalBackend } from "./backends/local/backend.ts";
import { ensureFixtureModel, LlamaEngine } from "./backends/local/mod.ts";
import { setMaskCacheBudget } from "./grammar/mod.ts";
import { selectKernels } from "../ffi/mod.ts";
import { drainOnSignals, overloaded, packageVersion, serverLog, serverParts } from "./hosts/server.ts";
import { hashKeyCommand } from "./auth/hash-key.ts";
import { verifyCommand } from "./audit/verify.ts";
import { packCommand } from "./packs/cli.ts";
import { servePacks } from "./packs/folder.ts";

async function serveGateway(argv: string[]): Promise<void> {
  const options = Object.fromEntries(FLAGS.map((k) => [k, { type: "string" as const }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const config = readConfig(values, process.env);
  const log = serverLog(config).note;
  const runtime = "Bun" in globalThis ? `bun ${process.versions.bun}` : `deno ${process.versions.deno}`;
  await servePacks(config.packs ?? [], config["pack-keys"] ?? [], log); // before policies: kernel rules compile against packs
  const parts = await serverParts(config, runtime, log);
  const local = config.upstream || config.upstreams ? undefined : await openLocalBackend(config);
  const built = buildGateway(config, { ...parts, backend: local ?? parts.backend, clientAddress, log: throttled(log, 1000) });
  const server = serve({
    port: config.port,
    hostname: config.host,
    fetch: built.app.fetch,
    // Bun's idle limit must outlast the SSE heartbeat (plus Bun's 4 s timer tick) or it would cut quiet streams.
    idleTimeoutMs: Math.max(config["read-timeout-ms"], config["sse-heartbeat-ms"] + 5000),
    maxInFlight: config["max-connections"],
    overloaded: overloaded(config),
    log,
  });
  // Registered before traffic arrives: Deno 2.9.6 panics if one is first registered while a flood holds every descriptor.
  drainOnSignals(built, server, config["drain-ms"], log, () => local?.engine.close());
  const names = [...built.policies.current.byName.keys()].join(", ");
  const model = local ? `local model ${local.modelPath}, ${local.kernels.kind} kernels; ` : "";
  log(`rsk: listening on http://${config.host}:${server.port} (${model}policies: ${names}; ${built.summary})`);
}

/** `rsk policy check <path>`: validates policy files the way the server does (kernel packs of RSK_PACKS loaded first), exit 1 with every problem. */
async function checkPolicies(path: string | undefined): Promise<void> {
  if (!path) throw new Error("usage: rsk policy check <file-or-folder>");
  const config = readConfig({}, process.env);
  await servePacks(config.packs ?? [], config["pack-keys"] ?? [], () => {}, {}, false);
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


const [command, sub, arg] = process.argv.slice(2);
/** Commands other than serving (a failure there is not a start-up failure). */
const tool = ["help", "--help", "-h", "--version", "-v", "policy", "upstreams", "auth", "audit", "pack"].includes(command ?? "");
try {
  if (command === "help" || command === "--help" || command === "-h") process.stdout.write(helpText(packageVersion()));
  else if (command === "--version" || command === "-v") process.stdout.write(`${packageVersion()}\n`);
  else if (command === "policy" && sub === "check") await checkPolicies(arg);
  else if (command === "policy" && sub === "schema") process.stdout.write(policyJsonSchemaText());
  else if (command === "upstreams" && sub === "schema") process.stdout.write(routingJsonSchemaText());
  else if (command === "auth" && sub === "hash-key") await hashKeyCommand(arg);
  else if (command === "audit" && sub === "verify") process.exitCode = verifyCommand(process.argv.slice(4));
  else if (command === "pack") process.exitCode = await packCommand(sub, process.argv.slice(4));
  else await serveGateway(process.argv.slice(2));
} catch (err) {
  console.error(`rsk: ${tool ? "" : "cannot start: "}${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
