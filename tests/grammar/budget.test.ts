/**
 * The process-wide mask budget: every grammar's cached masks count against it, and past it the least recently used
 * grammars' caches are dropped (their states are walked again on the next visit, and give the same masks).
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { DEFAULT_MASK_CACHE_BYTES, GrammarAutomaton, maskCacheBytes, schemaGrammar, setMaskCacheBudget, TokenMasks, TokenTrie } from "../../src/grammar/mod.ts";
import { realVocab } from "./vocab.ts";

const vocab = realVocab("cl100k_base");
const trie = TokenTrie.of(vocab);
const encoder = new TextEncoder();

/** A grammar's masks, and its states after each prefix. */
function grammar(schema: object, prefixes: string[]) {
  const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
  const masks = new TokenMasks(automaton, trie, [vocab.eos]);
  return { masks, states: prefixes.map((p) => automaton.walk(automaton.start, encoder.encode(p))) };
}

describe("mask budget", () => {
  afterEach(() => setMaskCacheBudget(DEFAULT_MASK_CACHE_BYTES));

  test("past the budget, the least recently used grammar's cache is dropped, and its masks come back equal", () => {
    const a = grammar({ type: "object", properties: { n: { type: "integer" } } }, ['{"n": ', '{"n": 1']);
    const b = grammar({ type: "array", items: { type: "boolean" } }, ["[", "[true"]);
    const maskBytes = a.masks.words * 4;
    setMaskCacheBudget(1); // drops every cache other tests of this process left
    assert.equal(maskCacheBytes(), 0);
    setMaskCacheBudget(3 * maskBytes);
    const first = a.states.map((s) => a.masks.mask(s).slice());
    assert.equal(maskCacheBytes(), 2 * maskBytes);
    b.masks.mask(b.states[0]!);
    b.masks.mask(b.states[1]!); // the fourth mask: a (least recently used) is dropped
    assert.equal(maskCacheBytes(), 2 * maskBytes, "b's two masks");
    const walks = a.masks.stats.walks;
    const again = a.states.map((s) => a.masks.mask(s));
    assert.equal(a.masks.stats.walks, walks + 2, "a's states are walked again");
    assert.deepEqual(again, first);
    assert.ok(maskCacheBytes() <= 3 * maskBytes, `${maskCacheBytes()} bytes cached`);
  });

  test("a budget must be a positive whole number of bytes", () => {
    assert.throws(() => setMaskCacheBudget(0), RangeError);
    assert.throws(() => setMaskCacheBudget(1.5), RangeError);
  });
});
