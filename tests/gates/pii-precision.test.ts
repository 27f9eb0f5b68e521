/**
 * Precision and recall fixes of issue #16's evaluation: IDs take precedence over phones in the default policy, bare
 * SINs with a label, letter-only provider tokens, OIDs and versions are not IPv4, expiry dates are not licences,
 * German passports, `and` / `with` / `to` alone do not make a capitalised word a name
 * (while `talk to`, `account holder` and key-value labels do). Positives and look-alikes each.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileGates, type GateRule, type GateSet, type PiiDetector } from "../../src/gates/mod.ts";
import { compilePolicies } from "../../src/policy/compile.ts";

const only = (detector: PiiDetector): GateSet => compileGates([{ id: detector, type: "pii", detector, action: "redact" } as GateRule]);
const found = (set: GateSet, text: string): string[] => set.scan(text).findings.map((f) => `${f.rule}:${f.match}`);

/** Findings of the shipped default policy's input stage, compiled as the gateway compiles it (first use). */
let defaults: GateSet | undefined;
async function defaultInput(): Promise<GateSet> {
  const url = new URL("../../policies/default.json", import.meta.url);
  defaults ??= (await compilePolicies([{ origin: String(url), text: readFileSync(url, "utf8") }])).defaultPolicy.input;
  return defaults;
}

describe("precedence in the default policy", () => {
  test("a labelled value that validates as a national ID is the ID, not a phone", { timeout: 30_000 }, async () => {
    const set = await defaultInput();
    for (const text of ["Social Insurance Number 271 828 105", "her SIN number is 271-828-113", "Aadhaar number: 3141 5926 5305"]) {
      const ids = found(set, text);
      assert.equal(ids.length, 1, `${text}: ${ids.join(", ")}`);
      assert.match(ids[0]!, /^national-id:/, text);
    }
  });

  test("a phone number that fails every ID checksum is still a phone", { timeout: 30_000 }, async () => {
    const set = await defaultInput();
    assert.deepEqual(found(set, "call me on 415-555-0132"), ["phone:415-555-0132"]);
    assert.deepEqual(found(set, "phone number 020 7946 0958"), ["phone:020 7946 0958"]);
  });
});

describe("Canadian SIN written as nine bare digits", () => {
  const ids = only("national_id");
  test("is found after its label", () => {
    assert.deepEqual(found(ids, "SIN: 271828121"), ["national_id:271828121"]);
    assert.deepEqual(found(ids, "numéro d'assurance sociale 271828105"), ["national_id:271828105"]);
  });
  test("is not found without a label, nor with a failing Luhn digit", () => {
    assert.deepEqual(found(ids, "order 271828121 shipped"), []);
    assert.deepEqual(found(ids, "SIN: 271828122"), []);
  });
});

describe("provider keys made of letters only", () => {
  const keys = only("api_key");
  test("a Hugging Face token of 34 random letters is a key", () => {
    const token = "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";
    assert.deepEqual(found(keys, `export HF_TOKEN=${token}`), [`api_key:${token}`]);
  });
  test("camel-case words after the prefix are not", () => {
    assert.deepEqual(found(keys, "hf_ThisIsMyVeryOwnTokenForTheServer"), []);
    assert.deepEqual(found(keys, "hf_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), []);
  });
});

describe("IPv4 look-alikes", () => {
  const ip = only("ipv4");
  test("object identifiers and labelled versions are not addresses", () => {
    assert.deepEqual(found(ip, "Poll OID 1.3.6.1.2.1.1.3.0 every minute."), []);
    assert.deepEqual(found(ip, "The uptime OID is 1.3.6.1.2.1.1.3.0 on most agents."), []);
    assert.deepEqual(found(ip, "snmpwalk returned MIB: 1.3.6.1.4.1.311"), []);
    assert.deepEqual(found(ip, "Firmware version: 2.10.4.1 is out."), []);
  });
  test("addresses are still found, at the end of a sentence too", () => {
    assert.deepEqual(found(ip, "The gateway is 192.168.10.1."), ["ipv4:192.168.10.1"]);
    assert.deepEqual(found(ip, "blocked 203.0.113.7 after 5 tries"), ["ipv4:203.0.113.7"]);
    assert.deepEqual(found(ip, "| build | 203.0.113.9 |"), ["ipv4:203.0.113.9"]);
  });
});

describe("driver's licences and passports", () => {
  const licence = only("drivers_license"), passport = only("passport_number");
  test("an expiry date after a licence number is not a second licence", () => {
    assert.deepEqual(found(licence, "licence no. K4419027 (valid until 2031-09-14)"), ["drivers_license:K4419027"]);
    assert.deepEqual(found(licence, "driving licence 730 118 462, expires 03-22-2030"), ["drivers_license:730 118 462"]);
  });
  test("a German passport number (restricted alphabet, not five digits in a row) is found after its label", () => {
    assert.deepEqual(found(passport, "Reisepass: C7MX01R4P"), ["passport_number:C7MX01R4P"]);
    assert.deepEqual(found(passport, "passport HZ4TKV9WC"), ["passport_number:HZ4TKV9WC"]);
  });
  test("words and vowel-bearing codes after `passport` are not German passports", () => {
    assert.deepEqual(found(passport, "passport CHECKPOINT"), []);
    assert.deepEqual(found(passport, "passport KA1B2C3D4"), []);
  });
});

describe("conjunctions are no evidence of a name", () => {
  const names = only("person_name");
  test("a surname alone after `and` / `with` / `to` (a firm, a place) is not reported", () => {
    assert.deepEqual(found(names, "The merger of Brightwater and Hargreaves closed."), []);
    assert.deepEqual(found(names, "We signed a deal with Rutherford yesterday."), []);
    assert.deepEqual(found(names, "The tour moves to Lancaster next week."), []);
  });
  test("a greeting marks a single capitalised word as a name; non-names after it are not", () => {
    assert.deepEqual(found(names, "Hi Tobiah, your parcel is late."), ["person_name:Tobiah"]);
    assert.deepEqual(found(names, "Hello Team, standup moved to 10."), []);
  });
  test("`talk to` and key-value labels still mark a name", () => {
    assert.deepEqual(found(names, "Please talk to Gallagher about it."), ["person_name:Gallagher"]);
    assert.deepEqual(found(names, '{"name": "Wanjiru Kamau"}'), ["person_name:Wanjiru Kamau"]);
    assert.deepEqual(found(names, "| account holder | Wanjiru Kamau |"), ["person_name:Wanjiru Kamau"]);
  });
  test("full names after them still are", () => {
    assert.deepEqual(found(names, "I met Maria and John Smith."), ["person_name:Maria", "person_name:John Smith"]);
  });
});

describe("street addresses", () => {
  const address = only("street_address");
  test("USPS suffixes beyond the common ones (Publication 28)", () => {
    assert.deepEqual(found(address, "Mail it to 4021 Juniper Overpass, Dayton, OH 45402 today."), ["street_address:4021 Juniper Overpass, Dayton, OH 45402"]);
    assert.deepEqual(found(address, "We live at 88 Copper Divide."), ["street_address:88 Copper Divide"]);
  });
  test("German prepositional street names with their postcode and city", () => {
    assert.deepEqual(found(address, "Wir wohnen Auf dem Kamp 12, 48149 Münster."), ["street_address:Auf dem Kamp 12, 48149 Münster"]);
    assert.deepEqual(found(address, "Am Dienstag 14 Teilnehmer."), []);
  });
  test("Indian addresses end with the city and a PIN that never starts with 0", () => {
    assert.deepEqual(found(address, "Office: 5 Residency Road, Bengaluru 560 025."), ["street_address:5 Residency Road, Bengaluru 560 025"]);
    assert.deepEqual(found(address, "Office: 5 Residency Road, Bengaluru 060 025."), ["street_address:5 Residency Road"]);
  });
});

describe("tracking numbers", () => {
  const phone = only("phone"), ids = only("national_id");
  test("digit groups after a parcel label are not phones or Aadhaars", () => {
    const text = "UPS tracking number 5271 8340 2296 4410 81, due Monday";
    assert.deepEqual(found(phone, text), []);
    assert.deepEqual(found(ids, "waybill 3141 5926 5305"), []);
  });
  test("a phone after other words is unaffected", () => {
    assert.deepEqual(found(phone, "phone: 415-555-0132"), ["phone:415-555-0132"]);
  });
});

describe("dates of birth in Dutch and Portuguese", () => {
  const dob = only("date_of_birth");
  test("month names and birth words of both languages", () => {
    assert.deepEqual(found(dob, "geboortedatum: 17 oktober 1990"), ["date_of_birth:17 oktober 1990"]);
    assert.deepEqual(found(dob, "nascido em 12 de março de 1980"), ["date_of_birth:12 de março de 1980"]);
  });
  test("the same dates without a birth word, or impossible ones, are not", () => {
    assert.deepEqual(found(dob, "vergadering op 17 oktober 1990"), []);
    assert.deepEqual(found(dob, "geboren op 31 februari 1990"), []);
  });
});

describe("ages of what is not a person", () => {
  test("a pet's, a thing's or an organisation's age is not an age; a person's still is", () => {
    const set = only("age");
    for (const text of ["Her cat is 12 years old.", "My dog was 9 years old when we adopted him.", "the codebase is 15 years old",
      "Our company turned 30 years old last week", "The bridge is 80 years old", "the laptop was 6 yrs old"]) {
      assert.deepEqual(found(set, text), [], text);
    }
    assert.deepEqual(found(set, "My son is 12 years old."), ["age:12 years old"]);
    assert.deepEqual(found(set, "she is 34"), ["age:34"]);
    assert.deepEqual(found(set, "The patient, a cat lover, is 67 years old."), ["age:67 years old"]);
    assert.deepEqual(found(set, "my mom turned 60 years old"), ["age:60 years old"]);
  });
});
