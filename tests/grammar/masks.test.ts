/**
 * Mask soundness on sampled parser states over a real vocabulary (cl100k_base): a token is in the mask exactly when
 * its bytes keep the text a viable prefix (checked token by token against the automaton, independently of the trie
 * walk), and end-of-text exactly where the grammar accepts. Plus the matcher's contract.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compileConstraint, DEAD, GrammarAutomaton, GrammarMatcher, schemaGrammar, TokenMasks, TokenTrie } from "../../src/grammar/mod.ts";
import { masksFor } from "../../src/grammar/vocabulary.ts";
import { CORPUS } from "./corpus.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const encoder = new TextEncoder();
const vocab = realVocab("cl100k_base");
const nTokens = vocab.offsets.length - 1;
const has = (mask: Uint32Array, t: number) => ((mask[t >>> 5]! >>> (t & 31)) & 1) === 1;

describe("token masks", () => {
  test("trie holds every non-empty token once", () => {
    const trie = TokenTrie.of(vocab);
    assert.equal(trie.ids.length, nTokens - 1);
    assert.equal(new Set(trie.ids).size, trie.ids.length);
    assert.equal(trie.tokenStart[trie.size], trie.ids.length);
  });

  test("mask == per-token viability on sampled states (cl100k_base)", () => {
    const samples = CORPUS.flatMap((c) => c.valid.map((v) => ({ schema: c.schema, text: JSON.stringify(v, null, 1) })));
    fc.assert(fc.property(fc.nat(samples.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (i, cut) => {
      const { schema, text } = samples[i]!;
      const constraint = compileConstraint({ kind: "json_schema", schema });
      const masks = masksFor(constraint, vocab, [vocab.eos]);
      const { automaton } = constraint;
      const bytes = encoder.encode(text);
      const state = automaton.walk(automaton.start, bytes, 0, Math.floor(cut * bytes.length));
      assert.notEqual(state, DEAD);
      const mask = masks.compute(state, new Uint32Array(masks.words));
      for (let t = 0; t < nTokens; t++) {
        const piece = vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!);
        const expected = t === vocab.eos ? automaton.accepting(state) : piece.length > 0 && automaton.walk(state, piece) !== DEAD;
        if (has(mask, t) !== expected) assert.fail(`token ${t} ${JSON.stringify(new TextDecoder().decode(piece))}: mask ${has(mask, t)}, viable ${expected}`);
      }
      assert.deepEqual(masks.mask(state), mask, "cached mask equals a fresh walk");
    }), { numRuns: 48, seed: 5 });
  });

  test("a string body is analysed once per vocabulary: another schema's string state walks only its closing quote", () => {
    const trie = TokenTrie.of(vocab);
    const inString = (schema: object, prefix: string) => {
      const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
      const masks = new TokenMasks(automaton, trie, [vocab.eos]);
      return { masks, state: automaton.walk(automaton.start, encoder.encode(prefix)) };
    };
    const first = inString({ type: "object", properties: { name: { type: "string" } }, required: ["name"] }, '{"name": "Ad');
    first.masks.mask(first.state);
    const second = inString({ type: "array", items: { type: "string" }, maxItems: 3 }, '["x", "ab');
    const mask = second.masks.mask(second.state);
    assert.ok(second.masks.stats.nodes < 2000, `${second.masks.stats.nodes} trie nodes walked (a full walk is ~200k)`);
    assert.deepEqual(mask, second.masks.compute(second.state, new Uint32Array(second.masks.words)));
  });

  test("a prepared vocabulary analyses format strings once: an email inside any object walks no wide subtree", () => {
    const trie = preparedTrie(vocab);
    const automaton = new GrammarAutomaton(schemaGrammar({ type: "object", properties: { id: { type: "integer" }, contact: { type: "string", format: "email" } } }).grammar);
    const masks = new TokenMasks(automaton, trie, [vocab.eos]);
    for (const prefix of ['{"id": 1, "contact": "', '{"contact": "ada.l', '{"contact": "ada@exam']) {
      const state = automaton.walk(automaton.start, encoder.encode(prefix));
      const before = masks.stats.nodes;
      const mask = masks.mask(state);
      assert.ok(masks.stats.nodes - before < 10_000, `${prefix}: ${masks.stats.nodes - before} trie nodes walked`);
      assert.deepEqual(mask, masks.compute(state, new Uint32Array(masks.words)), prefix);
    }
  });

  test("matcher: greedy-by-mask tokenization of an instance is accepted and ends only where accepting", () => {
    const constraint = compileConstraint({ kind: "json_schema", schema: CORPUS.find((c) => c.name === "order")!.schema });
    const masks = masksFor(constraint, vocab, [vocab.eos]);
    const m = new GrammarMatcher(masks);
    const text = '{"order_id": 7, "items": [{"sku": "a", "qty": 2}], "status": "shipped"}';
    const bytes = encoder.encode(text);
    const trie = TokenTrie.of(vocab);
    let at = 0;
    while (at < bytes.length) {
      assert.ok(!has(m.mask(), vocab.eos), `end-of-text allowed at byte ${at}`);
      // Longest token that is a prefix of the rest (always one: every byte is a token).
      let best = -1;
      for (let t = 0; t < nTokens; t++) {
        const p = trie.tokenBytes(t);
        if (p.length > 0 && at + p.length <= bytes.length && (best < 0 || p.length > trie.tokenBytes(best).length) && p.every((b, k) => b === bytes[at + k])) best = t;
      }
      assert.ok(has(m.mask(), best), `token ${best} at byte ${at} not in mask`);
      assert.ok(m.accept(best));
      at += trie.tokenBytes(best).length;
    }
    assert.ok(m.accepting && has(m.mask(), vocab.eos));
    assert.ok(m.accept(vocab.eos));
    const dead = new GrammarMatcher(masks);
    assert.equal(dead.accept(vocab.eos), false, "end-of-text before the grammar accepts kills the matcher");
  });
});
