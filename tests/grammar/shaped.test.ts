/**
 * Strings whose `pattern` / `format` (or key language) is bounded by a length (`shaped.ts`): the length is a counter
 * beside the automaton, and masks derive each position's frame from the automaton state's analysis cut by character
 * count. Checked: the language is still exactly the intersection (ajv as judge), and at every state along documents
 * (values right at their bounds, short of a minimum, multi-byte and escaped characters, keys) the mask equals the TS
 * walk (`TokenMasks.compute`, checked token by token in masks.test.ts), on every kernel implementation.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, test } from "node:test";
import { DEAD, GrammarAutomaton, schemaGrammar, TokenMasks } from "../../src/grammar/mod.ts";
import { dfaAccepts, minimize, patternDfa, trim } from "../../src/grammar/dfa.ts";
import { shapedLanguage } from "../../src/grammar/shaped.ts";
import { toolCallConstraint } from "../../src/grammar/tool-call.ts";
import { HERMES } from "../../src/backends/local/tool-syntax.ts";
import { implementations } from "../kernels/impls.ts";
import { ajvValid } from "./ajv.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const vocab = realVocab("cl100k_base");
const encoder = new TextEncoder();

const CASES: { schema: Record<string, unknown>; docs: unknown[] }[] = [
  { schema: { type: "object", properties: { e: { type: "string", format: "email", maxLength: 30 } } }, docs: [{ e: `${"a".repeat(20)}@ex.com` }, { e: "ab.cd@e-x.co.uk" }, { e: `a@b.c${"d".repeat(25)}` }] },
  { schema: { type: "array", items: { type: "string", pattern: "^[a-z0-9-]+$", minLength: 3, maxLength: 12 } }, docs: [["abc-def-ghij", "abc", "0-0"]] },
  { schema: { type: "string", format: "uri", minLength: 10, maxLength: 40 }, docs: ["https://example.com/a/b?c=d#e", "a:bcdefghi"] },
  { schema: { type: "array", items: { type: "string", pattern: "(alpha|bravo|charlie)[0-9]+", maxLength: 20 } }, docs: [["x alpha0 y", "bravo12", `${"z".repeat(12)}charlie1`]] },
  { schema: { type: "string", pattern: "^[^\\\\\"]+$", minLength: 2, maxLength: 40 }, docs: ["héllo wörld € 😀 ok", "ab"] },
  // Not every length from a state's distance on reaches acceptance: counts short of the minimum are checked per state.
  { schema: { type: "array", items: { type: "string", pattern: "^(a|bbbbbbb)(c|dddd)$", minLength: 5, maxLength: 11 } }, docs: [["adddd", "bbbbbbbc", "bbbbbbbdddd"]] },
  { schema: { type: "object", patternProperties: { "^[a-z]+$": { type: "boolean" } }, additionalProperties: false }, docs: [{ node: true, browser: false }] },
  // Escaped characters inside a bounded language: after a backslash the stack is in the escape's rule, not at a character start.
  { schema: { type: "array", items: { type: "string", pattern: "^[a-z\"\\\\/]+$", maxLength: 6 } }, docs: [['a"b\\c', "x/y", '""""""']] },
  { schema: { type: "object", propertyNames: { minLength: 2, maxLength: 3 }, additionalProperties: { type: "integer" } }, docs: [{ ab: 1, 'a"c': 2, "\\\\": 3 }] },
  { schema: { type: "object", additionalProperties: { type: "integer" }, propertyNames: { pattern: "^[a-z_]{1,6}$" } }, docs: [{ ab_cd: 1, i: 2, abcdef: 3 }] },
];

describe("bounded automaton strings", () => {
  test("the language is the intersection: verdicts agree with ajv at and around the bounds", () => {
    const schemas: [Record<string, unknown>, string[]][] = [
      [{ type: "string", format: "email", maxLength: 12 }, ["a@b.co", "abcdef@gh.io", "abcdefg@gh.io", "a@b", "@b.co", "a.b@c.de"]],
      [{ type: "string", pattern: "^[a-z0-9-]+$", minLength: 3, maxLength: 5 }, ["ab", "abc", "abcde", "abcdef", "ab_c", "a-1"]],
      [{ type: "string", pattern: "^(a|bbbbbbb)(c|dddd)$", minLength: 5, maxLength: 9 }, ["ac", "adddd", "bbbbbbbc", "bbbbbbbdddd", "bbbbbbbdd"]],
      [{ type: "string", format: "uri", minLength: 10 }, ["a:b", "https://x.io", "ftp://a b"]],
      [{ type: "string", pattern: "x", not: { enum: ["xy"] }, maxLength: 3 }, ["x", "xy", "xyz", "yyyx", "ab"]],
    ];
    for (const [schema, values] of schemas) {
      const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
      for (const v of values) {
        const s = automaton.walk(automaton.start, encoder.encode(JSON.stringify(v)));
        assert.equal(s !== DEAD && automaton.accepting(s), ajvValid(schema, v), `${JSON.stringify(schema)} on ${JSON.stringify(v)}`);
      }
    }
  });

  test("minimized automata accept the same strings, with no two states alike (and a loop's entry and body merged)", () => {
    const patterns = ["^[a-z]+$", "(alpha|bravo|charlie)[0-9]+", "^[^@]+@[^@]+$", "^(a|bbbbbbb)(c|dddd)$", "^[a-z0-9-]+$", "^(ab|a)*b?$", "x", "^[a-c]{2,4}[0-9]?$"];
    for (const pattern of patterns) {
      for (const mode of ["full", "search"] as const) {
        const dfa = trim(patternDfa(pattern, mode, "p", () => {})), min = minimize(dfa);
        assert.ok(min.accept.length <= dfa.accept.length);
        assert.equal(minimize(min), min, `${pattern} (${mode}): minimizing twice changes nothing`);
        fc.assert(fc.property(fc.string({ unit: fc.constantFrom(..."abcx019@-ly"), maxLength: 12 }), (text) => dfaAccepts(min, text) === dfaAccepts(dfa, text)), { numRuns: 300 });
      }
    }
    assert.equal(minimize(trim(patternDfa("^[a-z]+$", "full", "p", () => {}))).accept.length, 2);
  });

  test("a hostile pattern cannot make minimization quadratic: a long chain comes back unminimized, still exact", () => {
    // `^a{3000}$|^b{3000}$`: its two chains need ~3,000 refinement rounds, over the work bound; a short one is minimized.
    const long = trim(patternDfa("^(?:a{1000}|b{1000})$", "full", "p", () => {}));
    assert.equal(minimize(long), long);
    const short = trim(patternDfa("^(?:a{30}|b{30})$", "full", "p", () => {}));
    assert.ok(minimize(short).accept.length < short.accept.length);
    for (const text of ["a".repeat(30), "b".repeat(30), "a".repeat(29) + "b"]) assert.equal(dfaAccepts(minimize(short), text), dfaAccepts(short, text));
  });

  test("states that reach acceptance in every longer count are told apart from those that do not", () => {
    const open = shapedLanguage(patternDfa("^[a-z]+@[a-z]+$", "full", "p", () => {}));
    assert.ok(open.saturated.every((v) => v === 1));
    const gappy = shapedLanguage(patternDfa("^(a|bbbbbbb)$", "full", "p", () => {}));
    assert.equal(gappy.saturated[0], 0, "from the start: 1 or 7 characters, not 2");
    assert.equal(gappy.far, 6);
  });

  test("every state along the documents: mask equals the TS walk (fresh vocabulary copy per implementation)", { timeout: 240_000 }, () => {
    for (const k of implementations) {
      const trie = preparedTrie(vocab, k);
      for (const { schema, docs } of CASES) {
        const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
        assert.ok(automaton.grammar.shaped, `${JSON.stringify(schema)} has product rules`);
        const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
        const reference = new TokenMasks(automaton, trie, [vocab.eos]);
        for (const doc of docs) {
          const bytes = encoder.encode(JSON.stringify(doc));
          let state = automaton.start;
          for (let at = 0; at <= bytes.length; at++) {
            assert.deepEqual(masks.mask(state), reference.compute(state, new Uint32Array(reference.words)), `${k.kind}: ${JSON.stringify(schema)} at ${at} of ${JSON.stringify(doc)}`);
            if (at < bytes.length) state = automaton.next(state, bytes[at]!);
            assert.notEqual(state, DEAD, `${JSON.stringify(doc)} is valid at ${at}`);
          }
        }
      }
    }
  });

  test("a bounded email is masked from the format's prepared analyses: no position walks the vocabulary", { timeout: 60_000 }, () => {
    const k = implementations[0]!;
    const trie = preparedTrie(vocab, k);
    const automaton = new GrammarAutomaton(schemaGrammar({ type: "object", properties: { owner: { type: "string", format: "email", maxLength: 100 } } }).grammar);
    const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
    let state = automaton.walk(automaton.start, encoder.encode('{"owner":"'));
    const before = masks.stats.nodes;
    for (const b of encoder.encode("ops.team@mail.example.com")) masks.mask((state = automaton.next(state, b)));
    assert.ok(masks.stats.nodes - before < 25 * 2048, `${masks.stats.nodes - before} trie nodes for 25 positions (trie: ${trie.size})`);
  });

  test("a strict tool's call grammar keeps its shaped strings: masks equal the TS walk, a bounded email walks no vocabulary", { timeout: 60_000 }, () => {
    const k = implementations[0]!;
    const trie = preparedTrie(vocab, k);
    const tool = { name: "mail", parameters: { type: "object", properties: { to: { type: "string", format: "email", maxLength: 100 } }, required: ["to"] } };
    const { automaton } = toolCallConstraint([tool], HERMES, false);
    assert.ok(automaton.grammar.shaped, "the wrapped grammar has the parameters' product rules");
    const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
    const reference = new TokenMasks(automaton, trie, [vocab.eos]);
    let state = automaton.walk(automaton.start, encoder.encode(`${HERMES.opener}{"name": "mail", "arguments": {"to": "`));
    assert.notEqual(state, DEAD);
    const before = masks.stats.nodes;
    for (const b of encoder.encode("ops.team@mail.example.com")) {
      state = automaton.next(state, b);
      assert.deepEqual(masks.mask(state), reference.compute(state, new Uint32Array(reference.words)));
    }
    assert.ok(masks.stats.nodes - before < 25 * 2048, `${masks.stats.nodes - before} trie nodes for 25 positions (trie: ${trie.size})`);
  });
});
