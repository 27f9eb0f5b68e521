/**
 * Bounded JSON strings masked from the plain body's analysis cut by character count (`CharRuns`, issue 17's slow steps), and keys of open objects past every listed name:
 * at every state along documents of length-bounded strings in several contexts (object values and keys, arrays,
 * `anyOf`, exact lengths, minimums, escapes, multi-byte characters, strings right at their bound, runs closed by
 * different followers), the mask equals the TS walk
 * (`TokenMasks.compute`, checked token by token in masks.test.ts), on every kernel implementation.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, schemaGrammar, TokenMasks } from "../../src/grammar/mod.ts";
import { bodyChars, CharRuns, tokenCharCounts } from "../../src/grammar/runs.ts";
import { implementations } from "../kernels/impls.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const vocab = realVocab("cl100k_base");
const encoder = new TextEncoder();

const CASES: { schema: Record<string, unknown>; docs: unknown[] }[] = [
  { schema: { type: "string", maxLength: 5 }, docs: ["abcde", "a\\\"é", ""] },
  { schema: { type: "object", properties: { name: { type: "string", minLength: 1, maxLength: 12 }, n: { type: "integer" } } }, docs: [{ name: "hello world!", n: 1 }, { name: "é€😀\n\"x", n: 2 }] },
  { schema: { type: "array", items: { type: "string", minLength: 2, maxLength: 3 } }, docs: [["ab", "abc"], { json: '["\\u0041x", "\\n\\u00e9"]' }] },
  { schema: { type: "array", items: { type: "string", minLength: 4, maxLength: 4 } }, docs: [["abcd", "    ", "a\tbc"]] },
  { schema: { type: "object", properties: { t: { type: "string", maxLength: 200 }, u: { type: "string", minLength: 1 } } }, docs: [{ t: "The quick brown fox jumps over the lazy dog. ".repeat(4), u: "x" }] },
  { schema: { anyOf: [{ type: "string", maxLength: 3 }, { type: "string", minLength: 6, maxLength: 8 }, { type: "integer" }] }, docs: ["abc", "abcdefg", 12] },
  { schema: { type: "object", additionalProperties: { type: "string", maxLength: 4 }, propertyNames: { maxLength: 6 } }, docs: [{ abcdef: "abcd", k: "" }] },
  { schema: { type: "object", properties: { owner_email: { type: "string" }, other: { type: "integer" } } }, docs: [{ owner_email: "x", owner: "y", o: 1, "ówner": 2, "\u0077x": 3, owner_emails: [] }] },
  // Runs closed by different followers (`",` `"}` `":`), with a minimum, two runs of different counts in one state.
  { schema: { type: "object", properties: { a: { type: "string", minLength: 3, maxLength: 5 }, b: { type: "string", maxLength: 2 } }, required: ["a", "b"], additionalProperties: false }, docs: [{ a: "abc", b: "" }, { a: 'ab"cd', b: "é😀" }, { a: "\\\\\\", b: "\u00e9" }] },
  { schema: { type: "array", items: { anyOf: [{ type: "string", maxLength: 1 }, { type: "string", minLength: 3, maxLength: 3 }] } }, docs: [["a", "abc", "", "é€😀"]] },
  { schema: { type: "object", propertyNames: { minLength: 2, maxLength: 3 }, additionalProperties: { type: "integer" } }, docs: [{ ab: 1, "a\"c": 2, "éé": 3 }] },
];

describe("character runs of bounded strings", () => {
  test("char counts: escapes and multi-byte characters count once, partial ones as started", () => {
    const bytes = encoder.encode('ab\\n\\u00e9é€\\');
    const offsets = [0, 2, 4, 10, 12, 15, 16];
    assert.deepEqual([...tokenCharCounts(bytes, offsets, 6)], [2, 1, 1, 1, 1, 1]);
  });

  test("body paths: whole characters counted, a path ending inside an escape or a multi-byte character is -1", () => {
    const chars = (text: string, drop = 0) => bodyChars([...encoder.encode(text)].slice(0, encoder.encode(text).length - drop));
    assert.deepEqual([chars("ab"), chars("a\\\\"), chars("\\u00e9x"), chars("é€😀"), chars("")], [2, 2, 2, 3, 0]);
    assert.deepEqual([chars("a\\\\", 1), chars("\\u00e9", 2), chars("é", 1), chars("😀", 3)], [-1, -1, -1, -1]);
  });

  test("a schema's string grammar has runs; a GBNF-shaped grammar without the JSON character rule has none", () => {
    assert.ok(CharRuns.of(schemaGrammar({ type: "string", maxLength: 3 }).grammar));
    assert.equal(CharRuns.of({ ...schemaGrammar({ type: "string", maxLength: 3 }).grammar, jsonChar: undefined }), undefined);
  });

  test("a 200-character string is masked without walking the vocabulary once per position", { timeout: 60_000 }, () => {
    const k = implementations[0]!;
    const trie = preparedTrie(vocab, k);
    const automaton = new GrammarAutomaton(schemaGrammar({ type: "object", properties: { t: { type: "string", maxLength: 200 } } }).grammar);
    const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
    masks.mask(automaton.walk(automaton.start, encoder.encode('{"t":"')));
    const before = masks.stats.nodes;
    const bytes = encoder.encode("The quick brown fox jumps over the lazy dog. ".repeat(4));
    let state = automaton.walk(automaton.start, encoder.encode('{"t":"'));
    for (const b of bytes) masks.mask((state = automaton.next(state, b)));
    assert.ok(masks.stats.nodes - before < bytes.length * 8192, `${masks.stats.nodes - before} trie nodes for ${bytes.length} positions (trie: ${trie.size})`);
  });

  test("every state along the documents: mask equals the TS walk (fresh vocabulary copy per implementation)", { timeout: 120_000 }, () => {
    for (const k of implementations) {
      const trie = preparedTrie(vocab, k);
      for (const { schema, docs } of CASES) {
        const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
        const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
        const reference = new TokenMasks(automaton, trie, [vocab.eos]);
        for (const doc of docs) {
          const text = typeof doc === "object" && doc !== null && "json" in doc ? String(doc.json) : JSON.stringify(doc);
          const bytes = encoder.encode(text);
          let state = automaton.start;
          for (let at = 0; at <= bytes.length; at++) {
            assert.deepEqual(masks.mask(state), reference.compute(state, new Uint32Array(reference.words)), `${k.kind}: ${JSON.stringify(schema)} at ${at} of ${text}`);
            if (at < bytes.length) state = automaton.next(state, bytes[at]!);
            assert.notEqual(state, DEAD, `${text} is valid at ${at}`);
          }
        }
      }
    }
  });
});
