import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, RAW_UNITS_PER_UNIT, type GateRule, type GateSet, type GateStep } from "../../src/gates/mod.ts";
import type { HoldBackBuffer } from "../../src/gates/stream.ts";
import { chunkAt, OUTPUT_RULES } from "./fixtures.ts";
import { LOOKALIKE_PHRASES, LOOKALIKE_PII } from "./lookalike-corpus.ts";

/** User regexes on the NFKC view: line-aware ones (`^`, `$`, a whitespace start) and a whitespace-blind one. */
const REGEX_RULES: GateRule[] = [
  { id: "note", type: "regex", pattern: "^note: \\w+", action: "mask" },
  { id: "tail", type: "regex", pattern: "\\s+end$", action: "redact" },
  { id: "blind", type: "regex", pattern: "[^x]y", action: "log" },
  { id: "kill", type: "regex", pattern: "k\\.?i\\.?l\\.?l", flags: "i", action: "redact" },
];
const PHRASES: GateRule = { id: "phrases", type: "phrases", phrases: ["kill", "build a bomb", "synthesize nerve agent", "café"], action: "redact" };
const blocking = compileGates([...OUTPUT_RULES, ...REGEX_RULES, PHRASES]);
const redacting = compileGates([...OUTPUT_RULES.filter((r) => r.action !== "block"), ...REGEX_RULES, PHRASES]);
/** maxHoldBack = 33 × (longest + 1) + 1, so this is the normalised bound. */
const unitBound = (set: GateSet): number => (set.maxHoldBack - 1) / RAW_UNITS_PER_UNIT;

/** Stream `chunks`, checking after every step: raw held ≤ maxHoldBack, ≤ 33 × normalised held + 1, normalised bounded. */
function streamed(set: GateSet, chunks: readonly string[]): GateStep {
  const stream = set.open() as HoldBackBuffer;
  const steps: GateStep[] = [];
  const check = (): void => {
    assert.ok(stream.held <= set.maxHoldBack, `held ${stream.held} > ${set.maxHoldBack}`);
    assert.ok(stream.heldUnits <= unitBound(set), `held units ${stream.heldUnits} > ${unitBound(set)}`);
    assert.ok(stream.held <= RAW_UNITS_PER_UNIT * stream.heldUnits + 1, `raw ${stream.held} for ${stream.heldUnits} units`);
  };
  for (const chunk of chunks) { steps.push(stream.push(chunk)); check(); }
  steps.push(stream.end());
  check();
  assert.equal(stream.held, 0);
  const out: GateStep = { text: steps.map((s) => s.text).join(""), findings: steps.flatMap((s) => s.findings) };
  const blocked = steps.find((s) => s.blocked)?.blocked;
  return blocked ? { ...out, blocked } : out;
}

const PLANTED = [...Object.values(LOOKALIKE_PII).flat(), ...LOOKALIKE_PHRASES].map(([, raw]) => raw);
const noise = fc.constantFrom(
  "\u200b", "\u200d", "\u00ad", "\ufeff", "\u2060", "\u202e", "\ufe0f", "\u{E0041}", "\u0301", "\u0336", "e\u0301",
  "\u00a0", "\u202f", "\u3000", " ", "  ", "\t", "\n", "\r\n", " \n", "\u2028", "ｋ", "４", "Ａ", "－", "。", "＠", "é", "Ø",
  "😀", "𝐤", "𝟒", "\ud83d\ude00", "\ud800", "\udc00", "ﬁ", "…", "①", "٣", "кill", "hello", "world", "bob", "@", ".", "-",
  "4111", "1111", "build", "a", "bomb", "note: x", "end", "y", "\u200b".repeat(40), " ".repeat(40), "\u0301".repeat(35),
  "\u{E0041}".repeat(20), "\n".repeat(34),
);
const piece = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PLANTED) },
  { weight: 6, arbitrary: noise },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
);
const text = fc.array(piece, { maxLength: 14 }).map((parts) => parts.join(""));

describe("normalised streaming keeps the hold-back guarantees exact", () => {
  // Test-level timeout: ~40 detectors × 100 runs take seconds on a loaded 2-core box (Bun's default is 5 s).
  test("property: every chunking (1-unit chunks split surrogate pairs) gives scan()'s text and findings", { timeout: 60_000 }, () => {
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (t, cuts, block) => {
      const set = block ? blocking : redacting;
      const whole = set.scan(t);
      for (const chunks of [chunkAt(t, cuts), t.split(""), [t]]) {
        const out = streamed(set, chunks);
        assert.equal(out.text, whole.text);
        assert.deepEqual(out.findings, whole.findings);
        assert.deepEqual(out.blocked, whole.blocked);
      }
    }), { numRuns: 300 });
  });

  test("property: planted look-alike PII and phrases never survive, whatever surrounds them and however chunked", () => {
    const noisy = fc.array(noise, { maxLength: 4 }).map((parts) => parts.join(""));
    fc.assert(fc.property(fc.constantFrom(...PLANTED), noisy, noisy, fc.array(fc.nat(), { maxLength: 8 }), (raw, before, after, cuts) => {
      // " | " keeps neighbours from joining the value (`1111 4111 1111 1111 1111` is another card, as in ASCII).
      const t = `${before} | ${raw} | ${after}`;
      const out = streamed(redacting, chunkAt(t, cuts));
      assert.ok(!out.text.includes(raw), `${JSON.stringify(raw)} leaked from ${JSON.stringify(t)}: ${JSON.stringify(out.text)}`);
      const at = before.length + 3;
      assert.ok(out.findings.some((f) => f.start === at && f.end === at + raw.length), JSON.stringify({ t, findings: out.findings }));
    }), { numRuns: 300 });
  });
});
