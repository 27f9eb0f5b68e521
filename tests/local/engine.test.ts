/** The local backend on the fixture model: determinism, batching invariance, abort, limits and load errors. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LlamaLoadError } from "../../ffi/llama/library.ts";
import { LlamaModel } from "../../ffi/llama/model.ts";
import { LlamaEngine } from "../../src/backends/local/engine.ts";
import { PromptTooLongError } from "../../src/backends/local/errors.ts";
import { ensureFixtureModel } from "../fixture/model.ts";
import { argmax, collect, fixtureEngine } from "./harness.ts";

const engine = await fixtureEngine();
const scratch = mkdtempSync(join(tmpdir(), "rsk-local-"));
after(() => {
  engine.close();
  rmSync(scratch, { recursive: true, force: true });
});

const chat = (content: string) => engine.model.tokenizeChat([{ role: "user", content }]);
const greedy = (content: string, maxTokens = 16) => collect(engine.generate({ prompt: chat(content), maxTokens, pick: argmax }));

describe("local engine", () => {
  test("greedy decoding is deterministic and stops at max_tokens", async () => {
    const first = await greedy("Tell me about batching.");
    const second = await greedy("Tell me about batching.");
    assert.equal(first.finish.reason, "length");
    assert.equal(first.finish.completionTokens, 16);
    assert.ok(first.text.length > 0);
    assert.deepEqual(second.finish.tokens, first.finish.tokens);
    assert.equal(second.text, first.text);
    assert.equal(engine.activeSequences, 0);
  });

  test("pick reads llama.cpp's logits in place: the same view every step, no copies", async () => {
    const seen = new Set<Float32Array>();
    const pick = (logits: Float32Array) => {
      seen.add(logits);
      return argmax(logits);
    };
    const { finish } = await collect(engine.generate({ prompt: chat("in place"), maxTokens: 6, pick }));
    assert.equal(finish.completionTokens, 6);
    assert.equal(seen.size, 1);
    assert.equal([...seen][0]!.length, engine.model.nVocab);
  });

  test("16 concurrent sequences produce exactly what each produces alone", async () => {
    const prompts = Array.from({ length: 16 }, (_, i) => `request ${i}: ${"more context ".repeat(i)}`);
    const alone: Awaited<ReturnType<typeof greedy>>[] = [];
    for (const p of prompts) alone.push(await greedy(p, 12));
    const stepsBefore = engine.stats.steps;
    const together = await Promise.all(prompts.map((p) => greedy(p, 12)));
    together.forEach((result, i) => assert.deepEqual(result.finish.tokens, alone[i]!.finish.tokens, `request ${i}`));
    // Batched: 12 tokens for 16 requests took far fewer steps than 16 * 12.
    assert.ok(engine.stats.steps - stepsBefore <= 14, `${engine.stats.steps - stepsBefore} steps`);
    assert.equal(engine.activeSequences, 0);
  });

  test("requests beyond n_seq_max wait for a free sequence and still match", async () => {
    const small = await fixtureEngine({ nSeqMax: 2 });
    try {
      const prompt = small.model.tokenizeChat([{ role: "user", content: "queue" }]);
      const runs = await Promise.all(Array.from({ length: 5 }, () => collect(small.generate({ prompt, maxTokens: 6, pick: argmax }))));
      for (const run of runs) assert.deepEqual(run.finish.tokens, runs[0]!.finish.tokens);
      assert.equal(small.activeSequences, 0);
      assert.equal(small.waitingRequests, 0);
    } finally {
      small.close();
    }
  });

  test("an aborted request frees its sequence within one step", async () => {
    const controller = new AbortController();
    const generation = engine.generate({ prompt: chat("abort me"), maxTokens: 200, signal: controller.signal, pick: argmax });
    let pieces = 0;
    for await (const _ of generation) {
      if (++pieces === 2) controller.abort();
    }
    const finish = await generation.finish;
    assert.equal(finish.reason, "abort");
    assert.ok(finish.completionTokens < 10, `${finish.completionTokens} tokens generated after abort`);
    assert.equal(engine.activeSequences, 0);
  });

  test("a consumer that stops reading frees its sequence", async () => {
    const generation = engine.generate({ prompt: chat("stop reading"), maxTokens: 200, pick: argmax });
    for await (const _ of generation) break;
    assert.equal((await generation.finish).reason, "abort");
    assert.equal(engine.activeSequences, 0);
  });

  test("a pick that throws ends only its own request, with that error", async () => {
    const failing = engine.generate({
      prompt: chat("fail"),
      maxTokens: 8,
      pick: () => {
        throw new Error("sampler check failed");
      },
    });
    const healthy = greedy("healthy", 8);
    await assert.rejects(collect(failing), /sampler check failed/);
    assert.equal((await failing.finish).reason, "error");
    assert.equal((await healthy).finish.completionTokens, 8);
    assert.equal(engine.activeSequences, 0);
  });

  test("a prompt longer than the context is a typed error before any decoding", () => {
    const prompt = new Int32Array(300).fill(9906);
    assert.throws(
      () => engine.generate({ prompt, maxTokens: 4, pick: argmax }),
      (error: unknown) => error instanceof PromptTooLongError && error.promptTokens === 300 && error.limit === engine.maxPromptTokens,
    );
    assert.equal(engine.activeSequences, 0);
  });

  test("a closed engine refuses work instead of touching freed native memory", async () => {
    const closed = await fixtureEngine({ nSeqMax: 1 });
    const prompt = closed.model.tokenize("late");
    closed.close();
    closed.close();
    assert.throws(() => closed.generate({ prompt, maxTokens: 2, pick: argmax }), /closed/);
    assert.throws(() => closed.model.tokenize("late"), /closed/);
  });

  test("a missing or corrupt GGUF fails with a clear error", async () => {
    await assert.rejects(LlamaEngine.open({ modelPath: join(scratch, "absent.gguf") }), (error: unknown) => {
      assert.ok(error instanceof LlamaLoadError);
      assert.match(error.message, /model file not found: .*absent\.gguf/);
      return true;
    });
    const garbage = join(scratch, "garbage.gguf");
    writeFileSync(garbage, new TextEncoder().encode("this is not a GGUF file at all".repeat(100)));
    await assert.rejects(LlamaModel.load(garbage), (error: unknown) => {
      assert.ok(error instanceof LlamaLoadError && error.code === "model_load_failed");
      assert.match(error.message, /cannot load GGUF model .*garbage\.gguf: .*magic/);
      return true;
    });
    const truncated = join(scratch, "truncated.gguf");
    writeFileSync(truncated, readFileSync(await ensureFixtureModel()).subarray(0, 3_000_000));
    await assert.rejects(LlamaModel.load(truncated), /cannot load GGUF model .*truncated\.gguf: \S/);
  });
});
