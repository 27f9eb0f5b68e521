/** The schema corpus byte by byte: valid instances (compact and pretty-printed) accepted at every prefix, invalid ones rejected; ajv agrees on every instance. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileConstraint, DEAD, type GrammarAutomaton } from "../../src/grammar/mod.ts";
import { ajvValid } from "./ajv.ts";
import { CORPUS } from "./corpus.ts";

const encoder = new TextEncoder();

/** -1 if every prefix is viable and the whole text accepted; else the byte offset where it died (or the length). */
function firstFailure(automaton: GrammarAutomaton, text: string): number {
  const bytes = encoder.encode(text);
  let s = automaton.start;
  for (let i = 0; i < bytes.length; i++) {
    s = automaton.next(s, bytes[i]!);
    if (s === DEAD) return i;
  }
  return automaton.accepting(s) ? -1 : bytes.length;
}

describe("schema corpus", () => {
  test("has at least 100 schemas", () => {
    assert.ok(CORPUS.length >= 100, `${CORPUS.length} schemas`);
    assert.equal(new Set(CORPUS.map((c) => c.name)).size, CORPUS.length);
  });

  for (const entry of CORPUS) {
    test(entry.name, () => {
      const { automaton } = compileConstraint({ kind: "json_schema", schema: entry.schema });
      for (const value of entry.valid) {
        assert.ok(ajvValid(entry.schema, value), `corpus bug: ajv rejects valid ${JSON.stringify(value)}`);
        for (const text of [JSON.stringify(value), JSON.stringify(value, null, 1)]) {
          const at = firstFailure(automaton, text);
          assert.equal(at, -1, `valid ${JSON.stringify(text)} refused at byte ${at}`);
        }
      }
      for (const value of entry.invalid) {
        assert.ok(!ajvValid(entry.schema, value), `corpus bug: ajv accepts invalid ${JSON.stringify(value)}`);
        assert.notEqual(firstFailure(automaton, JSON.stringify(value)), -1, `invalid ${JSON.stringify(value)} accepted`);
      }
      for (const text of entry.rawInvalid ?? []) assert.notEqual(firstFailure(automaton, text), -1, `malformed ${JSON.stringify(text)} accepted`);
    });
  }
});
