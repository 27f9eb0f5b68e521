/**
 * The local backend's vocabulary when a tool syntax's markers are control tokens (fixture variants with Mistral's
 * `[TOOL_CALLS]`, Llama 3.1's `<|python_tag|>`, Qwen's `<tool_call>` as single tokens): exactly the syntax's tokens
 * render as their text, every other control token stays textless, the call masks allow the control token and the
 * spelled-out opener alike, and the parser reads a Llama 3.1 lead before a call in every split.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LlamaEngine } from "../../src/backends/local/engine.ts";
import { ToolCallParser, writtenCalls } from "../../src/backends/local/tool-calls.ts";
import { ToolCallMasks } from "../../src/backends/local/tool-sampling.ts";
import { LLAMA3, type ToolCallSyntax } from "../../src/backends/local/tool-syntax.ts";
import type { BackendEvent } from "../../src/backends/types.ts";
import { toolCallConstraint } from "../../src/grammar/tool-call.ts";
import { masksFor } from "../../src/grammar/vocabulary.ts";
import { ensureFixtureModel, FIXTURE_ADDED_TOKENS, type FixtureVariant } from "../fixture/model.ts";

const TOOLS = [{ name: "set_alarm", parameters: { type: "object", properties: { hour: { type: "integer" } }, required: ["hour"], additionalProperties: false } }];
const decoder = new TextDecoder();

async function openVariant(variant: FixtureVariant): Promise<LlamaEngine> {
  return LlamaEngine.open({ modelPath: await ensureFixtureModel(variant), nSeqMax: 1, nCtxPerSequence: 64, nThreads: 1 });
}

/** Events of `text` fed in pieces of `step` characters, joined into text and calls. */
function parsed(syntax: ToolCallSyntax, text: string, step: number, lazy: boolean) {
  const parser = new ToolCallParser(0, syntax, () => "call_0", lazy);
  const events: BackendEvent[] = [];
  for (let i = 0; i < text.length; i += step) events.push(...parser.push(text.slice(i, i + step)));
  events.push(...parser.end());
  let content = "", args = "{}";
  const names: string[] = [];
  for (const e of events) {
    if (e.type === "text") content += e.text;
    if (e.type === "tool" && e.name) names.push(e.name);
    if (e.type === "tool" && e.name) args = "";
    if (e.type === "tool") args += e.arguments ?? "";
  }
  return { content, names, args: JSON.parse(args) as unknown, calls: parser.calls };
}

describe("Llama 3.1's <|python_tag|> lead before a call", () => {
  const call = "{\"name\": \"set_alarm\", \"parameters\": {\"hour\": 7}}";
  test("forced and auto, split at every character: one call, the lead never text", () => {
    for (let step = 1; step <= 16; step++) {
      for (const lazy of [false, true]) {
        assert.deepEqual(parsed(LLAMA3, `<|python_tag|>${call}`, step, lazy), { content: "", names: ["set_alarm"], args: { hour: 7 }, calls: 1 }, `step ${step}, lazy ${lazy}`);
      }
      assert.deepEqual(parsed(LLAMA3, `Sure. <|python_tag|>${call}`, step, true).content, "Sure. ", `step ${step}`);
      assert.deepEqual(parsed(LLAMA3, "a <|python_ta", step, true), { content: "a <|python_ta", names: [], args: {}, calls: 0 }, `step ${step}`);
    }
  });
});

const CONTROL_VARIANTS = ["mistral-control", "llama3-control", "qwen-control"] as const;

describe("the syntax's control tokens in the local vocabulary", () => {
  test("the default fixture has none: the engine decodes with llama.cpp's vocabulary itself", { timeout: 60_000 }, async () => {
    const engine = await LlamaEngine.open({ modelPath: await ensureFixtureModel(), nSeqMax: 1, nCtxPerSequence: 64, nThreads: 1 });
    try {
      assert.equal(engine.syntaxTokens.size, 0);
      assert.equal(engine.vocabulary, engine.model.vocabularyBytes());
    } finally {
      engine.close();
    }
  });

  for (const variant of CONTROL_VARIANTS) {
    test(`${variant}: only the syntax's tokens gain text; the masks allow them and the spelled-out opener`, { timeout: 120_000 }, async () => {
      const engine = await openVariant(variant);
      try {
        const { model, vocabulary, syntaxTokens } = engine;
        const syntax = engine.toolSyntax;
        assert.ok(typeof syntax !== "string", String(syntax));
        const plain = model.vocabularyBytes();
        const piece = (v: typeof plain, t: number) => decoder.decode(v.bytes.subarray(v.offsets[t]!, v.offsets[t + 1]!));
        const changed: string[] = [];
        for (let t = 0; t < model.nVocab; t++) if (piece(plain, t) !== piece(vocabulary, t)) changed.push(piece(vocabulary, t));
        const controls = (FIXTURE_ADDED_TOKENS[variant] ?? []).filter((a) => a.type === 3).map((a) => a.text);
        assert.deepEqual(changed, syntax.controlTokens.filter((text) => controls.includes(text)), "exactly the syntax's control tokens gain their text");
        for (const text of controls.filter((c) => !syntax.controlTokens.includes(c))) {
          assert.equal(piece(vocabulary, specialId(model, text)), "", `${text} stays textless`);
        }
        const opener = syntax.lead ?? syntax.trigger;
        const control = syntaxTokens.get(opener)!;
        assert.equal(piece(vocabulary, control), opener);
        const ends: number[] = [];
        for (let t = 0; t < model.nVocab; t++) if (model.isEndOfGeneration(t)) ends.push(t);
        const masks = masksFor(toolCallConstraint(TOOLS, syntax, false), vocabulary, ends);
        const forced = new ToolCallMasks(masks, syntax.trigger, false, new Set(syntaxTokens.values()), syntax.lead === undefined ? undefined : syntaxTokens.get(syntax.lead));
        const first = forced.mask()!;
        const allowed = (mask: Uint32Array, t: number) => (mask[t >> 5]! >>> (t & 31)) & 1;
        assert.equal(allowed(first, control), 1, "the control token opens a forced call");
        const spelled = model.tokenize(syntax.opener || "{")[0]!;
        assert.equal(allowed(first, spelled), 1, `the spelled-out opener's first token ${JSON.stringify(piece(vocabulary, spelled))} too`);
        for (const other of controls.filter((c) => !syntax.controlTokens.includes(c))) assert.equal(allowed(first, specialId(model, other)), 0, `${other} is never allowed`);
        assert.ok(forced.accept(control));
        assert.equal(forced.opened, "token");
        assert.equal(allowed(forced.mask()!, control), 0, "once opened, not again");
        const written = writtenCalls(syntax, [{ name: "set_alarm", args: "{\"hour\": 7}" }]);
        for (const t of model.tokenize(written.startsWith(opener) ? written.slice(opener.length) : written)) {
          assert.equal(allowed(forced.mask()!, t), 1, `${JSON.stringify(piece(vocabulary, t))} of ${JSON.stringify(written)}`);
          assert.ok(forced.accept(t));
        }
        // Llama 3.1 ends a tool turn with <|eom_id|>, an end-of-generation token the mask allows once the call is complete.
        const end = syntax.lead === undefined ? model.eos : specialId(model, "<|eom_id|>");
        assert.equal(allowed(forced.mask()!, end), 1);
        assert.ok(forced.accept(end));
      } finally {
        engine.close();
      }
    });
  }
});

/** The id of `text` as one special token. */
function specialId(model: LlamaEngine["model"], text: string): number {
  const ids = model.tokenize(text, { special: true });
  assert.equal(ids.length, 1, text);
  return ids[0]!;
}
