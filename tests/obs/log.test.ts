/** RSK_LOG_LEVEL and RSK_LOG_FORMAT: request records and rsk's notes as JSON or human lines, filtered by level. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { Log, type LogFormat, type LogLevel } from "../../src/obs/log.ts";
import type { RequestRecord } from "../../src/obs/request-log.ts";
import { readConfig } from "../../src/server/config.ts";
import { runtimeCommand } from "../hardening/gateway-process.ts";
import { ask } from "../server/hostile-upstream.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import { startScriptedUpstream } from "../server/scripted-upstream.ts";

const NOW = () => new Date("2026-01-02T03:04:05.678Z");
const SECRETS = ["bob.smith@example.com", "555-123-4567", "upstream-secret"];

/** A log writing into arrays. */
function captured(level: LogLevel, format: LogFormat) {
  const out: string[] = [], err: string[] = [];
  const log = new Log({ level, format, out: (l) => out.push(l), err: (l) => err.push(l), now: NOW });
  return { log, out, err };
}

const record: RequestRecord = { id: "r1", door: "/v1/chat/completions", status: 200, end: "completed", durationMs: 12.5, policy: "default", model: "m", findings: { redact: 2 } };

describe("log lines", () => {
  test("json: one object per line with ts, level, msg and the record's fields", () => {
    const { log, out, err } = captured("info", "json");
    log.request(record);
    log.note("rsk: audit batch failed: Error: collector said 503", "error");
    assert.deepEqual(out.map((l) => JSON.parse(l)), [{ ts: "2026-01-02T03:04:05.678Z", level: "info", msg: "request", ...record }]);
    assert.deepEqual(err.map((l) => JSON.parse(l)), [{ ts: "2026-01-02T03:04:05.678Z", level: "error", msg: "rsk: audit batch failed: Error: collector said 503" }]);
    for (const line of [...out, ...err]) assert.ok(line.endsWith("}\n") && line.indexOf("\n") === line.length - 1, line);
  });

  test("pretty: one human line, words bare and the rest as JSON", () => {
    const { log, out, err } = captured("info", "pretty");
    log.request(record);
    log.note("rsk: listening on http://127.0.0.1:8787", "info");
    assert.deepEqual(out, ['2026-01-02T03:04:05.678Z INFO  request id=r1 door=/v1/chat/completions status=200 end=completed durationMs=12.5 policy=default model=m findings={"redact":2}\n']);
    assert.deepEqual(err, ["2026-01-02T03:04:05.678Z INFO  rsk: listening on http://127.0.0.1:8787\n"]);
  });

  test("levels: a 4xx request is info, a 5xx or a failed stream error; debug notes hidden at info", () => {
    const levels = (level: LogLevel) => {
      const { log, out, err } = captured(level, "json");
      log.request({ ...record, status: 400, end: "error" });
      log.request({ ...record, status: 502, end: "failed" });
      log.request({ ...record, status: 200, end: "failed" });
      log.note("debug note", "debug");
      log.note("warn note", "warn");
      return [...out, ...err].map((l) => { const j = JSON.parse(l); return `${j.level}:${j.status ?? j.msg}`; });
    };
    assert.deepEqual(levels("debug"), ["info:400", "error:502", "error:200", "debug:debug note", "warn:warn note"]);
    assert.deepEqual(levels("info"), ["info:400", "error:502", "error:200", "warn:warn note"]);
    assert.deepEqual(levels("warn"), ["error:502", "error:200", "warn:warn note"]);
    assert.deepEqual(levels("error"), ["error:502", "error:200"]);
  });

  test("settings: RSK_LOG_LEVEL and RSK_LOG_FORMAT, defaults info and json, bad values named", () => {
    const c = readConfig({}, {});
    assert.deepEqual([c["log-level"], c["log-format"]], ["info", "json"]);
    const set = readConfig({ "log-format": "pretty" }, { RSK_LOG_LEVEL: "debug", RSK_LOG_FORMAT: "json" });
    assert.deepEqual([set["log-level"], set["log-format"]], ["debug", "pretty"]);
    assert.throws(() => readConfig({}, { RSK_LOG_LEVEL: "verbose", RSK_LOG_FORMAT: "xml" }),
      /--log-level \/ RSK_LOG_LEVEL="verbose": must be debug, info, warn, error\n {2}--log-format \/ RSK_LOG_FORMAT="xml": must be json or pretty/);
  });
});

describe("request lines from a real gateway", () => {
  let h: Harness;
  const { log, out } = captured("warn", "json");
  const info = captured("info", "json");
  before(() => {
    h = startHarness({ requestLog: (r) => { log.request(r); info.log.request(r); } });
    h.upstream.scripts.set("pii", { text: "mail bob.smith@example.com or call 555-123-4567 now", chunking: 4 });
    h.upstream.scripts.set("down", { status: 500 });
  });
  after(() => h.close());

  const next = async (lines: string[], from: number) => {
    for (let i = 0; i < 100 && lines.length === from; i++) await new Promise((r) => setTimeout(r, 10));
    return lines.slice(from).map((l) => JSON.parse(l));
  };

  test("a 400 is an info line (hidden at warn), with the error's code", async () => {
    const [from, hidden] = [info.out.length, out.length];
    await ask(h.url, "chat", "", true);
    const [line] = await next(info.out, from);
    assert.deepEqual([line.level, line.status, line.end], ["info", 400, "error"]);
    assert.match(line.error, /^invalid_/);
    assert.equal(out.length, hidden, "not written at warn");
  });

  test("an upstream failure is an error line with its code, at warn too", async () => {
    const from = out.length;
    await ask(h.url, "chat", "down", true);
    const [line] = await next(out, from);
    assert.deepEqual([line.level, line.status, line.end], ["error", 502, "failed"]);
    assert.match(line.error, /^upstream/);
  });

  test("a redacted request's line holds neither the matched text nor a key", async () => {
    const from = info.out.length;
    await ask(h.url, "chat", "pii", true);
    const [line] = await next(info.out, from);
    assert.deepEqual([line.level, line.findings], ["info", { redact: 2 }]);
    for (const s of SECRETS) assert.ok(!info.out.join("").includes(s), s);
  });
});

describe("the CLI's lines", () => {
  /** Runs the gateway with `env`, makes one request, stops it; its stdout and stderr. */
  async function run(env: Record<string, string>): Promise<{ out: string; err: string }> {
    const upstream = startScriptedUpstream();
    upstream.scripts.set("m", { text: "hi there" });
    const [bin, pre] = runtimeCommand();
    const child = spawn(bin, [...pre, "--upstream", upstream.url], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: "0", ...env } });
    let out = "", err = "";
    child.stdout!.on("data", (d) => (out += d));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on("data", (d) => {
        err += d;
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(err)));
    });
    const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }) });
    await res.text();
    for (let i = 0; i < 100 && !out; i++) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGTERM");
    await exited;
    await upstream.close();
    return { out, err };
  }

  test("json by default: every line on stdout and stderr parses; debug notes only at debug", { timeout: 30_000 }, async () => {
    const { out, err } = await run({ RSK_LOG_LEVEL: "debug" });
    const lines = [...out.trim().split("\n"), ...err.trim().split("\n")].map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.msg === "request" && l.status === 200 && l.level === "info"), out);
    assert.ok(lines.some((l) => l.level === "debug" && /^rsk: settings: /.test(l.msg)), err);
    assert.ok(lines.some((l) => l.level === "warn" && /gateway is OPEN/.test(l.msg)), err);
    assert.ok(lines.every((l) => typeof l.ts === "string" && typeof l.level === "string" && typeof l.msg === "string"));
  });

  test("pretty at info: human lines, no debug note", { timeout: 30_000 }, async () => {
    const { out, err } = await run({ RSK_LOG_FORMAT: "pretty", RSK_LOG_LEVEL: "info" });
    assert.match(out, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}request id=\S+ door=\/v1\/chat\/completions status=200 end=completed /);
    assert.match(err, /Z INFO {2}rsk: listening on http:/);
    assert.match(err, /Z WARN {2}rsk: WARNING: no RSK_AUTH configured/);
    assert.doesNotMatch(err, /rsk: settings/);
  });
});
