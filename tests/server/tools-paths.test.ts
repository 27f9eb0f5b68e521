/**
 * Policy argument rules by JSON path (`tools.arguments`), through the gateway with a scripted upstream and the real
 * openai SDK: a rule reads only the values its path selects, with the output rules and the same bounded hold-back,
 * on 1-character deltas of interleaved calls, streamed and not; invalid rules are refused naming their JSON path.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { compileGates } from "../../src/gates/mod.ts";
import { ToolArgumentGates } from "../../src/guard/argument-rules.ts";
import { JsonTextGate } from "../../src/guard/json-stream.ts";
import { type JsonLocation, parseJsonPath, selects } from "../../src/guard/json-path.ts";
import { compilePolicies, PolicyLoadError } from "../../src/policy/compile.ts";
import { frame } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOOLS = [
  { type: "function" as const, function: { name: "send_email", parameters: { type: "object", properties: { to: { type: "array" }, cc: { type: "object" }, body: { type: "string" } } } } },
  { type: "function" as const, function: { name: "charge", parameters: { type: "object", properties: { memo: { type: "string" }, amount: { type: "number" } } } } },
];

const POLICY = {
  name: "paths",
  output: [{ id: "email", type: "pii", detector: "email", action: "redact" }],
  tools: {
    arguments: [
      // Only recipients: "intranet" in the body is not this rule's business.
      { tool: "send_email", path: "$.to[*]", rule: { id: "internal-host", type: "phrases", phrases: ["intranet"], action: "redact", replacement: "[HOST]" } },
      // A whole subtree: every value inside `cc`.
      { tool: "send_email", path: "$['cc']", rule: { id: "no-ceo", type: "phrases", phrases: ["ceo"], action: "block" } },
      // A number: amounts of five digits or more are refused.
      { tool: "charge", path: "$.amount", rule: { id: "large-amount", type: "regex", pattern: "^[0-9]{5,}", action: "block" } },
      // The same word in another tool's values at another path.
      { tool: "charge", path: "$.memo", rule: { id: "memo-host", type: "phrases", phrases: ["intranet"], action: "mask" } },
    ],
  },
};

interface Call { id: string; name: string; args: string }

/** Tool-call deltas: a head per call, then arguments 1 character at a time, calls interleaved. */
function toolStream(calls: Call[]): string[] {
  const chunk = (toolCalls: object[], reason: string | null = null) =>
    frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: reason }] });
  const out = calls.map((c, index) => chunk([{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }]));
  for (let i = 0; i < Math.max(...calls.map((c) => c.args.length)); i++) {
    calls.forEach((c, index) => {
      if (i < c.args.length) out.push(chunk([{ index, function: { arguments: c.args[i] } }]));
    });
  }
  return [...out, frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }), "data: [DONE]\n\n"];
}

// The key is written with an escape (`t\u006f` is "to"): paths match decoded names.
const MAIL: Call = { id: "call_m", name: "send_email", args: `{"t\\u006f": ["intranet ops", "desk intranet"], "body": "see intranet page, reply to bob.smith@example.com"}` };
const CHARGE: Call = { id: "call_c", name: "charge", args: JSON.stringify({ memo: "intranet fee", amount: 1234 }) };

describe("policy argument rules by JSON path (real servers, openai SDK)", () => {
  let h: Harness;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "rsk-tool-paths-"));
    writeFileSync(join(dir, "paths.json"), JSON.stringify(POLICY));
    h = startHarness({ policy: dir });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = { headers: { "x-rsk-policy": "paths" } };
  const create = (model: string) => h.client.chat.completions.create({ model, tools: TOOLS, messages: [{ role: "user", content: "go" }] }, options);
  const createStream = (model: string) => h.client.chat.completions.create({ model, stream: true, tools: TOOLS, messages: [{ role: "user", content: "go" }] }, options);

  const streamed = async (model: string) => {
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rsk-policy": "paths" },
      body: JSON.stringify({ model, stream: true, tools: TOOLS, messages: [{ role: "user", content: "go" }] }),
    });
    return res.text();
  };

  const EXPECTED = [
    { name: "send_email", args: { to: ["[HOST] ops", "desk [HOST]"], body: "see intranet page, reply to [EMAIL]" } },
    { name: "charge", args: { memo: "****anet fee", amount: 1234 } },
  ];

  test("streamed, 1-character deltas of two interleaved calls: each rule reads only its path", async () => {
    h.upstream.scripts.set("paths-stream", { sse: toolStream([MAIL, CHARGE]) });
    const calls: { name?: string; args: string }[] = [];
    for await (const chunk of await createStream("paths-stream")) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (calls[d.index] ??= { args: "" });
        if (d.function?.name) call.name = d.function.name;
        call.args += d.function?.arguments ?? "";
      }
    }
    assert.deepEqual(calls.map((c) => ({ name: c.name, args: JSON.parse(c.args) })), EXPECTED);
  });

  test("not streamed: the same rules on the assembled message", async () => {
    h.upstream.scripts.set("paths-json", { sse: toolStream([MAIL, CHARGE]) });
    const res = await create("paths-json");
    const calls = res.choices[0]!.message.tool_calls!.map((c) => (c.type === "function" ? { name: c.function.name, args: JSON.parse(c.function.arguments) } : {}));
    assert.deepEqual(calls, EXPECTED);
  });

  test("a block rule on a subtree ends the stream before any byte of the call's blocked value", async () => {
    const cc: Call = { id: "call_x", name: "send_email", args: JSON.stringify({ body: "ceo says hi", cc: { list: [{ who: "the ceo" }] } }) };
    h.upstream.scripts.set("paths-cc", { sse: toolStream([cc]) });
    const text = await streamed("paths-cc");
    assert.match(text, /^event: error$/m);
    assert.match(text, /rule \\"no-ceo\\"/);
    const released = text.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? "").join("");
    // The body is no business of the rule; in `cc` nothing of the match (or after it) is released.
    assert.equal(released, `{"body":"ceo says hi","cc":{"list":[{"who":"the `);
    assert.ok(!text.includes("[DONE]"));
  });

  test("a number at a rule's path is read by that rule", async () => {
    const big: Call = { id: "call_b", name: "charge", args: JSON.stringify({ memo: "fee", amount: 250000 }) };
    h.upstream.scripts.set("paths-amount", { sse: toolStream([big]) });
    assert.match(await streamed("paths-amount"), /rule \\"large-amount\\"/);
    assert.ok(!(await streamed("paths-amount")).includes("250"));
    await assert.rejects(create("paths-amount"), (err: Error) => /large-amount/.test(err.message));
  });
});

describe("policy argument rules: only valid policies load", () => {
  const load = (tools: object, output: object[] = []) => compilePolicies([{ origin: "p.json", text: JSON.stringify({ name: "p", output, tools }) }]);
  const rule = { id: "r", type: "phrases", phrases: ["x"], action: "redact" };

  const invalid: [string, object, RegExp, object[]?][] = [
    ["a path without $", { arguments: [{ tool: "f", path: "to", rule }] }, /\$\.tools\.arguments\[0\]\.path: invalid JSON path: a path starts with \$/],
    ["recursive descent", { arguments: [{ tool: "f", path: "$..to", rule }] }, /\$\.tools\.arguments\[0\]\.path: .*at character 3/],
    ["a negative index", { arguments: [{ tool: "f", path: "$.to[-1]", rule }] }, /\$\.tools\.arguments\[0\]\.path: .*supported steps/],
    ["an unterminated quoted name", { arguments: [{ tool: "f", path: "$['to", rule }] }, /unterminated \['name'\]/],
    ["a bad tool name", { arguments: [{ tool: "no spaces", path: "$", rule }] }, /\$\.tools\.arguments\[0\]\.tool: tool names/],
    ["a rule that does not compile", { arguments: [{ tool: "f", path: "$", rule: { id: "r", type: "regex", pattern: "(", action: "block" } }] }, /\$\.tools\.arguments\[0\]\.rule\.pattern: /],
    ["a rule with an unknown action", { arguments: [{ tool: "f", path: "$", rule: { ...rule, action: "shout" } }] }, /\$\.tools\.arguments\[0\]\.rule\.action/],
    ["duplicate rule ids", { arguments: [{ tool: "f", path: "$.a", rule }, { tool: "g", path: "$.b", rule }] }, /\$\.tools\.arguments: rule ids must be unique/],
    ["an id an output rule has", { arguments: [{ tool: "f", path: "$", rule: { ...rule, id: "email" } }] }, /\$\.tools\.arguments\[0\]\.rule\.id: rule id "email" is also an output rule's id/, [{ id: "email", type: "pii", detector: "email", action: "redact" }]],
    ["an unknown field", { arguments: [{ tool: "f", path: "$", rule, when: "always" }] }, /\$\.tools\.arguments\[0\]\.when/],
  ];
  for (const [name, tools, message, output] of invalid) {
    test(`refused: ${name}`, async () => {
      await assert.rejects(load(tools, output), (err: unknown) => {
        assert.ok(err instanceof PolicyLoadError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test("accepted: every supported step", async () => {
    const set = await load({ arguments: [{ tool: "f", path: "$.a['b c'][*][3]['it\\'s']", rule }] });
    assert.equal(set.defaultPolicy.tools.arguments?.get("f")?.rules.length, 1);
  });

  test("paths select a value and everything inside what they select", () => {
    const path = parseJsonPath("$.to[*]");
    assert.ok(typeof path !== "string");
    assert.ok(selects(path, ["to", 0]));
    assert.ok(selects(path, ["to", 7, "name"]));
    assert.ok(!selects(path, ["to"]));
    assert.ok(!selects(path, ["cc", 0]));
    const index = parseJsonPath("$[1]");
    assert.ok(typeof index !== "string" && selects(index, [1]) && !selects(index, ["1"]));
  });
});

describe("argument rules in the JSON gate: any chunking, any document", () => {
  const outputRules = [{ id: "email", type: "pii" as const, detector: "email" as const, action: "redact" as const }];
  const output = compileGates(outputRules);
  const path = (p: string) => parseJsonPath(p) as Exclude<ReturnType<typeof parseJsonPath>, string>;
  const entries = [
    { path: path("$.to[*]"), rule: { id: "host", type: "phrases" as const, phrases: ["intranet"], action: "redact" as const, replacement: "[HOST]" } },
    { path: path("$.cc"), rule: { id: "boss", type: "phrases" as const, phrases: ["ceo"], action: "redact" as const, replacement: "[BOSS]" } },
    { path: path("$[*].n"), rule: { id: "big", type: "regex" as const, pattern: "[0-9]{4,}", action: "redact" as const, replacement: "0" } },
    { path: path("$['to'][1]"), rule: { id: "second", type: "phrases" as const, phrases: ["ok"], action: "redact" as const, replacement: "[2ND]" } },
  ];
  const rules = new ToolArgumentGates(output, outputRules, entries);

  /** The reference: every value gated whole by the output rules plus the rules whose paths select its place. */
  const setAt = (at: JsonLocation) => compileGates([...entries.filter((e) => selects(e.path, at)).map((e) => e.rule), ...outputRules]);
  const expected = (value: unknown, at: JsonLocation = []): unknown => {
    if (typeof value === "string") return setAt(at).scan(value).text;
    if (typeof value === "number") {
      const text = setAt(at).scan(JSON.stringify(value)).text;
      return text === JSON.stringify(value) ? value : text;
    }
    if (Array.isArray(value)) return value.map((v, i) => expected(v, [...at, i]));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [output.scan(k).text, expected(v, [...at, k])]));
    }
    return value;
  };

  const word = fc.constantFrom("intranet", "ceo", "bob.smith@example.com", "ok", "to", "cc", "n", "12345", "");
  const text = fc.array(word, { maxLength: 4 }).map((w) => w.join(" "));
  const { doc } = fc.letrec((tie) => ({
    doc: fc.oneof({ depthSize: "small", withCrossShrink: true }, text, fc.integer({ min: 0, max: 99999 }), fc.boolean(), fc.array(tie("doc"), { maxLength: 3 }), tie("object")),
    object: fc.dictionary(fc.constantFrom("to", "cc", "n", "body", "tX"), tie("doc"), { maxKeys: 4 }),
  }));

  test("property: streamed in any chunks, each value is gated by the rules its path selects", () => {
    // Half the documents are objects of arrays of text, where the index and name paths have most to select.
    const top = fc.oneof(doc, fc.dictionary(fc.constantFrom("to", "cc", "n", "tX"), fc.array(fc.oneof(text, doc), { maxLength: 4 }), { maxKeys: 4 }));
    fc.assert(fc.property(top, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }), (value, cuts) => {
      // Key "tX" is written `t\u006f`: "to" once decoded (a duplicate "to" is then last-wins, in the reference too).
      const json = JSON.stringify(value).replaceAll('"tX"', '"t\\u006f"');
      const gate = new JsonTextGate(output, rules);
      let out = "";
      for (let i = 0, k = 0; i < json.length; k++) {
        const n = cuts[k % cuts.length]!;
        const step = gate.push(json.slice(i, i + n));
        assert.equal(step.error, undefined);
        out += step.text;
        i += n;
      }
      const last = gate.end();
      assert.equal(last.error, undefined);
      out += last.text;
      assert.deepEqual(JSON.parse(out), expected(JSON.parse(json)));
    }), { numRuns: 300 });
  });
});
