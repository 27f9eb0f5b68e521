/**
 * The real hosts, started as a user starts them (the README's commands on the repo's examples, or a worker of a
 * test's own under wrangler): Bun, Node (the built JavaScript), `deno serve` with only `--allow-net --allow-env`, and
 * workerd through `wrangler dev --local` (offline).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts, signalGroup } from "../net.ts";

export { freePorts, signalGroup };

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const bin = (name: string) => join(ROOT, "node_modules/.bin", name);

/** The hosts rsk runs on. */
export type HostName = "bun" | "node" | "deno" | "workerd";

/** A host serving a gateway. */
export interface RunningHost {
  /** Base URL (no trailing slash). */
  readonly url: string;
  /** Everything the host printed so far. */
  readonly log: () => string;
  /** Stops the host and everything it started. */
  stop(): Promise<void>;
}

/** The command a user runs for each host, on port `port` (workerd: the worker config `config`). */
function command(host: HostName, port: number, inspector: number, env: Record<string, string>, config: string, state: string): [string, string[]] {
  switch (host) {
    case "bun":
      return [bin("bun"), ["examples/bun/main.ts"]];
    case "node":
      return ["node", ["examples/node/main.mjs"]];
    case "deno":
      return [bin("deno"), ["serve", "--allow-net", "--allow-env", "--port", String(port), "--host", "127.0.0.1", "examples/deno/main.ts"]];
    case "workerd":
      return [bin("wrangler"), [
        "dev", "--local", "--config", config, "--port", String(port), "--ip", "127.0.0.1", "--inspector-ip", "127.0.0.1", "--inspector-port", String(inspector),
        "--persist-to", state, "--show-interactive-dev-session=false",
        ...Object.entries(env).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ]];
  }
}

/** How to start a host: a worker config of the test's own; `until`: wait for this log line instead of `/livez`. */
export interface StartOptions {
  workerConfig?: string;
  until?: RegExp;
}

/** Starts `host` with RSK_* settings `env`; resolves once `/livez` answers, or the log matches `until` (60 s at most). */
export async function startHost(host: HostName, env: Record<string, string>, options: StartOptions = {}): Promise<RunningHost> {
  const [port, inspector] = await freePorts(2);
  const scratch = mkdtempSync(join(tmpdir(), `rsk-host-${host}-`));
  const [cmd, args] = command(host, port!, inspector!, env, options.workerConfig ?? join(ROOT, "examples/workers/wrangler.toml"), join(scratch, "state"));
  const child = spawn(cmd, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, PORT: String(port), RSK_HOST: "127.0.0.1", WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", XDG_CONFIG_HOME: scratch, NO_COLOR: "1" },
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const running: RunningHost = { url: `http://127.0.0.1:${port}`, log: () => log, stop: () => stopGroup(child, scratch) };
  const deadline = Date.now() + 60_000;
  let exitedAt: number | undefined;
  for (;;) {
    if (options.until?.test(log)) return running;
    if (child.exitCode !== null) exitedAt ??= Date.now();
    // An exit is final once its last output has had a moment to arrive.
    if (exitedAt !== undefined && Date.now() - exitedAt > 500) {
      await running.stop();
      throw new Error(`${host} exited ${child.exitCode} before ${options.until ? `logging ${options.until}` : "it served"}:\n${log}`);
    }
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${host} did not ${options.until ? `log ${options.until}` : "serve"} within 60 s:\n${log}`);
    }
    if (!options.until && await fetch(`${running.url}/livez`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM, then (after up to 10 s) SIGKILL to the whole process group: wrangler leaves workerd children behind. */
async function stopGroup(child: ChildProcess, scratch: string): Promise<void> {
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child.pid!, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  signalGroup(child.pid!, "SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
}
