/**
 * Backpressure: a reader that falls behind pauses its producer. Local: the decode loop skips the sequence once
 * RSK_STREAM_BUFFER_BYTES of text wait unread, and resumes when the reader catches up; a paused request that is
 * aborted still frees its sequence. Upstream: the gateway stops reading the upstream body while the client is stalled.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { LlamaEngine } from "../../src/backends/local/engine.ts";
import { argmax, collect, fixtureEngine } from "../local/harness.ts";
import { startHarness } from "../server/harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `read()` stops changing for `quietMs`; returns the settled value. */
async function plateau(read: () => number, quietMs = 150, limitMs = 20_000): Promise<number> {
  const start = Date.now();
  let last = read();
  let since = Date.now();
  while (Date.now() - start < limitMs) {
    await sleep(25);
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`no plateau within ${limitMs} ms (last ${last})`);
}

describe("local backend backpressure", () => {
  let engine: LlamaEngine;
  before(async () => (engine = await fixtureEngine({ nSeqMax: 2, nCtxPerSequence: 256, streamBufferBytes: 16 })));
  after(() => engine.close());

  const request = (signal?: AbortSignal) => engine.generate({ prompt: [1, 2, 3], maxTokens: 200, pick: argmax, signal });

  test("an unread stream stops being decoded at the cap, then finishes when read", { timeout: 60_000 }, async () => {
    const before = engine.stats.generatedTokens;
    const generation = request();
    const stalled = (await plateau(() => engine.stats.generatedTokens)) - before;
    assert.ok(stalled < 200, `decoding paused after ${stalled} tokens instead of running to max_tokens`);
    assert.equal(engine.activeSequences, 1, "the paused request keeps its sequence");
    const { finish } = await collect(generation);
    assert.ok(finish.completionTokens > stalled, "reading resumed decoding");
    assert.equal(engine.activeSequences, 0);
  });

  test("aborting a paused request frees its sequence", { timeout: 60_000 }, async () => {
    const ctl = new AbortController();
    const generation = request(ctl.signal);
    await plateau(() => engine.stats.generatedTokens);
    assert.equal(engine.activeSequences, 1);
    ctl.abort();
    assert.equal((await generation.finish).reason, "abort");
    await plateau(() => engine.activeSequences);
    assert.equal(engine.activeSequences, 0);
  });
});

describe("upstream backpressure", () => {
  test("a client that stops reading stops the gateway reading the upstream body", { timeout: 60_000 }, async () => {
    const h = startHarness();
    try {
      // ~40 MB of text: far more than the loopback socket buffers between the three processes can hold.
      const piece = "z".repeat(4000) + " ";
      h.upstream.scripts.set("firehose", { text: piece.repeat(10_000), chunking: piece.length });
      const port = Number(new URL(h.url).port);
      const body = JSON.stringify({ model: "firehose", stream: true, messages: [{ role: "user", content: "hi" }] });
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
      socket.pause();
      const pieces = await plateau(() => h.upstream.received[0]?.sent ?? 0, 300);
      assert.ok(pieces < 10_000, `the upstream was read to the end (${pieces} pieces) although the client read nothing`);
      socket.destroy();
      await plateau(() => h.scheduler.slotsInUse);
      assert.equal(h.scheduler.slotsInUse, 0, "the slot is freed when the stalled client disconnects");
    } finally {
      await h.close();
    }
  });
});
