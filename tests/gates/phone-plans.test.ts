/** The generated numbering plans match the installed libphonenumber-js, and the detector reads them; the validator's precheck is sound. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileGates } from "../../src/gates/mod.ts";
import { phoneValidator } from "../../src/gates/pii/phone.ts";
import { phonePlansModule } from "./phone-plans-gen.ts";

describe("phone numbering plans", () => {
  it("src/gates/pii/phone-plans.ts is what libphonenumber-js's metadata gives (else: bun tests/gates/phone-plans-gen.ts)", () => {
    assert.equal(readFileSync(new URL("../../src/gates/pii/phone-plans.ts", import.meta.url), "utf8"), phonePlansModule());
  });

  it("a policy's regions are checked against them, and numbers are judged by their region's lengths", () => {
    assert.throws(() => compileGates([{ id: "p", type: "pii", detector: "phone", action: "redact", options: { regions: ["XX"] } }]), /XX/);
    const gates = compileGates([{ id: "p", type: "pii", detector: "phone", action: "redact", options: { regions: ["GB"] } }]);
    assert.deepEqual(gates.scan("call +44 20 7946 0958 now").findings.map((f) => f.match), ["+44 20 7946 0958"]);
    assert.deepEqual(gates.scan("call +44 20 7946 09 now").findings.map((f) => f.match), []);
  });
});

describe("phone precheck", () => {
  it("refuses only candidates the validator refuses (random digit groups, prefixes, separators, extensions)", () => {
    for (const options of [{}, { context: "optional" as const }, { context: "required" as const }]) {
      const validate = phoneValidator(options);
      fc.assert(fc.property(
        fc.constantFrom("", "+", "+1 ", "00", "011 ", "1", "1-", "(", "0"),
        fc.array(fc.tuple(fc.stringMatching(/^[0-9]{1,5}$/), fc.constantFrom(" ", "-", ".", "/", ") ")), { maxLength: 5 }),
        fc.stringMatching(/^[0-9]{1,8}$/), fc.constantFrom("", " x12", " ext. 4", "#9"), fc.boolean(),
        (prefix, groups, last, extension, withContext) => {
          const text = prefix + groups.map(([g, s]) => g + s).join("") + last + extension;
          const codes = Uint16Array.from(text, (c) => c.charCodeAt(0));
          if (!validate.precheck!(codes, 0, codes.length, withContext)) assert.equal(validate(text, withContext), false, text);
        },
      ), { numRuns: 3000 });
    }
    // The cheap refusals a digit table meets.
    const validate = phoneValidator();
    const codes = (t: string) => Uint16Array.from(t, (c) => c.charCodeAt(0));
    for (const t of ["4111 1111 1111", "1111 1111 1111", "1 1111 1111"]) assert.equal(validate.precheck!(codes(t), 0, t.length, false), false, t);
    for (const t of ["1 555 123 4567", "1-(555) 123-4567", "555 123 4567", "020 7946 0958", "+44 20 7946 0958"]) assert.equal(validate.precheck!(codes(t), 0, t.length, false), true, t);
  });
});
