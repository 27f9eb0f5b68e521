/**
 * Tool calls on the local backend when the syntax's markers are control tokens, as in real vocabularies: fixture GGUFs
 * whose vocabulary adds Mistral's `[TOOL_CALLS]`, Llama 3.1's `<|python_tag|>` (with its header and end tokens) or
 * Qwen 2.5's `<tool_call>` (control) and `</tool_call>` (user-defined) as single tokens. End to end through the chat
 * door with the openai SDK: a forced call may open with the single control token (counted by the backend) or with
 * the text spelled out; `auto` pushed toward the control token answers with a call, never with its JSON as text;
 * the control tokens the syntax does not use never show as text.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import type { FixtureVariant } from "../fixture/model.ts";
import { type LocalHarness, startLocalHarness } from "./local-harness.ts";

type Tool = OpenAI.Chat.Completions.ChatCompletionTool & { type: "function" };
const tool = (name: string, parameters: Record<string, unknown>): Tool => ({ type: "function", function: { name, parameters } });

const WEATHER = tool("get_weather", { type: "object", properties: { city: { type: "string", maxLength: 8 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false });
const ALARM = tool("set_alarm", { type: "object", properties: { hour: { type: "integer", minimum: 0, maximum: 23 }, repeat: { type: "boolean" } }, required: ["hour"], additionalProperties: false });
const MAIL = tool("send_email", { type: "object", properties: { to: { const: "bob.smith@example.com" }, subject: { type: "string", maxLength: 6 } }, required: ["to", "subject"], additionalProperties: false });
const TOOLS = [WEATHER, ALARM];
const SEEDS = [1, 2, 3, 4, 5, 6];
const messages = [{ role: "user" as const, content: "Do what you can." }];
const ajv = new Ajv({ strict: false });

/** Each variant: the control token that opens calls, and control tokens of the model that the syntax does not use. */
const VARIANTS: { variant: FixtureVariant; opener: string; unused: string[] }[] = [
  { variant: "mistral-control", opener: "[TOOL_CALLS]", unused: ["[INST]", "[TOOL_RESULTS]"] },
  { variant: "llama3-control", opener: "<|python_tag|>", unused: ["<|start_header_id|>", "<|eot_id|>"] },
  { variant: "qwen-control", opener: "<tool_call>", unused: ["<|im_start|>", "<|endofprompt|>"] },
];

/** The calls of a non-streamed answer, each checked: declared tool, arguments valid against its parameters. */
function callsOf(res: OpenAI.Chat.Completions.ChatCompletion, tools: Tool[], what: string) {
  return (res.choices[0]!.message.tool_calls ?? []).map((c) => {
    assert.ok(c.type === "function", what);
    const declared = tools.find((t) => t.function.name === c.function.name);
    assert.ok(declared, `${what}: called ${c.function.name}`);
    const args = JSON.parse(c.function.arguments) as unknown;
    assert.ok(ajv.validate(declared.function.parameters!, args), `${what}: ${c.function.arguments} ${ajv.errorsText()}`);
    return { name: c.function.name, args };
  });
}

const policyDir = mkdtempSync(join(tmpdir(), "rsk-local-control-"));
writeFileSync(join(policyDir, "default.json"), JSON.stringify({ name: "default", output: [{ id: "email", type: "pii", detector: "email", action: "redact" }] }));
after(() => rmSync(policyDir, { recursive: true, force: true }));

for (const { variant, opener, unused } of VARIANTS) {
  describe(`local backend, ${opener} as one control token (fixture-${variant})`, () => {
    const model = `fixture-${variant}`;
    let h: LocalHarness | undefined;
    const harness = async () => (h ??= await startLocalHarness({ variant, policy: policyDir, nCtxPerSequence: 1024 }));
    after(async () => h?.close());
    /** The id of a text the model has as one special token. */
    const idOf = (harness: LocalHarness, text: string): number => {
      const ids = harness.backend.engine.model.tokenize(text, { special: true });
      assert.equal(ids.length, 1, `${text} is one token of ${model}`);
      return ids[0]!;
    };

    test("forced (required, named): the call opens with the single control token, or spelled out when it is banned", { timeout: 300_000 }, async () => {
      const harnessNow = await harness();
      const { client, backend } = harnessNow;
      const control = idOf(harnessNow, opener);
      const before = { ...backend.toolCallOpeners };
      const favoured = await Promise.all(SEEDS.flatMap((seed) => [
        client.chat.completions.create({ model, seed, max_tokens: 600, tools: TOOLS, tool_choice: "required", parallel_tool_calls: false, logit_bias: { [control]: 100 }, messages }),
        client.chat.completions.create({ model, seed, max_tokens: 600, tools: TOOLS, tool_choice: { type: "function", function: { name: "set_alarm" } }, parallel_tool_calls: false, logit_bias: { [control]: 100 }, messages }),
      ]));
      for (const [i, res] of favoured.entries()) {
        assert.equal(res.choices[0]!.finish_reason, "tool_calls", `answer ${i}`);
        assert.equal(res.choices[0]!.message.content, null);
        const calls = callsOf(res, TOOLS, `forced, answer ${i}`);
        assert.equal(calls.length, 1);
        if (i % 2 === 1) assert.equal(calls[0]!.name, "set_alarm");
      }
      assert.deepEqual(backend.toolCallOpeners, { token: before.token + favoured.length, text: before.text }, "every call opened with the control token");
      const banned = await Promise.all(SEEDS.map((seed) =>
        client.chat.completions.create({ model, seed, max_tokens: 600, tools: TOOLS, tool_choice: "required", parallel_tool_calls: false, logit_bias: { [control]: -100 }, messages })));
      for (const [i, res] of banned.entries()) assert.equal(callsOf(res, TOOLS, `banned opener, seed ${SEEDS[i]}`).length, 1);
      assert.deepEqual(backend.toolCallOpeners, { token: before.token + favoured.length, text: before.text + banned.length }, "spelled out (or bare JSON) when the token is banned");
    });

    test("an email the schema forces into an argument is redacted; the arguments stay valid JSON", { timeout: 60_000 }, async () => {
      const harnessNow = await harness();
      const control = idOf(harnessNow, opener);
      for (const seed of [1, 2]) {
        const res = await harnessNow.client.chat.completions.create({ model, seed, max_tokens: 300, tools: [MAIL], tool_choice: "required", logit_bias: { [control]: 100 }, messages });
        const call = res.choices[0]!.message.tool_calls![0]!;
        assert.ok(call.type === "function");
        const args = JSON.parse(call.function.arguments) as { to: string; subject: string };
        assert.equal(args.to, "[EMAIL]");
        assert.doesNotMatch(call.function.arguments, /bob\.smith/);
      }
    });

    test("auto pushed toward the control token: a tool call on every seed, streamed, never its JSON or marker as text", { timeout: 300_000 }, async () => {
      const harnessNow = await harness();
      const control = idOf(harnessNow, opener);
      const before = harnessNow.backend.toolCallOpeners.token;
      for (const seed of SEEDS) {
        const stream = await harnessNow.client.chat.completions.create({ model, seed, stream: true, max_tokens: 400, tools: TOOLS, parallel_tool_calls: false, logit_bias: { [control]: 100 }, messages });
        let content = "", args = "", name: string | undefined, finish: string | null = null;
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          content += choice?.delta.content ?? "";
          for (const d of choice?.delta.tool_calls ?? []) {
            name ??= d.function?.name;
            args += d.function?.arguments ?? "";
          }
          finish = choice?.finish_reason ?? finish;
        }
        assert.equal(finish, "tool_calls", `seed ${seed}`);
        assert.equal(content, "", `seed ${seed}: no text beside the call`);
        const declared = TOOLS.find((t) => t.function.name === name);
        assert.ok(declared, `seed ${seed}: called ${name}`);
        assert.ok(ajv.validate(declared.function.parameters!, JSON.parse(args)), `seed ${seed}: ${args}`);
      }
      assert.equal(harnessNow.backend.toolCallOpeners.token, before + SEEDS.length);
    });

    test("control tokens the syntax does not use never show as text, with or without tools", { timeout: 120_000 }, async () => {
      const harnessNow = await harness();
      for (const text of unused) {
        const id = idOf(harnessNow, text);
        for (const tools of [undefined, TOOLS]) {
          const res = await harnessNow.client.chat.completions.create({ model, seed: 7, max_tokens: 24, tools, logit_bias: { [id]: 100 }, messages });
          const content = res.choices[0]!.message.content ?? "";
          assert.ok(!content.includes(text), `${text} leaked as text: ${JSON.stringify(content)}`);
          assert.equal(res.choices[0]!.message.tool_calls, undefined);
        }
      }
    });
  });
}
