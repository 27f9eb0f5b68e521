/**
 * Where policies come from at the edge (bundled, or polled from a URL or KV) and what a host cannot do: every source
 * swaps whole sets and keeps the last good one; a setting the host cannot honour is a start-up error naming the
 * setting, the host and what to use instead.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { BundledPolicies, PollingPolicies, policiesFromKv, policiesFromUrls, PolicyLoadError, type ReloadResult } from "../../src/mod.ts";
import { buildGateway, HostFeatureError, type HostParts } from "../../src/server/build.ts";
import { readConfig } from "../../src/server/config.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";

const DEFAULT_TEXT = readFileSync(DEFAULT_POLICY, "utf8");
const policy = (name: string, phrase = "forbidden words") =>
  JSON.stringify({ name, output: [{ id: "p", type: "phrases", action: "block", phrases: [phrase] }] });
const version = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

describe("bundled policies", () => {
  test("compiled at construction, versioned by the sha256 of their text (as on servers)", async () => {
    const source = new BundledPolicies({ "default.json": DEFAULT_TEXT, "strict.json": JSON.parse(policy("strict")) });
    assert.throws(() => source.current, /not ready/);
    await source.ready;
    assert.equal(source.resolve()!.version, version(DEFAULT_TEXT));
    assert.equal(source.resolve("strict")!.version, version(policy("strict")), "an imported object is hashed over its JSON text");
    assert.equal(source.resolve("strict")!.file, "strict.json");
    assert.equal(source.resolve("nope"), undefined);
  });

  test("a bad bundled policy is refused at construction, naming its file and path", () => {
    assert.throws(() => new BundledPolicies({ "bad.json": { name: "bad", output: [{ id: "x", type: "regex", action: "block", pattern: "(" }] } }), (err: Error) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.match(err.message, /bad\.json: \$\.output\[0\]/);
      return true;
    });
  });
});

describe("polled policies", () => {
  let server: Server;
  let url: string;
  const served = { status: 200, body: policy("edge"), hits: 0 };
  before(async () => {
    server = createServer((_req, res) => {
      served.hits++;
      res.writeHead(served.status, { "content-type": "application/json" }).end(served.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy.json`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("first use loads; later uses refresh at most every interval; a bad or missing policy keeps the last good", async () => {
    let now = 0;
    const reloads: ReloadResult[] = [];
    const source = new PollingPolicies({ load: policiesFromUrls([url]), intervalMs: 1000, now: () => now, onReload: (r) => reloads.push(r) });
    assert.equal(served.hits, 0, "nothing is fetched before first use");
    await source.ready;
    assert.equal(source.resolve()!.name, "edge");
    const first = source.resolve()!.version;
    assert.equal(first, version(served.body));

    served.body = policy("edge", "other words");
    now = 500;
    source.current;
    assert.equal(served.hits, 1, "within the interval: no fetch");
    now = 1000;
    source.current;
    await until(() => reloads.length === 1);
    assert.deepEqual(reloads[0], { ok: true, policies: 1 });
    assert.notEqual(source.resolve()!.version, first);

    for (const [status, body, why] of [[200, "{ not json", /not valid JSON/], [200, policy("edge", ""), /\$\.output\[0\]/], [404, "gone", /HTTP 404/]] as const) {
      const good = source.resolve();
      served.status = status;
      served.body = body;
      now += 1000;
      source.current;
      await until(() => reloads.length > 1 && !reloads.at(-1)!.ok && reloads.filter((r) => !r.ok).length === reloads.length - 1);
      const last = reloads.at(-1)!;
      assert.ok(!last.ok && why.test(last.error.message), `${why}: ${!last.ok && last.error.message}`);
      assert.equal(source.resolve(), good, "the last good set stays");
      reloads.length = 1;
    }
    served.status = 200;
    served.body = policy("edge");
  });

  test("a policy larger than the limit is refused before it is read whole", async () => {
    served.body = JSON.stringify({ name: "big", description: "x".repeat(5 * 1024 * 1024) });
    const source = new PollingPolicies({ load: policiesFromUrls([url]) });
    await assert.rejects(source.ready, /larger than/);
    served.body = policy("edge");
  });

  test("a KV namespace: one policy per key; a missing key fails the load", async () => {
    const kv = new Map([["default", policy("default")], ["strict", policy("strict")]]);
    const get = async (key: string) => kv.get(key) ?? null;
    const source = new PollingPolicies({ load: policiesFromKv({ get }, ["default", "strict"]) });
    await source.ready;
    assert.deepEqual([...source.current.byName.keys()], ["default", "strict"]);
    await assert.rejects(new PollingPolicies({ load: policiesFromKv({ get }, ["absent"]) }).ready, /kv:absent: no such key/);
  });

  test("through the gateway: no policy yet is a 503; once the source recovers, requests are served", async () => {
    served.status = 500;
    const built = buildGateway(readConfig({}, { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", RSK_POLICY: url }), { host: "test", log: () => {} });
    const down = await built.app.request("/healthz");
    assert.equal(down.status, 503);
    assert.equal((await down.json()).error.code, "policies_unavailable");
    served.status = 200;
    const up = await built.app.request("/healthz");
    assert.equal(up.status, 200);
    assert.deepEqual((await up.json()).policies, ["edge"]);
  });
});

describe("a setting the host cannot honour is a start-up error", () => {
  const sha = "0".repeat(64);
  const cases: [string, Record<string, string>, Partial<HostParts>, RegExp][] = [
    ["no upstream (the local backend needs a server)", {}, {}, /RSK_UPSTREAM_URL.*edge-host.*npm start/],
    ["a policy path", { RSK_POLICY: "/etc/rsk/policies" }, {}, /RSK_POLICY=\/etc\/rsk\/policies.*edge-host.*http\(s\) URLs/],
    ["an auth file path", { RSK_AUTH: "/etc/rsk/auth.json" }, {}, /RSK_AUTH=.*edge-host.*RSK_AUTH_JSON/],
    ["Redis", { RSK_REDIS_URL: "redis://127.0.0.1:6379" }, {}, /RSK_REDIS_URL.*edge-host.*Durable Objects/],
    ["a routing file", { RSK_UPSTREAMS: "/etc/rsk/routes.json" }, {}, /RSK_UPSTREAMS=\/etc\/rsk\/routes\.json.*edge-host.*RSK_UPSTREAM_URL/],
    ["an audit log file", { RSK_AUDIT_LOG: "/var/log/rsk.jsonl", RSK_AUDIT_KEY: "k".repeat(32) }, {}, /RSK_AUDIT_LOG=.*edge-host.*RSK_AUDIT_URL/],
    ["rate limits without shared buckets", { RSK_AUTH_JSON: JSON.stringify({ keys: [{ id: "a", sha256: sha, limits: { requestsPerSecond: 1 } }] }) },
      { sharedBuckets: "bind RSK_BUCKETS" }, /rate limits.*edge-host.*bind RSK_BUCKETS/],
  ];
  for (const [name, env, parts, message] of cases) {
    test(name, () => {
      const config = readConfig({}, { RSK_UPSTREAM_URL: env === cases[0]![1] ? "" : "http://127.0.0.1:9/v1", ...env });
      assert.throws(() => buildGateway(config, { host: "edge-host", log: () => {}, ...parts }), (err: Error) => {
        assert.ok(err instanceof HostFeatureError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test("RSK_AUTH_JSON that is not JSON or not an auth file names the variable", () => {
    for (const [json, message] of [["{", /RSK_AUTH_JSON: not valid JSON/], ['{"keys":[{"id":"a"}]}', /RSK_AUTH_JSON: \$\.keys\[0\]\.sha256/]] as const) {
      const config = readConfig({}, { RSK_UPSTREAM_URL: "http://127.0.0.1:9/v1", RSK_AUTH_JSON: json });
      assert.throws(() => buildGateway(config, { host: "edge-host", log: () => {} }), message);
    }
  });
});

async function until(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
