/** The card and IBAN prechecks refuse only candidates their validators refuse, and pass the real values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { iban, paymentCard } from "../../src/gates/pii/validators.ts";

const codes = (t: string): Uint16Array => Uint16Array.from(t, (c) => c.charCodeAt(0));
/** A digit string completed with its Luhn check digit. */
function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}
/** Groups of 4 (the rest last), joined by `sep`. */
const grouped = (digits: string, sep: string): string => digits.match(/.{1,4}/g)!.join(sep);

describe("validator prechecks", () => {
  it("card: refuses only what isPaymentCard refuses (random digit groups, Luhn-valid or not), passes issued numbers", () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[0-9]{8,21}$/), fc.boolean(), fc.constantFrom("", " ", "-", "."),
      (digits, valid, sep) => {
        const text = grouped(valid ? luhn(digits.slice(1)) : digits, sep);
        if (!paymentCard.precheck(codes(text), 0, text.length)) assert.equal(paymentCard(text), false, text);
      },
    ), { numRuns: 5000 });
    for (const card of ["4111 1111 1111 1111", "5500-0000-0000-0004", "3400 000000 00009", "6011000000000004", "3530111333300000", "5018 0000 0009", "4111.1111.1111.1111"]) {
      assert.equal(paymentCard.precheck(codes(card), 0, card.length), true, card);
      assert.equal(paymentCard(card), true, card);
    }
    // A table's digit groups: wrong length or no network.
    for (const t of ["3704 0044 0532", "0044 0532 0130 00", "1111 1111 1111 1111 1111"]) assert.equal(paymentCard.precheck(codes(t), 0, t.length), false, t);
  });

  it("IBAN: refuses only what isIban refuses (every prefix of grouped IBANs, any case), passes real ones", () => {
    const real = ["DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300", "de89370400440532013000", "BE68 5390 0754 7034"];
    for (const value of real) {
      assert.equal(iban.precheck(codes(value), 0, value.length), true, value);
      assert.equal(iban(value), true, value);
      for (let end = 5; end < value.length; end++) {
        const prefix = value.slice(0, end).trimEnd();
        if (!iban.precheck(codes(prefix), 0, prefix.length)) assert.equal(iban(prefix), false, prefix);
      }
    }
    fc.assert(fc.property(
      fc.stringMatching(/^[A-Za-z]{2}[0-9]{2}$/), fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,4}$/), { minLength: 1, maxLength: 8 }), fc.constantFrom("", " "),
      (head, groups, sep) => {
        const text = head + sep + groups.join(sep);
        if (!iban.precheck(codes(text), 0, text.length)) assert.equal(iban(text), false, text);
      },
    ), { numRuns: 5000 });
  });
});
