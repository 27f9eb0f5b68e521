import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGates, GateCompileError, type GateRule, type GateSet, type PiiDetector } from "../../src/gates/mod.ts";
import { chunkAt } from "./fixtures.ts";

const rule = (detector: PiiDetector, extra: Partial<Extract<GateRule, { type: "pii" }>> = {}): GateRule =>
  ({ id: detector, type: "pii", detector, action: "redact", ...extra });
/** The six classic detectors together, as a policy lists them (phone before us_ssn, as in the default policy). */
const CLASSIC: GateRule[] = (["email", "phone", "payment_card", "iban", "us_ssn", "ipv4"] as const).map((d) => rule(d));
const classic = compileGates(CLASSIC);

function streamed(set: GateSet, chunks: readonly string[]): { text: string; findings: unknown[] } {
  const stream = set.open();
  let text = "";
  const findings: unknown[] = [];
  for (const chunk of [...chunks, undefined]) {
    const step = chunk === undefined ? stream.end() : stream.push(chunk);
    text += step.text;
    findings.push(...step.findings);
  }
  return { text, findings };
}

/** `before VALUE after` becomes exactly `before PLACEHOLDER after` whole-text and streamed one unit at a time. */
function redactsWhole(set: GateSet, before: string, value: string, after: string, placeholder: string): void {
  const text = `${before}${value}${after}`;
  const whole = set.scan(text);
  assert.equal(whole.text, `${before}${placeholder}${after}`, `${JSON.stringify(value)} in ${JSON.stringify(text)}`);
  assert.equal(whole.findings.length, 1);
  assert.equal(whole.findings[0]!.match, value);
  const split = streamed(set, text.split(""));
  assert.equal(split.text, whole.text);
  assert.deepEqual(split.findings, whole.findings);
}

describe("whole-value redaction", () => {
  test("phones: extensions, international prefixes and every digit group go with the number", () => {
    for (const value of [
      "+1 518-640-0854 x4587", "001-518-640-0854", "+44 (0)20 7946 0958", "0688 872 49 99", "555-123-4567 ext. 45",
      "(555) 123-4567 extension 12", "+33 1 23 45 67 89", "011 44 20 7946 0958", "1-800-555-0199 x123",
    ]) redactsWhole(classic, "call ", value, " today", "[PHONE]");
  });

  test("emails: the whole local part, non-ASCII letters and apostrophes included", () => {
    for (const value of ["o'connor@example.com", "müller@example.de", "o’neil@example.ie", "josé.garcía@example.es", "用户@example.com", "ivan.petrov@example.ru", "δοκιμή@example.gr"]) {
      redactsWhole(classic, "mail ", value, " now", "[EMAIL]");
    }
    // A quote around an address is punctuation, not part of it.
    redactsWhole(classic, "mail '", "john@example.com", "' now", "[EMAIL]");
  });

  test("obfuscated emails are emails", () => {
    for (const value of ["jane [at] example [dot] com", "jane%40example.com", "jane(at)example(dot)co(dot)uk", "jane [AT] example.com"]) {
      redactsWhole(classic, "write to ", value, " please", "[EMAIL]");
    }
  });

  test("cards: dot-separated, 12-digit Maestro, every group", () => {
    for (const value of ["4111.1111.1111.1111", "501800000009", "6759 1234 5674", "4111 1111 1111 1111", "3782 822463 10005"]) {
      redactsWhole(classic, "card ", value, " charged", "[CARD]");
    }
  });

  test("IBAN in lower case; SSN with dots, en dashes, and bare after a context word", () => {
    redactsWhole(classic, "iban ", "de89 3704 0044 0532 0130 00", " ok", "[IBAN]");
    redactsWhole(classic, "iban ", "gb82west12345698765432", " ok", "[IBAN]");
    redactsWhole(classic, "ssn ", "123.45.6789", " ok", "[SSN]");
    redactsWhole(classic, "ssn ", "123\u201345\u20136789", " ok", "[SSN]");
    redactsWhole(classic, "SSN: ", "123456789", " ok", "[SSN]");
    redactsWhole(classic, "Social Security ", "078051120", " ok", "[SSN]");
  });
});

describe("phones need context words only when the shape is weak", () => {
  test("short national numbers are phones after a context word, and the word stays", () => {
    for (const [before, value] of [
      ["phone: ", "467 3395"], ["Tel. ", "60-56-85-91"], ["contact ", "(37) 788-063"], ["call me at ", "5551234567"],
      ["my mobile number is ", "467 3395"], ["WhatsApp ", "0490 75 40 81"],
    ] as const) redactsWhole(classic, before, value, ".", "[PHONE]");
  });

  test("without a context word (or too far from one) they are left alone", () => {
    for (const text of [
      "order 467 3395 shipped", "score 60-56-85-91", "(37) 788-063", "id 5551234567", "phone me later, because the parcel on the kitchen scale weighs 467 3395 grams",
      "on 2024-01-15 at noon", "version 1.2.3", "+12 3", "ip 192.168.1.100 is up",
    ]) {
      const out = compileGates([rule("phone")]).scan(text);
      assert.deepEqual(out.findings, [], text);
      assert.equal(out.text, text);
    }
  });

  test("options.context: required drops strong shapes without a word; optional takes weak ones", () => {
    const required = compileGates([rule("phone", { options: { context: "required" } })]);
    assert.equal(required.scan("(555) 123-4567").text, "(555) 123-4567");
    assert.equal(required.scan("tel (555) 123-4567").text, "tel [PHONE]");
    const optional = compileGates([rule("phone", { options: { context: "optional" } })]);
    assert.equal(optional.scan("ref 467 3395").text, "ref [PHONE]");
  });

  test("options.regions limits national numbers to those regions; international ones need a real calling code", () => {
    const us = compileGates([rule("phone", { options: { regions: ["US"] } })]);
    assert.equal(us.scan("a 555-123-4567 b").text, "a [PHONE] b");
    assert.equal(us.scan("a 020 7946 0958 b").text, "a 020 7946 0958 b", "a UK national number is not a US one");
    assert.equal(us.scan("a +44 20 7946 0958 b").text, "a [PHONE] b");
    assert.equal(us.scan("a +999 1234 5678 b").text, "a +999 1234 5678 b", "999 is no calling code");
  });
});

describe("context words across chunks", () => {
  test("a context word in an earlier chunk (already released) still counts, with the same findings", () => {
    const text = "Our phone number, for the record: 467 3395. But this count, much later on: 467 3395 is not one.";
    const whole = classic.scan(text);
    assert.equal(whole.text, "Our phone number, for the record: [PHONE]. But this count, much later on: 467 3395 is not one.");
    for (const cuts of [[5], [20, 34, 36], [...text].map((_, i) => i)]) {
      const out = streamed(classic, chunkAt(text, cuts));
      assert.equal(out.text, whole.text);
      assert.deepEqual(out.findings, whole.findings);
    }
  });

  test("a word right before a version string vetoes the IPv4 reading", () => {
    assert.equal(classic.scan("version 1.2.3.4 and release 10.0.0.1").text, "version 1.2.3.4 and release 10.0.0.1");
    assert.equal(classic.scan("host 10.0.0.1, version 2 at 10.0.0.2").text, "host [IP], version 2 at [IP]");
  });
});

describe("false positives", () => {
  test("Luhn-valid numbers outside every card network are not cards", () => {
    // Each of these passes Luhn: ISBN-13s, epoch milliseconds, a FedEx-style 12-digit and an 18-digit tracking number.
    for (const value of ["9780306406156", "9791234567894", "1700000001234", "1732500000002", "787123456784", "961234567890123457"]) {
      const out = classic.scan(`ref ${value} ok`);
      assert.deepEqual(out.findings, [], value);
    }
  });
});

describe("policy options", () => {
  const issues = (rules: GateRule[]): string[] => {
    try {
      compileGates(rules);
    } catch (error) {
      assert.ok(error instanceof GateCompileError);
      return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    }
    return [];
  };

  test("each option names its field when it does not fit the detector", () => {
    assert.deepEqual(issues([rule("email", { options: { regions: ["US"] } })]), ["0.options.regions: only the phone detector takes regions, not email"]);
    assert.deepEqual(issues([rule("iban", { options: { context: "required" } })]), ["0.options.context: the iban detector has no context words"]);
    assert.deepEqual(issues([rule("phone", { options: { regions: ["US", "XX"] } })]), ['0.options.regions.1: unknown phone region "XX"']);
    const schema = issues([{ id: "p", type: "pii", detector: "phone", action: "redact", options: { regions: ["gb"], minScore: 1 } } as unknown as GateRule]);
    assert.ok(schema.some((m) => m.startsWith("0.options.regions.0:") && m.includes("ISO 3166-1 alpha-2")), schema.join("\n"));
    assert.ok(schema.some((m) => m.includes("minScore")), schema.join("\n"));
  });
});

describe("dense inputs", () => {
  const values = [
    "jane.roe@example.com", "o'connor@example.org", "+1 (555) 123-4567", "555-123-4567 x12", "4111 1111 1111 1111",
    "4111111111111111", "DE89 3704 0044 0532 0130 00", "123-45-6789", "10.0.0.1", "2001:db8::1", "phone 467 3395",
    "AKIAIOSFODNN7EXAMPLE", "1.2.3", "x", "0", "@", ".", "-",
  ];
  const all = compileGates([...CLASSIC, rule("ipv6"), rule("aws_access_key")]);
  const dense = fc.array(fc.tuple(fc.constantFrom(...values), fc.constantFrom(" ", ", ", "\n", "", ";")), { minLength: 1, maxLength: 40 })
    .map((parts) => parts.map(([v, sep]) => v + sep).join(""));

  test("property: back-to-back values give the whole-text result in 1-unit and random chunks", { timeout: 60_000 }, () => {
    fc.assert(fc.property(dense, fc.array(fc.nat(), { maxLength: 16 }), (text, cuts) => {
      const whole = all.scan(text);
      for (const chunks of [text.split(""), chunkAt(text, cuts)]) {
        const out = streamed(all, chunks);
        assert.equal(out.text, whole.text);
        assert.deepEqual(out.findings, whole.findings);
      }
    }), { numRuns: 150 });
  });

  // Digit groups glued in every order: phone candidates that absorb each other, rejected and searched again.
  const groups = ["12", "(555)", "0130", "00", "+1", "+44", "(0)20", "555-123-4567", "4111", "1111", "x12", "ext. 4", "phone", "ssn",
    "123-45-6789", "7946", "0958", "-", ".", " ", " ", "/", "a", "@", "10.0.0.1", "version"];
  const digitSoup = fc.array(fc.constantFrom(...groups), { minLength: 1, maxLength: 30 }).map((parts) => parts.join(""));

  test("property: digit groups glued together give the whole-text result in 1-unit and random chunks", { timeout: 60_000 }, () => {
    fc.assert(fc.property(digitSoup, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
      const whole = all.scan(text);
      for (const chunks of [text.split(""), chunkAt(text, cuts)]) {
        const out = streamed(all, chunks);
        assert.equal(out.text, whole.text);
        assert.deepEqual(out.findings, whole.findings);
      }
    }), { numRuns: 200 });
  });

  test("a long run of back-to-back emails finds every one (each finding restarts only the rules it overlaps)", () => {
    const count = 2000;
    const text = Array.from({ length: count }, (_, i) => `user${i}@example.com`).join(" ");
    const out = all.scan(text);
    assert.equal(out.findings.length, count);
    assert.equal(out.text, Array(count).fill("[EMAIL]").join(" "));
  });
});
