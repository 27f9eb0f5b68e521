/** `x-request-id`: a well-formed incoming id is kept, echoed and passed upstream; anything else is replaced, never echoed. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./harness.ts";

describe("x-request-id", () => {
  let h: Harness;
  before(() => {
    h = startHarness();
    h.upstream.scripts.set("id", { text: "ok" });
  });
  after(() => h.close());

  const send = (id: string | undefined) =>
    fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(id === undefined ? {} : { "x-request-id": id }) },
      body: JSON.stringify({ model: "id", messages: [{ role: "user", content: "x" }] }),
    });

  const cases: [string, string | undefined, boolean][] = [
    ["a trace id from the caller", "req-2026.11.27:abc_DEF-1", true],
    ["none", undefined, false],
    ["too long", "a".repeat(129), false],
    ["with spaces and quotes", "x\" onload=\"y", false],
    ["non-ASCII", "idé", false],
    ["empty", "", false],
  ];
  for (const [name, id, kept] of cases) {
    test(`${name}: ${kept ? "kept, echoed, passed upstream" : "replaced by a fresh id"}`, async () => {
      const res = await send(id);
      await res.text();
      const echoed = res.headers.get("x-request-id")!;
      assert.match(echoed, /^[\w.:-]{1,128}$/);
      if (kept) assert.equal(echoed, id);
      else assert.notEqual(echoed, id);
      assert.equal(h.upstream.received.at(-1)!.requestId, echoed);
    });
  }
});
