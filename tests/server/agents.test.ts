/**
 * Agent frameworks through the gateway, as their users run them: openai SDK `runTools` with a local function, the
 * Vercel AI SDK's `streamText` with a tool, LangChain's `bindTools` and `withStructuredOutput` (function calling).
 * The upstream streams tool calls whose arguments hold PII; every framework gets them redacted and still parseable.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import { jsonSchema, stepCountIs, streamText, tool } from "ai";
import { frame } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

const LOOKUP = {
  type: "function" as const,
  function: {
    name: "lookup_customer",
    description: "Find a customer by email",
    parameters: { type: "object", properties: { email: { type: "string" } }, required: ["email"], additionalProperties: false },
  },
};

/** One call to `name` with these arguments, streamed 2 characters per delta, then `tool_calls`. */
function callStream(name: string, args: object): string[] {
  const text = JSON.stringify(args);
  const chunk = (delta: object, finish: string | null = null) =>
    frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
  const out = [chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name, arguments: "" } }] })];
  for (let i = 0; i < text.length; i += 2) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: text.slice(i, i + 2) } }] }));
  out.push(chunk({}, "tool_calls"), "data: [DONE]\n\n");
  return out;
}

describe("agent frameworks with tools (default policy, real servers)", () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  test("openai SDK runTools: the local function gets the redacted arguments; the second turn sends its result back gated", async () => {
    h.upstream.scripts.set("agent-openai", {
      sse: callStream("lookup_customer", { email: "bob.smith@example.com" }),
      afterTool: { text: "Found them.", chunking: 3 },
    });
    const seen: unknown[] = [];
    const runner = h.client.chat.completions.runTools({
      model: "agent-openai",
      stream: true,
      messages: [{ role: "user", content: "who is bob?" }],
      tools: [{
        type: "function",
        function: {
          ...LOOKUP.function,
          parse: JSON.parse,
          function: (args: unknown) => {
            seen.push(args);
            return "customer 42, card 4111 1111 1111 1111";
          },
        },
      }],
    });
    assert.equal(await runner.finalContent(), "Found them.");
    assert.deepEqual(seen, [{ email: "[EMAIL]" }]);
    const second = h.upstream.received.at(-1)!.body as { messages: { role: string; content?: string }[] };
    assert.equal(second.messages.find((m) => m.role === "tool")?.content, "customer 42, card [CARD]");
  });

  test("Vercel AI SDK streamText with a tool: the tool-call part carries the redacted input", async () => {
    h.upstream.scripts.set("agent-vercel", { sse: callStream("lookup_customer", { email: "bob.smith@example.com" }) });
    const provider = createOpenAICompatible({ name: "rsk", baseURL: h.url, apiKey: "k" });
    const inputs: unknown[] = [];
    const result = streamText({
      model: provider.chatModel("agent-vercel"),
      prompt: "who is bob?",
      tools: { lookup_customer: tool({ description: "Find a customer", inputSchema: jsonSchema<{ email: string }>(LOOKUP.function.parameters as never) }) },
      stopWhen: stepCountIs(1),
    });
    for await (const part of result.fullStream) {
      if (part.type === "tool-call") inputs.push(part.input);
      if (part.type === "error") throw part.error;
    }
    assert.deepEqual(inputs, [{ email: "[EMAIL]" }]);
  });

  test("LangChain bindTools and withStructuredOutput (functionCalling) parse the redacted calls", async () => {
    h.upstream.scripts.set("agent-langchain", { sse: callStream("lookup_customer", { email: "bob.smith@example.com" }) });
    const model = new ChatOpenAI({ model: "agent-langchain", apiKey: "k", configuration: { baseURL: h.url }, maxRetries: 0 });
    const message = await model.bindTools([LOOKUP]).invoke("who is bob?");
    assert.deepEqual(message.tool_calls?.map((c) => ({ name: c.name, args: c.args })), [{ name: "lookup_customer", args: { email: "[EMAIL]" } }]);

    h.upstream.scripts.set("agent-structured", { sse: callStream("extract", { email: "carol@mail.example.net", card: "5500 0000 0000 0004" }) });
    const structured = new ChatOpenAI({ model: "agent-structured", apiKey: "k", configuration: { baseURL: h.url }, maxRetries: 0 }).withStructuredOutput(
      { type: "object", properties: { email: { type: "string" }, card: { type: "string" } }, required: ["email", "card"] },
      { method: "functionCalling", name: "extract" },
    );
    assert.deepEqual(await structured.invoke("extract it"), { email: "[EMAIL]", card: "**** **** **** 0004" });
  });
});
