/** The Messages and Responses doors in front of the local llama.cpp backend (fixture model), with their real SDKs. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { type LocalHarness, startLocalHarness } from "./local-harness.ts";

describe("doors on the local backend", () => {
  let h: LocalHarness;
  before(async () => (h = await startLocalHarness()));
  after(() => h.close());
  const SLOW = { timeout: 60_000 };

  test("Anthropic messages.stream: text blocks, max_tokens stop, usage", SLOW, async () => {
    const client = new Anthropic({ baseURL: h.url.replace(/\/v1$/, ""), apiKey: "k", maxRetries: 0 });
    const message = await client.messages.stream({ model: "fixture", max_tokens: 12, messages: [{ role: "user", content: "Tell me a story." }] }).finalMessage();
    const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    assert.ok(text.length > 0);
    assert.ok(message.stop_reason === "max_tokens" || message.stop_reason === "end_turn", String(message.stop_reason));
    const created = await client.messages.create({ model: "fixture", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    assert.equal(created.type, "message");
    // A named tool: the local backend writes the call under the call grammar; the door turns it into a tool_use block.
    const input_schema = { type: "object" as const, properties: { n: { type: "integer", minimum: 0, maximum: 9 } }, required: ["n"], additionalProperties: false };
    const called = await client.messages.create({ model: "fixture", max_tokens: 200, tools: [{ name: "t", input_schema }], tool_choice: { type: "tool", name: "t", disable_parallel_tool_use: true }, messages: [{ role: "user", content: "hi" }] });
    const use = called.content.find((b) => b.type === "tool_use");
    assert.ok(use?.type === "tool_use" && use.name === "t", JSON.stringify(called.content));
    assert.ok(Number.isInteger((use.input as { n: number }).n));
    assert.equal(called.stop_reason, "tool_use");
  });

  test("OpenAI responses.stream: output text, completed or incomplete at the token limit", SLOW, async () => {
    const stream = h.client.responses.stream({ model: "fixture", input: "Tell me a story.", max_output_tokens: 12 });
    for await (const _ of stream) { /* events */ }
    const response = await stream.finalResponse();
    assert.ok(response.output_text.length > 0);
    assert.ok(response.status === "completed" || response.status === "incomplete", String(response.status));
    if (response.status === "incomplete") assert.equal(response.incomplete_details?.reason, "max_output_tokens");
  });
});
