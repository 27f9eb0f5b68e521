/**
 * Every hostile upstream mode through the two translating doors, Anthropic Messages and OpenAI Responses, streamed
 * and not: the raw bytes never hold a planted secret, and the door's real SDK (`@anthropic-ai/sdk`, `openai`) sees
 * the gated text and a clean end, or the door's own error and no success.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { HOSTILE_MODES, PLANTED } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

/** What a client of one door got: the gated answer text, or the error its SDK raised (status and code or message). */
interface Answer {
  text?: string;
  error?: string;
}

/** One translating door: a raw request body, its success marker, and the same request through its SDK. */
interface DoorCase {
  path: string;
  body(model: string, stream: boolean): object;
  /** A stream's clean end (Responses: `completed`, or `incomplete` when the upstream stopped at its length limit). */
  success: RegExp;
  ask(h: Harness, model: string, stream: boolean): Promise<Answer>;
}

/** An SDK failure as one comparable line: the error's code (or type) and message. */
function failure(err: unknown): Answer {
  if (!(err instanceof Error)) throw err;
  const e = err as { status?: number; code?: unknown; error?: { error?: { code?: unknown; type?: unknown }; code?: unknown } };
  const code = e.code ?? e.error?.code ?? e.error?.error?.code ?? e.error?.error?.type;
  return { error: `${e.status ?? "stream"} ${String(code ?? "")} ${err.message}` };
}

const DOORS: Record<string, DoorCase> = {
  "Anthropic messages": {
    path: "/messages",
    body: (model, stream) => ({ model, stream, max_tokens: 64, messages: [{ role: "user", content: "go" }] }),
    success: /event: message_stop/,
    async ask(h, model, stream) {
      const client = new Anthropic({ baseURL: h.url.replace(/\/v1$/, ""), apiKey: "unused", maxRetries: 0 });
      const request = { model, max_tokens: 64, messages: [{ role: "user" as const, content: "go" }] };
      try {
        if (!stream) return { text: (await client.messages.create(request)).content.map((b) => (b.type === "text" ? b.text : "")).join("") };
        let text = "";
        for await (const e of await client.messages.create({ ...request, stream: true })) {
          if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
        }
        return { text };
      } catch (err) {
        return failure(err);
      }
    },
  },
  "OpenAI responses": {
    path: "/responses",
    body: (model, stream) => ({ model, stream, input: "go" }),
    success: /event: response\.(completed|incomplete)/,
    async ask(h, model, stream) {
      const client = new OpenAI({ baseURL: h.url, apiKey: "unused", maxRetries: 0 });
      try {
        if (!stream) return { text: (await client.responses.create({ model, input: "go" })).output_text };
        let text = "";
        for await (const e of await client.responses.create({ model, input: "go", stream: true })) {
          if (e.type === "response.output_text.delta") text += e.delta;
          if (e.type === "response.failed") return { error: `stream ${e.response.error?.code ?? ""} ${e.response.error?.message ?? ""}` };
        }
        return { text };
      } catch (err) {
        return failure(err);
      }
    },
  },
};

describe("hostile upstreams through the Messages and Responses doors (default policy, real servers, real SDKs)", () => {
  let h: Harness;
  before(() => (h = startHarness({ firstByteTimeoutMs: 1000, idleTimeoutMs: 300, maxResponseBytes: 1 << 20 })));
  after(() => h.close());

  for (const [name, mode] of Object.entries(HOSTILE_MODES)) {
    for (const [doorName, door] of Object.entries(DOORS)) {
      for (const stream of [true, false]) {
        test(`${name} · ${doorName} · ${stream ? "stream" : "json"}`, { timeout: 30_000 }, async () => {
          const model = `${name}-doors`;
          h.upstream.scripts.set(model, mode.script("chat"));
          const res = await fetch(`${h.url}${door.path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(door.body(model, stream)) });
          const raw = await res.text();
          for (const [planted, value] of Object.entries(PLANTED)) assert.ok(!raw.includes(value), `${planted} leaked: ${raw.slice(0, 400)}`);
          const answer = await door.ask(h, model, stream);
          if (mode.expect.error) {
            assert.doesNotMatch(raw, door.success, "no success after an error");
            assert.ok(answer.error, `the SDK saw an error, not ${JSON.stringify(answer.text)}`);
            assert.match(raw, new RegExp(mode.expect.error.source.replace(/^\^|\$$/g, "")));
            return;
          }
          assert.equal(answer.error, undefined, raw.slice(0, 400));
          assert.equal(answer.text, mode.expect.text);
          if (stream) assert.match(raw, door.success);
        });
      }
    }
  }
});
