/**
 * The C trie walk (`rsk_trie_walk`) native vs WASM vs TS reference: on sampled parser states of the corpus over
 * cl100k_base, every implementation gives the mask of the TS walk (`TokenMasks.compute`, itself checked token by
 * token in masks.test.ts), the same frame analysis (accepted tokens, recorded ranges, nodes visited), and the same
 * status on malformed tries and tables (the kernel checks what it reads; it never trusts an index).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FlatTrie } from "../../ffi/kernels.ts";
import { walk } from "../../ffi/kernels.ts";
import { compileConstraint, DEAD, GrammarAutomaton, schemaGrammar, TokenMasks, TokenTrie } from "../../src/grammar/mod.ts";
import { KernelWalk, type WalkKind, walkerFor } from "../../src/grammar/walk.ts";
import { implementations, prng } from "../kernels/impls.ts";
import { CORPUS } from "./corpus.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const vocab = realVocab("cl100k_base");
const trie = TokenTrie.of(vocab);
const encoder = new TextEncoder();

/** Parser states at random cuts of the corpus's valid documents. */
function sampledStates(n: number, seed: number) {
  const random = prng(seed);
  const docs = CORPUS.flatMap((c) => c.valid.map((v) => ({ schema: c.schema, text: JSON.stringify(v, null, random() < 0.5 ? 1 : 0) })));
  return Array.from({ length: n }, () => {
    const doc = docs[Math.floor(random() * docs.length)]!;
    const constraint = compileConstraint({ kind: "json_schema", schema: doc.schema });
    const bytes = encoder.encode(doc.text);
    const state = constraint.automaton.walk(constraint.automaton.start, bytes, 0, Math.floor(random() * bytes.length));
    assert.notEqual(state, DEAD);
    return { automaton: constraint.automaton, state };
  });
}

describe("trie walk kernel parity (native, wasm, ts)", () => {
  const states = sampledStates(24, 11);

  test("masks equal the TS walk on sampled states, through the direct and the frame paths", () => {
    for (const { automaton, state } of states) {
      const reference = new TokenMasks(automaton, trie, [vocab.eos]);
      const expected = reference.compute(state, new Uint32Array(reference.words));
      for (const k of implementations) {
        const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
        assert.deepEqual(masks.mask(state), expected, `${k.kind}: mask of state ${state}`);
      }
    }
  });

  test("after prepareVocabulary: every state along fresh grammars' documents (shared string frames, closing quotes walked directly) equals the TS walk", { timeout: 120_000 }, () => {
    const docs = ["user-profile", "log-entry", "json-patch", "package-json"].map((name) => {
      const entry = CORPUS.find((c) => c.name === name)!;
      return { schema: entry.schema, bytes: encoder.encode(JSON.stringify(entry.valid[0], null, name === "log-entry" ? 1 : 0)) };
    });
    for (const k of implementations) {
      const copyTrie = preparedTrie(vocab, k);
      for (const { schema, bytes } of docs) {
        const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
        const masks = new TokenMasks(automaton, copyTrie, [vocab.eos], k);
        const reference = new TokenMasks(automaton, copyTrie, [vocab.eos]);
        for (let at = 0, state = automaton.start; at < bytes.length; state = automaton.next(state, bytes[at++]!)) {
          if (at % 3 !== 0 && bytes[at - 1] !== 0x22) continue;
          assert.deepEqual(masks.mask(state), reference.compute(state, new Uint32Array(reference.words)), `${k.kind}: after ${JSON.stringify(new TextDecoder().decode(bytes.subarray(0, at)))}`);
        }
      }
    }
  });

  test("a pattern's character loop is analysed when the masks are created, not in the first step inside it", () => {
    for (const [i, k] of implementations.entries()) {
      const pattern = `^[a-z0-9${"!#%"[i]}-]+$`; // a loop no other test has analysed over this vocabulary
      const automaton = new GrammarAutomaton(schemaGrammar({ type: "object", properties: { slug: { type: "string", pattern } }, required: ["slug"] }).grammar);
      const masks = new TokenMasks(automaton, trie, [vocab.eos], k);
      assert.ok(masks.stats.nodes > 20_000, `${k.kind}: ${masks.stats.nodes} trie nodes walked at creation`);
      for (const prefix of ['{"slug":"', '{"slug":"rsk']) {
        const state = automaton.walk(automaton.start, encoder.encode(prefix));
        const before = masks.stats.nodes;
        const mask = masks.mask(state);
        assert.ok(masks.stats.nodes - before < 20_000, `${k.kind} ${prefix}: ${masks.stats.nodes - before} trie nodes walked`);
        assert.deepEqual(mask, masks.compute(state, new Uint32Array(masks.words)), `${k.kind} ${prefix}`);
      }
    }
  });

  /** One walk of `kind` from `state` on every implementation, checked alike; native's result. */
  function walkEverywhere(automaton: GrammarAutomaton, state: number, kind: WalkKind): { mask: number[]; ranges: number[] } {
    const results = implementations.map((k) => {
      const w = new KernelWalk(automaton, walkerFor(k, trie));
      assert.equal(w.run(state, 0, kind), "done");
      const n = w.walker.cursor()[walk.ranges]!;
      return { mask: Array.from(w.walker.mask()), ranges: Array.from(w.walker.ranges().subarray(0, n)), visited: w.visited };
    });
    assert.deepEqual(results[1], results[0], "wasm = native");
    assert.deepEqual(results[2], results[0], "ts = native");
    return results[0]!;
  }

  test("frame walks: same accepted tokens, ranges and visit counts on every implementation", () => {
    for (const { automaton, state } of states.slice(0, 8)) walkEverywhere(automaton, automaton.frameState(automaton.nodesOf(state)[0] ?? automaton.cut, 3), "frame");
  });

  test("language walks: accepting rows stop the walk and record their subtrees, alike on every implementation", () => {
    const automaton = new GrammarAutomaton(schemaGrammar({ type: "string", pattern: "^[a-z ]+$" }).grammar);
    const inside = automaton.walk(automaton.start, encoder.encode('"'));
    const { mask, ranges } = walkEverywhere(automaton, inside, "language");
    // Tokens of lower-case letters and spaces only are taken; every recorded subtree starts where the string closes.
    for (let t = 0; t < vocab.offsets.length - 1; t++) {
      const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!));
      assert.equal(((mask[t >>> 5]! >>> (t & 31)) & 1) === 1, /^[a-z ]+$/.test(text), JSON.stringify(text));
    }
    const pathTo = (n: number) => {
      const bytes: number[] = [];
      for (let m = n; m >= 0; m = trie.parent[m]!) bytes.push(trie.byte[m]!);
      return Uint8Array.from(bytes.reverse());
    };
    assert.ok(ranges.length > 0);
    for (let r = 0; r < ranges.length; r += 2) assert.equal(automaton.accepting(automaton.walk(inside, pathTo(ranges[r]!))), true);
  });

  test("a frame with more boundary ranges than the buffer holds ends as full (the TS walk takes over)", () => {
    const { automaton, state } = states.find((s) => s.automaton.nodesOf(s.state).length > 3) ?? states[0]!;
    const frame = automaton.frameState(automaton.nodesOf(state)[0]!, 1);
    for (const k of implementations) {
      const w = new KernelWalk(automaton, k.trieWalker(trie.flat, { rows: 1024, ranges: 2 }));
      const end = w.run(frame, 0, "frame");
      assert.ok(end === "full" || (end === "done" && w.walker.cursor()[walk.ranges]! <= 2), `${k.kind}: ${end}`);
    }
  });

  test("a WASM walker keeps working after its memory grows (views are re-taken)", () => {
    const wasm = implementations.find((k) => k.kind === "wasm")!;
    const { automaton, state } = states[1]!;
    const w = new KernelWalk(automaton, walkerFor(wasm, trie));
    assert.equal(w.run(state, 0, "mask"), "done");
    const before = Array.from(w.walker.mask());
    wasm.logits(1_000_000); // grows linear memory: every old view is detached
    assert.equal(w.run(state, 0, "mask"), "done");
    assert.deepEqual(Array.from(w.walker.mask()), before);
  });

  test("a visit limit stops every implementation at the same node", () => {
    const { automaton, state } = states[0]!;
    for (const k of implementations) {
      const w = new KernelWalk(automaton, walkerFor(k, trie));
      const end = w.run(state, 100, "mask");
      assert.equal(end, w.visited >= 100 ? "limited" : "done", k.kind);
      if (end === "limited") assert.equal(w.visited, 100, k.kind);
    }
  });

  test("malformed tries and tables: the same error status everywhere, no out-of-bounds access", () => {
    const random = prng(3);
    const tiny = TokenTrie.of({ bytes: encoder.encode("abacab"), offsets: Uint32Array.from([0, 1, 2, 4, 6]) });
    for (let round = 0; round < 200; round++) {
      const nodes = tiny.flat.nodes.slice();
      nodes[Math.floor(random() * nodes.length)] = Math.floor(random() * 2 ** 32) | 0;
      const broken: FlatTrie = { ...tiny.flat, nodes, maxDepth: 3 };
      const statuses = implementations.map((k) => {
        const walker = k.trieWalker(broken, { rows: 2, ranges: 2 });
        walker.table().fill(1);
        walker.flags().fill(round & 1);
        walker.mask().fill(0);
        walker.cursor().fill(0);
        walker.cursor()[walk.stack] = round & 1 ? walk.cut : 0;
        return [walker.walk(2), Array.from(walker.mask())];
      });
      assert.deepEqual(statuses[1], statuses[0], `round ${round}: wasm = native`);
      assert.deepEqual(statuses[2], statuses[0], `round ${round}: ts = native`);
    }
  });
});
