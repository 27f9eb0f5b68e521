/**
 * Aho-Corasick automaton over a phrase list: one pass over the text finds every phrase, whatever the list size.
 * Hand-written because it must run incrementally and report the earliest live partial match (for hold-back).
 */
import { foldUnit } from "../text.ts";

/** A phrase list compiled to a trie with failure links and a dense ASCII transition table. */
export interface PhraseAutomaton {
  /**
   * Next state for ASCII input: `ascii[state * 128 + code]` (failure links already folded in; in a caseless automaton
   * an upper-case letter's entry is its lower-case letter's, so ASCII input needs no folding).
   */
  readonly ascii: Int32Array;
  /** Sparse transitions for non-ASCII input (failure links followed at run time). */
  readonly wide: readonly ReadonlyMap<number, number>[];
  /** Failure link per state (longest proper suffix that is also a trie path). */
  readonly fail: Int32Array;
  /** Trie depth per state = length of the live partial match it represents. */
  readonly depth: Int32Array;
  /** Length of the phrase ending exactly at this state, 0 if none. */
  readonly phraseLength: Int32Array;
  /** Next state on the failure chain that ends a phrase (-1 if none): enumerates all phrases ending here. */
  readonly outputLink: Int32Array;
  /** Inputs are case-folded before lookup. */
  readonly caseless: boolean;
}

/**
 * Build the automaton; phrases must be non-empty. The trie is built straight into the ASCII table (-1: no child),
 * which the failure pass then completes in place; only non-ASCII children get a Map (most states have none).
 */
export function buildAutomaton(phrases: readonly string[], caseless: boolean): PhraseAutomaton {
  let units = 1;
  for (const phrase of phrases) units += phrase.length;
  let ascii = new Int32Array(128 * Math.min(units, 64)).fill(-1);
  const wide: (Map<number, number> | undefined)[] = [undefined];
  const lengths = [0];
  const depths = [0];
  const add = (state: number): number => {
    const child = lengths.push(0) - 1;
    depths.push(depths[state]! + 1);
    wide.push(undefined);
    if (child * 128 >= ascii.length) {
      const grown = new Int32Array(Math.min(units, child * 2) * 128).fill(-1);
      grown.set(ascii);
      ascii = grown;
    }
    return child;
  };
  for (const phrase of phrases) {
    let state = 0;
    for (let i = 0; i < phrase.length; i++) {
      const code = caseless ? foldUnit(phrase.charCodeAt(i)) : phrase.charCodeAt(i);
      let child = code < 128 ? ascii[state * 128 + code]! : wide[state]?.get(code) ?? -1;
      if (child < 0) {
        child = add(state);
        if (code < 128) ascii[state * 128 + code] = child;
        else (wide[state] ??= new Map()).set(code, child);
      }
      state = child;
    }
    lengths[state] = phrase.length;
  }
  const size = lengths.length;
  ascii = ascii.subarray(0, size * 128);
  const fail = new Int32Array(size);
  const outputLink = new Int32Array(size).fill(-1);
  /** Child of `state` on `code` before the failure pass completed its row (-1: none). */
  const wideChild = (state: number, code: number): number => wide[state]?.get(code) ?? -1;
  const queue: number[] = [0];
  const link = (child: number, f: number): void => {
    fail[child] = f;
    outputLink[child] = lengths[f]! > 0 ? f : outputLink[f]!;
    queue.push(child);
  };
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!, row = state * 128, failRow = fail[state]! * 128;
    // The failure state is shallower, so its row is already complete: a missing child falls back to it.
    for (let c = 0; c < 128; c++) {
      const child = ascii[row + c]!;
      if (child < 0) ascii[row + c] = state === 0 ? 0 : ascii[failRow + c]!;
      else link(child, state === 0 ? 0 : ascii[failRow + c]!);
    }
    for (const [code, child] of wide[state] ?? []) {
      let f = 0;
      if (state !== 0) {
        for (let s = fail[state]!; ; s = fail[s]!) {
          const target = wideChild(s, code);
          if (target >= 0) { f = target; break; }
          if (s === 0) break;
        }
      }
      link(child, f);
    }
  }
  if (caseless) {
    for (let row = 0; row < ascii.length; row += 128) ascii.copyWithin(row + 65, row + 97, row + 123);
  }
  const none: ReadonlyMap<number, number> = new Map();
  return {
    ascii, wide: wide.map((m) => m ?? none), fail, depth: Int32Array.from(depths), phraseLength: Int32Array.from(lengths),
    outputLink, caseless,
  };
}

/** One transition, including non-ASCII input. */
export function nextState(a: PhraseAutomaton, state: number, code: number): number {
  const c = a.caseless ? foldUnit(code) : code;
  if (c < 128) return a.ascii[state * 128 + c]!;
  for (let s = state; ; s = a.fail[s]!) {
    const target = a.wide[s]!.get(c);
    if (target !== undefined) return target;
    if (s === 0) return 0;
  }
}
