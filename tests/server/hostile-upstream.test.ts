/** Every hostile upstream mode, through both completion doors, streamed and not: no planted secret reaches a client. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Door, HOSTILE_MODES, PLANTED } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

/** Everything a client got for one request, read the way a client would. */
export interface ClientView {
  /** HTTP status. */
  status: number;
  /** The whole body as received (SSE text or JSON). */
  raw: string;
  /** Released text per choice. */
  texts: Map<number, string>;
  /** Finish reasons per choice, in the order they arrived. */
  finishes: Map<number, string[]>;
  /** The error's code and message (JSON error body or SSE error event). */
  error?: { code: string; message: string };
  /** Whether a stream ended with [DONE]. */
  done: boolean;
}

/** Sends one request through a door and reads the answer like a client. */
export async function ask(url: string, door: Door, model: string, stream: boolean, n = 1): Promise<ClientView> {
  const body = door === "chat"
    ? { model, stream, n, messages: [{ role: "user", content: "go" }] }
    : { model, stream, n, prompt: "go" };
  const res = await fetch(`${url}/${door === "chat" ? "chat/completions" : "completions"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const raw = await res.text();
  const view: ClientView = { status: res.status, raw, texts: new Map(), finishes: new Map(), done: false };
  const add = (index: number, text: string | null | undefined, finish: string | null | undefined) => {
    if (text) view.texts.set(index, (view.texts.get(index) ?? "") + text);
    if (finish) view.finishes.set(index, [...(view.finishes.get(index) ?? []), finish]);
  };
  if (!(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const json = JSON.parse(raw);
    if (json.error) view.error = { code: json.error.code, message: json.error.message };
    for (const c of json.choices ?? []) add(c.index, c.message?.content ?? c.text, c.finish_reason);
    return view;
  }
  for (const block of raw.split("\n\n")) {
    const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    if (!data) continue;
    if (data === "[DONE]") {
      view.done = true;
      continue;
    }
    const json = JSON.parse(data);
    if (block.includes("event: error")) view.error = { code: json.error.code, message: json.error.message };
    else for (const c of json.choices ?? []) add(c.index, c.delta?.content ?? c.text, c.finish_reason);
  }
  return view;
}

/** Fails if any planted secret is in what the client received. */
export function assertNoSecret(view: ClientView, what: string): void {
  for (const [name, value] of Object.entries(PLANTED)) {
    assert.ok(!view.raw.includes(value), `${what}: ${name} leaked: ${view.raw.slice(0, 400)}`);
  }
}

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
