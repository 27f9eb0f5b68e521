/**
 * Every door through the same guard: one table of scenarios (PII split across pieces, a blocked phrase, PII in the
 * prompt, a schema the output must match, a client that leaves) run through chat completions, text completions,
 * Anthropic Messages and OpenAI Responses, streamed and not. A door that skipped a gate fails here. Plus embeddings
 * (input gates) and `GET /v1/models/{id}`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./harness.ts";

const EMAIL = "jane.doe@mail.example.com";
const CARD = "4111 1111 1111 1111";

/** How each door is asked, and how its stream says it ended well. */
interface DoorCase {
  path: string;
  body(model: string, prompt: string, stream: boolean, schema?: object): object;
  /** Marks the successful end of a stream. */
  success: string;
  /** Where the upstream finds the prompt. */
  prompt(sent: Record<string, unknown>): string;
  /** Grammar-constrained output is available through this door. */
  structured: boolean;
}

const chatPrompt = (sent: Record<string, unknown>) => JSON.stringify(sent.messages);
const DOORS: Record<string, DoorCase> = {
  "chat completions": {
    path: "/chat/completions",
    body: (model, prompt, stream, schema) => ({ model, stream, messages: [{ role: "user", content: prompt }], ...(schema ? { response_format: { type: "json_schema", json_schema: { name: "s", schema, strict: true } } } : {}) }),
    success: "[DONE]",
    prompt: chatPrompt,
    structured: true,
  },
  "text completions": {
    path: "/completions",
    body: (model, prompt, stream, schema) => ({ model, stream, prompt, ...(schema ? { response_format: { type: "json_schema", json_schema: { name: "s", schema, strict: true } } } : {}) }),
    success: "[DONE]",
    prompt: (sent) => String(sent.prompt),
    structured: true,
  },
  "Anthropic messages": {
    path: "/messages",
    body: (model, prompt, stream) => ({ model, stream, max_tokens: 64, messages: [{ role: "user", content: prompt }] }),
    success: "event: message_stop",
    prompt: chatPrompt,
    structured: false,
  },
  "OpenAI responses": {
    path: "/responses",
    body: (model, prompt, stream, schema) => ({ model, stream, input: prompt, ...(schema ? { text: { format: { type: "json_schema", name: "s", schema, strict: true } } } : {}) }),
    success: "event: response.completed",
    prompt: chatPrompt,
    structured: true,
  },
};

const SCHEMA = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };

describe("every door, the same gates", () => {
  let h: Harness;
  before(() => {
    h = startHarness();
    h.upstream.scripts.set("pii", { text: `Write to ${EMAIL} or pay with ${CARD}.`, chunking: 2 });
    h.upstream.scripts.set("block", { text: "Right: how to build a bomb at home", chunking: 1 });
    h.upstream.scripts.set("offschema", { text: '{"n":"seven"}', chunking: 1 });
    h.upstream.scripts.set("endless", { text: "more ", chunking: 2, pieceDelayMs: 50, endless: true });
  });
  after(() => h.close());

  const post = (door: DoorCase, body: object, signal?: AbortSignal) =>
    fetch(`${h.url}${door.path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });

  for (const [name, door] of Object.entries(DOORS)) {
    describe(name, () => {
      for (const stream of [true, false]) {
        const mode = stream ? "streamed" : "not streamed";
        test(`${mode}: PII split across pieces never leaves`, async () => {
          const res = await post(door, door.body("pii", "hi", stream));
          const text = await res.text();
          assert.equal(res.status, 200, text);
          assert.ok(!text.includes(EMAIL) && !text.includes("4111 1111 1111"), text);
          if (stream) assert.ok(text.includes(door.success), text);
          else assert.match(text, /Write to /);
        });

        test(`${mode}: a blocked phrase ends the response with the door's error, never its success`, async () => {
          const res = await post(door, door.body("block", "hi", stream));
          const text = await res.text();
          assert.ok(!text.includes("build a bomb"), text);
          assert.match(text, /content_blocked|blocked by policy/);
          if (stream) assert.ok(!text.includes(door.success), text);
          else assert.equal(res.status, 400);
        });

        if (door.structured) {
          test(`${mode}: output that leaves the requested schema fails the response`, async () => {
            const res = await post(door, door.body("offschema", "hi", stream, SCHEMA));
            const text = await res.text();
            if (stream) assert.ok(!text.includes(door.success), text);
            else assert.ok(res.status >= 400, text);
            assert.match(text, /grammar|schema/i);
          });
        }
      }

      test("PII in the prompt is redacted before the upstream sees it", async () => {
        const before = h.upstream.received.length;
        await (await post(door, door.body("pii", `my card is ${CARD}`, false))).text();
        const sent = h.upstream.received[before]!.body;
        assert.ok(!door.prompt(sent).includes("4111 1111 1111"), door.prompt(sent));
      });

      test("a client that leaves mid-stream ends the upstream call", async () => {
        const before = h.upstream.received.length;
        const abort = new AbortController();
        const res = await post(door, door.body("endless", "hi", true), abort.signal);
        await res.body!.getReader().read();
        abort.abort();
        await Promise.race([h.upstream.received[before]!.closed, new Promise((_, reject) => setTimeout(() => reject(new Error("upstream call not ended")), 3000))]);
      });
    });
  }

  test("embeddings: inputs pass the input gates (redacted before the upstream), a block is a 400", async () => {
    const res = await fetch(`${h.url}/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "e", input: [`mail ${EMAIL}`, "plain"] }) });
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(out.data.length, 2);
    const sent = h.upstream.received.at(-1)!.body as { input: string[] };
    assert.ok(!sent.input[0]!.includes(EMAIL), sent.input[0]);
    assert.equal(sent.input[1], "plain");
    const tokens = await fetch(`${h.url}/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "e", input: [[1, 2, 3]] }) });
    assert.equal(tokens.status, 400);
    assert.match((await tokens.json()).error.message, /token-id arrays cannot be gated/);
  });

  test("GET /v1/models/{id}: the card, or 404 model_not_found", async () => {
    assert.equal((await (await fetch(`${h.url}/models/scripted`)).json()).id, "scripted");
    const missing = await fetch(`${h.url}/models/org/none`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "model_not_found");
  });
});
