/**
 * Tool calling on the local backend (fixture GGUF, real llama.cpp, the gateway on port 0, the openai SDK): calls are
 * written in the template's `<tool_call>` syntax under the call grammar, parsed into OpenAI tool calls whose
 * arguments validate (ajv) against their tool's parameters for every seed; `auto` leaves text or call to the model;
 * arguments still pass the output gates.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Ajv } from "ajv";
import type OpenAI from "openai";
import { type LocalHarness, oneStreamedCall, startLocalHarness } from "../server/local-harness.ts";

type Tool = OpenAI.Chat.Completions.ChatCompletionTool & { type: "function" };

const tool = (name: string, parameters: Record<string, unknown>): Tool => ({ type: "function", function: { name, parameters } });

/** Bounded schemas: the fixture writes noise, so every string and array has a size limit for calls to end. */
const SCHEMAS: Tool[] = [
  tool("get_weather", { type: "object", properties: { city: { type: "string", maxLength: 8 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false }),
  tool("set_alarm", { type: "object", properties: { hour: { type: "integer", minimum: 0, maximum: 23 }, minute: { type: "integer", minimum: 0, maximum: 59 }, repeat: { type: "boolean" } }, required: ["hour", "minute"], additionalProperties: false }),
  tool("add_items", {
    type: "object",
    properties: { items: { type: "array", maxItems: 2, items: { type: "object", properties: { sku: { type: "string", pattern: "^[A-Z]{2}[0-9]{2}$" }, qty: { type: "integer", minimum: 1, maximum: 9 } }, required: ["sku", "qty"], additionalProperties: false } } },
    required: ["items"],
    additionalProperties: false,
  }),
];

const SEEDS = Array.from({ length: 20 }, (_, i) => 1 + i);
const ajv = new Ajv({ strict: false });
const messages = [{ role: "user" as const, content: "Do what you can." }];

describe("local backend: tool calls under the call grammar (fixture model, openai SDK)", () => {
  let h: LocalHarness | undefined;
  let dir: string | undefined;
  const harness = async (): Promise<LocalHarness> => {
    if (h) return h;
    dir = mkdtempSync(join(tmpdir(), "rsk-local-tools-"));
    writeFileSync(join(dir, "default.json"), JSON.stringify({ name: "default", output: [{ id: "email", type: "pii", detector: "email", action: "redact" }] }));
    return (h = await startLocalHarness({ policy: dir, nCtxPerSequence: 1024 }));
  };
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One non-streamed completion's calls, each checked: declared tool, JSON arguments valid against its parameters. */
  const calls = (res: OpenAI.Chat.Completions.ChatCompletion, tools: Tool[], what: string) => {
    const choice = res.choices[0]!;
    return (choice.message.tool_calls ?? []).map((c) => {
      assert.equal(c.type, "function", what);
      if (c.type !== "function") throw new Error("unreachable");
      const declared = tools.find((t) => t.function.name === c.function.name);
      assert.ok(declared, `${what}: called ${c.function.name}`);
      const args = JSON.parse(c.function.arguments) as unknown;
      assert.ok(ajv.validate(declared.function.parameters!, args), `${what}: ${c.function.arguments} ${ajv.errorsText()}`);
      assert.match(c.id, /^call_[0-9a-f]{24}$/);
      return { name: c.function.name, args };
    });
  };

  test("required: 20 seeds × 3 schemas, every call parses and validates", { timeout: 300_000 }, async () => {
    const { client } = await harness();
    for (const schema of SCHEMAS) {
      const results = await Promise.all(SEEDS.map((seed) =>
        client.chat.completions.create({ model: "fixture", seed, max_tokens: 600, tools: [schema], tool_choice: "required", parallel_tool_calls: false, messages })));
      results.forEach((res, i) => {
        const what = `${schema.function.name} seed ${SEEDS[i]}`;
        assert.equal(res.choices[0]!.finish_reason, "tool_calls", what);
        assert.equal(res.choices[0]!.message.content, null, what);
        assert.equal(calls(res, [schema], what).length, 1, what);
      });
    }
  });

  test("a named tool among several: every seed calls that one", { timeout: 300_000 }, async () => {
    const { client } = await harness();
    const results = await Promise.all(SEEDS.map((seed) =>
      client.chat.completions.create({ model: "fixture", seed, max_tokens: 600, tools: SCHEMAS, tool_choice: { type: "function", function: { name: "set_alarm" } }, parallel_tool_calls: false, messages })));
    for (const [i, res] of results.entries()) assert.deepEqual(calls(res, SCHEMAS, `seed ${SEEDS[i]}`).map((c) => c.name), ["set_alarm"]);
  });

  test("auto: across seeds the model answers with text or with a call; both occur, every call validates", { timeout: 300_000 }, async () => {
    const { client, backend } = await harness();
    // The fixture is noise: raise the opener's first token ("<") so that about half the answers start a call.
    const [lt] = backend.engine.model.tokenize("<");
    const results = await Promise.all(SEEDS.map((seed) =>
      client.chat.completions.create({ model: "fixture", seed, max_tokens: 300, tools: SCHEMAS, logit_bias: { [lt!]: 18 }, parallel_tool_calls: false, messages })));
    let text = 0, called = 0;
    for (const [i, res] of results.entries()) {
      const found = calls(res, SCHEMAS, `seed ${SEEDS[i]}`);
      if (found.length > 0) {
        called++;
        assert.equal(res.choices[0]!.finish_reason, "tool_calls");
      } else {
        text++;
        assert.ok((res.choices[0]!.message.content ?? "").length > 0);
        assert.notEqual(res.choices[0]!.finish_reason, "tool_calls");
      }
    }
    assert.ok(text > 0 && called > 0, `text-only: ${text}, with a call: ${called}`);
  });

  test("streamed: tool_calls deltas with id and name first, arguments piece by piece, finish tool_calls", { timeout: 60_000 }, async () => {
    const { client } = await harness();
    const stream = await client.chat.completions.create({ model: "fixture", seed: 5, stream: true, max_tokens: 600, tools: [SCHEMAS[0]!], tool_choice: "required", parallel_tool_calls: false, messages });
    const { head, args, pieces: deltas, finish } = await oneStreamedCall(stream);
    assert.equal(head?.name, "get_weather");
    assert.match(head?.id ?? "", /^call_/);
    assert.ok(deltas > 2, `arguments arrive in pieces (${deltas} deltas)`);
    assert.ok(ajv.validate(SCHEMAS[0]!.function.parameters!, JSON.parse(args)), args);
    assert.equal(finish, "tool_calls");
  });

  test("arguments pass the output gates: an email the schema forces is redacted, the JSON stays valid", { timeout: 60_000 }, async () => {
    const { client } = await harness();
    const mail = tool("send_email", { type: "object", properties: { to: { const: "bob.smith@example.com" } }, required: ["to"], additionalProperties: false });
    for (const seed of [1, 2]) {
      const res = await client.chat.completions.create({ model: "fixture", seed, max_tokens: 200, tools: [mail], tool_choice: "required", parallel_tool_calls: false, messages });
      const call = res.choices[0]!.message.tool_calls![0]!;
      assert.ok(call.type === "function");
      assert.deepEqual(JSON.parse(call.function.arguments), { to: "[EMAIL]" });
    }
  });

  test("history with earlier calls and tool results is written in the template's syntax (accepted)", { timeout: 60_000 }, async () => {
    const { client } = await harness();
    const res = await client.chat.completions.create({
      model: "fixture",
      seed: 1,
      max_tokens: 8,
      tools: SCHEMAS,
      tool_choice: "none",
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Oslo\",\"unit\":\"c\"}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "4 degrees" },
      ],
    });
    assert.equal(res.choices[0]!.message.tool_calls, undefined);
    assert.ok(res.choices[0]!.message.content);
  });

  test("400: a response format and tool calls at once", { timeout: 60_000 }, async () => {
    const { url } = await harness();
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fixture", messages, tools: SCHEMAS, response_format: { type: "json_object" } }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /tool_choice "none"/);
  });
});
