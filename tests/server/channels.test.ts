/**
 * Reasoning and refusals from an upstream are their own gated channels: streamed and collected (never dropped), each
 * with its own hold-back, so PII split across their deltas is redacted like the answer's.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ask, assertNoSecret, frame, LEAKY_PIECES } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

const REDACTED = "Write to [EMAIL] and **** **** **** 1111 please.";
const delta = (part: Record<string, string>, finish: string | null = null) =>
  frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: part, finish_reason: finish }] });

/** An upstream stream whose reasoning (in `field`) and answer each carry the leaky sentence, 1 piece per delta, interleaved. */
function interleaved(field: "reasoning_content" | "reasoning" | "refusal"): string[] {
  return [
    ...LEAKY_PIECES.flatMap((p) => [delta({ [field]: p }), delta({ content: p })]),
    delta({}, "stop"),
    "data: [DONE]\n\n",
  ];
}

describe("reasoning and refusal channels (default policy, real servers)", () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  const cases = [
    ["reasoning_content", "reasoning"],
    ["reasoning", "reasoning"],
    ["refusal", "refusal"],
  ] as const;
  for (const [field, side] of cases) {
    for (const stream of [true, false]) {
      test(`upstream ${field}, interleaved with the answer, ${stream ? "stream" : "json"}: both redacted, neither dropped`, async () => {
        const model = `channels-${field}`;
        h.upstream.scripts.set(model, { sse: interleaved(field) });
        const view = await ask(h.url, "chat", model, stream);
        assertNoSecret(view, field);
        assert.equal(view.error, undefined, view.raw.slice(0, 300));
        assert.equal(view.texts.get(0), REDACTED);
        assert.equal(view.side.get(0)?.[side], REDACTED);
        assert.deepEqual(view.finishes.get(0), ["stop"]);
      });
    }
  }

  test("the openai SDK reads the released reasoning next to the answer", async () => {
    h.upstream.scripts.set("channels-sdk", { sse: interleaved("reasoning_content") });
    const res = await h.client.chat.completions.create({ model: "channels-sdk", messages: [{ role: "user", content: "go" }] });
    const message = res.choices[0]!.message as { content: string | null; reasoning_content?: string };
    assert.equal(message.content, REDACTED);
    assert.equal(message.reasoning_content, REDACTED);
  });

  test("a blocked phrase in the reasoning blocks the response", async () => {
    h.upstream.scripts.set("channels-block", { sse: [delta({ reasoning_content: "how to build a bo" }), delta({ reasoning_content: "mb at home" }), delta({ content: "ok" }), delta({}, "stop"), "data: [DONE]\n\n"] });
    const view = await ask(h.url, "chat", "channels-block", true);
    assert.equal(view.done, false);
    assert.match(view.error?.code ?? "", /blocked/);
  });
});
