import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";

const phrases = (list: string[], extra: Partial<Extract<GateRule, { type: "phrases" }>> = {}): GateRule =>
  ({ id: "p", type: "phrases", phrases: list, action: "redact", replacement: "<>", ...extra });

const isWord = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/**
 * Reference: at each position, the longest phrase whose word edges hold; non-overlapping, left to right. A space in a
 * phrase matches a run of spaces (runs collapse to one unit in the view phrase lists match on).
 */
function reference(list: string[], text: string, wholeWord: boolean): string {
  let out = "", i = 0;
  while (i < text.length) {
    let best = 0;
    for (const p of list) {
      const m = new RegExp(p.replace(/[-+]/g, "\\$&").replace(/ /g, " +"), "iy");
      m.lastIndex = i;
      const length = m.exec(text)?.[0].length ?? 0;
      if (length <= best) continue;
      const edgeOk = !wholeWord || ((!isWord(p[0]) || !isWord(text[i - 1])) && (!isWord(p.at(-1)) || !isWord(text[i + length])));
      if (edgeOk) best = length;
    }
    if (best > 0) { out += "<>"; i += best; } else out += text[i++];
  }
  return out;
}

describe("phrase lists (Aho-Corasick)", () => {
  test("case-insensitive and whole-word by default", () => {
    const set = compileGates([phrases(["kill", "Build a Bomb"])]);
    assert.equal(set.scan("KILL skill killer kill. BUILD A BOMB!").text, "<> skill killer <>. <>!");
  });

  test("caseSensitive and wholeWord can be switched", () => {
    assert.equal(compileGates([phrases(["Kill"], { caseSensitive: true })]).scan("kill Kill").text, "kill <>");
    assert.equal(compileGates([phrases(["kill"], { wholeWord: false })]).scan("skill").text, "s<>");
  });

  test("leftmost, then longest", () => {
    const set = compileGates([phrases(["new", "new york", "york city"])]);
    assert.equal(set.scan("new york city").text, "<> city");
    assert.equal(set.scan("newer york city").text, "newer <>");
  });

  test("non-ASCII phrases and punctuation edges", () => {
    assert.equal(compileGates([phrases(["Ärger"])]).scan("kein ärger, ÄRGER!").text, "kein <>, <>!");
    assert.equal(compileGates([phrases(["c++"])]).scan("c++x and c++").text, "<>x and <>");
  });

  test("a thousand phrases compile into one automaton and match", () => {
    const list = Array.from({ length: 1000 }, (_, i) => `term${i}x`);
    assert.equal(compileGates([phrases(list)]).scan("a term999x b term5x term5").text, "a <> b <> term5");
  });

  test("property: agrees with a brute-force reference", () => {
    // Phrases as the compiler keeps them: trimmed, single spaces (see normalisePhrases).
    const word = fc.string({ unit: fc.constantFrom("a", "b", "A", " ", "-"), minLength: 1, maxLength: 4 })
      .map((w) => w.trim().replace(/ +/g, " ")).filter((w) => w.length > 0);
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.string({ unit: fc.constantFrom("a", "b", "B", " ", "-"), maxLength: 30 }), fc.boolean(),
      (list, text, wholeWord) => {
        assert.equal(compileGates([phrases(list, { wholeWord })]).scan(text).text, reference(list, text, wholeWord));
      }), { numRuns: 400 });
  });
});
