/** Shared rule lists, PII samples and stream helpers for the gate tests. */
import assert from "node:assert/strict";
import { PII_DETECTORS, type GateRule, type GateSet, type PiiDetector } from "../../src/gates/mod.ts";
import { GROUP_LOOKALIKES, GROUP_SAMPLES, NEW_DETECTOR_LOOKALIKES, NEW_DETECTOR_SAMPLES } from "./detector-samples.ts";

/** Every detector with redact, plus a blocking phrase list: the shape of the default output policy. */
export const OUTPUT_RULES: GateRule[] = [
  ...PII_DETECTORS.map((detector): GateRule => ({ id: `pii-${detector}`, type: "pii", detector, action: "redact" })),
  { id: "forbidden", type: "phrases", phrases: ["build a bomb", "synthesize nerve agent"], action: "block" },
];

/** Real-looking positives per detector (test values: documented example keys, test cards, test IBANs). */
export const PII_SAMPLES: Record<PiiDetector, string[]> = {
  email: ["john.doe@example.com", "a+tag@mail.example.co.uk", "x_y%z@sub-domain.example.org"],
  phone: ["+1 (555) 123-4567", "+44 20 7946 0958", "(555) 123-4567", "555-123-4567", "020 7946 0958", "01 23 45 67 89", "030 12345678", "+14155552671"],
  payment_card: ["4111 1111 1111 1111", "4111111111111111", "5500-0000-0000-0004", "3782 822463 10005", "6011000990139424"],
  iban: ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "FR14 2004 1010 0505 0001 3M02 606"],
  us_ssn: ["123-45-6789", "078-05-1120"],
  ipv4: ["192.168.1.100", "10.0.0.1", "255.255.255.255"],
  ipv6: ["2001:db8::8a2e:370:7334", "fe80::1", "::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::ffff:192.0.2.128"],
  aws_access_key: ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"],
  github_token: ["ghp_" + "A1b2C3d4E5".repeat(3) + "abcdef", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"],
  slack_token: ["xoxb-123456789012-abcdefABCDEF", "xoxp-1234-5678-abcd1234"],
  private_key: ["-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4\nq3Zl+9/w==\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY----- MIIBVgIBADANBg kqhkiG9w0BAQEF -----END PRIVATE KEY-----"],
  jwt: ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
  bearer_token: ["Bearer 0123456789abcdefXYZ", "bearer tok_9f8e7d6c5b4a3210"],
  // Two per new detector keep the every-cut stream tests quick; detectors-coverage.test.ts runs all of them.
  ...Object.fromEntries(Object.entries({ ...NEW_DETECTOR_SAMPLES, ...GROUP_SAMPLES }).map(([d, values]) => [d, values.slice(0, 2)])) as
    typeof NEW_DETECTOR_SAMPLES & typeof GROUP_SAMPLES,
};

/** Look-alikes that must stay untouched, per detector. */
export const LOOKALIKES: Record<PiiDetector, string[]> = {
  email: ["user@localhost", "a@b.c1", "not an @ sign", "@example.com"],
  phone: ["version 1.2.3", "2024-01-15", "12:30:45", "page 42", "0123456789", "+12 3", "1234567"],
  payment_card: ["4111 1111 1111 1112", "4111111111111112", "0000000000000000", "123456789012"],
  iban: ["DE89 3704 0044 0532 0130 01", "GB82WEST12345698765433", "XX89370400440532013000"],
  us_ssn: ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "123-45-67890"],
  ipv4: ["256.1.1.1", "1.2.3", "999.999.999.999", "01.02.2024"],
  ipv6: ["std::vector", "a::b", "12:30:45", "dead::beef", "00:1A:2B:3C:4D:5E"],
  aws_access_key: ["AKIA1234", "XAKIAIOSFODNN7EXAMPLE1", "akiaiosfodnn7example"],
  github_token: ["ghp_short", "ghx_" + "a".repeat(36)],
  slack_token: ["xoxb-short", "xoxz-1234567890abc"],
  private_key: ["-----BEGIN PUBLIC KEY----- MIIB -----END PUBLIC KEY-----", "-----BEGIN RSA PRIVATE KEY----- no end"],
  jwt: ["eyJ.short", "eyJhbGciOiJIUzI1NiJ9.only-two-parts"],
  bearer_token: ["the bearer of bad news", "Bearer token", "Bearer abcdefghijklmnopqrstuvwxyz"],
  ...NEW_DETECTOR_LOOKALIKES, ...GROUP_LOOKALIKES,
};

/** Splits `text` at the given cut points (taken modulo its length + 1; duplicates and empty pieces allowed). */
export const chunkAt = (text: string, cuts: readonly number[]): string[] => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of [...points, text.length]) { out.push(text.slice(last, p)); last = p; }
  return out;
};

/** Pushes `chunks` through a new stream of `set` and ends it, checking the hold-back bound at every step. */
export function streamed(set: GateSet, chunks: readonly string[]): { text: string; findings: unknown[] } {
  const stream = set.open();
  const steps = chunks.map((c) => {
    const step = stream.push(c);
    assert.ok(stream.held <= set.maxHoldBack, `held ${stream.held} > ${set.maxHoldBack}`);
    return step;
  });
  steps.push(stream.end());
  return { text: steps.map((s) => s.text).join(""), findings: steps.flatMap((s) => s.findings) };
}
