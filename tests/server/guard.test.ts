/** The guard fails closed: a gate that throws blocks the response, unless the policy opted to fail open. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileGates, type GateSet } from "../../src/gates/mod.ts";
import { GATE_ERROR_RULE, OutputGuard } from "../../src/guard/guard.ts";
import { gateText } from "../../src/guard/input.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import type { Policy } from "../../src/policy/load.ts";
import { ApiError } from "../../src/server/errors.ts";

/** Real compiled gates whose stream breaks on the given chunk (a gate bug or corrupted state). */
function breaking(trigger: string): GateSet {
  const real = compileGates([{ id: "mail", type: "pii", detector: "email", action: "redact" }]);
  return {
    maxHoldBack: real.maxHoldBack,
    scan: (text) => {
      if (text.includes(trigger)) throw new Error("gate bug");
      return real.scan(text);
    },
    open: () => {
      const s = real.open();
      return { push: (c) => (c === trigger ? (() => { throw new Error("gate bug"); })() : s.push(c)), end: () => s.end(), restart: () => s.restart(), get held() { return s.held; } };
    },
  };
}

const policy = (onError: "block" | "pass"): Policy => ({ name: "p", version: "v", file: "p.json", onError, input: breaking("boom"), output: breaking("boom"), reasoning: breaking("boom"), tools: { deny: new Set() }, tokens: { ban: [], bias: {} }, audit: { matches: false } });

describe("guard", () => {
  test("output: a throwing gate blocks by default, and is counted", () => {
    const metrics = new GatewayMetrics();
    const guard = new OutputGuard(policy("block"), metrics);
    assert.equal(guard.admit({ type: "text", choice: 0, text: "fine, " })[0]?.verdict.kind, "release"); // not a word and a space: that may be `jane [at] example [dot] com`
    const [d] = guard.admit({ type: "text", choice: 0, text: "boom" });
    assert.deepEqual(d?.verdict, { kind: "block", choice: 0, policy: "p", rule: GATE_ERROR_RULE });
    assert.ok(guard.blocked);
    assert.deepEqual(guard.admit({ type: "text", choice: 0, text: "more" }), []);
    assert.equal(metrics.decisions.get({ policy: "p", rule: GATE_ERROR_RULE, action: "block" }), 1);
  });

  test("output: onError pass releases the chunk unchanged", () => {
    const guard = new OutputGuard(policy("pass"), new GatewayMetrics());
    const [d] = guard.admit({ type: "text", choice: 0, text: "boom" });
    assert.deepEqual(d?.verdict, { kind: "release", choice: 0, text: "boom", channel: "content" });
  });

  test("input: a throwing gate rejects the prompt by default; redaction otherwise", () => {
    const metrics = new GatewayMetrics();
    assert.throws(() => gateText(policy("block"), "boom", metrics), (e: unknown) => e instanceof ApiError && e.code === "content_blocked");
    assert.equal(gateText(policy("pass"), "boom", metrics), "boom");
    assert.equal(gateText(policy("block"), "mail a@b.io ok", metrics), "mail [EMAIL] ok");
  });

  test("choices are gated independently and finish after their held text", () => {
    const real: Policy = { ...policy("block"), output: compileGates([{ id: "mail", type: "pii", detector: "email", action: "redact" }]) };
    const guard = new OutputGuard(real, new GatewayMetrics());
    const out = [
      ...guard.admit({ type: "text", choice: 0, text: "a@b" }),
      ...guard.admit({ type: "text", choice: 1, text: "x@y" }),
      ...guard.admit({ type: "text", choice: 0, text: ".io" }),
      ...guard.admit({ type: "finish", choice: 0, reason: "stop" }),
      ...guard.drain(),
    ].map((d) => d.verdict);
    assert.deepEqual(out, [
      { kind: "release", choice: 0, text: "[EMAIL]", channel: "content" },
      { kind: "finish", choice: 0, reason: "stop" },
      { kind: "release", choice: 1, text: "x@y", channel: "content" },
      { kind: "finish", choice: 1, reason: "stop" },
    ]);
  });
});
