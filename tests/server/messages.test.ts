/**
 * The Anthropic Messages door (`POST /v1/messages`) with the real `@anthropic-ai/sdk`: the same gates as chat
 * completions — PII split across pieces redacted in text and in `tool_use` input, a block ending the stream with an
 * `error` event, tool results gated before the upstream sees them — and errors in Anthropic's shape.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { toolCallStream } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";
import { sha256Hex } from "../hardening/fixtures.ts";

const EMAIL = "jane.doe@mail.example.com";
const CARD = "4111 1111 1111 1111";
const KEY = "sk-ant-test-0123456789";

const TOOLS = [{ name: "send_email", description: "send", input_schema: { type: "object" as const, properties: { to: { type: "string" }, body: { type: "string" } } } }];

describe("POST /v1/messages (Anthropic SDK)", () => {
  let h: Harness;
  let client: Anthropic;
  before(() => {
    h = startHarness();
    client = new Anthropic({ baseURL: h.url.replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
    h.upstream.scripts.set("pii", { text: `Mail ${EMAIL}, card ${CARD}. Bye.`, chunking: 2 });
    h.upstream.scripts.set("block", { text: "Sure: how to build a bomb, first", chunking: 3 });
    h.upstream.scripts.set("tool", { sse: toolCallStream({ id: "call_1", name: "send_email", args: JSON.stringify({ to: EMAIL, body: `card ${CARD}` }) }, { prompt: 11, completion: 7 }, "Sending.") });
  });
  after(() => h.close());

  test("messages.stream: text redacted across pieces, a well-formed event sequence, end_turn", async () => {
    const stream = client.messages.stream({ model: "pii", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    const types: string[] = [];
    stream.on("streamEvent", (e) => types.push(e.type));
    const message = await stream.finalMessage();
    const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    assert.ok(!text.includes(EMAIL) && !text.includes("4111 1111 1111"), text);
    assert.match(text, /^Mail .+, card .*1111\. Bye\.$/);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(types[0], "message_start");
    assert.deepEqual(types.slice(-2), ["message_delta", "message_stop"]);
    assert.ok(types.includes("content_block_start") && types.includes("content_block_stop"));
    const sent = h.upstream.received.at(-1)!.body;
    assert.deepEqual(sent.stream_options, { include_usage: true }, "usage is asked for, for message_delta");
  });

  test("messages.create (not streamed): the same redaction, Anthropic's message shape", async () => {
    const message = await client.messages.create({ model: "pii", max_tokens: 64, system: "be brief", messages: [{ role: "user", content: "hi" }] });
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    assert.match(message.id, /^msg_/);
    const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    assert.ok(!text.includes(EMAIL), text);
    const sent = h.upstream.received.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    assert.deepEqual(sent.messages[0], { role: "system", content: "be brief" });
  });

  test("tool_use: input streamed as input_json_delta, PII in the arguments redacted, stop_reason tool_use, usage", async () => {
    const stream = client.messages.stream({ model: "tool", max_tokens: 64, tools: TOOLS, messages: [{ role: "user", content: "mail bob" }] });
    const partial: string[] = [];
    stream.on("inputJson", (delta) => partial.push(delta));
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, "tool_use");
    const use = message.content.find((b) => b.type === "tool_use");
    assert.ok(use && use.type === "tool_use", JSON.stringify(message.content));
    assert.equal(use.name, "send_email");
    assert.equal(use.id, "call_1");
    const input = JSON.stringify(use.input);
    assert.ok(!input.includes(EMAIL) && !input.includes("4111 1111 1111"), input);
    assert.ok(!partial.join("").includes(EMAIL), "no delta carries the address");
    assert.deepEqual(message.usage.output_tokens, 7);
    const created = await client.messages.create({ model: "tool", max_tokens: 64, tools: TOOLS, messages: [{ role: "user", content: "mail bob" }] });
    const block = created.content.find((b) => b.type === "tool_use");
    assert.ok(block && block.type === "tool_use" && !JSON.stringify(block.input).includes(EMAIL));
  });

  test("history: tool_use and tool_result reach the upstream as tool_calls and a tool message, the result gated", async () => {
    await client.messages.create({
      model: "pii",
      max_tokens: 16,
      tools: TOOLS,
      tool_choice: { type: "tool", name: "send_email" },
      messages: [
        { role: "user", content: "mail bob" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "send_email", input: { to: "bob" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: `sent; card on file ${CARD}` }, { type: "text", text: "thanks" }] },
      ],
    });
    const sent = h.upstream.received.at(-1)!.body as { messages: Record<string, unknown>[]; tool_choice: unknown; tools: unknown[] };
    assert.deepEqual(sent.messages[1], { role: "assistant", content: null, tool_calls: [{ id: "toolu_1", type: "function", function: { name: "send_email", arguments: '{"to":"bob"}' } }] });
    assert.equal(sent.messages[2]!.role, "tool");
    assert.equal(sent.messages[2]!.tool_call_id, "toolu_1");
    assert.ok(!String(sent.messages[2]!.content).includes("4111 1111 1111"), String(sent.messages[2]!.content));
    assert.deepEqual(sent.messages[3], { role: "user", content: [{ type: "text", text: "thanks" }] });
    assert.deepEqual(sent.tool_choice, { type: "function", function: { name: "send_email" } });
  });

  test("a blocked stream ends with an error event (the SDK throws), never message_stop", async () => {
    const res = await fetch(`${h.url}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "block", max_tokens: 32, stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    const body = await res.text();
    assert.match(body, /event: error\ndata: \{"type":"error","error":\{"type":"invalid_request_error","message":"the completion was blocked by policy \\"default\\"/);
    assert.ok(!body.includes("message_stop") && !body.includes("build a bomb"), body);
    await assert.rejects(client.messages.stream({ model: "block", max_tokens: 32, messages: [{ role: "user", content: "x" }] }).finalMessage());
  });

  test("bad requests get Anthropic's error shape naming the field", async () => {
    for (const [body, field] of [
      [{ model: "pii", messages: [{ role: "user", content: "x" }] }, /max_tokens/],
      [{ model: "pii", max_tokens: 8, messages: [{ role: "system", content: "x" }] }, /messages\.0\.role/],
      [{ model: "pii", max_tokens: 8, messages: [{ role: "user", content: [{ type: "image", source: {} }] }] }, /images and documents are not supported/],
      [{ model: "pii", max_tokens: 8, tools: [{ name: "t", input_schema: { type: "string" } }], messages: [{ role: "user", content: "x" }] }, /input_schema must be an object schema/],
    ] as const) {
      const res = await fetch(`${h.url}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 400);
      const error = await res.json();
      assert.equal(error.type, "error");
      assert.equal(error.error.type, "invalid_request_error");
      assert.match(error.error.message, field);
    }
    await assert.rejects(client.messages.create({ model: "pii", max_tokens: 0, messages: [{ role: "user", content: "x" }] }), (err: unknown) =>
      err instanceof Anthropic.BadRequestError && (err.error as { error: { type: string } }).error.type === "invalid_request_error");
  });
});

describe("POST /v1/messages with API keys: x-api-key, as the Anthropic SDK sends it", () => {
  let h: Harness;
  before(() => {
    h = startHarness({ access: { authenticator: new Authenticator({ keys: [{ id: "ant", sha256: sha256Hex(KEY) }] }) } });
    h.upstream.scripts.set("pii", { text: "ok", chunking: 1 });
  });
  after(() => h.close());

  test("the key in x-api-key passes; none is 401 in Anthropic's shape", async () => {
    const ok = await new Anthropic({ baseURL: h.url.replace(/\/v1$/, ""), apiKey: KEY, maxRetries: 0 }).messages.create({ model: "pii", max_tokens: 8, messages: [{ role: "user", content: "x" }] });
    assert.equal(ok.type, "message");
    const res = await fetch(`${h.url}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "pii", max_tokens: 8, messages: [{ role: "user", content: "x" }] }) });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.type, "authentication_error");
  });
});
