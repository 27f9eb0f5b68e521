/** The automaton's byte classes: two bytes share a class exactly when every byte set of the grammar holds both or neither. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GrammarAutomaton, schemaGrammar } from "../../src/grammar/mod.ts";
import { CORPUS } from "./corpus.ts";

describe("byte classes", () => {
  test("equal exactly to the partition by set membership (20 corpus schemas)", () => {
    for (const entry of CORPUS.slice(0, 20)) {
      const { grammar } = schemaGrammar(entry.schema, { lenient: true });
      const automaton = new GrammarAutomaton(grammar);
      const membership = (b: number) => {
        let key = "";
        for (let s = 0; s * 8 < grammar.sets.length; s++) key += (grammar.sets[s * 8 + (b >> 5)]! >>> (b & 31)) & 1;
        return key;
      };
      const keys = Array.from({ length: 256 }, (_, b) => membership(b));
      for (let x = 0; x < 256; x++) {
        const expected = keys.flatMap((k, y) => (k === keys[x] ? [y] : []));
        assert.deepEqual(Array.from(automaton.byteClass(x)), expected, `${entry.name}: class of byte ${x}`);
      }
    }
  });
});
