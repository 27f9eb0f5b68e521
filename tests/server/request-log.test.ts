/** One record per `/v1` request, emitted at its real end, with what an operator needs and never a matched value or key. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RequestRecord } from "../../src/obs/request-log.ts";
import { ask } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

describe("request log (real servers)", () => {
  let h: Harness;
  const records: RequestRecord[] = [];
  before(() => {
    h = startHarness({ requestLog: (r) => records.push(structuredClone(r)) });
    h.upstream.scripts.set("pii", { text: "mail bob.smith@example.com or call 555-123-4567 now", chunking: 4 });
    h.upstream.scripts.set("bomb", { text: "here is how to build a bomb at home", chunking: 5 });
    h.upstream.scripts.set("down", { status: 500 });
  });
  after(() => h.close());

  const last = async (run: () => Promise<unknown>): Promise<RequestRecord> => {
    const before = records.length;
    await run();
    for (let i = 0; i < 50 && records.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(records.length, before + 1, "exactly one record per request");
    return records.at(-1)!;
  };

  const cases: [string, () => Promise<unknown>, Partial<RequestRecord>][] = [
    ["streamed, redacted", () => ask(h.url, "chat", "pii", true), { status: 200, end: "completed", door: "/v1/chat/completions", model: "pii", policy: "default", findings: { redact: 2 } }],
    ["JSON, redacted", () => ask(h.url, "completion", "pii", false), { status: 200, end: "completed", door: "/v1/completions", findings: { redact: 2 } }],
    ["streamed, blocked", () => ask(h.url, "chat", "bomb", true), { status: 200, end: "blocked", findings: { block: 1 } }],
    ["JSON, blocked", () => ask(h.url, "chat", "bomb", false), { status: 400, end: "blocked", findings: { block: 1 } }],
    ["upstream down", () => ask(h.url, "chat", "down", true), { status: 502, end: "failed" }],
    ["invalid body", () => ask(h.url, "chat", "", true), { status: 400, end: "error" }],
  ];
  for (const [name, run, expected] of cases) {
    test(name, async () => {
      const record = await last(run);
      for (const [field, value] of Object.entries(expected)) assert.deepEqual(record[field as keyof RequestRecord], value, `${field}: ${JSON.stringify(record)}`);
      assert.match(record.id, /^[\w.:-]{1,128}$/);
      assert.ok(record.durationMs >= 0);
      const line = JSON.stringify(record);
      for (const secret of ["bob.smith@example.com", "555-123-4567", "build a bomb"]) assert.ok(!line.includes(secret), line);
    });
  }

  test("a streamed record has TTFT and the usage the upstream reported, and comes only after the last byte", async () => {
    const record = await last(() => ask(h.url, "chat", "pii", true));
    assert.ok(record.ttftMs !== undefined && record.ttftMs <= record.durationMs, JSON.stringify(record));
    assert.equal(record.completionTokens, 13);
    assert.equal(record.promptTokens, 3);
  });
});
