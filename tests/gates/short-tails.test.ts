/**
 * At a stream's end the stream drops every rule whose shortest match is longer than the text still live, and
 * pushLast() reads a last chunk knowing the end (what a tool call's JSON values do): both must release the same text
 * and findings as the same chunks pushed one by one with every rule finished (the rules' minimum lengths hidden).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { compileRules } from "../../src/gates/compile.ts";
import { maxMatchLength, minMatchLength } from "../../src/gates/regex/ast.ts";
import { parseRegex } from "../../src/gates/regex/parse.ts";
import { compileProgram, shortestMatch } from "../../src/gates/regex/program.ts";
import { HoldBackBuffer, type CompiledRule } from "../../src/gates/stream.ts";
import type { GateRule, GateStep } from "../../src/gates/mod.ts";

const policy = JSON.parse(readFileSync(new URL("../../policies/default.json", import.meta.url), "utf8")) as { output: GateRule[] };
/** The default output rules (many digit detectors live on short numbers) and regexes with long minimums. */
const RULES: GateRule[] = [
  ...policy.output.filter((r) => r.action !== "block"),
  { id: "ticket", type: "regex", pattern: "ticket #[0-9]{6,}", action: "redact" },
  { id: "runs", type: "regex", pattern: "(?:ab){3,5}|x[0-9]{2}y", action: "mask" },
];
const compiled = compileRules(RULES);
/** The same rules with their minimum lengths hidden: every rule is read and finished to the end. */
const finishingAll: CompiledRule[] = compiled.map((r) => ({ ...r, minLength: undefined }));

/** Pieces that build values as tool-call arguments carry them: digits, cards, phones, emails, words. */
const PIECES = ["4111 1111 1111 1111", "4111111111111111", "555-123-4567", "+1 (555) 123-4567", "123-45-6789", "10", "7",
  "jane.roe@example.com", "@", ".", "-", " ", "\n", "ticket #", "123456", "abab", "ab", "x12y", "DOB 1990-01-02", "age 42",
  "192.168.0.1", "AKIA", "ABCDEFGHIJKLMNOP", "ok", "Jane Roe", "1", "0", "9", "555-1234", "call 5551234", "1 Elm St",
  "12 Main Street", "Rd", "tel 01234 567"];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((p) => p.join(""));

/** Text and findings of a whole stream over `chunks`. */
function collect(steps: GateStep[]): { text: string; findings: string; blocked?: string } {
  const out = { text: steps.map((s) => s.text).join(""), findings: JSON.stringify(steps.flatMap((s) => s.findings)) };
  const blocked = steps.find((s) => s.blocked)?.blocked;
  return blocked ? { ...out, blocked: JSON.stringify(blocked) } : out;
}

function cut(t: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const c of at) {
    chunks.push(t.slice(from, c));
    from = c;
  }
  chunks.push(t.slice(from));
  return chunks;
}

describe("a stream's end drops only rules too long for what is live", () => {
  test("pushLast and dropping at the end equal finishing every rule, in any chunking", { timeout: 120_000 }, () => {
    const reused = new HoldBackBuffer(compiled), reference = new HoldBackBuffer(finishingAll);
    fc.assert(fc.property(text, fc.array(fc.nat(200), { maxLength: 4 }), (t, cuts) => {
      const chunks = cut(t, cuts);
      reference.restart();
      const expected = collect([...chunks.map((c) => reference.push(c)), reference.end()]);
      reused.restart();
      const pushedThenEnded = collect([...chunks.map((c) => reused.push(c)), reused.end()]);
      reused.restart();
      const last = collect([...chunks.slice(0, -1).map((c) => reused.push(c)), reused.pushLast(chunks.at(-1)!)]);
      assert.deepEqual(pushedThenEnded, expected);
      assert.deepEqual(last, expected);
    }), { numRuns: 600, seed: 1313 });
  });

  test("a short value is resolved whole: a card number is masked, a short number is released as is", () => {
    const stream = new HoldBackBuffer(compiled);
    const card = stream.pushLast("4111111111111111");
    assert.equal(card.text, "************1111");
    assert.deepEqual(card.findings.map((f) => f.rule), ["card"]);
    stream.restart();
    assert.deepEqual(stream.pushLast("10"), { text: "10", findings: [] });
    assert.equal(stream.held, 0);
  });
});

describe("a rule's shortest match", () => {
  test("from a compiled program equals the syntax tree's (what hand-written scanners over a program use)", () => {
    for (const pattern of ["a", "ab|c", "(?:ab){3,5}|x[0-9]{2}y", "a*b", "(?<![a-z])[0-9]{3}(?:-[0-9]{2})?(?![0-9])", "x?y?z", "(a|bc)+d{2,}"]) {
      const tree = parseRegex(pattern, { neighbourAssertions: true });
      assert.equal(shortestMatch(compileProgram(tree, false)), minMatchLength(tree), pattern);
      assert.ok(minMatchLength(tree) <= maxMatchLength(tree));
    }
  });

  test("the phone and street-address rules are skipped on values shorter than any match they accept", () => {
    const byId = new Map(compiled.map((r) => [r.rule.id, r]));
    assert.equal(byId.get("phone")!.minLength, 7, "a phone has at least 7 digits");
    assert.ok(byId.get("street-address")!.minLength! >= 5, "a number, a space and a street word");
  });
});
