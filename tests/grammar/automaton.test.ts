/**
 * The automaton's byte classes (two bytes share a class exactly when every byte set of the grammar holds both or
 * neither), and its transitions against a step computed from the grammar itself.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD } from "../../src/grammar/automaton.ts";
import { END, type Grammar, setHas } from "../../src/grammar/grammar.ts";
import { GrammarAutomaton, schemaGrammar } from "../../src/grammar/mod.ts";
import { CORPUS } from "./corpus.ts";
import { STRESS } from "./stress.ts";

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

/** The stacks (positions, top first) after `byte` from `stacks`, stepped from the grammar itself (tail calls do not push). */
function referenceStep(grammar: Grammar, stacks: readonly number[][], byte: number): { stacks: Set<string>; accept: boolean } {
  const out = new Set<string>();
  let accept = false;
  const expand = (pos: number, below: number[]): void => {
    for (;;) {
      const e = grammar.elems[pos]!;
      if (e === END) {
        if (below.length === 0) return void (accept = true);
        [pos, below] = [below[0]!, below.slice(1)];
        continue;
      }
      if (e >= 0) return void out.add([pos, ...below].join(","));
      const ret = grammar.elems[pos + 1] === END ? below : [pos + 1, ...below];
      for (const a of grammar.ruleAlts[-2 - e]!) expand(a, ret);
      return;
    }
  };
  for (const [top, ...below] of stacks) if (setHas(grammar.sets, grammar.elems[top!]!, byte)) expand(top! + 1, below);
  return { stacks: out, accept };
}

describe("transitions", () => {
  test("every transition the table holds is the grammar's step, whichever byte of its class filled it (20 corpus schemas, states of many stacks)", () => {
    let checked = 0;
    const wide = STRESS.filter((e) => e.name === "alternation-unanchored" || e.name === "wide-anyOf").map((e) => ({ name: e.name, schema: e.schema, valid: e.instances, invalid: [] }));
    for (const entry of [...CORPUS.slice(20, 40), ...wide]) {
      const { grammar } = schemaGrammar(entry.schema, { lenient: true });
      const automaton = new GrammarAutomaton(grammar);
      const stacksOf = (state: number) => Array.from(automaton.nodesOf(state), (n) => {
        const positions: number[] = [];
        for (let m = n; m >= 0; m = automaton.parentOf(m)) positions.push(automaton.positionOf(m));
        return positions;
      });
      // Documents fill the table (one step per class and state, shared by the classes the same stacks take).
      for (const doc of [...entry.valid, ...entry.invalid]) automaton.walk(automaton.start, new TextEncoder().encode(JSON.stringify(doc)));
      for (let state = 0; state < automaton.states; state++) {
        for (let b = 0; b < 256; b++) {
          const v = automaton.table[state * automaton.width + automaton.classOf[b]!]!;
          if (v === 0) continue;
          const expected = referenceStep(grammar, stacksOf(state), b);
          const dead = expected.stacks.size === 0 && !expected.accept;
          assert.equal(v === DEAD, dead, `${entry.name}: state ${state} byte ${b}`);
          if (dead) continue;
          assert.deepEqual(new Set(stacksOf(v - 1).map((s) => s.join(","))), expected.stacks, `${entry.name}: state ${state} byte ${b}`);
          assert.equal(automaton.accepting(v - 1), expected.accept, `${entry.name}: state ${state} byte ${b} accepting`);
          checked++;
        }
      }
    }
    assert.ok(checked > 2000, `only ${checked} transitions checked`);
  });
});
