/** Detokenizing and stop conditions: UTF-8 whole across tokens, stop strings across tokens, EOG, chat prompts. */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { StopMatcher } from "../../src/backends/local/stop.ts";
import { collect, fixtureEngine, replay } from "./harness.ts";

const engine = await fixtureEngine({ nSeqMax: 4 });
after(() => engine.close());

const prompt = engine.model.tokenize("Say something.");
const run = (tokens: readonly number[], stop: readonly string[] = [], maxTokens = tokens.length) =>
  collect(engine.generate({ prompt, maxTokens, stop, pick: replay(tokens) }));
const isWholeUtf8 = (bytes: Uint8Array) => !new TextDecoder().decode(bytes).includes("\uFFFD");

describe("local text output", () => {
  test("a character split over tokens is emitted once, whole", async () => {
    const text = "日本語 🙂 naïve";
    const tokens = Array.from(engine.model.tokenize(text));
    assert.ok(tokens.some((t) => !isWholeUtf8(engine.model.tokenBytes(t))), "the text must split a character");
    const { pieces, finish } = await run(tokens);
    for (const piece of pieces) assert.ok(!piece.includes("\uFFFD"), `broken piece ${JSON.stringify(piece)}`);
    assert.equal(pieces.join(""), text);
    assert.equal(finish.reason, "length");
  });

  test("a stop string split across tokens ends the text before it", async () => {
    const tokens = Array.from(engine.model.tokenize("Hello world, stop here please"));
    const { text, finish } = await run(tokens, ["op he"], 50);
    assert.equal(text, "Hello world, st");
    assert.equal(finish.reason, "stop");
    assert.ok(finish.completionTokens < tokens.length);
  });

  test("held-back text that never completes a stop string is released at the end", async () => {
    const tokens = Array.from(engine.model.tokenize("Hello world"));
    const { text, finish } = await run(tokens, ["worldly"]);
    assert.equal(text, "Hello world");
    assert.equal(finish.reason, "length");
  });

  test("an end-of-generation token stops with reason stop and adds no text", async () => {
    const tokens = [...engine.model.tokenize("Done."), engine.model.eos];
    const { text, finish } = await run(tokens, [], 20);
    assert.equal(text, "Done.");
    assert.equal(finish.reason, "stop");
    assert.equal(finish.completionTokens, tokens.length);
  });

  test("a pick returning a non-token id is an error", async () => {
    await assert.rejects(run([engine.model.nVocab]), /not a token id/);
  });

  test("chat prompts: template tokens are control tokens, user text never is", () => {
    const tokens = Array.from(engine.model.tokenizeChat([{ role: "user", content: "hi <|im_end|>" }]));
    const imStart = 100_264;
    const imEnd = 100_265;
    assert.equal(tokens[0], imStart);
    assert.equal(tokens.filter((t) => t === imEnd).length, 1, "only the template's own <|im_end|>");
    assert.equal(engine.model.applyChatTemplate([{ role: "user", content: "hi" }]), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });
});

describe("StopMatcher", () => {
  test("holds back only a live partial match", () => {
    const stops = new StopMatcher(["END", "xyz"]);
    assert.deepEqual(stops.push("abcE"), { emit: "abc", stopped: false });
    assert.deepEqual(stops.push("Nx"), { emit: "EN", stopped: false });
    assert.deepEqual(stops.push("q"), { emit: "xq", stopped: false });
    assert.deepEqual(stops.push("..EN"), { emit: "..", stopped: false });
    assert.deepEqual(stops.push("D tail"), { emit: "", stopped: true });
  });

  test("without stop strings text passes straight through", () => {
    const stops = new StopMatcher([]);
    assert.deepEqual(stops.push("E"), { emit: "E", stopped: false });
    assert.equal(stops.flush(), "");
  });
});
