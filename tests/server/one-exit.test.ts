/** The one exit: writers accept only guard decisions, and only the guard can make one. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SSEStreamingApi } from "hono/streaming";
import { GuardDecision } from "../../src/guard/guard.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { JsonCollector, type ResponseShape, SseWriter } from "../../src/server/respond.ts";

const shape: ResponseShape = { id: "x", created: 0, model: "m", kind: "chat", includeUsage: false, startedAt: 0 };
const sink = { writeSSE: async () => {} } as unknown as SSEStreamingApi;

describe("one exit", () => {
  test("a writer rejects anything that is not a sealed decision (type error and runtime error)", async () => {
    const writer = new SseWriter(sink, shape, new GatewayMetrics());
    const forged = { verdict: { kind: "release", choice: 0, text: "ungated" } };
    // @ts-expect-error: raw text or a look-alike object is not a GuardDecision
    await assert.rejects(writer.write(forged), TypeError);
    const collector = new JsonCollector(shape, new GatewayMetrics());
    // @ts-expect-error: same for the JSON collector
    assert.throws(() => collector.add("ungated text"), TypeError);
  });

  test("a decision cannot be minted outside the guard", () => {
    // @ts-expect-error: the guard's private token is not reachable from here
    assert.throws(() => new GuardDecision(Symbol("guard-decision"), { kind: "release", choice: 0, text: "x" }), TypeError);
  });
});
