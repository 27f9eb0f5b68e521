/**
 * Each chat-template tool syntax end to end on the local backend: fixture GGUFs that differ only in their chat
 * template metadata (Llama 3.1 JSON, Mistral `[TOOL_CALLS]`, a plain template with a separate tool-use template),
 * real llama.cpp, the gateway on port 0 and the openai SDK. The syntax is read from the GGUF; forced calls
 * (named, required) parse and validate, `auto` leaves text or call to the model, argument strings pass the gates,
 * and a template with no known syntax is refused with a 400 naming the model and the field.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import type { FixtureVariant } from "../fixture/model.ts";
import { type LocalHarness, oneStreamedCall, startLocalHarness } from "./local-harness.ts";

type Tool = OpenAI.Chat.Completions.ChatCompletionTool & { type: "function" };
const tool = (name: string, parameters: Record<string, unknown>): Tool => ({ type: "function", function: { name, parameters } });

const WEATHER = tool("get_weather", { type: "object", properties: { city: { type: "string", maxLength: 8 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false });
const ALARM = tool("set_alarm", { type: "object", properties: { hour: { type: "integer", minimum: 0, maximum: 23 }, repeat: { type: "boolean" } }, required: ["hour"], additionalProperties: false });
const MAIL = tool("send_email", { type: "object", properties: { to: { const: "bob.smith@example.com" }, subject: { type: "string", maxLength: 6 } }, required: ["to", "subject"], additionalProperties: false });
const TOOLS = [WEATHER, ALARM];
const SEEDS = Array.from({ length: 10 }, (_, i) => 1 + i);
const messages = [{ role: "user" as const, content: "Do what you can." }];
const ajv = new Ajv({ strict: false });

/** Each syntax's fixture, and the token (the trigger's first) raised so that `auto` starts a call on some seeds. */
const VARIANTS: { variant: FixtureVariant; family: string; autoBias: string }[] = [
  { variant: "llama3", family: "Llama 3.1 JSON", autoBias: "{\"" },
  { variant: "mistral", family: "Mistral [TOOL_CALLS]", autoBias: "[" },
  { variant: "tool-use", family: "Llama 3.1 JSON from tokenizer.chat_template.tool_use", autoBias: "{\"" },
];

/** The calls of a non-streamed answer, each checked: declared tool, arguments valid against its parameters. */
function callsOf(res: OpenAI.Chat.Completions.ChatCompletion, tools: Tool[], what: string) {
  return (res.choices[0]!.message.tool_calls ?? []).map((c) => {
    assert.ok(c.type === "function", what);
    const declared = tools.find((t) => t.function.name === c.function.name);
    assert.ok(declared, `${what}: called ${c.function.name}`);
    const args = JSON.parse(c.function.arguments) as unknown;
    assert.ok(ajv.validate(declared.function.parameters!, args), `${what}: ${c.function.arguments} ${ajv.errorsText()}`);
    assert.match(c.id, /^call_[0-9a-f]{24}$/);
    return { name: c.function.name, args };
  });
}

const policyDir = mkdtempSync(join(tmpdir(), "rsk-local-syntaxes-"));
writeFileSync(join(policyDir, "default.json"), JSON.stringify({ name: "default", output: [{ id: "email", type: "pii", detector: "email", action: "redact" }] }));
after(() => rmSync(policyDir, { recursive: true, force: true }));

for (const { variant, family, autoBias } of VARIANTS) {
  describe(`local backend, ${family} (fixture-${variant})`, () => {
    const model = `fixture-${variant}`;
    let h: LocalHarness | undefined;
    const harness = async () => (h ??= await startLocalHarness({ variant, policy: policyDir, nCtxPerSequence: 1024 }));
    after(async () => h?.close());

    test("required and a named tool: every seed's call parses (openai SDK) and validates", { timeout: 300_000 }, async () => {
      const { client } = await harness();
      const required = await Promise.all(SEEDS.map((seed) =>
        client.chat.completions.create({ model, seed, max_tokens: 600, tools: TOOLS, tool_choice: "required", parallel_tool_calls: false, messages })));
      for (const [i, res] of required.entries()) {
        assert.equal(res.choices[0]!.finish_reason, "tool_calls", `seed ${SEEDS[i]}`);
        assert.equal(res.choices[0]!.message.content, null);
        assert.equal(callsOf(res, TOOLS, `required, seed ${SEEDS[i]}`).length, 1);
      }
      const named = await Promise.all(SEEDS.map((seed) =>
        client.chat.completions.create({ model, seed, max_tokens: 600, tools: TOOLS, tool_choice: { type: "function", function: { name: "set_alarm" } }, parallel_tool_calls: false, messages })));
      for (const [i, res] of named.entries()) assert.deepEqual(callsOf(res, TOOLS, `named, seed ${SEEDS[i]}`).map((c) => c.name), ["set_alarm"]);
    });

    test("streamed: id and name first, arguments in pieces that join to valid JSON, finish tool_calls", { timeout: 60_000 }, async () => {
      const { client } = await harness();
      const stream = await client.chat.completions.create({ model, seed: 3, stream: true, max_tokens: 600, tools: [WEATHER], tool_choice: "required", messages });
      const { head, args, pieces, finish } = await oneStreamedCall(stream);
      assert.equal(head?.name, "get_weather");
      assert.match(head?.id ?? "", /^call_/);
      assert.ok(pieces > 2, `arguments arrive in pieces (${pieces})`);
      assert.ok(ajv.validate(WEATHER.function.parameters!, JSON.parse(args)), args);
      assert.equal(finish, "tool_calls");
    });

    test("an email the schema forces into an argument is redacted; the arguments stay valid JSON", { timeout: 60_000 }, async () => {
      const { client } = await harness();
      for (const seed of [1, 2]) {
        const res = await client.chat.completions.create({ model, seed, max_tokens: 300, tools: [MAIL], tool_choice: "required", parallel_tool_calls: false, messages });
        const call = res.choices[0]!.message.tool_calls![0]!;
        assert.ok(call.type === "function");
        const args = JSON.parse(call.function.arguments) as { to: string; subject: string };
        assert.equal(args.to, "[EMAIL]");
        assert.doesNotMatch(call.function.arguments, /bob\.smith/);
      }
    });

    test("auto: across seeds the model answers with text or with a call; every call validates", { timeout: 300_000 }, async () => {
      const { client, backend } = await harness();
      const [first] = backend.engine.model.tokenize(autoBias);
      const results = await Promise.all(SEEDS.map((seed) =>
        client.chat.completions.create({ model, seed, max_tokens: 300, tools: TOOLS, logit_bias: { [first!]: 18 }, parallel_tool_calls: false, messages })));
      let text = 0, called = 0;
      for (const [i, res] of results.entries()) {
        const found = callsOf(res, TOOLS, `auto, seed ${SEEDS[i]}`);
        if (found.length > 0) {
          called++;
          assert.equal(res.choices[0]!.finish_reason, "tool_calls");
        } else {
          text++;
          assert.ok((res.choices[0]!.message.content ?? "").length > 0);
        }
      }
      assert.ok(text > 0 && called > 0, `text-only: ${text}, with a call: ${called}`);
    });

    test("history with an earlier call and its result, written in the template's syntax, is accepted", { timeout: 60_000 }, async () => {
      const { client } = await harness();
      const res = await client.chat.completions.create({
        model,
        seed: 1,
        max_tokens: 8,
        tools: TOOLS,
        tool_choice: "none",
        messages: [
          ...messages,
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "set_alarm", arguments: "{\"hour\":7}" } }] },
          { role: "tool", tool_call_id: "call_1", content: "alarm set" },
        ],
      });
      assert.equal(res.choices[0]!.message.tool_calls, undefined);
      assert.ok(res.choices[0]!.message.content);
    });
  });
}

describe("local backend, a template without a tool syntax rsk knows (fixture-no-tools)", () => {
  let h: LocalHarness | undefined;
  after(async () => h?.close());

  test("tools → 400 naming the model and the GGUF field; tool_choice none is served", { timeout: 60_000 }, async () => {
    h = await startLocalHarness({ variant: "no-tools" });
    const err = await h.client.chat.completions.create({ model: "fixture-no-tools", max_tokens: 8, tools: TOOLS, messages }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.param, "tools");
    assert.equal(err.code, "unsupported_tools");
    assert.match(err.message, /fixture-no-tools/);
    assert.match(err.message, /tokenizer\.chat_template/);
    assert.match(err.message, /tool_choice "none"/);
    const served = await h.client.chat.completions.create({ model: "fixture-no-tools", max_tokens: 8, tools: TOOLS, tool_choice: "none", messages });
    assert.ok(served.choices[0]!.message.content);
  });
});
