/** Real tokenizer vocabularies (cl100k_base, o200k_base from gpt-tokenizer) as token byte strings, for tests and benchmarks. */
import cl100k from "gpt-tokenizer/bpeRanks/cl100k_base";
import o200k from "gpt-tokenizer/bpeRanks/o200k_base";
import type { Kernels } from "../../ffi/kernels.ts";
import { TokenTrie, type VocabularyBytes } from "../../src/grammar/trie.ts";
import { prepareVocabulary } from "../../src/grammar/vocabulary.ts";

/** Which real vocabulary. */
export type VocabName = "cl100k_base" | "o200k_base";

/** A vocabulary plus the id used as end-of-text (one past the last rank, as in the fixture model). */
export interface TestVocab extends VocabularyBytes {
  /** End-of-generation token (no bytes). */
  readonly eos: number;
}

const cache = new Map<VocabName, TestVocab>();

/** Token bytes in rank order, plus one empty end-of-text token after them. */
export function realVocab(name: VocabName): TestVocab {
  const known = cache.get(name);
  if (known) return known;
  const ranks = (name === "cl100k_base" ? cl100k : o200k) as readonly (string | readonly number[])[];
  const encoder = new TextEncoder();
  const pieces = ranks.map((r) => (typeof r === "string" ? encoder.encode(r) : Uint8Array.from(r)));
  const offsets = new Uint32Array(pieces.length + 2);
  let total = 0;
  pieces.forEach((p, t) => {
    total += p.length;
    offsets[t + 1] = total;
  });
  offsets[pieces.length + 1] = total;
  const bytes = new Uint8Array(total);
  pieces.forEach((p, t) => bytes.set(p, offsets[t]!));
  const vocab = { bytes, offsets, eos: pieces.length };
  cache.set(name, vocab);
  return vocab;
}

/** A trie over a fresh copy of `vocab` after prepareVocabulary (which analyses the copy, not the shared one) with `kernels`. */
export function preparedTrie(vocab: TestVocab, kernels?: Kernels): TokenTrie {
  const copy = { bytes: vocab.bytes.slice(), offsets: vocab.offsets.slice() };
  prepareVocabulary(copy, [vocab.eos], kernels);
  return TokenTrie.of(copy);
}
