/**
 * The precision/recall rules of issue #16's second pass: `Surname, First` names, possessives, field labels, job titles,
 * dates that are not phones, courier and product-number vetoes, Spanish and Brazilian addresses; each streams exactly
 * as it scans whole. Also checks the hand-written held-out set (eval/pii/holdout.jsonl) is well-formed.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, type GateRule, type GateSet } from "../../src/gates/mod.ts";
import { loadHoldout } from "../../eval/pii/corpus.ts";
import { loadRsk } from "../../eval/pii/rsk.ts";
import { chunkAt, streamed } from "./fixtures.ts";

const pii = (...detectors: string[]): GateSet =>
  compileGates(detectors.map((d): GateRule => ({ id: d, type: "pii", detector: d as never, action: "redact" })));
const names = pii("person_name");

describe("person names", () => {
  test("surname first, then a comma and a listed first name (and an initial)", () => {
    assert.equal(names.scan("Patient: Okonkwo, Priya").text, "Patient: [NAME]");
    assert.equal(names.scan("Author: Fitzgerald, Eleanor M. (corresponding)").text, "Author: [NAME] (corresponding)");
    assert.equal(names.scan("Cheers,\nGreenfelder, Sonja").text, "Cheers,\n[NAME]");
  });

  test("a list of surnames, or a sentence adverb before a comma, is not a surname-first name", () => {
    assert.deepEqual(names.scan("Walter, McKenzie and Larson announced a merger.").findings, []);
    assert.deepEqual(names.scan("However, Jordan's economy grew.").findings, []);
    assert.deepEqual(names.scan("Paris, France").findings, []);
  });

  test("a possessive ends a name and is not redacted with it; hyphenated lower-case words are not names", () => {
    assert.equal(names.scan("I borrowed John Smith's car.").text, "I borrowed [NAME]'s car.");
    assert.deepEqual(names.scan("Straße des 17. Juni is in Berlin's Tiergarten.").findings, []);
    assert.deepEqual(names.scan("The AI-driven Recycled Bike Award goes to the Team.").findings, []);
  });

  test("field labels (`full_name`, `firstName`, `Vorname`) make the value after them a name", () => {
    assert.equal(names.scan(`{"full_name": "Neri Musso", "dob": "1960"}`).text, `{"full_name": "[NAME]", "dob": "1960"}`);
    assert.equal(names.scan("firstName=Pien lastName=Bos").text, "firstName=[NAME] lastName=[NAME]");
    assert.equal(names.scan("Vorname: Benedikt").text, "Vorname: [NAME]");
  });

  test("capitalised words after `the` name a thing, not a person", () => {
    assert.deepEqual(names.scan("The Royal Albert Hall seats 5,272 people.").findings, []);
    assert.deepEqual(names.scan("We booked the Royal Albert Hall.").findings, []);
    assert.equal(names.scan("We booked Ada Lovelace for the talk.").text, "We booked [NAME] for the talk.");
  });

  test("job titles, street types and `Saint` end or never start a name", () => {
    assert.deepEqual(names.scan("Customer Success Manager, Enterprise Accounts").findings, []);
    assert.deepEqual(names.scan("Saint Patrick's Day falls on a Sunday.").findings, []);
    assert.equal(names.scan("Kind regards,\nLalita Namboothiri\nCustomer Brand Representative").text,
      "Kind regards,\n[NAME]\nCustomer Brand Representative");
  });

  test("every chunking gives the whole-text result within the hold-back bound", () => {
    const word = fc.constantFrom("John", "Smith", "Okonkwo", "Priya", "Eleanor", ",", ", ", "'s", "Berlin's", "AI-driven",
      "full_name", "\"", ":", "Manager", "Saint", "and", "the", "M.", "Dr.", " ", "\n", "However");
    const text = fc.array(word, { maxLength: 24 }).map((w) => w.join(""));
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
      const whole = names.scan(t);
      assert.deepEqual(streamed(names, chunkAt(t, cuts)), { text: whole.text, findings: whole.findings });
    }), { numRuns: 400 });
  });
});

describe("numbers that are something else", () => {
  test("a calendar date in either order is not a phone", () => {
    const phone = pii("phone");
    for (const date of ["05/20/2025", "12.23.2025", "10/24/2025", "23.12.2025"]) {
      assert.deepEqual(phone.scan(`passport number V3938286, issued ${date}, call me`).findings, [], date);
    }
    assert.equal(phone.scan("call me on 06 12 34 56 78").text, "call me on [PHONE]");
  });

  test("a courier's tracking number is not a card or an Aadhaar number", () => {
    const set = pii("payment_card", "national_id");
    assert.deepEqual(set.scan("USPS tracking: 9400 7348 4215 7995 4791 34").findings, []);
    assert.deepEqual(set.scan("FedEx says 676377215603 will arrive Thursday.").findings, []);
    assert.equal(set.scan("Aadhaar no. 3985 7261 4431").text, "Aadhaar no. [ID]");
    // Twelve bare digits need the word (an AWS account id in an ARN is not an Aadhaar number).
    assert.deepEqual(set.scan("arn:aws:cloudformation:us-east-1:398572614431:stack/web").findings, []);
    assert.equal(set.scan("Aadhaar: 398572614431").text, "Aadhaar: [ID]");
  });

  test("a model or part number is not a driver's licence; a section number or upgrade target is not an IP", () => {
    assert.deepEqual(pii("drivers_license").scan("Model DL-0848-441 replaces the EBU484.").findings, []);
    assert.equal(pii("drivers_license").scan("DL number F2558 47390").text, "DL number [LICENSE]");
    const ip = pii("ipv4");
    assert.deepEqual(ip.scan("Table 4.2.1.3 lists the results; see section 10.2.0.1.").findings, []);
    assert.deepEqual(ip.scan("Upgrade to 10.0.0.1 of the SDK.").findings, []);
    assert.equal(ip.scan("ping 10.0.0.1").text, "ping [IP]");
  });

  test("an age needs its word right before the number, in the languages the detector reads", () => {
    const age = pii("age");
    assert.deepEqual(age.scan("Age of Empires 2 is still popular.").findings, []);
    assert.equal(age.scan("Leeftijd: 45").text, "Leeftijd: [AGE]");
    assert.equal(age.scan("Tengo 90 años.").text, "Tengo [AGE].");
    assert.equal(age.scan("Hij is 34 jaar oud.").text, "Hij is [AGE].");
  });
});

describe("addresses", () => {
  test("Spain's street types, `s/n`, and Brazil's CEP after the city", () => {
    const set = pii("street_address", "person_name");
    assert.equal(set.scan("Dirección: Bajada Leticia Meza Jiménez 80, Sevilla").text, "Dirección: [ADDRESS], Sevilla");
    assert.equal(set.scan("Calleja Reina Mota s/n, Jaipur").text, "[ADDRESS], Jaipur");
    assert.equal(set.scan("Endereço: 4444 Rodovia Pereira, Charlotte 75168-900").text, "Endereço: [ADDRESS]");
  });
});

describe("the held-out set", () => {
  test("parses, has unique ids, trimmed spans, and the default policy streams it exactly as it scans it", { timeout: 60_000 }, async () => {
    const docs = loadHoldout();
    assert.ok(docs.length >= 150, `${docs.length} cases`);
    assert.equal(new Set(docs.map((d) => d.id)).size, docs.length);
    for (const doc of docs) {
      for (const s of doc.spans) assert.equal(doc.text.slice(s.start, s.end).trim(), doc.text.slice(s.start, s.end), doc.id);
    }
    const { gates } = await loadRsk();
    for (const doc of docs) {
      const whole = gates.scan(doc.text);
      assert.deepEqual(streamed(gates, doc.text.split("")), { text: whole.text, findings: whole.findings }, doc.id);
    }
  });
});
