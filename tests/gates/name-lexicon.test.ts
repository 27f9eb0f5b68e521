/** The generated person-name lexicon: entries from every source in the right kind, and the filter's size per name. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BLOOM_HASHES, FIRST, HASH_START_A, HASH_START_B, NameBloom, stepA, stepB, SURNAME, WEAK_FIRST, WORD_SURNAME } from "../../src/gates/pii/name-bloom.ts";
import { NAME_BLOOM_BASE64 } from "../../src/gates/pii/name-lexicon.ts";
import { compileGates } from "../../src/gates/mod.ts";

const bloom = NameBloom.fromBase64(NAME_BLOOM_BASE64);
const KINDS = { first: FIRST, weak: WEAK_FIRST, wordSurname: WORD_SURNAME, surname: SURNAME } as const;

/** The kinds the filter lists a lower-case ASCII word under. */
function kinds(word: string): string[] {
  let a = HASH_START_A, b = HASH_START_B;
  for (let i = 0; i < word.length; i++) { a = stepA(a, word.charCodeAt(i)); b = stepB(b, word.charCodeAt(i)); }
  return Object.entries(KINDS).filter(([, k]) => bloom.has(a, b, k)).map(([name]) => name);
}

describe("name lexicon", () => {
  test("has first names and surnames from each source, in their kind", () => {
    // SSA / Census; national registers (France, Spain, Italy, Turkey); the people-names list (surnames the US lists lack).
    for (const w of ["john", "vihaan", "mamadou", "ababacar", "ainhoa", "giuseppe", "ayse", "jurgen"]) assert.ok(kinds(w).includes("first"), w);
    for (const w of ["nowak", "kowalczyk", "sarpong", "memon", "omerovic"]) assert.ok(kinds(w).includes("surname"), w);
  });

  test("names that are words are weak: English ones, and other languages' ones from the non-US lists", () => {
    for (const w of ["will", "may"]) assert.deepEqual(kinds(w).filter((k) => k === "first" || k === "weak"), ["weak"], w);
    for (const w of ["prima", "camino", "mala", "seta"]) assert.deepEqual(kinds(w), ["weak"], w);
    for (const w of ["brown", "smith"]) assert.ok(kinds(w).includes("wordSurname") && !kinds(w).includes("surname"), w);
    const names = compileGates([{ id: "n", type: "pii", detector: "person_name", action: "redact" }]);
    assert.equal(names.scan("Prima Classe tickets are sold out.").text, "Prima Classe tickets are sold out.");
    assert.equal(names.scan("Yesterday Mamadou Sarr called.").text, "Yesterday [NAME] called.");
  });

  test("keeps 12 bits per entry, so random words rarely hit (≈ 0.3 % per kind)", () => {
    const source = readFileSync(new URL("../../src/gates/pii/name-lexicon.ts", import.meta.url), "utf8");
    const header = /(\d+) first names, (\d+) weak first names[^,]*, (\d+) surnames/.exec(source.replace(/\n \* /g, " "));
    assert.ok(header, "the generated header counts the entries");
    const entries = Number(header[1]) + Number(header[2]) + Number(header[3]);
    const bits = atob(NAME_BLOOM_BASE64).length * 8;
    assert.ok(bits / entries >= 11.99, `${(bits / entries).toFixed(2)} bits per entry`);
    assert.equal(BLOOM_HASHES, 8);
    let hits = 0, x = 12345;
    const probes = 20_000;
    for (let i = 0; i < probes; i++) {
      let w = "";
      for (let k = 0; k < 9; k++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; w += String.fromCharCode(97 + (x >>> 16) % 26); }
      if (kinds(`q${w}`).includes("first")) hits++;
    }
    assert.ok(hits / probes < 0.006, `${hits} of ${probes} random words read as first names`);
  });
});
