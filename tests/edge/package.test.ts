/**
 * rsk as a package: `npm pack`, then `npm install <tarball>` into a fresh app (no bun on the PATH at install time),
 * and a stream through it on Node (the built JavaScript), Bun and Deno (`npm:`-style resolution from node_modules):
 * PII split across pieces comes out redacted.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startScriptedUpstream, type ScriptedUpstream } from "../server/scripted-upstream.ts";
import { missingTools } from "../system-tools.ts";
import { freePorts, ROOT, signalGroup } from "./hosts.ts";

const EMAIL = "jane.doe@mail.example.com";
/** A user's server file: the plugin mounted in their own Hono app, served by each runtime's own means. */
const APP = `import { Hono } from "hono";
import { rsk } from "rsk";
const app = new Hono();
app.get("/", (c) => c.text("my app"));
app.route("/ai", rsk({ upstream: { url: process.env.RSK_UPSTREAM_URL } }));
const port = Number(process.env.PORT);
if (globalThis.Bun) Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch });
else if (globalThis.Deno) Deno.serve({ port, hostname: "127.0.0.1" }, app.fetch);
else (await import("@hono/node-server")).serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
`;

/** Node, Bun and Deno, as a user runs the app. */
const RUNTIMES: [string, string, string[]][] = [
  ["node", "node", ["app.mjs"]],
  ["bun", join(ROOT, "node_modules/.bin/bun"), ["app.mjs"]],
  ["deno", join(ROOT, "node_modules/.bin/deno"), ["run", "--allow-net", "--allow-env", "app.mjs"]],
];

const skip = missingTools(["node", "--version"], ["npm", "--version"]);

describe("the package installed from its tarball into a fresh app", { skip }, () => {
  let app: string;
  let upstream: ScriptedUpstream;
  before(() => {
    upstream = startScriptedUpstream();
    upstream.scripts.set("m", { text: `Write to ${EMAIL} today.`, chunking: 2 });
  });
  after(async () => {
    await upstream?.close();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  test("npm pack, then npm install with no bun on the PATH", { timeout: 300_000 }, () => {
    app = mkdtempSync(join(tmpdir(), "rsk-app-"));
    execFileSync("npm", ["pack", "--pack-destination", app], { cwd: ROOT, stdio: "pipe" });
    const tarball = readdirSync(app).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", type: "module", private: true, dependencies: { rsk: `file:${tarball}`, "@hono/node-server": "*", hono: "*" } }));
    writeFileSync(join(app, "app.mjs"), APP);
    const path = (process.env.PATH ?? "").split(":").filter((dir) => !dir.includes("node_modules")).join(":");
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--omit=optional"], { cwd: app, stdio: "pipe", env: { ...process.env, PATH: path } });
  });

  for (const [name, cmd, args] of RUNTIMES) {
    test(`${name}: the plugin in a user's app streams, redacted`, { timeout: 60_000 }, async () => {
      assert.ok(app, "installed");
      const [port] = await freePorts(1);
      const child = spawn(cmd, args, { cwd: app, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: String(port), RSK_UPSTREAM_URL: upstream.url } });
      let log = "";
      child.stdout!.on("data", (d) => (log += d));
      child.stderr!.on("data", (d) => (log += d));
      try {
        const base = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 30_000;
        while (!(await fetch(base).then((r) => r.ok, () => false))) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not serve:\n${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const res = await fetch(`${base}/ai/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
        });
        const body = await res.text();
        assert.equal(res.status, 200, body);
        assert.ok(!body.includes("jane.doe") && !body.includes("mail.example"), body);
        assert.match(body, /\[DONE\]/);
      } finally {
        signalGroup(child.pid!, "SIGKILL");
      }
    });
  }
});
