/**
 * Tool calls through the gateway (upstream backend, real servers, openai SDK): requests with tools are accepted and
 * validated, history tool calls and tool results pass the input gates, and streamed tool-call arguments pass the
 * output gates value by value — a secret split across 1-character deltas of two interleaved calls never gets out.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { ask, assertNoSecret, frame } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOOLS = [
  { type: "function" as const, function: { name: "send_email", parameters: { type: "object", properties: { to: { type: "string" }, body: { type: "string" } } } } },
  { type: "function" as const, function: { name: "charge", parameters: { type: "object", properties: { card: { type: "string" }, amount: { type: "number" } } } } },
];

const SECRETS = ["bob.smith@example.com", "4111 1111 1111 1111", "AKIAIOSFODNN7EXAMPLE"];

interface PlannedCall { id: string; name: string; args: string }

/** Tool-call deltas as OpenAI streams them: a head per call, then its arguments 1 character at a time, calls interleaved. */
function toolStream(calls: PlannedCall[], finish = "tool_calls"): string[] {
  const chunk = (toolCalls: object[], reason: string | null = null) =>
    frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: reason }] });
  const out = calls.map((c, index) => chunk([{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }]));
  const longest = Math.max(...calls.map((c) => c.args.length));
  for (let i = 0; i < longest; i++) {
    calls.forEach((c, index) => {
      if (i < c.args.length) out.push(chunk([{ index, function: { arguments: c.args[i] } }]));
    });
  }
  out.push(frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: {}, finish_reason: finish }] }), "data: [DONE]\n\n");
  return out;
}

const CALLS: PlannedCall[] = [
  { id: "call_a", name: "send_email", args: JSON.stringify({ to: "bob.smith@example.com", body: "key AKIAIOSFODNN7EXAMPLE attached" }) },
  { id: "call_b", name: "charge", args: JSON.stringify({ card: "4111 1111 1111 1111", amount: 12.5 }) },
];

const EXPECTED = [
  { id: "call_a", name: "send_email", args: { to: "[EMAIL]", body: "key [SECRET] attached" } },
  { id: "call_b", name: "charge", args: { card: "**** **** **** 1111", amount: 12.5 } },
];

describe("tool calls (default policy, real servers)", () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  test("streamed: two interleaved calls, 1-character deltas, secrets redacted, arguments valid JSON (openai SDK)", async () => {
    h.upstream.scripts.set("tools-stream", { sse: toolStream(CALLS) });
    const stream = await h.client.chat.completions.create({ model: "tools-stream", stream: true, tools: TOOLS, messages: [{ role: "user", content: "go" }] });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (calls[d.index] ??= { args: "" });
        if (d.id) call.id = d.id;
        if (d.function?.name) call.name = d.function.name;
        call.args += d.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.deepEqual(calls.map((c) => ({ id: c.id, name: c.name, args: JSON.parse(c.args) })), EXPECTED);
    assert.equal(finish, "tool_calls");
  });

  test("an upstream that never says finish_reason: the choice finishes as tool_calls", async () => {
    const sse = toolStream(CALLS).filter((f) => !f.includes('"finish_reason":"tool_calls"'));
    assert.equal(sse.length, toolStream(CALLS).length - 1, "the finish chunk is gone");
    h.upstream.scripts.set("tools-nofinish", { sse });
    const view = await ask(h.url, "chat", "tools-nofinish", true, 1, { tools: TOOLS });
    assert.deepEqual(view.finishes.get(0), ["tool_calls"]);
  });

  test("not streamed: the assembled message carries the gated calls", async () => {
    h.upstream.scripts.set("tools-json", { sse: toolStream(CALLS) });
    const res = await h.client.chat.completions.create({ model: "tools-json", tools: TOOLS, tool_choice: "auto", messages: [{ role: "user", content: "go" }] });
    const message = res.choices[0]!.message;
    assert.equal(message.content, null);
    assert.deepEqual(message.tool_calls?.map((c) => ({ id: c.id, name: c.type === "function" ? c.function.name : "", args: JSON.parse(c.type === "function" ? c.function.arguments : "") })), EXPECTED);
    assert.equal(res.choices[0]!.finish_reason, "tool_calls");
  });

  test("secrets written with JSON escapes are decoded before the gates see them", async () => {
    const escaped = `{"to": "${[..."bob.smith@example.com"].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"}`;
    h.upstream.scripts.set("tools-escaped", { sse: toolStream([{ id: "call_e", name: "send_email", args: escaped }]) });
    for (const stream of [true, false]) {
      const view = await ask(h.url, "chat", "tools-escaped", stream, 1, { tools: TOOLS });
      assertNoSecret(view, "escaped");
      assert.ok(!view.raw.includes("u0040"), `the escaped @ got out: ${view.raw.slice(0, 300)}`);
      assert.match(view.raw, /\[EMAIL\]/);
    }
  });

  test("a call to a tool the request did not declare is blocked before any of its bytes", async () => {
    h.upstream.scripts.set("tools-undeclared", { sse: toolStream([{ id: "call_x", name: "wire_money", args: JSON.stringify({ to: "bob.smith@example.com" }) }]) });
    const view = await ask(h.url, "chat", "tools-undeclared", true, 1, { tools: TOOLS });
    assert.equal(view.error?.code, "content_blocked");
    assert.ok(!view.raw.includes("wire_money"), view.raw.slice(0, 300));
    assert.equal(view.done, false);
  });

  test("arguments that are not JSON end the stream with an error naming the tool; nothing after it is sent", async () => {
    h.upstream.scripts.set("tools-broken", { sse: toolStream([{ id: "call_b", name: "charge", args: `{"card": 4111 1111 1111 1111}` }]) });
    const view = await ask(h.url, "chat", "tools-broken", true, 1, { tools: TOOLS });
    assert.equal(view.error?.code, "upstream_malformed");
    assert.match(view.error?.message ?? "", /charge/);
    for (const s of SECRETS) assert.ok(!view.raw.includes(s), view.raw.slice(0, 300));
  });

  test("history: earlier tool calls' argument values and tool results pass the input gates (JSON kept valid)", async () => {
    h.upstream.scripts.set("tools-history", { text: "done" });
    await h.client.chat.completions.create({
      model: "tools-history",
      tools: TOOLS,
      messages: [
        { role: "user", content: "mail him" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "send_email", arguments: JSON.stringify({ to: "bob.smith@example.com" }) } }] },
        { role: "tool", tool_call_id: "call_1", content: "sent to bob.smith@example.com, card 4111 1111 1111 1111 on file" },
      ],
    });
    const sent = h.upstream.received.at(-1)!.body as { messages: { tool_calls?: { function: { arguments: string } }[]; content?: string }[] };
    assert.deepEqual(JSON.parse(sent.messages[1]!.tool_calls![0]!.function.arguments), { to: "[EMAIL]" });
    assert.equal(sent.messages[2]!.content, "sent to [EMAIL], card [CARD] on file");
    assert.deepEqual((h.upstream.received.at(-1)!.body as { tools: unknown }).tools, TOOLS);
  });

  const STRICT = [{ type: "function" as const, function: { name: "send_email", strict: true, parameters: { type: "object", properties: { to: { type: "string" } }, required: ["to"], additionalProperties: false } } }];

  test("strict tool: arguments are held to its parameters byte by byte; the first byte outside ends the stream naming tool and offset", async () => {
    h.upstream.scripts.set("tools-strict-bad", { sse: toolStream([{ id: "call_s", name: "send_email", args: `{"to":"a@b.io","cc":"bob.smith@example.com"}` }]) });
    const view = await ask(h.url, "chat", "tools-strict-bad", true, 1, { tools: STRICT });
    assert.equal(view.error?.code, "tool_arguments_violation");
    assert.match(view.error?.message ?? "", /tool call 0 \(send_email\) of choice 0: the arguments left the tool's parameters schema at byte 14/);
    // The "cc" key, escaped inside the arguments string (ids are random hex and may hold a bare "cc").
    assert.ok(!view.raw.includes('\\"cc'), view.raw.slice(0, 400));

    h.upstream.scripts.set("tools-strict-short", { sse: toolStream([{ id: "call_s", name: "send_email", args: `{"to":"a@b.io"` }]) });
    const short = await ask(h.url, "chat", "tools-strict-short", false, 1, { tools: STRICT });
    assert.equal(short.error?.code, "tool_arguments_violation");

    h.upstream.scripts.set("tools-strict-ok", { sse: toolStream([{ id: "call_s", name: "send_email", args: `{"to":"bob.smith@example.com"}` }]) });
    const ok = await ask(h.url, "chat", "tools-strict-ok", false, 1, { tools: STRICT });
    assert.equal(ok.error, undefined, ok.raw.slice(0, 300));
    assertNoSecret(ok, "strict");
  });

  test("strict tool with grammar_options.any_order: arguments may list their properties in any order, each once", async () => {
    const TWO = [{ type: "function" as const, function: { name: "send_email", strict: true, parameters: { type: "object", properties: { to: { type: "string" }, subject: { type: "string" } }, required: ["to", "subject"], additionalProperties: false } } }];
    h.upstream.scripts.set("tools-reordered", { sse: toolStream([{ id: "call_r", name: "send_email", args: `{"subject":"hi","to":"a@b.io"}` }]) });
    const listed = await ask(h.url, "chat", "tools-reordered", true, 1, { tools: TWO });
    assert.equal(listed.error?.code, "tool_arguments_violation");
    const reordered = await ask(h.url, "chat", "tools-reordered", true, 1, { tools: TWO, grammar_options: { any_order: true } });
    assert.equal(reordered.error, undefined, reordered.raw.slice(0, 300));
    h.upstream.scripts.set("tools-repeated", { sse: toolStream([{ id: "call_r", name: "send_email", args: `{"subject":"hi","to":"a@b.io","subject":"x"}` }]) });
    const repeated = await ask(h.url, "chat", "tools-repeated", true, 1, { tools: TWO, grammar_options: { any_order: true } });
    assert.equal(repeated.error?.code, "tool_arguments_violation");
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ["tool_choice names an undeclared tool", { tools: TOOLS, tool_choice: { type: "function", function: { name: "nope" } } }, /tool_choice/],
    ["required with no tools", { tool_choice: "required" }, /tool_choice/],
    ["duplicate tool names", { tools: [TOOLS[0], TOOLS[0]] }, /unique/],
    ["parameters that are not an object schema", { tools: [{ type: "function", function: { name: "f", parameters: { type: "string" } } }] }, /object schema/],
    ["a tool message without tool_call_id", { messages: [{ role: "tool", content: "x" }] }, /tool_call_id/],
    ["a strict tool whose parameters do not compile", { tools: [{ type: "function", function: { name: "f", strict: true, parameters: { type: "object", properties: { a: { $ref: "#/nope" } } } } }] }, /tools\.0\.function\.parameters/],
  ];
  for (const [name, extra, message] of invalid) {
    test(`400: ${name}`, async () => {
      const res = await fetch(`${h.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], ...extra }),
      });
      const body = await res.json() as { error: { message: string } };
      assert.equal(res.status, 400);
      assert.match(body.error.message, message);
    });
  }
});

describe("policy: tools and reasoning sections (real servers)", () => {
  let h: Harness;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "rsk-tools-policy-"));
    writeFileSync(join(dir, "default.json"), readFileSync(DEFAULT_POLICY));
    writeFileSync(join(dir, "agents.json"), JSON.stringify({
      name: "agents",
      output: [{ id: "email", type: "pii", detector: "email", action: "redact" }],
      reasoning: [{ id: "no-reasoning", type: "regex", pattern: "[^\\n]", action: "block" }],
      tools: { deny: ["charge"] },
    }));
    h = startHarness({ policy: dir });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (model: string) => {
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rsk-policy": "agents" },
      body: JSON.stringify({ model, stream: true, tools: TOOLS, messages: [{ role: "user", content: "go" }] }),
    });
    return res.text();
  };

  test("a tool in tools.deny is blocked before any of its bytes, though the request declared it", async () => {
    h.upstream.scripts.set("deny-charge", { sse: toolStream([CALLS[1]!]) });
    const text = await call("deny-charge");
    assert.match(text, /^event: error$/m);
    assert.match(text, /content_blocked/);
    assert.match(text, /rule \\"tools\\"/);
    assert.ok(!text.includes("charge\""), text.slice(0, 300));
    h.upstream.scripts.set("allow-mail", { sse: toolStream([CALLS[0]!]) });
    assert.match(await call("allow-mail"), /\[EMAIL\]/);
  });

  test("reasoning rules of their own: this policy blocks any reasoning, the answer alone passes", async () => {
    const delta = (part: object, finish: string | null = null) => frame({ choices: [{ index: 0, delta: part, finish_reason: finish }] });
    h.upstream.scripts.set("reasoning-blocked", { sse: [delta({ reasoning_content: "let me think" }), delta({ content: "hi" }), delta({}, "stop"), "data: [DONE]\n\n"] });
    assert.match(await call("reasoning-blocked"), /rule \\"no-reasoning\\"/);
    h.upstream.scripts.set("answer-only", { sse: [delta({ content: "hi a@b.io" }), delta({}, "stop"), "data: [DONE]\n\n"] });
    const text = await call("answer-only");
    assert.match(text, /\[EMAIL\]/);
    assert.ok(!text.includes("a@b.io"), text);
    assert.match(text, /\[DONE\]/);
  });
});
