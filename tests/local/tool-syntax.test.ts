/**
 * Tool-call syntaxes of the local backend without a model: which syntax a template shows, that the call grammar
 * accepts exactly what the prompt writes for earlier calls, and that the parser turns each syntax's text, split at
 * every byte, into the same OpenAI tool-call events (parallel calls indexed in order).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ToolCallParser, writtenCalls } from "../../src/backends/local/tool-calls.ts";
import { HERMES, LLAMA3, MISTRAL, syntaxOfTemplate, type ToolCallSyntax, toolSyntaxOf } from "../../src/backends/local/tool-syntax.ts";
import { DEAD } from "../../src/grammar/mod.ts";
import { toolCallConstraint } from "../../src/grammar/tool-call.ts";
import { ApiError } from "../../src/server/errors.ts";
import type { BackendEvent } from "../../src/backends/types.ts";
import { FIXTURE_TEMPLATE_VARIANTS } from "../fixture/model.ts";

const SYNTAXES = [HERMES, LLAMA3, MISTRAL];
const TOOLS = [
  { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false } },
  { name: "set_alarm", parameters: { type: "object", properties: { hour: { type: "integer" } }, required: ["hour"], additionalProperties: false } },
];
const CALLS = [{ name: "get_weather", args: "{\"city\": \"Oslo {\\\"x\\\"]\"}" }, { name: "set_alarm", args: "{\"hour\": 7}" }];

/** The calls the parser reports for `text` fed in pieces of `step` characters. */
function parsed(syntax: ToolCallSyntax, text: string, step: number, lazy: boolean) {
  let ids = 0;
  const parser = new ToolCallParser(0, syntax, () => `call_${ids++}`, lazy);
  const events: BackendEvent[] = [];
  for (let i = 0; i < text.length; i += step) events.push(...parser.push(text.slice(i, i + step)));
  events.push(...parser.end());
  const calls: { id: string; name: string; args: string }[] = [];
  let content = "";
  for (const e of events) {
    if (e.type === "text") content += e.text;
    if (e.type !== "tool") continue;
    if (e.id) {
      assert.equal(e.call, calls.length, "calls are indexed in order");
      calls.push({ id: e.id, name: e.name!, args: "" });
    }
    calls[e.call]!.args += e.arguments ?? "";
  }
  return { calls, content, inCall: parser.inCall, count: parser.calls };
}

const accepts = (syntax: ToolCallSyntax, parallel: boolean, text: string): boolean => {
  const { automaton } = toolCallConstraint(TOOLS, syntax, parallel && syntax.parallel); // as the backend asks
  const state = automaton.walk(automaton.start, new TextEncoder().encode(text));
  return state !== DEAD && automaton.accepting(state);
};

describe("tool-call syntax of a chat template", () => {
  test("each fixture variant's template shows its family; a template without tool markers shows none", () => {
    assert.equal(syntaxOfTemplate(FIXTURE_TEMPLATE_VARIANTS.default["tokenizer.chat_template"]), HERMES);
    assert.equal(syntaxOfTemplate(FIXTURE_TEMPLATE_VARIANTS.llama3["tokenizer.chat_template"]), LLAMA3);
    assert.equal(syntaxOfTemplate(FIXTURE_TEMPLATE_VARIANTS.mistral["tokenizer.chat_template"]), MISTRAL);
    assert.equal(syntaxOfTemplate(FIXTURE_TEMPLATE_VARIANTS["no-tools"]["tokenizer.chat_template"]), undefined);
    assert.equal(syntaxOfTemplate("{% for m in messages %}<start_of_turn>{{ m.content }}<end_of_turn>{% endfor %}"), undefined);
    assert.equal(syntaxOfTemplate("{{ '[INST]' + m.content + '[/INST]' }}"), undefined);
    assert.equal(syntaxOfTemplate("{{- '<|im_start|>' }}{% if tools %}<tools></tools> <tool_call>{% endif %}"), HERMES);
  });

  test("the tool-use template wins over the plain one", () => {
    const found = toolSyntaxOf(new Map(Object.entries(FIXTURE_TEMPLATE_VARIANTS["tool-use"])));
    assert.deepEqual(found && { family: found.syntax.family, key: found.key }, { family: "llama3", key: "tokenizer.chat_template.tool_use" });
    assert.equal(toolSyntaxOf(new Map(Object.entries(FIXTURE_TEMPLATE_VARIANTS["no-tools"]))), undefined);
  });
});

describe("call grammar and parser agree on each syntax", () => {
  for (const syntax of SYNTAXES) {
    test(`${syntax.family}: one call, and ${syntax.parallel ? "parallel calls" : "no parallel calls"}`, () => {
      const one = writtenCalls(syntax, CALLS.slice(0, 1));
      assert.ok(accepts(syntax, false, one), one);
      assert.ok(accepts(syntax, true, one), one);
      const two = writtenCalls(syntax, CALLS);
      assert.equal(accepts(syntax, true, two), syntax.parallel, two);
      assert.equal(accepts(syntax, false, two), false, two);
      assert.equal(accepts(syntax, false, `${one}x`), false, "nothing after the calls");
      for (const lazy of [false, true]) {
        for (const step of [1, 2, 3, 7, 1000]) {
          const calls = syntax.parallel ? CALLS : CALLS.slice(0, 1);
          const got = parsed(syntax, syntax.parallel ? two : one, step, lazy);
          assert.deepEqual(got.calls.map((c) => ({ name: c.name, args: c.args.trim() })), calls, `lazy ${lazy} step ${step}`);
          assert.deepEqual(got.calls.map((c) => c.id), calls.map((_, i) => `call_${i}`));
          assert.equal(got.content, "");
          assert.equal(got.inCall, false);
          assert.equal(got.count, calls.length);
        }
      }
    });

    test(`${syntax.family}: whitespace the grammar allows, text before a lazy call, a truncated call`, () => {
      const spaced = `${syntax.opener} {\n "name" :  "set_alarm" ,\n "${syntax.argumentsKey}"\t: { "hour" : 7 }\n }\n${syntax.closer}`;
      assert.ok(accepts(syntax, false, spaced), spaced);
      assert.deepEqual(parsed(syntax, spaced, 1, false).calls.map((c) => [c.name, JSON.parse(c.args)]), [["set_alarm", { hour: 7 }]]);
      const lead = `I will check. ${writtenCalls(syntax, CALLS.slice(0, 1))}`;
      const lazy = parsed(syntax, lead, 1, true);
      assert.equal(lazy.content, "I will check. ");
      assert.equal(lazy.calls.length, 1);
      const text = parsed(syntax, `plain ${syntax.trigger.slice(0, -1)}`, 1, true);
      assert.deepEqual([text.content, text.calls.length], [`plain ${syntax.trigger.slice(0, -1)}`, 0]);
      const cut = writtenCalls(syntax, CALLS.slice(0, 1)).slice(0, -2);
      assert.equal(parsed(syntax, cut, 1, false).inCall, true);
    });
  }

  test("text that leaves the syntax once the calls began is a server error, not output", () => {
    const parser = new ToolCallParser(0, MISTRAL, () => "call_0", false);
    assert.throws(() => parser.push("[TOOL_CALLS]{"), (err: unknown) => err instanceof ApiError && err.status === 500 && /left the template's syntax/.test(err.message));
    const after = new ToolCallParser(0, HERMES, () => "call_0", false);
    after.push("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}");
    assert.throws(() => after.push(" </x>"), /expected/);
  });
});
