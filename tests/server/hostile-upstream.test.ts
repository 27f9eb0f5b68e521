/** Every hostile upstream mode, through both completion doors, streamed and not: no planted secret reaches a client. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ask, assertNoSecret, HOSTILE_MODES } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

describe("hostile upstreams (default policy, real servers)", () => {
  let h: Harness;
  before(() => (h = startHarness({ firstByteTimeoutMs: 1000, idleTimeoutMs: 300, maxResponseBytes: 1 << 20 })));
  after(() => h.close());

  for (const [name, mode] of Object.entries(HOSTILE_MODES)) {
    for (const door of ["chat", "completion"] as const) {
      for (const stream of [true, false]) {
        test(`${name} · ${door} · ${stream ? "stream" : "json"}`, async () => {
          const model = `${name}-${door}`;
          h.upstream.scripts.set(model, mode.script(door));
          const view = await ask(h.url, door, model, stream);
          assertNoSecret(view, name);
          if (mode.expect.error) {
            assert.ok(view.error, `expected an error, got ${view.status}: ${view.raw.slice(0, 300)}`);
            assert.match(view.error.code, mode.expect.error);
            assert.equal(view.done, false, "no [DONE] after an error");
            return;
          }
          assert.equal(view.error, undefined, view.raw.slice(0, 300));
          assert.equal(view.texts.get(0), mode.expect.text);
          assert.equal(view.finishes.get(0)?.length, 1, `one finish chunk: ${JSON.stringify([...view.finishes])}`);
          if (stream) assert.ok(view.done);
        });
      }
    }
  }

  test("upstream error text is gated, not dropped: what the policy allows stays readable", async () => {
    h.upstream.scripts.set("gated-500", { status: 500, errorBody: JSON.stringify({ error: { message: "model overloaded, write to ops@example.com" } }) });
    const view = await ask(h.url, "chat", "gated-500", false);
    assert.equal(view.status, 502);
    assert.equal(view.error?.message, "upstream answered 500: model overloaded, write to [EMAIL]");
  });

  test("unknown SSE lines are counted in /metrics", async () => {
    const metrics = h.metrics.expose();
    assert.match(metrics, /rsk_upstream_unknown_sse_lines_total [1-9]/);
  });
});
