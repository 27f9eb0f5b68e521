/** The gateway as a real child process on the runtime running the tests (Bun under bun test, Deno under deno test). */
import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { ROOT, sleep } from "./fixtures.ts";

const IS_BUN = "Bun" in globalThis;

/** Command line that runs `src/main.ts` of the checkout at `root` (this repository, or a copy of it) on this runtime. */
export function runtimeCommand(root = ROOT): [string, string[]] {
  return IS_BUN
    ? [`${ROOT}node_modules/.bin/bun`, [`${root}src/main.ts`]]
    : [`${ROOT}node_modules/.bin/deno`, ["run", "-A", `--config=${root}deno.json`, `${root}src/main.ts`]];
}

/** A started gateway process. */
export interface GatewayProcess {
  /** Base URL (no /v1). */
  url: string;
  /** The child. */
  child: ChildProcess;
  /** Everything it wrote on stderr so far. */
  log(): string;
  /** Sends SIGTERM and resolves once it exited (with its exit code; null = killed by the signal). */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` (of `root`) with `args` and extra env; resolves once it logs that it listens. */
export function startGateway(args: string[], env: Record<string, string> = {}, root = ROOT): Promise<GatewayProcess> {
  const [bin, pre] = runtimeCommand(root);
  const child = spawn(bin, [...pre, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PORT: "0", ...env } });
  let err = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) {
        resolve({
          url: m[1]!,
          child,
          log: () => err,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`gateway exited ${code} before listening:\n${err}`)));
  });
}

/** Waits until `log()` (from offset `from`) matches `pattern` `count` times (reloads are debounced and asynchronous). */
export async function waitForLog(p: GatewayProcess, pattern: RegExp, count = 1, from = 0, timeoutMs = 15_000): Promise<void> {
  const global = new RegExp(pattern.source, "g");
  const deadline = Date.now() + timeoutMs;
  while ((p.log().slice(from).match(global)?.length ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} ×${count} in:\n${p.log()}`);
    await sleep(25);
  }
}

/** Runs the CLI once (`rsk <args>`) and returns its output. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> {
  const [bin, pre] = runtimeCommand();
  return spawnSync(bin, [...pre, ...args], { encoding: "utf8", env: { ...process.env, ...env }, input, timeout: 30_000 });
}

/** Kills the gateway with SIGKILL (`kill -9`: no handler runs, like an OOM kill or a crash) and resolves once it is gone. */
export function killHard(p: GatewayProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.child.once("exit", () => resolve());
    p.child.kill("SIGKILL");
  });
}
