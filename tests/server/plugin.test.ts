/** rsk mounted as a plugin inside a user's own Hono app, served on a real port, called with the openai SDK. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Hono } from "hono";
import OpenAI from "openai";
import { serve, type RunningServer } from "../../ffi/serve.ts";
import { rsk } from "../../src/mod.ts";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream.ts";

describe("plugin", () => {
  let upstream: ScriptedUpstream;
  let server: RunningServer;
  before(() => {
    upstream = startScriptedUpstream();
    const app = new Hono();
    app.get("/", (c) => c.text("my app"));
    app.route("/ai", rsk({ upstream: { url: upstream.url } }));
    server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test("serves gated completions under the mount path next to the user's routes", async () => {
    upstream.scripts.set("p", { text: "reach me at x.y@example.com", chunking: 3 });
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/ai/v1`, apiKey: "k", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "p", stream: true, messages: [{ role: "user", content: "x" }] });
    let out = "";
    for await (const c of stream) out += c.choices[0]?.delta.content ?? "";
    assert.equal(out, "reach me at [EMAIL]");
    assert.equal(await (await fetch(`http://127.0.0.1:${server.port}/`)).text(), "my app");
  });

  test("a missing backend is a clear error", () => {
    assert.throws(() => rsk({}), /give a `backend` or an `upstream/);
  });
});
