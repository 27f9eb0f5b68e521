/** The street-address program compiled from its pattern, as compile.ts compiles a built-in detector's program. */
import { STREET_ADDRESS_PATTERN } from "../../src/gates/pii/addresses.ts";
import { factorAlternatives } from "../../src/gates/regex/factor.ts";
import { parseRegex } from "../../src/gates/regex/parse.ts";
import { compileProgram, type Program } from "../../src/gates/regex/program.ts";

/** Compile the street-address pattern (no validator or context words, so its alternatives are factored). */
export const addressProgramFromPattern = (): Program =>
  compileProgram(factorAlternatives(parseRegex(STREET_ADDRESS_PATTERN, { neighbourAssertions: true })), false);
