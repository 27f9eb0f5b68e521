/** The bad-input battery against a real gateway: each class answered as expected, in bounded time, server alive. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "../server/harness.ts";
import { BATTERY, formatTable, runBattery, type BatteryRow } from "./battery-cases.ts";
import { sleep, tempDir, writeJson } from "./fixtures.ts";

/** Generous: a class must not stall the server, but this machine is shared and slow at times. */
const BOUND_MS = 15_000;

describe("bad-input battery (every class)", () => {
  let h: Harness;
  let rows: BatteryRow[] = [];
  let served = 0;
  let failedServing = 0;

  before(async () => {
    h = startHarness();
    h.upstream.scripts.set("battery", { text: "fine" });
    h.upstream.scripts.set("no-such-model", { status: 404 });
    h.upstream.scripts.set("bystander", { text: "still serving", chunking: 3 });
    const base = h.url.replace("/v1", "");
    // Another client streams completions throughout the battery.
    let running = true;
    const bystander = (async () => {
      while (running) {
        const res = await h.client.chat.completions.create({ model: "bystander", messages: [{ role: "user", content: "x" }] }).catch(() => undefined);
        if (res?.choices[0]?.message.content === "still serving") served++;
        else failedServing++;
        await sleep(20);
      }
    })();
    rows = await runBattery(base);
    running = false;
    await bystander;
  });
  after(() => h.close());

  for (const c of BATTERY) {
    test(`${c.name} → ${c.expect}`, () => {
      const row = rows.find((r) => r.name === c.name)!;
      assert.ok(row.pass, `\n${formatTable([row])}`);
      assert.ok(row.ms < BOUND_MS, `${row.ms} ms`);
    });
  }

  test("another client was served throughout", () => {
    assert.ok(served > 0);
    assert.equal(failedServing, 0);
  });
});

describe("ReDoS-shaped patterns in policy regexes", () => {
  let h: Harness;
  const tmp = tempDir("redos");
  const patterns = ["(a+)+$", "(a|a)*b", "(a|aa)+c", "(x+x+)+y", "^(([a-z])+.)+[A-Z]([a-z])+$", "(\\w+\\s?)+$"];
  before(() => {
    const file = writeJson(tmp.dir, "redos.json", {
      name: "redos",
      input: patterns.map((pattern, i) => ({ id: `in${i}`, type: "regex", pattern, action: "log" })),
      output: patterns.map((pattern, i) => ({ id: `out${i}`, type: "regex", pattern, action: "log" })),
    });
    h = startHarness({ policy: file, maxBodyBytes: 1 << 20 });
  });
  after(async () => {
    await h.close();
    tmp.remove();
  });

  test("load, then scan adversarial prompts and streams in bounded time (linear-time engine)", { timeout: 60_000 }, async () => {
    const evil = `${"a".repeat(100_000)}!`;
    h.upstream.scripts.set("evil", { text: `${"x".repeat(50_000)}!${"aaaa ".repeat(10_000)}`, chunking: 997 });
    const t0 = performance.now();
    const res = await h.client.chat.completions.create({ model: "evil", messages: [{ role: "user", content: evil }] });
    const ms = performance.now() - t0;
    assert.equal(res.choices[0]?.message.content?.length, 100_001);
    assert.ok(ms < BOUND_MS, `${ms} ms`);
  });
});
