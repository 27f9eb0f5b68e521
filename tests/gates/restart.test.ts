/**
 * After a finding, the stream keeps every scanner whose state equals a fresh search from the finding's end
 * (RuleScanner.keepsAcross) and restarts the rest. Several rules over a small alphabet make findings dense and
 * partial matches overlap them; the result must equal a brute-force leftmost-longest search over all rules together,
 * whole or in any chunking, with regex rules (Pike VM) and phrase lists (Aho-Corasick) mixed.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";

/** Patterns whose matches overlap, nest and run into each other on `a`, `b`, `c` and single spaces. */
const PATTERNS = ["a+b", "ab|ba", "a b", "(?:ab)+c", "b+", "[ac]+b?", "c a*", "ba*c", "(?:a|b)(?:a|b)c", "ac?b c"];
/** Phrase lists (whole words off: they match inside words like the patterns). */
const PHRASES = [["ab", "abc"], ["b a", "ca"], ["cab", "bb"]];

type Spec = { kind: "regex"; pattern: string } | { kind: "phrases"; phrases: string[] };

const toRule = (spec: Spec, k: number): GateRule => spec.kind === "regex"
  ? { id: `r${k}`, type: "regex", pattern: spec.pattern, action: "redact", replacement: `<${k}>` }
  : { id: `r${k}`, type: "phrases", phrases: spec.phrases, wholeWord: false, action: "redact", replacement: `<${k}>` };

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Leftmost, then longest (up to `longest` units), then first listed rule; resume after the match. */
function reference(specs: readonly Spec[], text: string, longest = Infinity): string {
  const whole = specs.map((s) => new RegExp(`^(?:${s.kind === "regex" ? s.pattern : s.phrases.map(escape).join("|")})$`));
  let out = "", pos = 0;
  while (pos < text.length) {
    let end = -1, rule = -1;
    for (let r = 0; r < whole.length; r++) {
      for (let e = Math.min(text.length, pos + longest); e > pos && e > end; e--) {
        if (whole[r]!.test(text.slice(pos, e))) { end = e; rule = r; break; }
      }
    }
    if (rule < 0) { out += text[pos]; pos++; continue; }
    out += `<${rule}>`;
    pos = end;
  }
  return out;
}

const spec = fc.oneof(
  fc.constantFrom(...PATTERNS).map((pattern): Spec => ({ kind: "regex", pattern })),
  fc.constantFrom(...PHRASES).map((phrases): Spec => ({ kind: "phrases", phrases })),
);
/** Text over the alphabet, single spaces only (a whitespace run is one unit of the view, so raw = view). */
const text = fc.array(fc.constantFrom("a", "b", "c", " "), { maxLength: 90 }).map((units) => units.join("").replace(/ +/g, " "));

function streamed(rules: GateRule[], chunks: readonly string[]): string {
  const stream = compileGates(rules).open();
  let out = "";
  for (const chunk of chunks) out += stream.push(chunk).text;
  return out + stream.end().text;
}

describe("restarting only the scanners a finding overlaps", () => {
  test("property: several rules on dense text agree with a brute-force search, whole and streamed", () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 4 }), text, fc.array(fc.integer({ min: 1, max: 5 })), (specs, t, cuts) => {
        const rules = specs.map(toRule);
        const expected = reference(specs, t);
        assert.equal(compileGates(rules).scan(t).text, expected);
        const chunks: string[] = [];
        for (let at = 0, k = 0; at < t.length; k++) {
          const size = cuts.length > 0 ? cuts[k % cuts.length]! : t.length;
          chunks.push(t.slice(at, at + size));
          at += size;
        }
        assert.equal(streamed(rules, chunks), expected);
      }),
      { numRuns: 400 },
    );
  });

  test("property: validated detectors on dense text agree with restarting and running every scanner", () => {
    // Validators reject candidates by their start, so here a thread absorbed by an older one can matter (and the
    // threads of values before a finding may live past it: PikeScanner.dropBefore), and veto words refuse seeds: the
    // reference is the same engine with every scanner restarted after every finding (what keepsAcross saves) and
    // called on every block (what the stream's idle skip saves).
    const rules: GateRule[] = ["phone", "payment_card", "us_ssn", "ca_sin", "in_aadhaar", "date_of_birth", "postal_code", "email",
      "aws_access_key", "jwt", "bearer_token", "drivers_license", "person_name", "ipv4"]
      .map((detector, k) => ({ id: `d${k}`, type: "pii", detector, action: "redact", replacement: `<${k}>` }) as GateRule);
    const gates = compileGates(rules);
    const restartingAll = (t: string): string => {
      const stream = gates.open() as unknown as { scanners: { keepsAcross?: unknown }[]; allSkipBits: number };
      for (const scanner of stream.scanners) scanner.keepsAcross = undefined;
      stream.allSkipBits = 0;
      const s = stream as unknown as ReturnType<typeof gates.open>;
      return s.push(t).text + s.end().text;
    };
    const unit = fc.constantFrom("4", "1", "5", "0", "9", "2", "3", " ", " ", "-", ".", "(", ")", "+", "x", "@", "a", "ssn ", "phone ", "zip ",
      "born ", "AKIA", "eyJ", "Bearer ", "-----BEGIN ", "Ada ", "The ", "é", "\u200b", "\n", "tracking ", "model ", "licence ");
    fc.assert(
      // Long enough for several scan blocks (fast-check keeps arrays short by default).
      fc.property(fc.array(unit, { minLength: 20, maxLength: 120 }), (units) => {
        const t = units.join("");
        const expected = restartingAll(t);
        assert.equal(gates.scan(t).text, expected);
        const stream = gates.open();
        let out = "";
        for (let at = 0; at < t.length; at += 3) out += stream.push(t.slice(at, at + 3)).text;
        assert.equal(out + stream.end().text, expected);
      }),
      { numRuns: 600 },
    );
  });

  test("a long text dense with findings of several rules matches the reference", () => {
    const specs: Spec[] = [{ kind: "regex", pattern: "a+b" }, { kind: "regex", pattern: "b a" }, { kind: "phrases", phrases: ["ca", "bb"] }];
    const t = "aab a cab bb ab a caab".repeat(300);
    assert.equal(compileGates(specs.map(toRule)).scan(t).text, reference(specs, t, 16));
  });
});
