/**
 * Aho-Corasick automaton over a phrase list: one pass over the text finds every phrase, whatever the list size.
 * Hand-written because it must run incrementally and report the earliest live partial match (for hold-back).
 */
import { foldUnit } from "../text.ts";

/** A phrase list compiled to a trie with failure links and a dense ASCII transition table. */
export interface PhraseAutomaton {
  /** Next state for ASCII input: `ascii[state * 128 + code]` (failure links already folded in). */
  readonly ascii: Int32Array;
  /** Sparse transitions for non-ASCII input (failure links followed at run time). */
  readonly wide: readonly Map<number, number>[];
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

/** Build the automaton; phrases must be non-empty. */
export function buildAutomaton(phrases: readonly string[], caseless: boolean): PhraseAutomaton {
  const children: Map<number, number>[] = [new Map()];
  const lengths = [0];
  const depths = [0];
  for (const phrase of phrases) {
    let state = 0;
    for (let i = 0; i < phrase.length; i++) {
      const code = caseless ? foldUnit(phrase.charCodeAt(i)) : phrase.charCodeAt(i);
      let child = children[state]!.get(code);
      if (child === undefined) {
        child = children.push(new Map()) - 1;
        lengths.push(0);
        depths.push(depths[state]! + 1);
        children[state]!.set(code, child);
      }
      state = child;
    }
    lengths[state] = phrase.length;
  }
  const size = children.length;
  const fail = new Int32Array(size);
  const outputLink = new Int32Array(size).fill(-1);
  const ascii = new Int32Array(size * 128);
  const queue: number[] = [0];
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    for (let c = 0; c < 128; c++) {
      const child = children[state]!.get(c);
      ascii[state * 128 + c] = child ?? (state === 0 ? 0 : ascii[fail[state]! * 128 + c]!);
    }
    for (const [code, child] of children[state]!) {
      let f = 0;
      if (state !== 0) {
        for (let s = fail[state]!; ; s = fail[s]!) {
          const target = children[s]!.get(code);
          if (target !== undefined) { f = target; break; }
          if (s === 0) break;
        }
      }
      fail[child] = f;
      outputLink[child] = lengths[f]! > 0 ? f : outputLink[f]!;
      queue.push(child);
    }
  }
  const wide = children.map((m) => new Map([...m].filter(([code]) => code >= 128)));
  return {
    ascii, wide, fail, depth: Int32Array.from(depths), phraseLength: Int32Array.from(lengths), outputLink, caseless,
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
