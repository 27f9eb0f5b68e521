import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileGates, PII_DETECTORS } from "../../src/gates/mod.ts";
import { LOOKALIKES, PII_SAMPLES } from "./fixtures.ts";

describe("PII detectors", () => {
  for (const detector of PII_DETECTORS) {
    const gates = compileGates([{ id: detector, type: "pii", detector, action: "redact" }]);
    test(`${detector}: finds every sample in context and redacts it`, () => {
      for (const sample of PII_SAMPLES[detector]) {
        const { text, findings } = gates.scan(`before ${sample} after.`);
        assert.equal(findings.length, 1, `${detector} should match ${JSON.stringify(sample)}`);
        assert.equal(findings[0]!.detector, detector);
        assert.equal(findings[0]!.start, 7);
        assert.equal(findings[0]!.end, 7 + sample.length, `${detector} full span of ${JSON.stringify(sample)}`);
        assert.ok(!text.includes(sample));
      }
    });
    test(`${detector}: leaves look-alikes alone`, () => {
      for (const sample of LOOKALIKES[detector]) {
        const { text, findings } = gates.scan(`before ${sample} after`);
        assert.deepEqual(findings, [], `${detector} should not match ${JSON.stringify(sample)}`);
        assert.equal(text, `before ${sample} after`);
      }
    });
  }

  test("placeholders per kind and policy replacement override", () => {
    const gates = compileGates([
      { id: "e", type: "pii", detector: "email", action: "redact" },
      { id: "c", type: "pii", detector: "payment_card", action: "redact", replacement: "<card>" },
      { id: "i", type: "pii", detector: "ipv4", action: "redact" },
      { id: "k", type: "pii", detector: "aws_access_key", action: "redact" },
    ]);
    assert.equal(gates.scan("a@b.io 4111111111111111 10.0.0.1 AKIAIOSFODNN7EXAMPLE").text, "[EMAIL] <card> [IP] [SECRET]");
  });

  test("mask keeps separators and the last four letters/digits", () => {
    const gates = compileGates([
      { id: "c", type: "pii", detector: "payment_card", action: "mask" },
      { id: "p", type: "pii", detector: "phone", action: "mask" },
    ]);
    assert.equal(gates.scan("card 4111-1111-1111-1111").text, "card ****-****-****-1111");
    assert.equal(gates.scan("tel +1 (555) 123-4567").text, "tel +* (***) ***-4567");
  });

  test("log releases text unchanged but reports the finding", () => {
    const gates = compileGates([{ id: "ssn", type: "pii", detector: "us_ssn", action: "log" }]);
    const step = gates.scan("id 123-45-6789 ok");
    assert.equal(step.text, "id 123-45-6789 ok");
    assert.deepEqual(step.findings, [{ rule: "ssn", type: "pii", detector: "us_ssn", action: "log", start: 3, end: 14, match: "123-45-6789" }]);
  });

  test("a sentence-final dot is not part of an email or IP", () => {
    const gates = compileGates([
      { id: "e", type: "pii", detector: "email", action: "redact" },
      { id: "i", type: "pii", detector: "ipv4", action: "redact" },
    ]);
    assert.equal(gates.scan("Write to ops@example.com. Host 10.1.2.3.").text, "Write to [EMAIL]. Host [IP].");
  });
});
