/** PII split across upstream chunk boundaries never reaches the client unredacted, for every detector and chunking. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PII_DETECTORS } from "../../src/gates/mod.ts";
import { startHarness, type Harness } from "./harness.ts";
import { NEAR_MISSES, PII_SAMPLES, sentence } from "./pii-values.ts";

const CHUNKINGS = [1, 2, 3, 5, 8, "words", undefined] as const;

async function streamed(h: Harness, model: string): Promise<string> {
  const stream = await h.client.chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "go" }] });
  let out = "";
  for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? "";
  return out;
}

describe("PII split across chunks (default policy, real servers)", () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  for (const detector of PII_DETECTORS) {
    test(`${detector}: never emitted whole, same output for every chunking`, async () => {
      const value = PII_SAMPLES[detector];
      const text = sentence(value);
      const outputs = new Set<string>();
      for (const chunking of CHUNKINGS) {
        const model = `${detector}-${chunking}`;
        h.upstream.scripts.set(model, { text, chunking });
        const out = await streamed(h, model);
        assert.ok(!out.includes(value), `${detector} leaked with chunking ${chunking}: ${out}`);
        assert.ok(out.startsWith("Sure, here it is: ") && out.endsWith(" and that is all."), `context kept: ${out}`);
        outputs.add(out);
      }
      assert.equal(outputs.size, 1, `chunking changed the output: ${[...outputs].join(" | ")}`);
    });
  }

  for (const [name, value] of Object.entries(NEAR_MISSES)) {
    test(`near miss passes untouched: ${name}`, async () => {
      const model = `miss-${name}`;
      h.upstream.scripts.set(model, { text: sentence(value), chunking: 1 });
      assert.equal(await streamed(h, model), sentence(value));
    });
  }
});
