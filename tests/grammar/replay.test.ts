/**
 * Masks of documents replayed token by token, as the benchmark and a generation meet them: several grammars in turn
 * over one prepared vocabulary, so states inside strings assemble their masks from frame groups shared across
 * grammars (and merged incrementally). Every mask must equal the plain TS walk (`TokenMasks.compute`).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { GrammarAutomaton, GrammarMatcher, schemaGrammar, TokenMasks } from "../../src/grammar/mod.ts";
import { implementations } from "../kernels/impls.ts";
import { CORPUS } from "./corpus.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const vocab = realVocab("cl100k_base");

describe("replayed documents", () => {
  test("every mask of four grammars over one prepared vocabulary equals the TS walk", () => {
    const native = implementations[0]!;
    const trie = preparedTrie(vocab, native);
    for (const name of ["user-profile", "order", "log-entry", "package-json"]) {
      const entry = CORPUS.find((c) => c.name === name)!;
      const masks = new TokenMasks(new GrammarAutomaton(schemaGrammar(entry.schema).grammar), trie, [vocab.eos], native);
      const matcher = new GrammarMatcher(masks);
      const scratch = new Uint32Array(masks.words);
      for (const token of encode(JSON.stringify(entry.valid[0]))) {
        assert.deepEqual(matcher.mask(), masks.compute(matcher.state, scratch), `${name}: state ${matcher.state}`);
        assert.ok(matcher.accept(token), `${name}: token ${token}`);
      }
    }
  });
});
