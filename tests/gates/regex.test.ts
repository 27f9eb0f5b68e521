import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, GateCompileError, RAW_UNITS_PER_UNIT, type GateRule } from "../../src/gates/mod.ts";

const regex = (pattern: string, extra: Partial<Extract<GateRule, { type: "regex" }>> = {}): GateRule =>
  ({ id: "r", type: "regex", pattern, action: "redact", replacement: "<>", ...extra });

function compileError(rules: GateRule[]): GateCompileError {
  try { compileGates(rules); } catch (error) { if (error instanceof GateCompileError) return error; throw error; }
  assert.fail("expected GateCompileError");
}

/** Reference semantics: leftmost-longest, non-overlapping, non-empty, by brute force with the JS engine. */
function reference(pattern: string, text: string, flags = ""): string {
  const whole = new RegExp(`^(?:${pattern})$`, flags);
  let out = "", pos = 0;
  while (pos < text.length) {
    let found = -1, at = pos;
    for (; at < text.length && found < 0; at++) {
      for (let end = text.length; end > at; end--) if (whole.test(text.slice(at, end))) { found = end; break; }
    }
    if (found < 0) break;
    out += text.slice(pos, at - 1) + "<>";
    pos = found;
  }
  return out + text.slice(pos);
}

describe("linear-time regex rules", () => {
  test("unsupported constructs are rejected with the rule path and the construct named", () => {
    const cases: [string, RegExp][] = [
      ["(a)\\1", /backreference \\1/], ["(?<x>a)\\k<x>", /backreference \\k/], ["(?=a)a", /lookaround/],
      ["(?<=a)b", /lookaround/], ["a(?!b)", /lookaround/], ["(?<!a)b", /lookaround/], ["a*?", /lazy quantifier/],
      ["a+?", /lazy quantifier/], ["(?i)a", /inline flags/], ["\\p{L}", /property escape/], ["(?>a)", /atomic group/],
      ["(a", /missing '\)'/], ["a)", /unbalanced/], ["[a", /missing '\]'/], ["*a", /nothing to repeat/],
      ["a{3,2}", /m < n/], ["\\q", /unknown escape/],
    ];
    for (const [pattern, message] of cases) {
      const error = compileError([regex(pattern)]);
      assert.deepEqual(error.issues.map((i) => i.path), [[0, "pattern"]], pattern);
      assert.match(error.issues[0]!.message, message, pattern);
    }
  });

  test("every problem of a rule list is reported at once", () => {
    const error = compileError([
      regex("ok"), regex("(a)\\1", { id: "b" }), regex("a*", { id: "c" }), regex("(?=x)", { id: "r" }),
    ]);
    assert.deepEqual(error.issues.map((i) => i.path), [[1, "pattern"], [2, "pattern"], [3, "id"], [3, "pattern"]]);
    assert.match(error.issues[1]!.message, /empty string/);
    assert.match(error.message, /\[3.id\] duplicate rule id/);
  });

  test("match length is bounded: computed for bounded patterns, maxLength or 256 otherwise", () => {
    // maxHoldBack is in raw units: (longest match + 1) normalised units, each standing for ≤ RAW_UNITS_PER_UNIT raw.
    const raw = (units: number): number => RAW_UNITS_PER_UNIT * units + 1;
    assert.equal(compileGates([regex("ab{2,3}|x")]).maxHoldBack, raw(5));
    assert.equal(compileGates([regex("a+b")]).maxHoldBack, raw(257));
    assert.equal(compileGates([regex("a+b", { maxLength: 40 })]).maxHoldBack, raw(41));
    assert.equal(compileGates([regex("ab", { maxLength: 1 })]).maxHoldBack, raw(2));
    assert.equal(compileGates([regex("a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}")]).maxHoldBack, raw(8193));
  });

  test("ReDoS patterns on 100 KB complete (linear time; timings live in the bench)", () => {
    const input = "a".repeat(100_000);
    const redos = compileGates([regex("(a+)+$", { id: "1" }), regex("(a|aa)*b", { id: "2" }), regex("(.*a){12}x", { id: "3" })]);
    const step = redos.scan(input);
    assert.equal(step.text.length > 0, true);
    assert.equal(redos.scan(input + "b").findings.at(-1)?.rule, "2");
    const stream = redos.open();
    for (let i = 0; i < 1000; i++) stream.push("a".repeat(100));
    assert.ok(stream.held <= redos.maxHoldBack);
    stream.end();
  });

  test("leftmost-longest, case-insensitive flag, line anchors, word boundaries, non-ASCII", () => {
    assert.equal(compileGates([regex("a|ab|abc")]).scan("xabcd").text, "x<>d");
    assert.equal(compileGates([regex("secret", { flags: "i" })]).scan("A SeCrEt!").text, "A <>!");
    assert.equal(compileGates([regex("secret")]).scan("A SECRET!").text, "A SECRET!");
    assert.equal(compileGates([regex("^item")]).scan("item item\nitem").text, "<> item\n<>");
    assert.equal(compileGates([regex("end$")]).scan("end end\nend").text, "end <>\n<>");
    assert.equal(compileGates([regex("\\bcat\\b")]).scan("cat concat cat.").text, "<> concat <>.");
    assert.equal(compileGates([regex("caf[é]+")]).scan("un café").text, "un <>");
    assert.equal(compileGates([regex("[à-ÿ]+", { flags: "i" })]).scan("ÀÉ à").text, "<> <>");
    assert.equal(compileGates([regex("[^a]b", { flags: "i" })]).scan("Ab xb").text, "Ab <>");
    assert.equal(compileGates([regex("\\d{3}-\\d{4}")]).scan("call 555-1234.").text, "call <>.");
  });

  const patterns = ["a+b", "(a|ab)(c|bcd)", "a*b+c?", "[ab]{2,3}c", "(ab|a)+", "b[^ab]*a", "(a|b)*c(a|b)?", "a.{1,3}b", "[a-c]+ ?[a-c]"];
  test("property: same output as brute-force leftmost-longest over the JS engine", () => {
    // Whitespace runs collapse to one unit in the view rules match on (tests/gates/lookalikes.test.ts), so the texts
    // compared with the raw JS engine here have single spaces.
    const text = fc.string({ unit: fc.constantFrom("a", "b", "c", " ", "d"), maxLength: 24 }).map((t) => t.replace(/ {2,}/g, " "));
    fc.assert(fc.property(fc.constantFrom(...patterns), text,
      (pattern, text) => { assert.equal(compileGates([regex(pattern)]).scan(text).text, reference(pattern, text), pattern); }),
    { numRuns: 400 });
  });

  test("property: case-insensitive matching agrees with the JS engine's i flag", () => {
    fc.assert(fc.property(fc.constantFrom("ab+", "[a-b]c", "a[^b]"), fc.string({ unit: fc.constantFrom("a", "B", "b", "A", "c", "C"), maxLength: 16 }),
      (pattern, text) => { assert.equal(compileGates([regex(pattern, { flags: "i" })]).scan(text).text, reference(pattern, text, "i")); }),
    { numRuns: 200 });
  });
});
