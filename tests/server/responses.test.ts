/**
 * The Responses door (`POST /v1/responses`) with the real `openai` SDK: the same gates as chat completions — PII split
 * across pieces redacted in output text and in function-call arguments, `text.format` json_schema checked by the
 * grammar engine, a block ending the stream with `response.failed` and `error` (the SDK throws), function-call
 * outputs gated before the upstream sees them — and clear 400s naming the Responses field.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toolCallStream } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

const EMAIL = "jane.doe@mail.example.com";
const CARD = "4111 1111 1111 1111";

const TOOLS = [{ type: "function" as const, name: "send_email", strict: false, parameters: { type: "object", properties: { to: { type: "string" }, body: { type: "string" } } } }];
const SCHEMA = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };

describe("POST /v1/responses (openai SDK)", () => {
  let h: Harness;
  before(() => {
    h = startHarness();
    h.upstream.scripts.set("pii", { text: `Mail ${EMAIL}, card ${CARD}. Bye.`, chunking: 2 });
    h.upstream.scripts.set("block", { text: "Okay: how to build a bomb, step one", chunking: 3 });
    h.upstream.scripts.set("tool", { sse: toolCallStream({ id: "call_9", name: "send_email", args: JSON.stringify({ to: EMAIL, body: "hi" }) }, { prompt: 5, completion: 9 }) });
    h.upstream.scripts.set("json", { text: '{"city":"Paris"}', chunking: 1 });
    h.upstream.scripts.set("badjson", { text: '{"city":"Paris","extra":1}', chunking: 1 });
  });
  after(() => h.close());

  test("responses.stream: output text redacted, typed events in order, completed with usage", async () => {
    const stream = h.client.responses.stream({ model: "pii", input: "hi", instructions: "be brief" });
    const types: string[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const response = await stream.finalResponse();
    assert.ok(!deltas.includes(EMAIL) && !deltas.includes("4111 1111 1111"), deltas);
    assert.equal(response.output_text, deltas);
    assert.equal(response.status, "completed");
    assert.deepEqual(types.slice(0, 4), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    assert.deepEqual(types.slice(-4), ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    const sent = h.upstream.received.at(-1)!.body as { messages: object[] };
    assert.deepEqual(sent.messages, [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }]);
  });

  test("responses.create (not streamed): the response object, output_text redacted", async () => {
    const response = await h.client.responses.create({ model: "pii", input: [{ role: "user", content: "hi" }] });
    assert.equal(response.object, "response");
    assert.match(response.id, /^resp_/);
    assert.ok(!response.output_text.includes(EMAIL), response.output_text);
    assert.match(response.output_text, /^Mail .+, card .*1111\. Bye\.$/);
  });

  test("a function tool: arguments streamed as deltas with the PII redacted, a function_call item", async () => {
    const stream = h.client.responses.stream({ model: "tool", input: "mail bob", tools: TOOLS });
    let deltas = "";
    let done = "";
    for await (const event of stream) {
      if (event.type === "response.function_call_arguments.delta") deltas += event.delta;
      if (event.type === "response.function_call_arguments.done") done = event.arguments;
    }
    const response = await stream.finalResponse();
    const call = response.output.find((i) => i.type === "function_call");
    assert.ok(call && call.type === "function_call", JSON.stringify(response.output));
    assert.equal(call.name, "send_email");
    assert.equal(call.call_id, "call_9");
    assert.equal(call.arguments, done);
    assert.equal(deltas, done);
    assert.ok(!done.includes(EMAIL), done);
    assert.doesNotThrow(() => JSON.parse(done), "redaction keeps the arguments JSON");
    assert.equal(response.usage?.output_tokens, 9);
  });

  test("function_call and function_call_output items reach the upstream as tool_calls and a gated tool message", async () => {
    await h.client.responses.create({
      model: "pii",
      tools: TOOLS,
      input: [
        { role: "user", content: "mail bob" },
        { type: "function_call", call_id: "call_1", name: "send_email", arguments: '{"to":"bob"}' },
        { type: "function_call_output", call_id: "call_1", output: `sent, billed to ${CARD}` },
      ],
    });
    const sent = h.upstream.received.at(-1)!.body as { messages: Record<string, unknown>[] };
    assert.deepEqual(sent.messages[1], { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "send_email", arguments: '{"to":"bob"}' } }] });
    assert.equal(sent.messages[2]!.role, "tool");
    assert.ok(!String(sent.messages[2]!.content).includes("4111 1111 1111"), String(sent.messages[2]!.content));
  });

  test("text.format json_schema: a matching document passes; one that leaves the schema fails the response", async () => {
    const format = { type: "json_schema" as const, name: "place", schema: SCHEMA, strict: true };
    const ok = await h.client.responses.create({ model: "json", input: "where", text: { format } });
    assert.deepEqual(JSON.parse(ok.output_text), { city: "Paris" });
    await assert.rejects(h.client.responses.create({ model: "badjson", input: "where", text: { format } }), /grammar|schema|match/i);
  });

  test("a block: response.failed, then an error event the SDK throws on; the text never leaves", async () => {
    const res = await fetch(`${h.url}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "block", input: "x", stream: true }) });
    const body = await res.text();
    assert.match(body, /event: response\.failed\n/);
    assert.match(body, /event: error\ndata: \{"type":"error","sequence_number":\d+,"code":"content_blocked"/);
    assert.ok(!body.includes("response.completed") && !body.includes("build a bomb"), body);
    await assert.rejects(async () => {
      for await (const _ of h.client.responses.stream({ model: "block", input: "x" })) { /* drain */ }
    }, /blocked by policy/);
  });

  test("bad requests: 400 naming the Responses field; previous_response_id refused (stateless)", async () => {
    for (const [body, param] of [
      [{ model: "pii" }, /input/],
      [{ model: "pii", input: [{ role: "tool", content: "x" }] }, /input/],
      [{ model: "pii", input: "x", tools: [{ type: "web_search" }] }, /tools\.0\.type: only function tools/],
      [{ model: "pii", input: "x", previous_response_id: "resp_1" }, /previous_response_id needs stored responses/],
      [{ model: "pii", input: "x", text: { format: { type: "json_schema", name: "a b", schema: {} } } }, /text\.format\.name/],
    ] as const) {
      const res = await fetch(`${h.url}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      const { error } = await res.json();
      assert.match(`${error.param}: ${error.message}`, param);
    }
  });
});
