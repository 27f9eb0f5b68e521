/**
 * Table headers as context words (src/gates/context.ts TableReader) and the name scanner's line rules (chat speakers,
 * hyphenated given names, line breaks ending a name): found values, benign tables, and streamed == whole text.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates } from "../../src/gates/mod.ts";
import { compileContextWords, ContextTracker, WordReader } from "../../src/gates/context.ts";
import { NormalisedText } from "../../src/gates/normalize.ts";
import { chunkAt, streamed } from "./fixtures.ts";

const personal = compileGates([
  { id: "name", type: "pii", detector: "person_name", action: "redact" },
  { id: "age", type: "pii", detector: "age", action: "redact" },
  { id: "zip", type: "pii", detector: "postal_code", action: "redact" },
  { id: "dob", type: "pii", detector: "date_of_birth", action: "redact" },
  { id: "dl", type: "pii", detector: "drivers_license", action: "redact" },
]);

/** [text, expected output] */
const TABLES: [string, string][] = [
  ["name,age,zip\nAda Lovelace,36,10115\nAlan Turing,41,80331", "name,age,zip\n[NAME],[AGE],[POSTCODE]\n[NAME],[AGE],[POSTCODE]"],
  ["id;Alter;PLZ\n7;39;01067", "id;Alter;PLZ\n7;[AGE];[POSTCODE]"],
  ["| Patient | Age | Postal code |\n|---|---|---|\n| x | 47 | 60311 |", "| Patient | Age | Postal code |\n|---|---|---|\n| x | [AGE] | [POSTCODE] |"],
  ["\"member\",\"age\"\n\"M-1\",\"27\"", "\"member\",\"age\"\n\"M-1\",\"[AGE]\""],
  ["customer_id,zip_code\n88412,75008\n88413,28013", "customer_id,zip_code\n88412,[POSTCODE]\n88413,[POSTCODE]"],
  ["emp,date_of_birth\nx,1987-04-12", "emp,date_of_birth\nx,[DOB]"],
];
/** Tables whose numbers are not personal details, and text after a table. */
const BENIGN = [
  "item,qty,price\nWidget,12,19.99\nGadget,40,4.50",
  "| Package | Version | Downloads |\n|---|---|---|\n| lodash | 4.17.21 | 48000 |",
  "year;revenue;growth\n2021;10450;12",
  // The header's words are context for their own column only, not for the next cell or row.
  "id,postcode\n12345,SW1\n23456,SW2",
  "age group,count\n18-24,1203",
  // A row of another cell count ends the table.
  "age,zip\n42,10117\nWe shipped 42 units to 10 stores in 2024.",
  // A veto word heads its column: a model number is no licence.
  "model,license\nDL-0848-441,MIT",
];

describe("table headers as context", () => {
  test("a header's context words reach the cells of their column", () => {
    for (const [text, expected] of TABLES) assert.equal(personal.scan(text).text, expected, text);
  });

  test("without a header the same rows stay as they are", () => {
    assert.equal(personal.scan("7;39;01067").text, "7;39;01067");
    assert.equal(personal.scan("x,36,10115").text, "x,36,10115");
  });

  test("numbers in benign tables, and text after a table, stay", () => {
    for (const text of BENIGN) {
      const found = personal.scan(text).findings.filter((f) => f.detector !== "person_name");
      assert.deepEqual(found.map((f) => f.match), text.startsWith("age,zip") ? ["42", "10117"] : [], text);
    }
  });

  test("every chunking gives the whole-text result within the hold-back bound", () => {
    for (const [text] of TABLES) {
      const whole = personal.scan(text);
      assert.deepEqual(streamed(personal, text.split("")), { text: whole.text, findings: whole.findings }, text);
    }
    const cell = fc.constantFrom("name", "age", "zip", "Postal code", "dob", "id", "Ada Lovelace", "36", "10115",
      "1987-04-12", "\"41\"", "x", "", " ", "12,50", "model", "DL-0848-441");
    const sep = fc.constantFrom(",", ";", " | ", "|", "\n", "\n\n", "\r\n", "\t", " \n");
    const text = fc.array(fc.tuple(cell, sep), { maxLength: 30 }).map((parts) => parts.map(([c, s]) => c + s).join(""));
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
      const whole = personal.scan(t);
      assert.deepEqual(streamed(personal, chunkAt(t, cuts)), { text: whole.text, findings: whole.findings }, JSON.stringify(t));
    }), { numRuns: 400 });
  });

  test("a long table and many header rows keep the hold-back bound and agree with one-character streaming", () => {
    const rows = Array.from({ length: 300 }, (_, i) => `p${i},${20 + i % 60},${10000 + i}`).join("\n");
    const text = `id,age,zip\n${rows}\n` + "age;zip\n1;2\nthe next table\n".repeat(200);
    const whole = personal.scan(text);
    assert.equal(whole.findings.filter((f) => f.detector === "age").length, 300 + 200);
    assert.deepEqual(streamed(personal, chunkAt(text, Array.from({ length: 400 }, (_, i) => i * 37))), { text: whole.text, findings: whole.findings });
  });
});

describe("names on chat lines and hyphenated given names", () => {
  const names = compileGates([{ id: "name", type: "pii", detector: "person_name", action: "redact" }]);

  test("a listed first name before `:` at a line's start is a speaker", () => {
    assert.equal(names.scan("Kamau: see you at 5\nPriya: ok").text, "[NAME]: see you at 5\n[NAME]: ok");
    assert.equal(names.scan("log\nKamau: see you").text, "log\n[NAME]: see you");
    // Mid-line, or a word that is no first name, is not a speaker.
    assert.equal(names.scan("ask about Kamau: later").text, "ask about Kamau: later");
    assert.equal(names.scan("Note: see you\nSummary: done").text, "Note: see you\nSummary: done");
  });

  test("a hyphenated given name may go on in lower case after a listed first name", () => {
    assert.equal(names.scan("Reviewer: Jean-baptiste Morel").text, "Reviewer: [NAME]");
    assert.equal(names.scan("Ji-ho: done").text, "[NAME]: done");
    for (const text of ["AI-driven Tools are here.", "Well-known Authors wrote it.", "Real-time Analytics ships today."]) {
      assert.deepEqual(names.scan(text).findings, [], text);
    }
  });

  test("a line break ends a name and `;` keeps a field label's context", () => {
    assert.equal(names.scan("PLZ;Ort\nJonas Becker;x").text, "PLZ;Ort\n[NAME];x");
    assert.equal(names.scan("full_name;Chen Wei").text, "full_name;[NAME]");
  });

  test("every chunking gives the whole-text result", () => {
    const word = fc.constantFrom("Kamau", "Min-jun", "Jean-baptiste", "AI-driven", "Note", ":", ";", "\n", " ", "Ada", "Lovelace", "x");
    const text = fc.array(word, { maxLength: 24 }).map((w) => w.join(""));
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
      const whole = names.scan(t);
      assert.deepEqual(streamed(names, chunkAt(t, cuts)), { text: whole.text, findings: whole.findings }, JSON.stringify(t));
    }), { numRuns: 400 });
  });
});

describe("a seed with no listed word near it", () => {
  test("WordReader.quiet: true with nothing logged (the first units of a stream too), false near a listed word", () => {
    const words = compileContextWords(["age"], ["dog"], 8);
    const text = new NormalisedText();
    const reader = new WordReader();
    const tracker = new ContextTracker(words, true, reader);
    const read = (s: string) => {
      text.feed(s, 0);
      text.flush();
      reader.read(text.foldedView, text.end);
      tracker.advance(text.foldedView, text.end, text.end);
    };
    assert.equal(reader.quiet(0, tracker.reach), true, "an empty stream: every tracker answers from `required` alone");
    read("age 7");
    assert.equal(reader.quiet(4, tracker.reach), false, "`age` ends within the reach");
    assert.equal(tracker.check(4), 2);
    read(" and then some more words go by 9");
    assert.equal(reader.quiet(text.end - 1, tracker.reach), true);
    assert.equal(tracker.check(text.end - 1), 0, "required and no word: what quiet() lets the group answer without reading");
  });

  test("digits at the start of short values: the same findings as rules read alone (quiet seeds skip the trackers)", () => {
    for (const value of ["12", "42", "age 42", "2024", "dog 7 years old", "aged 90", "1002", "DOB 1990-01-02"]) {
      const grouped = personal.scan(value);
      const stream = personal.open();
      const streamedOut = [...value].map((c) => stream.push(c).text).join("") + stream.end().text;
      assert.equal(streamedOut, grouped.text, value);
    }
  });
});
