/**
 * Parallel tool calls on the local backend through the chat door with the openai SDK, streamed and not, for the
 * ChatML fixture (Hermes `<tool_call>` blocks) and the Mistral one (`[TOOL_CALLS][…, …]`): `parallel_tool_calls`
 * true (the default) lets the grammar write more than one call in a turn, each with its own index and id;
 * false allows exactly one.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Ajv } from "ajv";
import type OpenAI from "openai";
import type { FixtureVariant } from "../fixture/model.ts";
import { type LocalHarness, startLocalHarness } from "./local-harness.ts";

type Tool = OpenAI.Chat.Completions.ChatCompletionTool & { type: "function" };
const tool = (name: string, parameters: Record<string, unknown>): Tool => ({ type: "function", function: { name, parameters } });
const TOOLS = [
  tool("set_alarm", { type: "object", properties: { hour: { type: "integer", minimum: 0, maximum: 23 } }, required: ["hour"], additionalProperties: false }),
  tool("get_weather", { type: "object", properties: { city: { type: "string", maxLength: 6 } }, required: ["city"], additionalProperties: false }),
];
const SEEDS = Array.from({ length: 20 }, (_, i) => 1 + i);
const messages = [{ role: "user" as const, content: "Do what you can." }];
const ajv = new Ajv({ strict: false });

/** One answer's calls in index order. */
type Calls = { id: string; name: string; arguments: string }[];

/** Each call is a declared tool with valid arguments; ids are distinct. */
function checked(calls: Calls, what: string): Calls {
  for (const c of calls) {
    const declared = TOOLS.find((t) => t.function.name === c.name);
    assert.ok(declared, `${what}: called ${c.name}`);
    assert.ok(ajv.validate(declared.function.parameters!, JSON.parse(c.arguments)), `${what}: ${c.arguments} ${ajv.errorsText()}`);
    assert.match(c.id, /^call_[0-9a-f]{24}$/, what);
  }
  assert.equal(new Set(calls.map((c) => c.id)).size, calls.length, `${what}: distinct ids`);
  return calls;
}

/**
 * The fixture is noise: on the ChatML one, after `</tool_call` the token `>\n` (which commits to another call) is
 * likelier than `>` (which may end the turn), so it is lowered and the end raised where the grammar allows it.
 */
const CASES: { variant: FixtureVariant; model: string; bias: (tokenize: (text: string) => Int32Array) => Record<string, number> }[] = [
  { variant: "default", model: "fixture", bias: (tokenize) => ({ [tokenize("<|im_end|>")[0]!]: 30, [tokenize(">\n")[0]!]: -3 }) },
  { variant: "mistral", model: "fixture-mistral", bias: () => ({}) },
];

for (const { variant, model, bias } of CASES) {
  describe(`local backend, parallel tool calls (${model})`, () => {
    let h: LocalHarness | undefined;
    const harness = async () => (h ??= await startLocalHarness({ variant, nCtxPerSequence: 1024 }));
    after(async () => h?.close());

    const request = async (seed: number, parallel: boolean | undefined) => {
      const { backend } = await harness();
      const logit_bias = bias((text) => backend.engine.model.tokenize(text, { special: true }));
      return { model, seed, max_tokens: 800, tools: TOOLS, tool_choice: "required" as const, messages, logit_bias, ...(parallel === undefined ? {} : { parallel_tool_calls: parallel }) };
    };

    const plain = async (seed: number, parallel: boolean | undefined): Promise<Calls> => {
      const { client } = await harness();
      const res = await client.chat.completions.create(await request(seed, parallel));
      assert.equal(res.choices[0]!.finish_reason, "tool_calls", `seed ${seed}`);
      return checked((res.choices[0]!.message.tool_calls ?? []).map((c) => {
        assert.ok(c.type === "function");
        return { id: c.id, name: c.function.name, arguments: c.function.arguments };
      }), `seed ${seed}`);
    };

    /** A streamed answer's calls; each index opens with its id and name once, indexes count up from 0. */
    const streamed = async (seed: number, parallel: boolean | undefined): Promise<Calls> => {
      const { client } = await harness();
      const stream = await client.chat.completions.create({ ...(await request(seed, parallel)), stream: true });
      const calls: Calls = [];
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
          if (d.id !== undefined) {
            assert.equal(d.index, calls.length, `seed ${seed}: a new call takes the next index`);
            assert.ok(d.function?.name, `seed ${seed}: the name comes with the id`);
            calls.push({ id: d.id, name: d.function.name, arguments: "" });
          } else {
            assert.equal(d.function?.name, undefined, `seed ${seed}: the name is sent once`);
          }
          assert.ok(d.index < calls.length, `seed ${seed}: arguments of call ${d.index} before its id`);
          calls[d.index]!.arguments += d.function?.arguments ?? "";
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(finish, "tool_calls", `seed ${seed}`);
      return checked(calls, `streamed seed ${seed}`);
    };

    test("parallel_tool_calls default (true): more than one call in a turn on some seeds, streamed as non-streamed", { timeout: 300_000 }, async () => {
      const answers = await Promise.all(SEEDS.map((seed) => plain(seed, undefined)));
      const counts = answers.map((calls) => calls.length);
      assert.ok(counts.every((n) => n >= 1), `calls per seed: ${counts}`);
      assert.ok(counts.some((n) => n >= 2), `calls per seed: ${counts}`);
      const several = SEEDS.filter((_, i) => counts[i]! >= 2);
      const streams = await Promise.all(several.map((seed) => streamed(seed, true)));
      for (const [i, seed] of several.entries()) {
        const strip = (calls: Calls) => calls.map((c) => [c.name, JSON.parse(c.arguments)]);
        assert.deepEqual(strip(streams[i]!), strip(answers[SEEDS.indexOf(seed)]!), `seed ${seed}: the same calls streamed`);
      }
    });

    test("parallel_tool_calls false: exactly one call on every seed, streamed and not", { timeout: 300_000 }, async () => {
      const answers = await Promise.all(SEEDS.map((seed) => plain(seed, false)));
      assert.deepEqual(answers.map((calls) => calls.length), SEEDS.map(() => 1));
      const streams = await Promise.all(SEEDS.map((seed) => streamed(seed, false)));
      assert.deepEqual(streams.map((calls) => calls.length), SEEDS.map(() => 1));
    });
  });
}
