/**
 * Bad settings on the real hosts: the host refuses to start (or, under wrangler, to load the worker) with one message
 * naming the setting, the host and what to use instead; never a crash at the first request.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { missingTools } from "../system-tools.ts";
import { type HostName, ROOT, startHost } from "./hosts.ts";

const LIMITED = JSON.stringify({ keys: [{ id: "a", sha256: "0".repeat(64), limits: { requestsPerSecond: 1 } }] });

/** The example worker without its Durable Object binding. */
function workerWithoutBuckets(): { config: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "rsk-nobuckets-"));
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "rsk-nobuckets"\nmain = ${JSON.stringify(join(ROOT, "examples/workers/worker.ts"))}\ncompatibility_date = "2026-04-01"\n`);
  return { config, dir };
}

const CASES: [HostName, string, Record<string, string>, RegExp][] = [
  ["deno", "a policy path (deno serve has no --allow-read)", { RSK_POLICY: "/etc/rsk/policies" }, /RSK_POLICY=\/etc\/rsk\/policies needs a feature deno does not have: a file system; give http\(s\) URLs/],
  ["deno", "an invalid setting", { RSK_MAX_TOKENS: "lots" }, /--max-tokens \/ RSK_MAX_TOKENS="lots": must be a whole number/],
  ["workerd", "rate limits without the RSK_BUCKETS binding", { RSK_AUTH_JSON: LIMITED }, /rate limits .* needs a feature workers does not have: bind a Durable Object namespace .* as RSK_BUCKETS/],
  ["workerd", "an audit log file", { RSK_AUDIT_LOG: "/var/log/rsk.jsonl", RSK_AUDIT_KEY: "k".repeat(32) }, /RSK_AUDIT_LOG=\/var\/log\/rsk\.jsonl needs a feature workers does not have: .*RSK_AUDIT_URL/],
  ["node", "a broken policy file", { RSK_POLICY: join(ROOT, "package.json") }, /rsk: cannot start: invalid policy:\n.*package\.json: \$/],
];

for (const [host, name, env, message] of CASES) {
  test(`${host} refuses to start on ${name}, saying why`, { skip: host === "node" || host === "workerd" ? missingTools(["node", "--version"]) : false, timeout: 90_000 }, async () => {
    const worker = host === "workerd" && env.RSK_AUTH_JSON ? workerWithoutBuckets() : undefined;
    const running = await startHost(host, { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", ...env }, { workerConfig: worker?.config, until: message });
    try {
      assert.match(running.log(), message);
      if (host === "deno") assert.doesNotMatch(running.log(), /Uncaught|\n\s+at /, "one line, no stack trace");
      if (host !== "workerd") assert.equal(await fetch(`${running.url}/livez`).then(() => "served", () => "refused"), "refused");
    } finally {
      await running.stop();
      if (worker) rmSync(worker.dir, { recursive: true, force: true });
    }
  });
}
