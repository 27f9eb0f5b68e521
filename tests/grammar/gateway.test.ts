/**
 * Structured output through the real gateway: the local backend (fixture model, real llama.cpp) generates under
 * response_format / grammar / regex and every finished completion validates with ajv; the upstream backend's text is
 * checked by the same automaton and cut at the first byte that leaves the grammar; bad constraints are 400s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { compileConstraint, DEAD } from "../../src/grammar/mod.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import { type LocalHarness, startLocalHarness } from "../server/local-harness.ts";
import { ajvValid } from "./ajv.ts";

/** Tests that decode on the local model: seconds each, more on a loaded machine (bun stops a test at 5 s by default). */
const SLOW = { timeout: 60_000 };
const PERMISSIVE = "policies/permissive.json";

const person = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 6 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    role: { enum: ["admin", "user", "guest"] },
    tags: { type: "array", items: { type: "string", maxLength: 3 }, maxItems: 2 },
    score: { type: "number", minimum: 0, maximum: 1 },
  },
  required: ["name", "age", "role"],
  additionalProperties: false,
};

async function post(url: string, body: object): Promise<Response> {
  return fetch(`${url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("structured output on the local backend", () => {
  let local: LocalHarness;
  let client: OpenAI;
  let url: string;

  before(async () => {
    local = await startLocalHarness({ policy: PERMISSIVE, nCtxPerSequence: 512, maxChoices: 16 });
    ({ client, url } = local);
  });
  after(() => local.close());

  test("json_schema: 16 seeds, every finished choice parses and validates", SLOW, async () => {
    const res = await client.chat.completions.create({
      model: "fixture", n: 16, seed: 11, max_tokens: 300, messages: [{ role: "user", content: "a person" }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: person, strict: true } },
    });
    let finished = 0;
    for (const choice of res.choices) {
      const text = choice.message.content ?? "";
      if (choice.finish_reason === "stop") {
        finished++;
        assert.ok(ajvValid(person, JSON.parse(text)), text);
      } else assert.equal(choice.finish_reason, "length");
    }
    assert.ok(finished >= 12, `${finished}/16 finished within 300 tokens`);
    const metrics = await (await fetch(`${url.replace(/\/v1$/, "")}/metrics`)).text();
    const cached = Number(/^rsk_grammar_mask_cache_bytes (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(cached > 0, `rsk_grammar_mask_cache_bytes ${cached}`);
  });

  test("streamed json_object, GBNF and regex completions match their constraint", SLOW, async () => {
    const cases = [
      { extra: { response_format: { type: "json_object" } }, check: (t: string) => typeof JSON.parse(t) === "object" && !Array.isArray(JSON.parse(t)) },
      { extra: { grammar: 'root ::= "yes" | "no" | "maybe " [0-9]' }, check: (t: string) => /^(yes|no|maybe [0-9])$/.test(t) },
      { extra: { regex: "[A-Z]{2}-[0-9]{3}" }, check: (t: string) => /^[A-Z]{2}-[0-9]{3}$/.test(t) },
    ];
    for (const { extra, check } of cases) {
      const body = { model: "fixture", n: 4, seed: 3, max_tokens: 200, stream: true, messages: [{ role: "user", content: "go" }], ...extra };
      const res = await post(url, body);
      assert.equal(res.status, 200);
      const texts = new Map<number, string>();
      const finish = new Map<number, string>();
      for (const line of (await res.text()).split("\n")) {
        if (!line.startsWith("data: {")) continue;
        const chunk = JSON.parse(line.slice(6)) as { choices: { index: number; delta: { content?: string }; finish_reason: string | null }[] };
        for (const c of chunk.choices) {
          texts.set(c.index, (texts.get(c.index) ?? "") + (c.delta.content ?? ""));
          if (c.finish_reason) finish.set(c.index, c.finish_reason);
        }
      }
      for (const [i, text] of texts) {
        if (finish.get(i) === "stop") assert.ok(check(text), `${JSON.stringify(extra)}: ${JSON.stringify(text)}`);
      }
      assert.ok([...finish.values()].includes("stop"), JSON.stringify(extra));
    }
  });

  test("max_tokens mid-structure ends with finish_reason length and a viable prefix", async () => {
    const res = await client.chat.completions.create({
      model: "fixture", seed: 1, max_tokens: 3, messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: person } },
    });
    assert.equal(res.choices[0]!.finish_reason, "length");
    const { automaton } = compileConstraint({ kind: "json_schema", schema: person });
    assert.notEqual(automaton.walk(automaton.start, new TextEncoder().encode(res.choices[0]!.message.content ?? "")), DEAD);
  });

  test("invalid constraints are 400s naming the field", SLOW, async () => {
    const base = { model: "fixture", messages: [{ role: "user", content: "x" }] };
    const cases: [object, string, RegExp][] = [
      [{ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { x: { type: "array", unevaluatedItems: false } } } } } },
        "response_format.json_schema.schema.properties.x", /response_format\.json_schema\.schema\.properties\.x: keyword "unevaluatedItems" is not supported/],
      [{ grammar: "root ::= [a-" }, "grammar", /grammar 1:10: unterminated character class/],
      [{ regex: "(a)\\1" }, "regex", /backreference/],
      [{ grammar: 'root ::= "a"', regex: "a" }, "regex", /grammar and regex cannot be combined/],
      [{ regex: "a", response_format: { type: "json_object" } }, "regex", /response_format and regex cannot be combined/],
      [{ regex: "a", stop: ["x"] }, "stop", /stop cannot be combined with regex/],
      [{ grammar_options: { max_whitespace: 1000 } }, "grammar_options.max_whitespace", /./],
    ];
    for (const [extra, param, message] of cases) {
      const res = await post(url, { ...base, ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
      const { error } = (await res.json()) as { error: { message: string; param: string } };
      assert.equal(error.param, param, error.message);
      assert.match(error.message, message);
    }
  });

  test("lenient mode answers with the dropped keywords in a header", async () => {
    const res = await post(url, {
      model: "fixture", max_tokens: 40, seed: 2, messages: [{ role: "user", content: "x" }], grammar_options: { lenient: true },
      response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "integer", multipleOf: 0.5, minimum: 0, maximum: 99 } } },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("x-rsk-grammar-warnings") ?? "", /keyword "multipleOf" with a non-integer divisor is not supported; dropped \(lenient\)/);
  });
});

describe("structured output on the upstream backend", () => {
  let h: Harness;
  before(() => {
    h = startHarness({ policy: PERMISSIVE });
  });
  after(() => h.close());

  const schema = { type: "object", properties: { ok: { type: "boolean" }, n: { type: "integer" } }, required: ["ok", "n"], additionalProperties: false };
  const request = (model: string, stream: boolean) => ({
    model, stream, messages: [{ role: "user", content: "x" }],
    response_format: { type: "json_schema", json_schema: { name: "r", schema } },
  });

  test("valid upstream output passes; response_format is forwarded, rsk extensions are not", async () => {
    h.upstream.scripts.set("good", { text: '{"ok": true, "n": 42}', chunking: 3 });
    const res = await post(h.url, { ...request("good", false), grammar_options: { max_whitespace: 4 } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]!.message.content, '{"ok": true, "n": 42}');
    const sent = h.upstream.received.at(-1)!.body;
    assert.deepEqual(sent.response_format, request("good", false).response_format);
    assert.ok(!("grammar_options" in sent));
  });

  test("streamed: the first byte outside the grammar ends the stream with an error naming the position", async () => {
    h.upstream.scripts.set("bad", { text: '{"ok": true, "n": 4x2}', chunking: 4 });
    const res = await post(h.url, request("bad", true));
    assert.equal(res.status, 200);
    const sse = await res.text();
    const text = sse.split("\n").filter((l) => l.startsWith("data: {") && l.includes('"choices"'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "").join("");
    assert.ok('{"ok": true, "n": 4'.startsWith(text), `emitted ${JSON.stringify(text)}`);
    assert.ok(!text.includes("x"));
    assert.match(sse, /event: error/);
    assert.match(sse, /left the grammar at byte 19 of choice 0/);
    assert.ok(!sse.includes("[DONE]"));
  });

  test("non-streamed: 502 grammar_violation; a stream that stops early fails too", async () => {
    h.upstream.scripts.set("bad2", { text: '{"ok": maybe}' });
    const res = await post(h.url, request("bad2", false));
    assert.equal(res.status, 502);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, "grammar_violation");
    h.upstream.scripts.set("short", { text: '{"ok": true', finish: "stop" });
    const res2 = await post(h.url, request("short", false));
    assert.equal(res2.status, 502);
    assert.match(((await res2.json()) as { error: { message: string } }).error.message, /ended before the grammar was complete at byte 11/);
    h.upstream.scripts.set("cut", { text: '{"ok": true', finish: "length" });
    const res3 = await post(h.url, request("cut", false));
    assert.equal(res3.status, 200, "max_tokens upstream is a length finish, not a violation");
  });
});
