/**
 * Streams handed back to their gate set (GateSet.recycle) serve later open() calls: a recycled stream must hold
 * nothing of its last user (a value it held back is never joined with the next user's text), be handed out once, and
 * a stream of another set is never taken.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";
import { JsonTextGate } from "../../src/guard/json-stream.ts";

const rules: GateRule[] = [
  { id: "email", type: "pii", detector: "email", action: "redact" },
  { id: "card", type: "pii", detector: "payment_card", action: "mask" },
];

describe("recycled gate streams", () => {
  test("a recycled stream starts empty: a value held back by its last user never reaches the next one", () => {
    const gates = compileGates(rules);
    const first = gates.open();
    assert.equal(first.push("write to jane.roe@exa").text, "write to ");
    assert.ok(first.held > 0);
    gates.recycle!(first);
    const second = gates.open();
    assert.equal(second, first, "the pooled stream is reused");
    assert.equal(second.held, 0);
    const out = second.push("mple.com or 4111 1111 1111 1111").text + second.end().text;
    assert.equal(out, "mple.com or **** **** **** 1111");
  });

  test("a stream is pooled once, and only by its own set", () => {
    const gates = compileGates(rules), other = compileGates(rules);
    const s = gates.open();
    gates.recycle!(s);
    gates.recycle!(s);
    const a = gates.open(), b = gates.open();
    assert.notEqual(a, b, "recycled twice, handed out once");
    other.recycle!(a);
    assert.notEqual(other.open(), a, "another set does not take it");
  });

  test("tool-call documents hand their streams back: later documents give the same results", () => {
    const gates = compileGates(rules);
    const doc = '{"to":"jane.roe@example.com","amount":4111111111111111,"note":"call 4111 1111 1111 1111"}';
    const expected = '{"to":"[EMAIL]","amount":"************1111","note":"call **** **** **** 1111"}';
    for (let round = 0; round < 4; round++) {
      // A document cut off mid-value (then failed) must not leak what it held into the next one.
      const broken = new JsonTextGate(gates);
      broken.push('{"to":"jane.roe@exa');
      assert.ok(broken.push("\u0001").error);
      const gate = new JsonTextGate(gates);
      let out = "";
      for (let i = 0; i < doc.length; i += 3) out += gate.push(doc.slice(i, i + 3)).text;
      out += gate.end().text;
      assert.equal(out, expected);
    }
  });
});
