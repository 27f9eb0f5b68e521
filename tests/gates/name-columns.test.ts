/**
 * Names under a name column (src/gates/pii/names.ts reading the WordReader's table header labels): a lone given name
 * or an unlisted surname in a `first_name` / `Nachname` / `| Name |` column is a name, product and team tables stay,
 * and every chunking gives the whole-text result within the hold-back bound.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates } from "../../src/gates/mod.ts";
import { chunkAt, streamed } from "./fixtures.ts";

const names = compileGates([
  { id: "name", type: "pii", detector: "person_name", action: "redact" },
  { id: "email", type: "pii", detector: "email", action: "redact" },
]);

/** [text, expected output] */
const FOUND: [string, string][] = [
  // Person columns: one capitalised word is enough, listed or not.
  ["first_name,last_name,email\nPriya,Raman,p@x.io\nKwame,Zzyzxo,k@x.io", "first_name,last_name,email\n[NAME],[NAME],[EMAIL]\n[NAME],[NAME],[EMAIL]"],
  ["Vorname;Nachname;PLZ\nJonas;Qorvath;01067", "Vorname;Nachname;PLZ\n[NAME];[NAME];01067"],
  ["\"id\",\"surname\"\n\"7\",\"Zzyzxo\"", "\"id\",\"surname\"\n\"7\",\"[NAME]\""],
  ["| prénom | nom de famille | x |\n|---|---|---|\n| Amélie | Qorvath | 1 |", "| prénom | nom de famille | x |\n|---|---|---|\n| [NAME] | Qorvath | 1 |"],
  // A bare `name` column: a listed first name or surname on its own.
  ["Name;Alter;PLZ\nPriya;39;01067", "Name;Alter;PLZ\n[NAME];39;01067"],
  ["| Name | Age |\n|---|---|\n| Priya | 41 |", "| Name | Age |\n|---|---|\n| [NAME] | 41 |"],
  ["nombre,edad\nLucía,24", "nombre,edad\n[NAME],24"],
];

/** Tables whose name column holds no person, words that are no cell, and a header's own words. */
const BENIGN = [
  "name,price,stock\nWidget Pro,25,100\nBasic Kit,12,350",
  "| Name | Version |\n|---|---|\n| Lodash | 4.17 |\n| Express | 5.0 |",
  "product_name,qty\nPriya,3",
  "Team,Wins\nFalcons,10",
  // A name column's label counts at a cell's start only, not for the next cell or after the table.
  "first_name,city\nx,Lyon",
  "surname,age\nx,41\nMeeting notes follow\nBudget Review,3",
  "first_name,last_name\nThe plan",
];

describe("names under a name column", () => {
  test("a person column makes one capitalised word a name; a bare name column a listed one", () => {
    for (const [text, expected] of FOUND) assert.equal(names.scan(text).text, expected, text);
  });

  test("without the header the same rows stay as they are", () => {
    assert.equal(names.scan("Priya,Raman,p@x.io").text, "Priya,Raman,[EMAIL]");
    assert.equal(names.scan("Jonas;Qorvath;01067").text, "Jonas;Qorvath;01067");
  });

  test("product and team tables, and cells outside a name column, stay", () => {
    for (const text of BENIGN) assert.deepEqual(names.scan(text).findings, [], text);
  });

  test("every chunking gives the whole-text result within the hold-back bound", () => {
    for (const [text] of FOUND) {
      const whole = names.scan(text);
      assert.deepEqual(streamed(names, text.split("")), { text: whole.text, findings: whole.findings }, text);
    }
    const cell = fc.constantFrom("first_name", "name", "Nachname", "product name", "id", "Priya", "Zzyzxo", "Widget Pro",
      "Ada Lovelace", "x", "", " ", "\"Kwame\"", "Dear", "The");
    const sep = fc.constantFrom(",", ";", " | ", "|", "\n", "\r\n", " \n");
    const text = fc.array(fc.tuple(cell, sep), { maxLength: 30 }).map((parts) => parts.map(([c, s]) => c + s).join(""));
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
      const whole = names.scan(t);
      assert.deepEqual(streamed(names, chunkAt(t, cuts)), { text: whole.text, findings: whole.findings }, JSON.stringify(t));
    }), { numRuns: 400 });
  });

  test("a table after a long text with no name in it is read as when it starts the text", () => {
    // Column words in lower-case prose fill the shared word log while no run asks about a cell: the cell trackers
    // read it late (when a run starts, or once 256 entries wait) and must still see the table's header.
    const table = "first_name,last_name\nPriya,Zzyzxo\nx,Qorvath\n";
    const expected = "first_name,last_name\n[NAME],[NAME]\nx,[NAME]\n";
    for (const words of [10, 300, 1000]) {
      const prose = "the name of the patient and the employee.\n".repeat(words);
      const whole = names.scan(prose + table);
      assert.equal(whole.text, prose + expected, `${words} lines`);
      for (const size of [1, 7, 64]) {
        const text = prose + table, chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
        assert.deepEqual(streamed(names, chunks), { text: whole.text, findings: whole.findings }, `${words} lines, chunks of ${size}`);
      }
    }
  });

  test("a long table keeps the hold-back bound and agrees with chunked streaming", () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i % 2 ? "Priya" : "x"},Zzyzxo${String.fromCharCode(97 + i % 26)},${i}`).join("\n");
    const text = `first_name,last_name,id\n${rows}\n`;
    const whole = names.scan(text);
    assert.equal(whole.findings.length, 300 + 150);
    assert.deepEqual(streamed(names, chunkAt(text, Array.from({ length: 400 }, (_, i) => i * 37))), { text: whole.text, findings: whole.findings });
  });
});
