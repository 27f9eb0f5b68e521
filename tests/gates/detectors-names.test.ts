/** The person-name scanner: lexicon, titles, context phrases, capitalisation; streamed output equals whole-text output. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates } from "../../src/gates/mod.ts";
import { chunkAt, streamed } from "./fixtures.ts";

const names = compileGates([{ id: "name", type: "pii", detector: "person_name", action: "redact" }]);

/** [text, expected output] */
const CASES: [string, string][] = [
  ["Yesterday John Smith called.", "Yesterday [NAME] called."],
  ["My name is Ada.", "My name is [NAME]."],
  ["Dear Giuseppe, thanks.", "Dear [NAME], thanks."],
  ["Dr. Ada Lovelace spoke first.", "[NAME] spoke first."],
  ["Herr Müller kam.", "[NAME] kam."],
  ["Contact Jean-Luc Picard or Mary O'Connor.", "Contact [NAME] or [NAME]."],
  ["Ludwig van Beethoven wrote it.", "[NAME] wrote it."],
  ["Ask Katarzyna Nowak in accounting.", "Ask [NAME] in accounting."],
  ["signed, Jürgen Klopp", "signed, [NAME]"],
  ["Will Smith arrives. Will you come?", "[NAME] arrives. Will you come?"],
  ["Mme Dupont et M. Martin", "[NAME] et [NAME]"],
  // `customer` is context before a name; capitalised after `the` it opens a title, and only that.
  ["the customer Jane Doe called", "the customer [NAME] called"],
  ["Customer Success Manager Jane Doe joined", "Customer Success Manager [NAME] joined"],
  ["I met the Customer Success Manager, Jane Doe.", "I met the Customer Success Manager, [NAME]."],
  ["Hi Jane Doe, welcome.", "Hi [NAME], welcome."],
  // A title is written with spaces (and maybe an opening quote): `Customer:` after `the` opens none.
  ["Ask the Customer: Jane Doe knows.", "Ask the Customer: [NAME] knows."],
  // All caps: after a context phrase or label with a listed word in the run, after a first name or title, in a column.
  ["NAME: JOHN MCALLISTER\nDOB: on file", "NAME: [NAME]\nDOB: on file"],
  ["Full name: MARIA GARCIA", "Full name: [NAME]"],
  ["Patient: ROSA DELGADO, age 54", "Patient: [NAME], age 54"],
  ["Jean DUPONT a signé.", "[NAME] a signé."],
  ["MR JOHN SMITH", "[NAME]"],
  ["Signed: SMITH", "Signed: [NAME]"],
  ["first_name,last_name\nJOHN,SMITH", "first_name,last_name\n[NAME],[NAME]"],
  // A lone listed first name right before a verb of speaking, however long the verb.
  ["Matteo wrote that the invoice is wrong.", "[NAME] wrote that the invoice is wrong."],
  ["Then Ingrid asked for a refund.", "Then [NAME] asked for a refund."],
  ["Lars antwoordde niet.", "[NAME] antwoordde niet."],
];
/** Capitalised text that is not a name. */
const BENIGN = [
  "I visited New York and Virginia Beach.", "The Quarterly Report is due.", "Open the Settings Menu now.",
  "Main Street and Park Avenue meet here.", "Microsoft Teams and Google Drive are down.", "will smith come today",
  "JOHN is all caps here", "The United States of America", "Happy New Year", "Monday Morning Meeting",
  // Titles after `the` through capitalised context or stop words (`Customer`, `Team`): a given name in them is a word.
  "Read the Customer Success Playbook today.", "See the Customer Grace Period Policy.", "Ask the Team Victory Playbook owner.",
  "Read the \"Customer Success Playbook\" before Monday.",
  // All caps with no context, with no listed word, or after `the`: acronyms and shouting.
  "For: IMMEDIATE RELEASE", "From: NASA HEADQUARTERS", "Hello WORLD", "Call AWS SUPPORT now", "WARNING: DO NOT DISTURB",
  "ALL CAPS TEXT WITH JOHN IN IT", "Ask the FBI AGENT", "Hi TEAM",
  // A verb of speaking after a place, a word-like first name, or a first name and a comma.
  "Paris said it would review the rules.", "Will said no.", "Lars, said the note.",
];

describe("person names", () => {
  test("finds names by lexicon, title and context, over their whole span", () => {
    for (const [text, expected] of CASES) assert.equal(names.scan(text).text, expected, text);
  });

  test("leaves capitalised non-names alone", () => {
    for (const text of BENIGN) assert.deepEqual(names.scan(text).findings, [], text);
  });

  test("the finding's raw span covers accents, invisibles and the whole hyphenated or apostrophised name", () => {
    const text = "Hello Jose\u0301 Garci\u0301a-Lo\u0301pez and Mary O\u2019Connor.";
    const step = names.scan(text);
    assert.deepEqual(step.findings.map((f) => f.match), ["Jose\u0301 Garci\u0301a-Lo\u0301pez", "Mary O\u2019Connor"]);
    assert.equal(step.text, "Hello [NAME] and [NAME].");
  });

  test("a policy's allow list keeps whole names, its deny list makes words names on their own", () => {
    const lists = compileGates([{
      id: "n", type: "pii", detector: "person_name", action: "redact",
      options: { allow: ["ada  LOVELACE"], deny: ["Zorblax", "O'Neill-Smythe"] },
    }]);
    assert.equal(lists.scan("Ada Lovelace met Grace Hopper.").text, "Ada Lovelace met [NAME].");
    assert.equal(lists.scan("ask zorblax, Zorblax Quux or Mr O'Neill-Smythe").text, "ask [NAME], [NAME] or [NAME]");
    assert.throws(() => compileGates([{ id: "e", type: "pii", detector: "email", action: "redact", options: { deny: ["x"] } }]),
      /only the person_name detector takes deny lists/);
  });

  test("mask keeps separators and the last four letters", () => {
    const mask = compileGates([{ id: "n", type: "pii", detector: "person_name", action: "mask" }]);
    assert.equal(mask.scan("Ask Ada Lovelace.").text, "Ask *** ****lace.");
  });

  test("every chunking, one character at a time included, gives the whole-text result within the hold-back bound", () => {
    for (const [text] of CASES) {
      const whole = names.scan(text);
      assert.deepEqual(streamed(names, text.split("")), { text: whole.text, findings: whole.findings }, text);
    }
    const word = fc.constantFrom("John", "Smith", "Ada", "Dr.", "Mr", "Dear", "my name is", "van", "de", "J.", "O'Connor",
      "Jean-Luc", "Nowak", "New", "York", "Street", "the", "and", "Will", ",", ".", " ", "\n", "x".repeat(25), "Ab".repeat(15),
      "JOHN", "SMITH", "NASA", "Name:", "said", "answered", "della");
    const text = fc.array(word, { maxLength: 24 }).map((w) => w.join(" "));
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
      const whole = names.scan(t);
      assert.deepEqual(streamed(names, chunkAt(t, cuts)), { text: whole.text, findings: whole.findings });
    }), { numRuns: 400 });
  });

  test("with every other detector of the default policy, a name next to an email or phone is still found", () => {
    const all = compileGates([
      { id: "name", type: "pii", detector: "person_name", action: "redact" },
      { id: "email", type: "pii", detector: "email", action: "redact" },
      { id: "address", type: "pii", detector: "street_address", action: "redact" },
    ]);
    assert.equal(all.scan("Write to John Smith, john.smith@example.com, 221B Baker Street.").text,
      "Write to [NAME], [EMAIL], [ADDRESS].");
  });
});
