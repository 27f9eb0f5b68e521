import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileGates, GateCompileError, PII_DETECTORS, type GateRule, type GateSet } from "../../src/gates/mod.ts";
import { NormalisedText, RAW_UNITS_PER_UNIT, SEPARATOR } from "../../src/gates/normalize.ts";
import { DETECTORS } from "../../src/gates/pii/detectors.ts";
import { OUTPUT_RULES } from "./fixtures.ts";
import { fullwidth, INNOCENT_TEXT, LOOKALIKE_PHRASES, LOOKALIKE_PII, math } from "./lookalike-corpus.ts";

/** One unit per chunk (surrogate pairs split), then end(): must equal scan(). */
function oneUnitAtATime(set: GateSet, text: string): { text: string; findings: unknown[] } {
  const stream = set.open();
  let out = "";
  const findings: unknown[] = [];
  for (const unit of text.split("")) {
    const step = stream.push(unit);
    out += step.text;
    findings.push(...step.findings);
  }
  const last = stream.end();
  return { text: out + last.text, findings: [...findings, ...last.findings] };
}

/** The normalised views of a whole string, with the raw range of every unit. */
function viewsOf(text: string): { nfkc: string; folded: string; ranges: [number, number][] } {
  const n = new NormalisedText();
  n.feed(text, 0);
  n.flush();
  const ranges: [number, number][] = [];
  for (let k = 0; k < n.end; k++) ranges.push([n.rawStart[k - n.base]!, n.rawEndOf(k)]);
  return { nfkc: n.nfkcView.slice(0, n.end), folded: n.foldedView.slice(0, n.end), ranges };
}

const all = compileGates(OUTPUT_RULES);

describe("look-alike PII is redacted over its whole raw span", () => {
  for (const detector of PII_DETECTORS) {
    const cases = LOOKALIKE_PII[detector] ?? [];
    if (cases.length === 0) continue;
    const alone = compileGates([{ id: detector, type: "pii", detector, action: "redact" }]);
    const placeholder = DETECTORS[detector].placeholder;
    for (const [label, raw] of cases) {
      test(`${detector}: ${label}`, () => {
        const text = `before ${raw} after.`;
        for (const set of [alone, all]) {
          const step = set.scan(text);
          assert.equal(step.text, `before ${placeholder} after.`, `${JSON.stringify(raw)} → ${JSON.stringify(step.text)}`);
          assert.equal(step.findings.length, 1);
          assert.equal(step.findings[0]!.detector, detector);
          assert.deepEqual([step.findings[0]!.start, step.findings[0]!.end, step.findings[0]!.match], [7, 7 + raw.length, raw]);
        }
        assert.deepEqual(oneUnitAtATime(all, text), all.scan(text));
      });
    }
  }
});

describe("look-alike blocked phrases match", () => {
  const list: GateRule = {
    id: "p", type: "phrases", phrases: ["kill", "build a bomb", "synthesize nerve agent", "café"], action: "redact", replacement: "<>",
  };
  const set = compileGates([list]);
  for (const [label, raw] of LOOKALIKE_PHRASES) {
    test(label, () => {
      const text = `x ${raw} y`;
      const step = set.scan(text);
      assert.equal(step.text, "x <> y", `${JSON.stringify(raw)} → ${JSON.stringify(step.text)}`);
      assert.deepEqual(step.findings.map((f) => [f.start, f.end, f.match]), [[2, 2 + raw.length, raw]]);
      assert.deepEqual(oneUnitAtATime(set, text), step);
    });
  }

  test("block stops the stream on a look-alike phrase, releasing only what came before", () => {
    const blocking = compileGates(OUTPUT_RULES);
    const stream = blocking.open();
    let out = "";
    for (const chunk of ["Here is how to ", "ｂｕｉｌｄ", "\u200b ", "а ", "b\u00adomb", ": step one"]) out += stream.push(chunk).text;
    assert.equal(out, "Here is how to ");
    assert.equal(stream.end().blocked?.rule, "forbidden");
  });

  test("phrases are normalised like the text: a phrase written in look-alikes matches plain text", () => {
    const odd = compileGates([{ id: "p", type: "phrases", phrases: ["ｂｏｍｂ", "кill", "nerve\u00a0 agent", "e\u0301clair"], action: "redact", replacement: "<>" }]);
    assert.equal(odd.scan("bomb kill nerve agent eclair éclair").text, "<> <> <> <> <>");
  });

  test("a phrase with nothing visible left is a compile error naming it", () => {
    assert.throws(() => compileGates([{ id: "p", type: "phrases", phrases: ["ok", "\u200b\u00ad "], action: "block" }]),
      (error: unknown) => error instanceof GateCompileError && error.issues[0]!.path.join(".") === "0.phrases.1");
  });
});

describe("ordinary non-Latin and accented text is left alone", () => {
  const phrases = compileGates([...OUTPUT_RULES, { id: "kill", type: "phrases", phrases: ["kill", "bomb", "cafe"], action: "block" }]);
  for (const [label, text] of INNOCENT_TEXT) {
    test(label, () => {
      const rules = label.startsWith("accented") ? all : phrases; // "café" is a listed phrase there
      const step = rules.scan(text);
      assert.deepEqual(step.findings, [], JSON.stringify(step.findings));
      assert.equal(step.text, text);
      assert.deepEqual(oneUnitAtATime(rules, text), step);
    });
  }
});

describe("regex rules read the NFKC view without the confusable fold", () => {
  test("a Cyrillic regex matches Cyrillic text, and Cyrillic look-alikes do not match a Latin regex", () => {
    const set = compileGates([
      { id: "ru", type: "regex", pattern: "секрет", flags: "i", action: "redact", replacement: "<ru>" },
      { id: "en", type: "regex", pattern: "secret", action: "redact", replacement: "<en>" },
    ]);
    assert.equal(set.scan("СЕКРЕТ sесrеt secret").text, "<ru> sесrеt <en>");
  });

  test("but fullwidth, digits of any script, invisibles and whitespace runs are normalised", () => {
    const set = compileGates([{ id: "r", type: "regex", pattern: "order \\d{4}", action: "redact", replacement: "<>" }]);
    assert.equal(set.scan(`${fullwidth("order 1234")}, order\u00a0\u200b٥٦٧٨, order  ${math("9012", "bold")}`).text, "<>, <>, <>");
  });

  test("a whitespace run containing a line break is a line break for ^ and $", () => {
    const set = compileGates([{ id: "r", type: "regex", pattern: "^step \\d+:", action: "redact", replacement: "<>" }]);
    assert.equal(set.scan("intro  \n step 1: a \u2028step 2: b").text, "intro  \n <> a \u2028<> b");
    const chunks = ["intro ", " ", "\n", " step 1: a \u2028", "step 2: b"];
    const stream = set.open();
    assert.equal(chunks.map((c) => stream.push(c).text).join("") + stream.end().text, "intro  \n <> a \u2028<> b");
  });
});

describe("mask hides look-alike digits too", () => {
  const set = compileGates([{ id: "c", type: "pii", detector: "payment_card", action: "mask" }]);
  test("fullwidth, Arabic-Indic and mathematical digits are starred, separators and the last four stay", () => {
    assert.equal(set.scan(`card ${fullwidth("4111 1111 1111 1111")}`).text, "card ****\u3000****\u3000****\u3000１１１１");
    assert.equal(set.scan("card ٤١١١-١١١١-١١١١-١١١١").text, "card ****-****-****-١١١١");
    assert.equal(set.scan(`card ${math("4111 1111 1111 1111", "bold")}`).text, `card **** **** **** ${math("1111", "bold")}`);
    assert.equal(set.scan("card 4111\u200b1111\u200b1111\u200b1111").text, "card ****\u200b****\u200b****\u200b1111");
  });
});

describe("the normalised view", () => {
  test("invisibles and marks vanish but stay inside the raw range of the unit before them", () => {
    const v = viewsOf("a\u200bb\u0301c");
    assert.equal(v.nfkc, "abc");
    assert.deepEqual(v.ranges, [[0, 2], [2, 4], [4, 5]]);
  });

  test("NFKC expansions share their code point's raw range; astral code points map to both raw units", () => {
    const v = viewsOf("ﬁ…𝐤😀");
    assert.equal(v.nfkc, "fi...k😀");
    assert.deepEqual(v.ranges, [[0, 1], [0, 1], [1, 2], [1, 2], [1, 2], [2, 4], [4, 6], [4, 6]]);
  });

  test("any decimal digit is ASCII; whitespace runs are one unit, a line break if the run has one", () => {
    assert.equal(viewsOf("٠١٢٣٤٥٦٧٨٩ ۴ ४ ๔ ４ 𝟜").nfkc, "0123456789 4 4 4 4 4");
    assert.equal(viewsOf("a \u00a0\t b  \r\n  c\u2028d").nfkc, "a b\nc\nd");
    assert.equal(viewsOf("a \u00a0\t b  \r\n  c\u2028d").folded, "a b c d");
  });

  test("the fold: look-alikes → Latin, accents stripped, dash-likes → '-', case kept", () => {
    assert.equal(viewsOf("Кіеv ΡΟΜΑ ꓮᎪ café Ærø Łódź 1\u20132\u22123\u20104").folded, "Kiev POMA AA cafe Æro Lodz 1-2-3-4");
  });

  test("past RAW_UNITS_PER_UNIT dropped units a separator is emitted, so raw ≤ 33 × normalised", () => {
    const v = viewsOf(`a${"\u200b".repeat(40)}b`);
    assert.equal(v.nfkc, `a${String.fromCharCode(SEPARATOR)}b`);
    assert.ok(v.ranges.every(([s, e]) => e - s <= RAW_UNITS_PER_UNIT));
    const spaces = viewsOf(`a${" ".repeat(70)}b`);
    assert.equal(spaces.nfkc, "a   b");
    const marks = viewsOf(`a${"\u{E0041}".repeat(20)}b`);
    assert.equal(marks.nfkc.length, 3);
    assert.ok(marks.ranges.every(([s, e]) => e - s <= RAW_UNITS_PER_UNIT));
  });

  test("a pending high surrogate is held, and a lone one stands for itself at the end", () => {
    const set = compileGates([{ id: "k", type: "phrases", phrases: ["k"], action: "redact", replacement: "<>" }]);
    const stream = set.open();
    assert.equal(stream.push("a \ud835").text, "a ");
    assert.equal(stream.held, 1);
    assert.equal(stream.push("\udc24 b").text, "<> b");
    assert.equal(stream.push("\ud800").text, "");
    assert.equal(stream.end().text, "\ud800");
  });
});
