/** The generated numbering plans match the installed libphonenumber-js, and the detector reads them. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { compileGates } from "../../src/gates/mod.ts";
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
