/**
 * JSON numbers are gated by the rules that can match within one (GateSet.numbers, src/gates/alphabet.ts): over any
 * number text it must find exactly what the whole set finds, for every shipped policy, over card, SSN, phone and ID
 * digits written as numbers and random numbers of every JSON shape.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { compileGates, compileRules } from "../../src/gates/compile.ts";
import { canMatchNumber } from "../../src/gates/alphabet.ts";
import type { GateRule, GateSet, GateStep, TextStream } from "../../src/gates/rule.ts";

const policyRules = (name: string): GateRule[] =>
  (JSON.parse(readFileSync(new URL(`../../policies/${name}.json`, import.meta.url), "utf8")) as { output: GateRule[] }).output;

/** Digits that detectors find, written as JSON numbers (whole, signed, with a fraction or an exponent). */
const VALUES = [
  "4111111111111111", "5500005555555559", "378282246310005", "6011000990139424", "4111111111111111.0", "-4111111111111111",
  "4111111111111111e0", "123456789", "078051120", "219099999", "15551234567", "442079460958", "33142685300", "4915212345678",
  "8613800138000", "12345", "90210", "1990", "42", "0", "-0.5", "1e-7", "6.02214076e23", "1234567890123456789012345",
  "340000000000009", "30569309025904", "3530111333300000", "6304000000000000", "0.4111111111111111", "1.5E+300",
];

/** A random JSON number's text. */
const jsonNumber = fc.tuple(
  fc.boolean(), fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
  fc.option(fc.stringMatching(/^[0-9]{1,18}$/)), fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{1,4}$/))),
).map(([minus, int, frac, exp]) => `${minus ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : exp.join("")}`);

/** A number given whole to a restarted stream, as JsonTextGate gates one: push and end as one step. */
function gated(stream: TextStream, text: string): GateStep {
  stream.restart();
  const first = stream.push(text), last = stream.end();
  return { ...last, text: first.text + last.text, findings: [...first.findings, ...last.findings], blocked: first.blocked ?? last.blocked };
}

function sameOnNumbers(gates: GateSet, text: string): void {
  const numbers = gates.numbers;
  assert.ok(numbers, "compiled gates have a number set");
  assert.deepEqual(numbers.scan(text), gates.scan(text), text);
  assert.deepEqual(gated(numbers.open(), text), gated(gates.open(), text), text);
}

describe("gates: the rules that can match within a JSON number", () => {
  for (const name of ["default", "strict", "permissive"]) {
    test(`${name} policy: the number set finds what the whole set finds`, () => {
      const gates = compileGates(policyRules(name));
      for (const value of VALUES) sameOnNumbers(gates, value);
      fc.assert(fc.property(jsonNumber, (text) => sameOnNumbers(gates, text)), { numRuns: 1500 });
      // And it is smaller: most detectors need a letter, `@`, or separators a number cannot hold.
      const all = compileRules(policyRules(name));
      assert.ok(all.filter(canMatchNumber).length < all.length / 2);
    });
  }

  test("which rules can match within a number", () => {
    const can = (rule: GateRule) => canMatchNumber(compileRules([rule])[0]!);
    assert.equal(can({ id: "c", type: "pii", detector: "payment_card", action: "redact" }), true);
    assert.equal(can({ id: "e", type: "pii", detector: "email", action: "redact" }), false);
    assert.equal(can({ id: "ip", type: "pii", detector: "ipv4", action: "redact" }), false, "three dots");
    assert.equal(can({ id: "r", type: "regex", pattern: "[0-9]+e-[0-9]+", action: "block" }), true);
    assert.equal(can({ id: "r", type: "regex", pattern: "[0-9]+\\.[0-9]+\\.[0-9]+", action: "block" }), false, "two dots");
    assert.equal(can({ id: "r", type: "regex", pattern: "-[0-9]+-", action: "block" }), false, "a minus sign only leads");
    assert.equal(can({ id: "r", type: "regex", pattern: "E[0-9]+", flags: "i", action: "block" }), true);
    assert.equal(can({ id: "p", type: "phrases", phrases: ["secret", "1234"], action: "block" }), true);
    assert.equal(can({ id: "p", type: "phrases", phrases: ["secret", "1 234"], action: "block" }), false, "a number has no space");
    assert.equal(can({ id: "n", type: "pii", detector: "person_name", action: "redact" }), true, "other scanners count as able");
  });

  test("a custom rule that matches numbers is kept: a tool call's number is redacted", () => {
    const gates = compileGates([
      { id: "e", type: "pii", detector: "email", action: "redact" },
      { id: "big", type: "regex", pattern: "9{6,}", action: "redact", replacement: "[N]" },
    ]);
    assert.equal(gates.numbers!.scan("1999999").text, "1[N]");
    assert.equal(gates.numbers!.scan("1999999").text, gates.scan("1999999").text);
  });
});
