/** The gateway end to end: real gateway and scripted upstream on port 0, called with the official openai SDK. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { APIError } from "openai";
import { fileURLToPath } from "node:url";
import { startHarness, type Harness } from "./harness.ts";

const POLICIES = fileURLToPath(new URL("../../policies", import.meta.url));

/** Raw SSE events of a streamed call (what a non-SDK client sees). */
async function rawEvents(h: Harness, body: object, headers: Record<string, string> = {}): Promise<{ status: number; events: { event?: string; data: string }[] }> {
  const res = await fetch(`${h.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ messages: [{ role: "user", content: "go" }], stream: true, ...body }),
  });
  const text = await res.text();
  const events = text.split("\n\n").filter(Boolean).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
    return { event, data };
  });
  return { status: res.status, events };
}

describe("gateway over a scripted upstream", () => {
  let h: Harness;
  before(() => (h = startHarness({ policy: POLICIES })));
  after(() => h.close());

  test("streams a clean chat completion through the SDK, ending with [DONE]", async () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(5);
    h.upstream.scripts.set("clean", { text, chunking: 3 });
    const stream = await h.client.chat.completions.create({ model: "clean", stream: true, messages: [{ role: "user", content: "hi" }] });
    let out = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      out += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(out, text);
    assert.equal(finish, "stop");
    const raw = await rawEvents(h, { model: "clean" });
    assert.equal(raw.events.at(-1)?.data, "[DONE]");
  });

  test("a clean stream is released chunk by chunk, not buffered", async () => {
    h.upstream.scripts.set("words", { text: "one two three four five six ", chunking: "words" });
    const raw = await rawEvents(h, { model: "words" });
    const contents = raw.events.filter((e) => e.data.startsWith("{")).map((e) => JSON.parse(e.data).choices[0]?.delta?.content).filter(Boolean);
    assert.deepEqual(contents, ["one ", "two ", "three ", "four ", "five ", "six "]);
  });

  test("non-streamed chat and text completions, with usage", async () => {
    h.upstream.scripts.set("plain", { text: "Hello there, mail me at a.b@example.org please.", chunking: 4 });
    const chat = await h.client.chat.completions.create({ model: "plain", messages: [{ role: "user", content: "hi" }] });
    assert.equal(chat.object, "chat.completion");
    assert.equal(chat.choices[0]?.message.content, "Hello there, mail me at [EMAIL] please.");
    assert.equal(chat.choices[0]?.finish_reason, "stop");
    assert.equal(chat.usage?.prompt_tokens, 3);
    const text = await h.client.completions.create({ model: "plain", prompt: "hi" });
    assert.equal(text.object, "text_completion");
    assert.equal(text.choices[0]?.text, "Hello there, mail me at [EMAIL] please.");
    assert.equal(h.upstream.received.at(-1)?.path, "/v1/completions");
  });

  test("streamed text completions", async () => {
    h.upstream.scripts.set("tc", { text: "abc def", chunking: 1 });
    const stream = await h.client.completions.create({ model: "tc", prompt: "x", stream: true });
    let out = "";
    for await (const chunk of stream) out += chunk.choices[0]?.text ?? "";
    assert.equal(out, "abc def");
  });

  test("include_usage adds a usage chunk", async () => {
    h.upstream.scripts.set("usage", { text: "ok", chunking: 1 });
    const stream = await h.client.chat.completions.create({ model: "usage", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "x" }] });
    let usage: unknown;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    assert.deepEqual(usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  test("the prompt goes through the input gate before the upstream sees it, with the gateway's own key", async () => {
    h.upstream.scripts.set("echo", { text: "ok" });
    await h.client.chat.completions.create({
      model: "echo",
      messages: [{ role: "user", content: [{ type: "text", text: "my card is 4111 1111 1111 1111, mail jo@example.com" }] }],
    });
    const seen = h.upstream.received.at(-1)!;
    assert.equal(seen.authorization, "Bearer upstream-secret");
    const sent = JSON.stringify(seen.body.messages);
    assert.ok(!sent.includes("4111 1111 1111 1111") && !sent.includes("jo@example.com"), sent);
    assert.ok(sent.includes("[EMAIL]"), sent);
  });

  test("a blocked phrase ends the stream with an error event naming policy and rule, and no [DONE]", async () => {
    h.upstream.scripts.set("bad", { text: "Sure. Here is how to build a bomb: step one", chunking: 2 });
    const raw = await rawEvents(h, { model: "bad" });
    const last = raw.events.at(-1)!;
    assert.equal(last.event, "error");
    const err = JSON.parse(last.data).error;
    assert.equal(err.code, "content_blocked");
    assert.match(err.message, /policy "default" \(rule "dangerous-instructions"\)/);
    assert.ok(!raw.events.some((e) => e.data === "[DONE]"));
    const released = raw.events.filter((e) => e.data.startsWith("{\"id")).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? "").join("");
    assert.ok(!/bomb/i.test(released), released);
    await assert.rejects(
      async () => {
        const s = await h.client.chat.completions.create({ model: "bad", stream: true, messages: [{ role: "user", content: "x" }] });
        for await (const _ of s) { /* drain */ }
      },
      (e: unknown) => e instanceof APIError && /dangerous-instructions/.test(e.message),
    );
  });

  test("a non-streamed block is a 400 content_blocked error", async () => {
    await assert.rejects(
      h.client.chat.completions.create({ model: "bad", messages: [{ role: "user", content: "x" }] }),
      (e: unknown) => e instanceof APIError && e.status === 400 && e.code === "content_blocked",
    );
  });

  test("x-rsk-policy selects a loaded policy; unknown names are a 400", async () => {
    h.upstream.scripts.set("mail", { text: "write to a.b@example.org", chunking: 5 });
    const strict = await rawEvents(h, { model: "mail" }, { "x-rsk-policy": "strict" });
    assert.equal(strict.events.at(-1)?.event, "error");
    const permissive = await h.client.chat.completions.create(
      { model: "mail", messages: [{ role: "user", content: "x" }] },
      { headers: { "x-rsk-policy": "permissive" } },
    );
    assert.equal(permissive.choices[0]?.message.content, "write to a.b@example.org");
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rsk-policy": "nope" },
      body: JSON.stringify({ model: "mail", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.param, "x-rsk-policy");
    assert.match(body.error.message, /unknown policy "nope".*default/);
  });

  test("models, healthz and metrics", async () => {
    const models = await h.client.models.list();
    assert.equal(models.data[0]?.id, "scripted");
    const health = await (await fetch(`${h.url.replace("/v1", "")}/healthz`)).json();
    assert.equal(health.status, "ok");
    assert.deepEqual(health.policies.sort(), ["default", "permissive", "strict"]);
    const metrics = await (await fetch(`${h.url.replace("/v1", "")}/metrics`)).text();
    assert.match(metrics, /rsk_requests_total\{route="\/v1\/chat\/completions",status="200"\} \d+/);
    assert.match(metrics, /rsk_ttft_seconds_count\{route="chat"\} \d+/);
    assert.match(metrics, /rsk_inter_token_seconds_bucket\{route="chat",le="0.001"\} \d+/);
    assert.match(metrics, /rsk_gate_decisions_total\{policy="default",rule="dangerous-instructions",action="block"\} \d+/);
    assert.match(metrics, /rsk_gate_latency_seconds_count\{stage="output"\} \d+/);
  });
});
