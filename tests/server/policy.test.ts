/** Policy files: every problem named with file and JSON path, refuse-to-start, hot reload keeps the last good set. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Ajv } from "ajv";
import { loadPolicies, PolicyLoadError } from "../../src/policy/load.ts";
import { policyJsonSchemaText } from "../../src/policy/json-schema.ts";
import { PolicyStore, type ReloadResult } from "../../src/policy/store.ts";
import { startHarness } from "./harness.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "rsk-policy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, body: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
  return file;
};
const good = (name: string, action = "redact") => ({ name, output: [{ id: "mail", type: "pii", detector: "email", action }] });

describe("policy files", () => {
  test("shipped policies load and validate against the committed policy.schema.json", () => {
    const set = loadPolicies(join(root, "policies"));
    assert.deepEqual([...set.byName.keys()].sort(), ["default", "permissive", "strict"]);
    assert.equal(set.defaultPolicy.name, "default");
    const schema = JSON.parse(readFileSync(join(root, "policies/policy.schema.json"), "utf8"));
    const validate = new Ajv({ strict: false }).compile(schema);
    for (const name of ["default", "strict", "permissive"]) {
      const file = JSON.parse(readFileSync(join(root, `policies/${name}.json`), "utf8")) as { $schema: string };
      assert.ok(validate(file), `${name}: ${JSON.stringify(validate.errors)}`);
      assert.equal(file.$schema, "./policy.schema.json");
    }
  });

  test("strict and permissive watch every PII and secret detector the default policy does, in both stages", () => {
    type Rule = { type: string; detector?: string; action: string };
    const read = (name: string) => JSON.parse(readFileSync(join(root, `policies/${name}.json`), "utf8")) as Record<"input" | "output", Rule[]>;
    const detectors = (rules: Rule[]) => rules.filter((r) => r.type === "pii").map((r) => r.detector).sort();
    const base = read("default");
    for (const [name, action] of [["strict", "block"], ["permissive", "log"]] as const) {
      const policy = read(name);
      for (const stage of ["input", "output"] as const) {
        assert.deepEqual(detectors(policy[stage]), detectors(base[stage]), `${name} ${stage}`);
        assert.ok(policy[stage].every((r) => r.action === action), `${name} ${stage}: every rule ${action}s`);
      }
    }
  });

  test("policy.schema.json is generated from the valibot schema and up to date (npm run policy:schema)", () => {
    assert.equal(readFileSync(join(root, "policies/policy.schema.json"), "utf8"), policyJsonSchemaText());
  });

  test("an invalid file lists every problem with its file and JSON path", () => {
    const file = write("bad.json", {
      name: "bad name!",
      onError: "explode",
      output: [
        { id: "a", type: "pii", detector: "dna", action: "redact" },
        { id: "b", type: "regex", pattern: "(a)\\1", action: "block" },
        { id: "c", type: "phrases", phrases: ["x"], action: "shout" },
      ],
    });
    const err = (() => { try { loadPolicies(file); } catch (e) { return e; } })();
    assert.ok(err instanceof PolicyLoadError);
    const text = err.problems.join("\n");
    assert.match(text, /bad\.json: \$\.name: /);
    assert.match(text, /bad\.json: \$\.onError: /);
    assert.match(text, /bad\.json: \$\.output\[0\]/);
    assert.match(text, /bad\.json: \$\.output\[2\]/);
    assert.ok(err.problems.length >= 4, text);
  });

  test("a regex the linear-time engine cannot run is a load error naming the rule path", () => {
    const file = write("backref.json", { name: "backref", output: [{ id: "b", type: "regex", pattern: "(a)\\1", action: "block" }] });
    assert.throws(() => loadPolicies(file), (e: unknown) => e instanceof PolicyLoadError && /\$\.output\[0\]/.test(e.message));
  });

  test("not JSON, duplicate names and empty folders are clear errors", () => {
    assert.throws(() => loadPolicies(write("trunc.json", "{\"name\": \"x\", \"out")), /trunc\.json: not valid JSON/);
    const sub = mkdtempSync(join(dir, "dup-"));
    writeFileSync(join(sub, "a.json"), JSON.stringify(good("same")));
    writeFileSync(join(sub, "b.json"), JSON.stringify(good("same")));
    assert.throws(() => loadPolicies(sub), /b\.json: \$\.name: policy name "same" is already used by a\.json/);
    assert.throws(() => loadPolicies(mkdtempSync(join(dir, "empty-"))), /no policy files/);
  });

  test("the server refuses to start on an invalid policy, naming the problem", () => {
    const file = write("refuse.json", { name: "r", output: [{ id: "x", type: "pii", detector: "nope", action: "redact" }] });
    const bun = join(root, "node_modules/.bin/bun");
    const run = spawnSync(bun, [join(root, "src/main.ts"), "--policy", file, "--upstream", "http://127.0.0.1:9/v1", "--port", "0"], { encoding: "utf8", timeout: 20_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot start: invalid policy:[\s\S]*refuse\.json: \$\.output\[0\]/);
  });

  test("reload: a broken file keeps the last good policy; a fixed file takes effect", () => {
    const file = write("live.json", good("live"));
    const results: ReloadResult[] = [];
    const store = new PolicyStore(file, (r) => results.push(r));
    const before = store.resolve()!;
    writeFileSync(file, "{ \"name\": \"live\", \"output\": [ {");
    assert.equal(store.reload().ok, false);
    assert.equal(store.resolve(), before, "last good policy still served");
    writeFileSync(file, JSON.stringify(good("live", "block")));
    assert.equal(store.reload().ok, true);
    assert.notEqual(store.resolve()!.version, before.version);
    assert.deepEqual(results.map((r) => r.ok), [false, true]);
  });

  test("watch: editing the file on disk reloads it; a request in flight keeps the policy it started with", async () => {
    const file = write("watched.json", good("watched"));
    const h = startHarness({ policy: file });
    h.policies.watch(20);
    try {
      h.upstream.scripts.set("slowmail", { text: "mail a.b@example.org now", chunking: 2, pieceDelayMs: 15 });
      const sent = h.upstream.received.length;
      const inFlight = h.client.chat.completions.create({ model: "slowmail", messages: [{ role: "user", content: "x" }] });
      // Edit only once the upstream has the request: by then the gateway has picked its policy (a fixed sleep raced under load).
      await waitFor(() => h.upstream.received.length > sent);
      writeFileSync(file, JSON.stringify(good("watched", "block")));
      const first = await inFlight;
      assert.equal(first.choices[0]?.message.content, "mail [EMAIL] now", "in-flight request finished under its own version");
      await waitFor(() => blockedNow(h));
    } finally {
      await h.close();
    }
  });
});

function blockedNow(h: ReturnType<typeof startHarness>): boolean {
  return h.policies.resolve()!.output.scan("a.b@example.org").blocked !== undefined;
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("condition not reached within 5 s");
}
