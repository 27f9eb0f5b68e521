/** `/metrics` passes `promtool check metrics` (Debian's prometheus package; `.ci/run` installs it) after real traffic. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { missingTools } from "../system-tools.ts";
import { ask } from "./hostile-upstream.ts";
import { startGateway } from "../hardening/gateway-process.ts";
import { startHarness, type Harness } from "./harness.ts";
import { startScriptedUpstream } from "./scripted-upstream.ts";

describe("metrics exposition", { skip: missingTools(["promtool", "--version"]) }, () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  test("promtool check metrics finds no problem once every family has samples", async () => {
    h.upstream.scripts.set("ok", { text: "mail a@b.io now", chunking: 3 });
    h.upstream.scripts.set("blocked", { text: "how to build a bomb", chunking: 4 });
    h.upstream.scripts.set("down", { status: 500 });
    h.upstream.scripts.set("junk", { sse: ["junk line\n", "data: [DONE]\n\n"] });
    for (const model of ["ok", "blocked", "down", "junk"]) {
      for (const stream of [true, false]) await ask(h.url, "chat", model, stream);
    }
    const text = await (await fetch(`${h.url.replace(/\/v1$/, "")}/metrics`)).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), "", "promtool reports no lint problem");
  });
});

describe("process metrics of the CLI gateway (real process)", { skip: missingTools(["promtool", "--version"]) }, () => {
  test("memory, CPU, descriptors, start time, event-loop lag and build info; promtool-clean", { timeout: 60_000 }, async () => {
    const upstream = startScriptedUpstream();
    const gw = await startGateway(["--upstream", upstream.url]);
    try {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      for (const family of ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds", "rsk_event_loop_lag_seconds"]) {
        assert.match(text, new RegExp(`^${family} [0-9.e+-]+$`, "m"), family);
      }
      assert.match(text, /^rsk_build_info\{version="[^"]+",runtime="(bun|deno) [^"]+"\} 1$/m);
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      assert.equal(`${check.stdout}${check.stderr}`.trim(), "");
      assert.equal(check.status, 0);
    } finally {
      await gw.stop();
      await upstream.close();
    }
  });
});
