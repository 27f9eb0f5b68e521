/** The gateway on the local backend: fixture GGUF through real llama.cpp, rsk's sampler kernels, the default policy. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIError } from "openai";
import { type LocalHarness, startLocalHarness } from "./local-harness.ts";

describe("gateway on the local llama.cpp backend", () => {
  let h: LocalHarness;
  before(async () => (h = await startLocalHarness()));
  after(() => h.close());

  const run = async (seed: number, max_tokens = 24, content = "Tell me a story.") => {
    const stream = await h.client.chat.completions.create({ model: "fixture", stream: true, seed, max_tokens, messages: [{ role: "user", content }] });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return { text, finish };
  };

  test("streams through the SDK; the same seed gives the same text, other seeds differ", { timeout: 60_000 }, async () => {
    const a = await run(7);
    const b = await run(7);
    assert.ok(a.text.length > 0);
    assert.equal(a.text, b.text);
    const others = await Promise.all([8, 9, 10].map((s) => run(s)));
    assert.ok(others.some((o) => o.text !== a.text), "different seeds change the output");
    assert.ok(a.finish === "length" || a.finish === "stop");
  });

  test("16 concurrent streams give the same outputs as each run alone", { timeout: 120_000 }, async () => {
    const seeds = Array.from({ length: 16 }, (_, i) => 100 + i);
    const alone: string[] = [];
    for (const s of seeds) alone.push((await run(s, 8)).text);
    const together = await Promise.all(seeds.map((s) => run(s, 8)));
    assert.deepEqual(together.map((t) => t.text), alone);
    assert.equal(h.backend.engine.activeSequences, 0);
  });

  test("non-streamed, n choices, usage", { timeout: 60_000 }, async () => {
    const res = await h.client.chat.completions.create({ model: "fixture", seed: 3, n: 2, max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    assert.equal(res.choices.length, 2);
    assert.equal(res.choices[0]?.finish_reason, "length");
    assert.equal(res.usage?.completion_tokens, 16);
    const text = await h.client.completions.create({ model: "fixture", seed: 3, max_tokens: 8, prompt: "Once upon a time" });
    assert.equal(text.choices.length, 1);
  });

  test("an aborted stream frees its sequence", { timeout: 60_000 }, async () => {
    const ctl = new AbortController();
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fixture", stream: true, seed: 1, max_tokens: 200, messages: [{ role: "user", content: "go" }] }),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(h.backend.engine.activeSequences, 1);
    ctl.abort();
    for (let i = 0; i < 200 && h.backend.engine.activeSequences > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.backend.engine.activeSequences, 0);
  });

  test("a policy's token bans are never sampled, whatever the request's logit_bias says", { timeout: 60_000 }, async () => {
    const greedy = { model: "fixture", temperature: 0, max_tokens: 1, messages: [{ role: "user" as const, content: "Say something." }] };
    const first = (await h.client.chat.completions.create(greedy)).choices[0]?.message.content ?? "";
    assert.ok(first.length > 0);
    const dir = mkdtempSync(join(tmpdir(), "rsk-tokens-"));
    writeFileSync(join(dir, "ban.json"), JSON.stringify({ name: "ban", tokens: { ban: [first] } }));
    const banned = await startLocalHarness({ policy: join(dir, "ban.json") });
    try {
      const id = banned.backend.engine.model.tokenize(first, { addSpecial: false, special: true });
      assert.equal(id.length, 1, "the greedy token's text is one token");
      const again = await banned.client.chat.completions.create({ ...greedy, logit_bias: { [String(id[0])]: 100 } });
      assert.notEqual(again.choices[0]?.message.content, first);
    } finally {
      await banned.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unknown model is a 404 naming the served one", async () => {
    await assert.rejects(
      h.client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "x" }] }),
      (e: unknown) => e instanceof APIError && e.status === 404 && e.code === "model_not_found" && /serves "fixture"/.test(e.message),
    );
  });

  test("a prompt longer than the context and bad sampling params are 400s naming the problem", async () => {
    await assert.rejects(
      run(1, 8, "word ".repeat(2000)),
      (e: unknown) => e instanceof APIError && e.status === 400 && e.code === "context_length_exceeded",
    );
    await assert.rejects(
      h.client.chat.completions.create({ model: "fixture", top_k: 10_000_000, messages: [{ role: "user", content: "x" }] } as never),
      (e: unknown) => e instanceof APIError && e.status === 400 && /top_k/.test(e.message),
    );
  });
});
