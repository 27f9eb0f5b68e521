/**
 * Decodes off the JS thread (`LlamaContext.decodeOffThread`): the same logits as on it, the event loop keeps turning
 * meanwhile, and closing the context or the engine during one waits for it instead of freeing memory under it.
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { after, describe, test } from "node:test";
import { DECODE_CLOSED, LlamaContext } from "../../ffi/llama/context.ts";
import { collect, fixtureEngine } from "./harness.ts";

const engine = await fixtureEngine();
after(() => engine.close());

/** A fresh one-sequence context on the fixture model with a long prompt in its batch; returns it and the prompt length. */
async function contextWithPrompt(): Promise<{ context: LlamaContext; n: number }> {
  const context = await LlamaContext.create(engine.model, { nCtx: 1024, nBatch: 512, nSeqMax: 1, nThreads: 1 });
  const prompt = engine.model.tokenize("the decode thread keeps the event loop free ".repeat(40)).slice(0, 500);
  prompt.forEach((token, i) => {
    context.batch.token[i] = token;
    context.batch.pos[i] = i;
    context.batch.seq[i] = 0;
    context.batch.output[i] = i === prompt.length - 1 ? 1 : 0;
  });
  return { context, n: prompt.length };
}

/** Counts the event-loop turns during which `busy()` held, until `promise` settles. */
async function turnsWhile<T>(promise: Promise<T>, busy: () => boolean): Promise<{ value: T; turns: number }> {
  let settled = false, turns = 0;
  const counting = (async () => {
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      if (busy()) turns++;
    }
  })();
  const value = await promise;
  settled = true;
  await counting;
  return { value, turns };
}

describe("decode off the JS thread", () => {
  test("gives the logits of the same decode on the JS thread, and the event loop turns while it runs", async () => {
    const { context, n } = await contextWithPrompt();
    try {
      assert.equal(context.decode(n), 0);
      const inline = context.logitsRows(1)[0]!.slice();
      context.removeSequence(0);
      const { value: status, turns } = await turnsWhile(context.decodeOffThread(n, -1), () => context.decoding);
      assert.equal(status, 0);
      assert.ok(turns > 0, "the event loop turned while the decode ran");
      assert.equal(context.decoding, false);
      assert.deepEqual(context.logitsRows(1)[0]!.slice(), inline);
    } finally {
      context.close();
    }
  });

  test("closing the context during a decode waits for it, then the decode reports the close", async () => {
    const { context, n } = await contextWithPrompt();
    const decoding = context.decodeOffThread(n, -1);
    context.close();
    assert.equal(await decoding, DECODE_CLOSED);
    assert.throws(() => context.decode(1), /closed/);
  });

  test("closing an engine during a long prefill ends its request as aborted", async () => {
    const other = await fixtureEngine();
    const prompt = other.model.tokenize("a long prompt to prefill ".repeat(40)).slice(0, 240);
    const generation = other.generate({ prompt, maxTokens: 4, pick: () => 0 });
    const result = collect(generation).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    other.close();
    const finish = await generation.finish;
    assert.equal(finish.reason, "abort");
    await result;
  });
});
