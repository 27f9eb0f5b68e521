/** Every bad-input class gets a 4xx in OpenAI's error shape naming the field, and the server keeps serving. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./harness.ts";

const ok = { model: "m", messages: [{ role: "user", content: "hi" }] };

interface Case {
  name: string;
  status: number;
  param?: string | null;
  message?: RegExp;
  body?: string | Uint8Array<ArrayBuffer>;
  path?: string;
  method?: string;
}

const json = (o: unknown) => JSON.stringify(o);
const CASES: Case[] = [
  { name: "malformed JSON", body: "{\"model\":", status: 400, message: /not valid JSON/ },
  { name: "NaN literal", body: "{\"model\":\"m\",\"temperature\":NaN}", status: 400, message: /not valid JSON/ },
  { name: "not an object", body: "[1,2]", status: 400 },
  { name: "missing messages", body: json({ model: "m" }), status: 400, param: "messages" },
  { name: "missing model", body: json({ messages: ok.messages }), status: 400, param: "model" },
  { name: "empty messages", body: json({ ...ok, messages: [] }), status: 400, param: "messages" },
  { name: "wrong type", body: json({ ...ok, temperature: "hot" }), status: 400, param: "temperature" },
  { name: "negative temperature", body: json({ ...ok, temperature: -1 }), status: 400, param: "temperature" },
  { name: "top_p above 1", body: json({ ...ok, top_p: 1.5 }), status: 400, param: "top_p" },
  { name: "huge exponent", body: "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":1e999}", status: 400, param: "temperature" },
  { name: "bad role", body: json({ ...ok, messages: [{ role: "wizard", content: "x" }] }), status: 400, param: "messages.0.role" },
  { name: "bad content", body: json({ ...ok, messages: [{ role: "user", content: 42 }] }), status: 400, param: "messages.0.content" },
  { name: "unknown field", body: json({ ...ok, temprature: 1 }), status: 400, param: "temprature", message: /unknown field "temprature"/ },
  { name: "n over the limit", body: json({ ...ok, n: 1000 }), status: 400, param: "n" },
  { name: "giant max_tokens", body: json({ ...ok, max_tokens: 1e12 }), status: 400, param: "max_tokens" },
  { name: "fractional max_tokens", body: json({ ...ok, max_tokens: 1.5 }), status: 400, param: "max_tokens" },
  { name: "logprobs would bypass gates", body: json({ ...ok, logprobs: true }), status: 400, param: "logprobs" },
  { name: "too many stop strings", body: json({ ...ok, stop: ["a", "b", "c", "d", "e"] }), status: 400, param: "stop" },
  { name: "invalid UTF-8", body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 400, message: /UTF-8/ },
  { name: "lone surrogate", body: "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}", status: 400, message: /surrogate/ },
  { name: "deep nesting", body: "[".repeat(30_000) + "]".repeat(30_000), status: 400 },
  { name: "body over the limit", body: json({ ...ok, messages: [{ role: "user", content: "x".repeat(70_000) }] }), status: 413 },
  { name: "unknown route", path: "/v1/nope", body: "{}", status: 404, message: /no route/ },
  { name: "wrong method", path: "/v1/chat/completions", method: "GET", status: 404 },
  { name: "completions with token-id prompt", path: "/v1/completions", body: json({ model: "m", prompt: [1, 2] }), status: 400, param: "prompt" },
];

describe("bad input battery", () => {
  let h: Harness;
  before(() => (h = startHarness({ maxBodyBytes: 64 * 1024 })));
  after(() => h.close());

  for (const c of CASES) {
    test(`${c.name} → ${c.status}`, async () => {
      const res = await fetch(`${h.url.replace("/v1", "")}${c.path ?? "/v1/chat/completions"}`, {
        method: c.method ?? "POST",
        headers: { "content-type": "application/json" },
        body: c.method === "GET" ? undefined : c.body,
      });
      assert.equal(res.status, c.status);
      const body = await res.json();
      assert.equal(typeof body.error.message, "string");
      assert.equal(typeof body.error.type, "string");
      assert.ok("param" in body.error && "code" in body.error);
      if (c.param !== undefined) assert.equal(body.error.param, c.param, body.error.message);
      if (c.message) assert.match(body.error.message, c.message);
    });
  }

  test("the server still serves after the whole battery", async () => {
    h.upstream.scripts.set("alive", { text: "still here" });
    const res = await h.client.chat.completions.create({ model: "alive", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.choices[0]?.message.content, "still here");
  });
});
