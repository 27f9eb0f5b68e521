/**
 * An Anthropic-dialect upstream (a fixture speaking the Messages API and its SSE) behind chat-completions clients: the
 * request is translated (system, tool results, tool_use history, tools, x-api-key), its stream read back into the
 * pipeline and gated like any other — PII split across text and `input_json_delta`s never gets out.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { serve } from "../../ffi/serve.ts";
import { AnthropicStream } from "../../src/backends/upstream/anthropic.ts";
import { UpstreamBackend } from "../../src/backends/upstream/backend.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { DEFAULT_POLICY, PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";

const EMAIL = "jane.doe@mail.example.com";
const event = (type: string, fields: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
const split = (text: string, n: number) => Array.from({ length: Math.ceil(text.length / n) }, (_, i) => text.slice(i * n, i * n + n));

/** The Messages SSE of a reply with text (in 2-character deltas) and one tool_use (its input in 3-character pieces). */
function messagesStream(text: string, tool?: { name: string; input: object }): string[] {
  const out = [
    event("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], stop_reason: null, usage: { input_tokens: 21, output_tokens: 1 } } }),
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    event("ping", {}),
    ...split(text, 2).map((t) => event("content_block_delta", { index: 0, delta: { type: "text_delta", text: t } })),
    event("content_block_stop", { index: 0 }),
  ];
  if (tool) {
    out.push(event("content_block_start", { index: 1, content_block: { type: "tool_use", id: "toolu_9", name: tool.name, input: {} } }));
    for (const piece of split(JSON.stringify(tool.input), 3)) out.push(event("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: piece } }));
    out.push(event("content_block_stop", { index: 1 }));
  }
  out.push(event("message_delta", { delta: { stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: 17 } }), event("message_stop", {}));
  return out;
}

describe("an Anthropic-dialect upstream behind chat completions", () => {
  let fixture: Server;
  let gateway: { close(): Promise<void> };
  let client: OpenAI;
  const seen: { body: Record<string, unknown>; headers: IncomingHttpHeaders }[] = [];
  let reply: string[] = [];

  before(async () => {
    fixture = createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => (raw += d));
      req.on("end", async () => {
        seen.push({ body: JSON.parse(raw), headers: req.headers });
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const chunk of reply) res.write(chunk);
        res.end();
      });
    });
    await new Promise<void>((resolve) => fixture.listen(0, "127.0.0.1", resolve));
    const backend = new UpstreamBackend({ url: `http://127.0.0.1:${(fixture.address() as AddressInfo).port}/v1`, apiKey: "sk-ant-upstream", dialect: "anthropic", firstByteTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const app = createGateway({ backend, policies: new PolicyStore(DEFAULT_POLICY), metrics: new GatewayMetrics(), maxBodyBytes: 1 << 20, limits: { maxTokens: 8192, maxChoices: 4 } });
    const server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    gateway = server;
    client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: "client", maxRetries: 0 });
  });
  after(async () => {
    await gateway.close();
    await new Promise((resolve) => fixture.close(resolve));
  });

  test("streamed text and a tool call come back as chat chunks, PII redacted in both", async () => {
    reply = messagesStream(`Write to ${EMAIL}.`, { name: "send_email", input: { to: EMAIL, body: "hi" } });
    let text = "", args = "", finish = "", usage = 0, name = "";
    const stream = await client.chat.completions.create({
      model: "claude",
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "send_email", parameters: { type: "object", properties: { to: { type: "string" }, body: { type: "string" } } } } }],
      messages: [{ role: "system", content: "be brief" }, { role: "user", content: "mail jane" }],
    });
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      for (const call of choice?.delta.tool_calls ?? []) {
        args += call.function?.arguments ?? "";
        name ||= call.function?.name ?? "";
      }
      finish = choice?.finish_reason ?? finish;
      usage = chunk.usage?.completion_tokens ?? usage;
    }
    assert.ok(!text.includes(EMAIL) && !args.includes(EMAIL), `${text} ${args}`);
    assert.match(text, /^Write to .+\.$/);
    assert.equal(name, "send_email");
    assert.deepEqual(Object.keys(JSON.parse(args)), ["to", "body"]);
    assert.equal(finish, "tool_calls");
    assert.equal(usage, 17);

    const { body, headers } = seen.at(-1)!;
    assert.equal(headers["x-api-key"], "sk-ant-upstream");
    assert.equal(headers["anthropic-version"], "2023-06-01");
    assert.equal(headers.authorization, undefined);
    assert.equal(body.system, "be brief");
    assert.equal(body.max_tokens, 4096);
    assert.equal(body.stream, true);
    assert.deepEqual(body.messages, [{ role: "user", content: [{ type: "text", text: "mail jane" }] }]);
    assert.deepEqual((body.tools as { name: string }[]).map((t) => t.name), ["send_email"]);
  });

  test("history: tool calls become tool_use blocks, tool results tool_result blocks in a user turn", async () => {
    reply = messagesStream("Done.");
    await client.chat.completions.create({
      model: "claude",
      messages: [
        { role: "user", content: "mail jane" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "send_email", arguments: '{"to":"jane"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "sent" },
      ],
    });
    assert.deepEqual(seen.at(-1)!.body.messages, [
      { role: "user", content: [{ type: "text", text: "mail jane" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "send_email", input: { to: "jane" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "sent" }] },
    ]);
  });

  test("an error event mid-stream ends the chat stream with an error event; n > 1 is a clear 400", async () => {
    reply = [...messagesStream("Partial answer").slice(0, 4), event("error", { error: { type: "overloaded_error", message: "Overloaded" } })];
    const res = await fetch(`${client.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "claude", stream: true, messages: [{ role: "user", content: "x" }] }) });
    const body = await res.text();
    assert.match(body, /upstream reported an error mid-stream/);
    assert.ok(!body.includes("[DONE]"));
    await assert.rejects(client.chat.completions.create({ model: "claude", n: 2, messages: [{ role: "user", content: "x" }] }), (err: unknown) =>
      err instanceof OpenAI.BadRequestError && /n > 1 is not supported by an Anthropic upstream/.test(err.message));
  });
});

test("the model a Messages stream names in message_start is kept for the trace, bounded", () => {
  const stream = new AnthropicStream();
  stream.decode("message_start", JSON.stringify({ type: "message_start", message: { model: "claude-x-1", usage: { input_tokens: 3 } } }));
  assert.equal(stream.model, "claude-x-1");
  const long = new AnthropicStream();
  long.decode("message_start", JSON.stringify({ type: "message_start", message: { model: "m".repeat(257) } }));
  assert.equal(long.model, undefined);
});
