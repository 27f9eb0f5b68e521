/**
 * The Dockerfile, checked without a Docker engine (none runs on this machine or in CI): its shape (multi-stage,
 * unprivileged user, health check on /livez, exec-form command), and its runtime stage replayed on the host: the files
 * that stage copies, laid out as in the image, started with the image's command, environment and user; then the image's
 * HEALTHCHECK command must pass and SIGTERM must end the server with exit 0.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { ROOT } from "./hosts.ts";

/** One Dockerfile instruction: its keyword and its argument text (continuations joined). */
interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The Dockerfile's stages, each a list of instructions starting with its FROM. */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const out: Instruction[][] = [];
  for (const line of lines) {
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (op.toUpperCase() === "FROM") out.push([]);
    out.at(-1)!.push({ op: op.toUpperCase(), args });
  }
  return out;
}

const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);
const one = (stage: Instruction[], op: string) => all(stage, op).at(-1) ?? "";
/** `KEY=value KEY2=value2` of ENV lines. */
const env = (stage: Instruction[]) =>
  Object.fromEntries(all(stage, "ENV").flatMap((a) => a.split(/\s+/).map((kv) => kv.split("=", 2) as [string, string])));

const DOCKERFILE = stages(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const RUNTIME = DOCKERFILE.at(-1)!;

test("the Dockerfile builds in one stage and runs in a second, as an unprivileged user, with a /livez health check", () => {
  assert.ok(DOCKERFILE.length >= 2, "multi-stage");
  assert.match(one(DOCKERFILE[0]!, "FROM"), / AS build$/);
  const user = one(RUNTIME, "USER");
  assert.ok(user !== "" && !/^(root|0)(:|$)/.test(user), `runtime user ${JSON.stringify(user)} is not root`);
  assert.match(one(RUNTIME, "HEALTHCHECK"), /\/livez/);
  assert.equal(JSON.parse(one(RUNTIME, "CMD"))[0], "bun", "exec form, so the server itself is PID 1 and gets SIGTERM");
  assert.equal(one(RUNTIME, "EXPOSE"), env(RUNTIME).PORT);
  assert.equal(env(RUNTIME).RSK_HOST, "0.0.0.0", "reachable from outside the container");
  // What the build stage's `npm ci` must produce is what the repo's own `npm install` produced here.
  for (const copy of all(RUNTIME, "COPY")) {
    const from = copy.split(/\s+/).filter((w) => !w.startsWith("--")).at(-2)!;
    if (from.startsWith("/app/")) assert.ok(existsSync(join(ROOT, from.slice(5))), `${from} exists after npm install`);
  }
});

/** The runtime stage's files under `dir`: /app copies from the repo (node_modules linked), bun from node_modules. */
function layOut(dir: string): string {
  let bun = "";
  for (const copy of all(RUNTIME, "COPY")) {
    const [from = "", to = ""] = copy.split(/\s+/).filter((w) => !w.startsWith("--")).slice(-2);
    if (from === "/usr/local/bin/bun") bun = join(ROOT, "node_modules/.bin/bun");
    else if (from === "/app/node_modules") symlinkSync(join(ROOT, "node_modules"), join(dir, to));
    else {
      mkdirSync(dirname(join(dir, to)), { recursive: true });
      cpSync(join(ROOT, from.slice(5)), join(dir, to), { recursive: true, filter: (src) => !src.includes("/tests/fixture/out") });
    }
  }
  return bun;
}

/** Runs as the image's unprivileged user when this process may switch users (root, as in CI); as itself otherwise. */
function asUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args]];
}

test("the image's runtime stage starts as a non-root user, passes its HEALTHCHECK and drains on SIGTERM", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rsk-image-"));
  chmodSync(dir, 0o755);
  const bun = layOut(dir);
  const [cmd, ...args] = JSON.parse(one(RUNTIME, "CMD")) as string[];
  assert.equal(cmd, "bun");
  const childEnv = { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env(RUNTIME), PORT: "0", RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1" };
  const [exe, argv] = asUser(bun, args);
  const server = spawn(exe, argv, { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30_000;
    let port: string | undefined;
    while (!(port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(log)?.[1])) {
      assert.ok(server.exitCode === null, `the server exited ${server.exitCode}:\n${log}`);
      assert.ok(Date.now() < deadline, `no "listening" line in 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const check = JSON.parse(one(RUNTIME, "HEALTHCHECK").replace(/^.*?CMD\s+/, "")) as string[];
    const health = spawnSync(check[0]!, check.slice(1), { env: { ...childEnv, PORT: port }, encoding: "utf8", timeout: 10_000 });
    assert.equal(health.status, 0, `HEALTHCHECK failed: ${health.stderr}`);
    process.kill(server.pid!, "SIGTERM"); // not server.kill(): Deno then reports the signal sent, not the exit code
    assert.equal(await exited, 0, `exit code after SIGTERM:\n${log}`);
  } finally {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
