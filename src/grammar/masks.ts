/**
 * Token masks of one grammar over one vocabulary, and the per-sequence matcher that uses them.
 *
 * The mask of a parser state does not depend on anything but that state, and states are interned, so a mask is
 * computed once (a preorder walk of the token trie through the automaton's transition table, pruning a subtree at
 * the first refused byte) and then served from a bounded cache. Generations of the same schema revisit the same
 * states, so the steady-state cost of a mask is one map lookup; a new state costs one trie walk.
 */
import { DEAD, GrammarAutomaton } from "./automaton.ts";
import type { TokenTrie } from "./trie.ts";

/** Mask bytes kept per (grammar, vocabulary) before the cache starts over. */
const MASK_CACHE_BYTES = 64 << 20;

/** What a mask walk costs, for benchmarks and tests. */
export interface MaskStats {
  /** Masks computed by a trie walk. */
  walks: number;
  /** Masks served from the cache. */
  hits: number;
  /** Trie nodes visited by walks. */
  nodes: number;
}

/** The masks of one automaton over one vocabulary (shared by every sequence using both). */
export class TokenMasks {
  readonly #cache = new Map<number, Uint32Array>();
  readonly #maxCached: number;
  readonly #stack: Int32Array;
  /** Counters since creation. */
  readonly stats: MaskStats = { walks: 0, hits: 0, nodes: 0 };
  /** Mask length in 32-bit words. */
  readonly words: number;

  constructor(
    /** The grammar's parser. */
    readonly automaton: GrammarAutomaton,
    /** The vocabulary. */
    readonly trie: TokenTrie,
    /** End-of-generation tokens: allowed exactly in accepting states. */
    readonly endTokens: readonly number[],
  ) {
    this.words = Math.ceil(trie.vocab / 32);
    this.#maxCached = Math.max(16, Math.floor(MASK_CACHE_BYTES / (this.words * 4)));
    this.#stack = new Int32Array(trie.maxDepth + 1);
  }

  /** The allowed tokens in `state` (read-only: the array is shared through the cache). */
  mask(state: number): Uint32Array {
    const known = this.#cache.get(state);
    if (known) {
      this.stats.hits++;
      return known;
    }
    const mask = this.compute(state, new Uint32Array(this.words));
    if (this.#cache.size >= this.#maxCached) this.#cache.clear();
    this.#cache.set(state, mask);
    return mask;
  }

  /** Walks the trie from `state` into `mask` (cleared first); the reference every faster path is checked against. */
  compute(state: number, mask: Uint32Array): Uint32Array {
    mask.fill(0);
    const { byte, depth, skip, tokenStart, ids, size } = this.trie;
    const automaton = this.automaton;
    const st = this.#stack;
    st[0] = state;
    let table = automaton.table;
    let visited = 0;
    for (let i = 0; i < size;) {
      visited++;
      const s = st[depth[i]! - 1]!;
      const b = byte[i]!;
      let next = table[s * 256 + b]!;
      if (next === 0) {
        next = automaton.step(s, b);
        table = automaton.table;
        next = next === DEAD ? DEAD : next + 1;
      }
      if (next === DEAD) {
        i = skip[i]!;
        continue;
      }
      st[depth[i]!] = next - 1;
      for (let k = tokenStart[i]!, end = tokenStart[i + 1]!; k < end; k++) {
        const t = ids[k]!;
        mask[t >>> 5]! |= 1 << (t & 31);
      }
      i++;
    }
    if (automaton.accepting(state)) for (const t of this.endTokens) mask[t >>> 5]! |= 1 << (t & 31);
    this.stats.walks++;
    this.stats.nodes += visited;
    return mask;
  }
}

/** One sequence's position in the grammar: the mask for the next token, and advancing by the chosen token. */
export class GrammarMatcher {
  /** Current parser state (DEAD once a refused token was forced in). */
  state: number;
  /** Tokens accepted so far. */
  tokens = 0;

  constructor(
    /** Masks of this grammar over the sequence's vocabulary. */
    readonly masks: TokenMasks,
  ) {
    this.state = masks.automaton.start;
  }

  /** Allowed next tokens (end-of-generation tokens only where the grammar accepts). */
  mask(): Uint32Array {
    return this.masks.mask(this.state);
  }

  /** Whether the text so far is a complete sentence. */
  get accepting(): boolean {
    return this.state !== DEAD && this.masks.automaton.accepting(this.state);
  }

  /** Whether nothing but the end may follow. */
  get final(): boolean {
    return this.state !== DEAD && this.masks.automaton.final(this.state);
  }

  /** Advances by `token`; false (and the matcher is dead) if the grammar refuses it. */
  accept(token: number): boolean {
    if (this.state === DEAD) return false;
    if (this.masks.endTokens.includes(token)) {
      if (!this.accepting) this.state = DEAD;
      return this.state !== DEAD;
    }
    const bytes = this.masks.trie.tokenBytes(token);
    this.state = bytes.length === 0 ? DEAD : this.masks.automaton.walk(this.state, bytes);
    if (this.state !== DEAD) this.tokens++;
    return this.state !== DEAD;
  }
}
