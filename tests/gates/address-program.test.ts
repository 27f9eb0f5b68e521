/** The precompiled street-address program is exactly the program its pattern compiles to, and the encoding round-trips. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ADDRESS_PROGRAM_JSON } from "../../src/gates/pii/address-program.ts";
import { factorAlternatives } from "../../src/gates/regex/factor.ts";
import { parseRegex } from "../../src/gates/regex/parse.ts";
import { compileProgram, type Program } from "../../src/gates/regex/program.ts";
import { decodeProgram, encodeProgram } from "../../src/gates/regex/serial.ts";
import { addressProgramFromPattern } from "./address-program.ts";

/** Every field, typed arrays as plain arrays, so a difference names its field. */
const fields = (p: Program) => ({
  start: p.start, caseless: p.caseless, firstNonAscii: p.firstNonAscii, firstAscii: [...p.firstAscii],
  op: [...p.op], arg: [...p.arg], next: [...p.next], alt: [...p.alt], assertSet: [...p.assertSet],
  asciiSets: [...p.asciiSets], ranges: p.ranges.map((r) => [...r]), negated: [...p.negated],
});

test("the stored street-address program is the one its pattern compiles to (else: bun tests/gates/address-program-gen.ts)", { timeout: 60_000 }, () => {
  const stored = decodeProgram(JSON.parse(ADDRESS_PROGRAM_JSON));
  const compiled = addressProgramFromPattern();
  assert.ok(compiled.op.length > 1000, "the address program is the large one this file exists for");
  assert.deepEqual(fields(stored), fields(compiled));
});

test("programs round-trip: sets beyond ASCII, negated sets, case folding, assertions, loops", () => {
  const patterns: [string, boolean][] = [
    ["(?<![A-Za-z])[^\\s@]+@[a-zé\\u0400-\\u04ff]+\\.[a-z]{2,}(?![a-z])", false],
    ["^(?:Straße|Rue|ul\\.)\\s+\\w+$", true],
    ["\\b(a+)+\\B|x{3,7}|\\uD83D[\\uDE00-\\uDE4F]", false],
  ];
  for (const [pattern, caseless] of patterns) {
    const program = compileProgram(factorAlternatives(parseRegex(pattern, { neighbourAssertions: true })), caseless);
    assert.deepEqual(fields(decodeProgram(encodeProgram(program))), fields(program), pattern);
  }
});

test("data of another format or damaged data is refused", () => {
  const data = encodeProgram(compileProgram(parseRegex("ab|cd"), false));
  assert.throws(() => decodeProgram({ ...data, format: 9 }), /format 9, expected 1/);
  assert.throws(() => decodeProgram({ ...data, next: data.next.slice(1) }), /arrays disagree/);
  assert.throws(() => decodeProgram({ ...data, arg: [...data.arg, 0] }), /argument lists/);
});
