/**
 * Token masks over a model's vocabulary, walked by the process's kernels (native → WASM → TS, chosen by
 * `ffi/mod.ts`): the local backend's side of grammar-constrained decoding. Masks are shared per (automaton, vocabulary).
 */
import type { Kernels } from "../../ffi/kernels.ts";
import { kernels as processKernels } from "../../ffi/mod.ts";
import { GrammarAutomaton } from "./automaton.ts";
import type { Constraint } from "./compile.ts";
import { reserveMasks, TokenMasks } from "./masks.ts";
import { FORMAT_EXAMPLES, schemaGrammar } from "./schema.ts";
import { TokenTrie, type VocabularyBytes } from "./trie.ts";

const masksByAutomaton = new WeakMap<GrammarAutomaton, Map<TokenTrie, TokenMasks>>();

/** The process's kernels once `ffi/mod.ts` has chosen them (asked for on the first `masksFor`). */
let chosenKernels: Kernels | undefined;
let asked = false;

/**
 * The token masks of `constraint` over `vocabulary` (built once per pair). New masks are walked by `kernels`, by
 * default the process's kernels (native → WASM → TS); until their asynchronous load has finished, by the TS walk.
 */
export function masksFor(constraint: Constraint, vocabulary: VocabularyBytes, endTokens: readonly number[], kernels?: Kernels): TokenMasks {
  if (!kernels && !asked) {
    asked = true;
    processKernels().then((k) => (chosenKernels = k), () => undefined);
  }
  const walkWith = kernels ?? chosenKernels;
  const trie = TokenTrie.of(vocabulary);
  let byTrie = masksByAutomaton.get(constraint.automaton);
  if (!byTrie) masksByAutomaton.set(constraint.automaton, (byTrie = new Map()));
  let masks = byTrie.get(trie);
  if (!masks) byTrie.set(trie, (masks = new TokenMasks(constraint.automaton, trie, endTokens, walkWith)));
  else if (walkWith && !masks.walksInKernels) masks.useKernels(walkWith);
  return masks;
}

/** Mask memory written ahead at model load (about 300 masks at 200k tokens): a new grammar's first masks need it. */
const MASK_RESERVE_BYTES = 8 << 20;

/**
 * Analyses the string bodies JSON Schemas share — plain strings, and every position of an example of each supported
 * format, the plain body that length-bounded strings are cut from, and the automaton states of email and uri —
 * over `vocabulary` once, so that no request's
 * first mask inside a string pays for a whole-trie walk (the shared frames are kept per vocabulary, see `TokenMasks`).
 * Meant for model load, next to building the trie; returns the milliseconds it took.
 */
export function prepareVocabulary(vocabulary: VocabularyBytes, endTokens: readonly number[], kernels?: Kernels): number {
  const t0 = performance.now();
  const trie = TokenTrie.of(vocabulary);
  reserveMasks(Math.ceil(trie.vocab / 32), MASK_RESERVE_BYTES);
  const encoder = new TextEncoder();
  // Twice, in an array then in an object, so the string has a context below it as in any real schema: the first pass
  // analyses every frame of the string (`prepare`: its escapes and format characters too), the second masks it as a
  // request would (its closing quote's context is new there, so walked directly), which also unites the string's
  // shared frames once for all.
  const passes = [
    { open: '["', wrap: (items: object) => ({ type: "array", items }), analyseAll: true },
    { open: '{"x":"', wrap: (items: object) => ({ type: "object", properties: { x: items }, required: ["x"] }), analyseAll: false },
  ];
  for (const { open, wrap, analyseAll } of passes) {
    for (const [format, example] of [[undefined, "ab"], ...Object.entries(FORMAT_EXAMPLES)] as const) {
      const items = format === undefined ? { type: "string" } : { type: "string", format };
      const automaton = new GrammarAutomaton(schemaGrammar(wrap(items)).grammar);
      const masks = new TokenMasks(automaton, trie, endTokens, kernels ?? chosenKernels);
      const text = encoder.encode(`${open}${example}`);
      for (let at = open.length, state = automaton.walk(automaton.start, text, 0, at); at <= text.length && state >= 0; state = automaton.next(state, text[at++]!)) {
        if (analyseAll) masks.prepare(state);
        else masks.mask(state);
      }
    }
  }
  // A bounded string's first character: the plain body's analysis every character run is cut from (`runs.ts`).
  const bounded = new GrammarAutomaton(schemaGrammar({ type: "array", items: { type: "string", maxLength: 2 } }).grammar);
  new TokenMasks(bounded, trie, endTokens, kernels ?? chosenKernels).mask(bounded.walk(bounded.start, encoder.encode('["')));
  // Every state of the automata of the formats most often bounded by a length (`shaped.ts`): an email with a
  // `maxLength` then derives each position's frame from these analyses (a TS walk per state: ~20 states here).
  for (const format of ["email", "uri"]) {
    const { grammar } = schemaGrammar({ type: "string", format, maxLength: 64 }, { lenient: true });
    if (grammar.shaped) new TokenMasks(new GrammarAutomaton(grammar), trie, endTokens).analyseLanguages(Infinity);
  }
  return performance.now() - t0;
}
