/** Starts the upstream and the two gateways (rsk, Portkey) as separate processes and reads their RSS. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { Target } from "./client.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUN = `${ROOT}node_modules/.bin/bun`;
/** Bun's fetch opens at most 256 connections at once unless told otherwise (Bun 1.x); rsk's upstream calls are fetches. */
const ENV = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "16384" };

/** A child process serving HTTP. */
export interface Served {
  /** Process id (for RSS). */
  pid: number;
  /** Base URL with `/v1` and the headers a request needs. */
  target: Target;
  /** Stops it (SIGTERM to this pid only). */
  stop(): Promise<void>;
}

/** A free loopback port (Portkey takes its port as a flag and cannot report a port-0 choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function start(args: string[], env: Record<string, string | undefined>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(BUN, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${args.join(" ")} did not start:\n${seen.slice(-2000)}`)), 30_000);
    const onData = (data: Buffer) => {
      seen += data.toString();
      const match = ready.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      resolve({ child, match });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}:\n${seen.slice(-2000)}`)));
  });
}

const stopper = (child: ChildProcess) => () =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

/** The scripted upstream (bench/load/upstream.ts). */
export async function startUpstream(): Promise<Served & { url: string }> {
  const { child, match } = await start(["bench/load/upstream.ts", "0"], ENV, /listening (\d+)/);
  const url = `http://127.0.0.1:${match[1]}/v1`;
  return { pid: child.pid!, url, target: { url, headers: {} }, stop: stopper(child) };
}

/** rsk in upstream mode (default policy: PII and phrase gates on every chunk). */
export async function startRsk(upstream: string, env: Record<string, string> = {}): Promise<Served> {
  const { child, match } = await start(
    ["src/main.ts", "--port", "0", "--upstream", upstream],
    { ...ENV, RSK_MAX_CONCURRENT: "4096", RSK_QUEUE_SIZE: "4096", ...env },
    /listening on http:\/\/[^:]+:(\d+)/,
  );
  return { pid: child.pid!, target: { url: `http://127.0.0.1:${match[1]}/v1`, headers: {} }, stop: stopper(child) };
}

/** Portkey's gateway (npm @portkey-ai/gateway) under Bun, sending every request to the same upstream. */
export async function startPortkey(upstream: string): Promise<Served> {
  const port = await freePort();
  const { child } = await start(["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${port}`, "--headless"], ENV, /Ready for connections/);
  const headers = { "x-portkey-provider": "openai", "x-portkey-custom-host": upstream };
  return { pid: child.pid!, target: { url: `http://127.0.0.1:${port}/v1`, headers }, stop: stopper(child) };
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return kb ? Number(kb[1]) / 1024 : Number.NaN;
}
