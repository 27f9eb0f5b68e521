/**
 * The national-ID, wallet and secret detectors under the shipped default policy: every value is covered whole (no
 * letter or digit of it survives, in any of several sentence positions), look-alikes pass, and streaming in any
 * chunking gives exactly the whole-text result.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, type GateRule, type GateSet } from "../../src/gates/mod.ts";
import defaultPolicy from "../../policies/default.json" with { type: "json" };
import { chunkAt } from "./fixtures.ts";
import { CONTEXT_SAMPLES, NEW_DETECTOR_LOOKALIKES, NEW_DETECTOR_SAMPLES } from "./detector-samples.ts";

const output = compileGates(defaultPolicy.output as GateRule[]);
const input = compileGates(defaultPolicy.input as GateRule[]);
const SAMPLES = Object.entries(NEW_DETECTOR_SAMPLES).flatMap(([d, values]) => values.map((v) => [d, v] as const));
/** The default policy runs national IDs and wallets as one detector each. */
const GROUP_OF: Record<string, string> = Object.fromEntries([
  ...["uk_nino", "ca_sin", "in_aadhaar", "in_pan", "es_dni", "es_nie", "it_codice_fiscale", "br_cpf", "br_cnpj", "fr_nir", "de_tax_id"].map((d) => [d, "national_id"]),
  ["btc_address", "crypto_wallet"], ["eth_address", "crypto_wallet"],
]);
const IN_CONTEXT = Object.entries(CONTEXT_SAMPLES).flatMap(([d, pairs]) => pairs.map(([context, value]) => [d, context, value] as const));
const FRAMES = [(v: string) => v, (v: string) => `My ${v}.`, (v: string) => `(${v})`, (v: string) => `id: ${v}, ok`, (v: string) => `"${v}"\n`];

function streamed(set: GateSet, chunks: readonly string[]): { text: string; findings: unknown[] } {
  const stream = set.open();
  const steps = [...chunks.map((c) => stream.push(c)), stream.end()];
  return { text: steps.map((s) => s.text).join(""), findings: steps.flatMap((s) => s.findings) };
}

/** Letters and digits of `value` that reach the output in `out` as a run of 4 or more from the value. */
function survivingRun(value: string, out: string): string | undefined {
  const alnum = value.replace(/[^A-Za-z0-9]/g, "");
  for (let i = 0; i + 4 <= alnum.length; i++) {
    const run = alnum.slice(i, i + 4);
    if (out.replace(/[^A-Za-z0-9]/g, "").includes(run) && !/^(SECRET|WALLET)$/.test(run)) return run;
  }
  return undefined;
}

describe("new detectors in the default policy", () => {
  test("both directions redact every sample whole, in every frame, with its detector's finding", () => {
    for (const [detector, value] of SAMPLES) {
      for (const frame of FRAMES) {
        const text = frame(value);
        for (const set of [input, output]) {
          const step = set.scan(text);
          const finding = step.findings.find((f) => f.detector === (GROUP_OF[detector] ?? detector));
          assert.ok(finding, `${detector} not found in ${JSON.stringify(text)}`);
          assert.ok(finding.match.includes(value), `${detector} partial match ${finding.match} in ${JSON.stringify(text)}`);
          const at = text.indexOf(finding.match);
          assert.ok(step.text.startsWith(text.slice(0, at)) && step.text.endsWith(text.slice(at + finding.match.length)), step.text);
          assert.ok(!step.text.includes(value) && !survivingRun(value.replace(/^[A-Za-z]+=/, ""), step.text.replace(/\[[A-Z]+\]/g, "")),
            `${detector}: part of ${value} survived: ${step.text}`);
        }
      }
    }
  });

  test("context-word detectors find the value after its context word, whole, and leave the word", () => {
    for (const [detector, context, value] of IN_CONTEXT) {
      for (const text of [`${context} ${value}`, `The ${context} ${value}.`, `${context}\n${value}, ok`]) {
        const step = output.scan(text);
        const finding = step.findings.find((f) => f.detector === detector);
        assert.ok(finding && finding.match.includes(value), `${detector}: ${JSON.stringify(text)} → ${JSON.stringify(step.findings)}`);
        assert.ok(step.text.includes(context) && !survivingRun(value, step.text.replace(/\[[A-Z_]+\]/g, "")), step.text);
      }
      assert.deepEqual(output.scan(`value ${value} here`).findings.filter((f) => f.detector === detector && f.match === value &&
        detector !== "postal_code" && detector !== "age"), [], `${detector} without context: ${value}`);
    }
  });

  test("look-alikes (failed check digits, placeholders, low entropy) pass through the default policy unchanged", () => {
    for (const [detector, values] of Object.entries(NEW_DETECTOR_LOOKALIKES)) {
      for (const value of values) {
        const text = `value ${value} here`;
        const step = output.scan(text);
        assert.deepEqual(step.findings.filter((f) => f.detector === (GROUP_OF[detector] ?? detector)), [], `${detector} matched ${JSON.stringify(value)}`);
      }
    }
  });

  test("benign text with numbers, hex, versions and URLs raises no finding from the new detectors", () => {
    const benign = [
      "Release 2.14.0 shipped on 2024-03-05; build 20240305123 passed 1482 tests in 93.4 s.",
      "Commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed issue #12345 (see https://example.com/docs?page=2).",
      "Call the API with an api key header; the secret sauce is caching. Our token budget is 4096 per request.",
      "The ISBN 978-3-16-148410-0 and order 1234-5678-9012 arrived; colour #ff8800, time 12:30:45, ratio 16:9.",
      "Use sk-learn and npm_modules; the hf_hub library reads HF_HOME. SKU ABCDE12345 is out of stock.",
      "Password rules: at least 12 characters. Tokens expire after 3600 seconds. Keys rotate monthly.",
    ];
    for (const text of benign) assert.deepEqual(output.scan(text).findings, [], text);
  });

  test("streaming one character at a time and at random cuts equals the whole-text scan", () => {
    for (const value of [...SAMPLES.map(([, v]) => v), ...IN_CONTEXT.map(([, c, v]) => `${c} ${v}`)]) {
      const text = `a ${value}, b ${value}.`;
      const whole = output.scan(text);
      assert.deepEqual(streamed(output, text.split("")), { text: whole.text, findings: whole.findings });
    }
    const piece = fc.oneof(fc.constantFrom(...SAMPLES.map(([, v]) => v), ...IN_CONTEXT.map(([, c, v]) => `${c} ${v}`)),
      fc.constantFrom(" ", ", ", "\n", "key=", "id ", "0x", "sk-", "1", ":", "Mr ", "Dear ", "Anna ", "born ", "12 "));
    fc.assert(fc.property(fc.array(piece, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
      const text = parts.join("");
      const whole = output.scan(text);
      assert.deepEqual(streamed(output, chunkAt(text, cuts)), { text: whole.text, findings: whole.findings });
    }), { numRuns: 200 });
  });
});
