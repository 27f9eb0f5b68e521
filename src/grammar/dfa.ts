/**
 * Deterministic automata over Unicode code points, for the string languages JSON Schema combines: a `pattern` or
 * `format` with `minLength` / `maxLength`, property names under `propertyNames` and `patternProperties`, strings
 * that are `not` an enum's. Regular languages are closed under intersection and complement, which the grammar's
 * expressions are not; the result goes back to the grammar as one right-linear rule per state (`dfaExpr`).
 */
import type { RegexNode } from "../gates/regex/ast.ts";
import { GrammarError } from "./errors.ts";
import { alt, cps, EMPTY, type Expr, intersectCodepoints, lit, MAX_CODEPOINT, normalizeRanges, seq } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";
import { UNESCAPED } from "./json.ts";
import { anchoredBranches, parsePattern, patternCodepoints } from "./regex.ts";

/** One transition: code points `lo`..`hi` lead to state `to`. */
export interface DfaEdge {
  readonly lo: number;
  readonly hi: number;
  readonly to: number;
}

/** A complete or partial DFA; state 0 starts. Edges of a state are disjoint and sorted. */
export interface CharDfa {
  readonly edges: readonly (readonly DfaEdge[])[];
  readonly accept: readonly boolean[];
}

/** Most states one automaton (or one product) may have: each becomes a grammar rule. */
export const MAX_DFA_STATES = 4096;
/** Most NFA states a pattern may expand to (counted repetitions copy their body). */
const MAX_NFA_STATES = 20_000;

/** Thrown when an automaton would exceed its bound (the caller refuses the keyword). */
export class DfaTooLarge extends GrammarError {}

/** Whether the DFA accepts `text`. */
export function dfaAccepts(dfa: CharDfa, text: string): boolean {
  let s = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const e = dfa.edges[s]!.find((x) => x.lo <= cp && cp <= x.hi);
    if (!e) return false;
    s = e.to;
  }
  return dfa.accept[s]!;
}

/** Whether the DFA accepts no string at all. */
export function dfaEmpty(dfa: CharDfa): boolean {
  return !trim(dfa).accept.some((a) => a);
}

/** Strings of `min`..`max` code points. */
export function lengthDfa(min: number, max: number): CharDfa {
  const top = max === Infinity ? min : max;
  if (top + 1 > MAX_DFA_STATES) throw new DfaTooLarge(`a length bound of ${top} is too large to combine`);
  const edges: DfaEdge[][] = [];
  const accept: boolean[] = [];
  for (let i = 0; i <= top; i++) {
    accept.push(i >= min);
    if (i < top) edges.push([{ lo: 0, hi: MAX_CODEPOINT, to: i + 1 }]);
    else edges.push(max === Infinity ? [{ lo: 0, hi: MAX_CODEPOINT, to: i }] : []);
  }
  return { edges, accept };
}

/** Exactly the strings of `words`. */
export function wordsDfa(words: readonly string[]): CharDfa {
  const next: Map<number, number>[] = [new Map()];
  const accept = [false];
  for (const w of words) {
    let s = 0;
    for (const ch of w) {
      const cp = ch.codePointAt(0)!;
      let t = next[s]!.get(cp);
      if (t === undefined) {
        t = next.length;
        next.push(new Map());
        accept.push(false);
        next[s]!.set(cp, t);
      }
      s = t;
    }
    accept[s] = true;
  }
  if (next.length > MAX_DFA_STATES) throw new DfaTooLarge(`${words.length} words are too many to combine`);
  return { edges: next.map((m) => [...m].sort((a, b) => a[0] - b[0]).map(([cp, to]) => ({ lo: cp, hi: cp, to }))), accept };
}

/** The strings `pattern` matches: anywhere (`search`, JSON Schema's semantics) or as a whole (`full`). */
export function patternDfa(pattern: string, mode: "search" | "full", path: string, tick: () => void): CharDfa {
  const tree = parsePattern(pattern, path);
  const nfa = new Nfa(tick);
  const start = nfa.state();
  const end = nfa.state();
  const any = [0, MAX_CODEPOINT];
  for (const branch of anchoredBranches(tree, () => {
    throw new GrammarError(`pattern ${JSON.stringify(pattern)}: ^ / $ in too many alternatives`, path, "pattern");
  })) {
    // An unanchored side of a search may be filled with anything.
    const filled = (at: number, anchored: boolean): number => {
      if (mode === "full" || anchored) return at;
      const loop = nfa.state();
      nfa.eps(at, loop);
      nfa.edge(loop, any, loop);
      return loop;
    };
    const [a, b] = nfa.build({ kind: "concat", items: branch.items }, pattern, path);
    nfa.eps(filled(start, branch.start), a);
    nfa.eps(filled(b, branch.end), end);
  }
  return nfa.determinize(start, end);
}

/** Strings both accept (reachable pairs only). */
export function intersect(a: CharDfa, b: CharDfa, tick: () => void): CharDfa {
  const ids = new Map<number, number>();
  const pairs: [number, number][] = [];
  const edges: DfaEdge[][] = [];
  const accept: boolean[] = [];
  const bWidth = b.accept.length;
  const id = (x: number, y: number): number => {
    const key = x * bWidth + y;
    let s = ids.get(key);
    if (s === undefined) {
      s = pairs.length;
      if (s >= MAX_DFA_STATES) throw new DfaTooLarge(`combined string constraints need more than ${MAX_DFA_STATES} states`);
      ids.set(key, s);
      pairs.push([x, y]);
      accept.push(a.accept[x]! && b.accept[y]!);
    }
    return s;
  };
  id(0, 0);
  for (let s = 0; s < pairs.length; s++) {
    if ((s & 63) === 0) tick();
    const [x, y] = pairs[s]!;
    const out: DfaEdge[] = [];
    const ea = a.edges[x]!, eb = b.edges[y]!;
    for (let i = 0, j = 0; i < ea.length && j < eb.length;) {
      const p = ea[i]!, q = eb[j]!;
      const lo = Math.max(p.lo, q.lo), hi = Math.min(p.hi, q.hi);
      if (lo <= hi) out.push({ lo, hi, to: id(p.to, q.to) });
      if (p.hi < q.hi) i++;
      else j++;
    }
    edges.push(out);
  }
  return { edges, accept };
}

/** Strings `dfa` rejects. */
export function complement(dfa: CharDfa): CharDfa {
  const sink = dfa.accept.length;
  const edges = dfa.edges.map((list) => {
    const out: DfaEdge[] = [];
    let next = 0;
    for (const e of list) {
      if (e.lo > next) out.push({ lo: next, hi: e.lo - 1, to: sink });
      out.push(e);
      next = e.hi + 1;
    }
    if (next <= MAX_CODEPOINT) out.push({ lo: next, hi: MAX_CODEPOINT, to: sink });
    return out;
  });
  edges.push([{ lo: 0, hi: MAX_CODEPOINT, to: sink }]);
  return { edges, accept: [...dfa.accept.map((a) => !a), true] };
}

/** Only states that are reachable and can still reach acceptance (a dead start keeps state 0 with no edges). */
export function trim(dfa: CharDfa): CharDfa {
  const n = dfa.accept.length;
  const into: number[][] = Array.from({ length: n }, () => []);
  dfa.edges.forEach((list, s) => list.forEach((e) => into[e.to]!.push(s)));
  const live = new Uint8Array(n);
  const work: number[] = [];
  dfa.accept.forEach((a, s) => a && (live[s] = 1) && work.push(s));
  while (work.length > 0) for (const p of into[work.pop()!]!) if (!live[p]) (live[p] = 1) && work.push(p);
  const ids = new Int32Array(n).fill(-1);
  const order: number[] = [0];
  ids[0] = 0;
  for (let i = 0; i < order.length; i++) {
    for (const e of dfa.edges[order[i]!]!) {
      if (live[e.to] && ids[e.to]! < 0) {
        ids[e.to] = order.length;
        order.push(e.to);
      }
    }
  }
  return {
    edges: order.map((s) => dfa.edges[s]!.filter((e) => live[e.to]).map((e) => ({ lo: e.lo, hi: e.hi, to: ids[e.to]! }))),
    accept: order.map((s) => dfa.accept[s]! && live[s] === 1),
  };
}

/** State rows `minimize` may key over all its rounds before it gives up (a long chain takes one round per state). */
const MINIMIZE_ROWS = 100_000;

/**
 * The minimal automaton of a trimmed DFA: states merged while they accept alike and lead to merged states on the same
 * code points (Moore's partition refinement; a pattern's DFA comes from a subset construction and is rarely minimal,
 * and every state costs a grammar rule and, for string languages, a vocabulary analysis). State 0 stays the start.
 * The DFA comes back unchanged when refinement would key more than MINIMIZE_ROWS rows (`^a{1000}$`: a chain of 1,000
 * states takes 1,000 rounds), since a partition stopped early is not an equivalence.
 */
export function minimize(dfa: CharDfa): CharDfa {
  const n = dfa.accept.length;
  let group = Int32Array.from(dfa.accept, (a) => (a ? 1 : 0)), groups = 0;
  // The transitions of `s` by group, adjacent ranges into one group merged: equal for states a round cannot split.
  const rowOf = (s: number, g: Int32Array): string => {
    let key = `${g[s]}`, lo = -1, hi = -2, to = -1;
    for (const e of dfa.edges[s]!) {
      const t = g[e.to]!;
      if (t === to && e.lo === hi + 1) hi = e.hi;
      else {
        if (to >= 0) key += ` ${lo}-${hi}>${to}`;
        (lo = e.lo), (hi = e.hi), (to = t);
      }
    }
    return to >= 0 ? `${key} ${lo}-${hi}>${to}` : key;
  };
  for (let keyed = 0; ; keyed += n) {
    if (keyed + n > MINIMIZE_ROWS) return dfa;
    const ids = new Map<string, number>(), next = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const key = rowOf(s, group);
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      next[s] = id;
    }
    group = next;
    if (ids.size === groups) break;
    groups = ids.size;
  }
  if (groups === n) return dfa;
  // One state per group, numbered in breadth-first order from the start's.
  const number = new Int32Array(groups).fill(-1), first: number[] = [];
  const order = [0];
  number[group[0]!] = 0;
  for (let s = 0; s < n; s++) if (first[group[s]!] === undefined) first[group[s]!] = s;
  for (let i = 0; i < order.length; i++) {
    for (const e of dfa.edges[order[i]!]!) {
      if (number[group[e.to]!]! < 0) {
        number[group[e.to]!] = order.length;
        order.push(first[group[e.to]!]!);
      }
    }
  }
  const edges = order.map((s) => {
    const out: DfaEdge[] = [];
    for (const e of dfa.edges[s]!) {
      const to = number[group[e.to]!]!, last = out[out.length - 1];
      if (last && last.to === to && last.hi + 1 === e.lo) out[out.length - 1] = { lo: last.lo, hi: e.hi, to };
      else out.push({ lo: e.lo, hi: e.hi, to });
    }
    return out;
  });
  return { edges, accept: order.map((s) => dfa.accept[s]!) };
}

/** One JSON string character from `ranges`: unescaped where JSON allows it, else (and also) its escape. */
export function jsonCharIn(ranges: readonly number[], anyChar: Expr): Expr {
  const all = normalizeRanges(ranges);
  if (all.length === 4 && all[0] === 0 && all[3] === MAX_CODEPOINT) return anyChar;
  const has = (cp: number) => covers(all, cp);
  const parts: Expr[] = [];
  const plain = intersectCodepoints(all, UNESCAPED);
  if (plain.length > 0) parts.push(cps(...plain));
  const short: [number, string][] = [[0x22, '\\"'], [0x5c, "\\\\"], [0x2f, "\\/"], [0x08, "\\b"], [0x0c, "\\f"], [0x0a, "\\n"], [0x0d, "\\r"], [0x09, "\\t"]];
  for (const [cp, text] of short) if (has(cp)) parts.push(lit(text));
  for (let cp = 0; cp < 0x20; cp++) {
    if (!has(cp)) continue;
    const hex = cp.toString(16).padStart(4, "0");
    parts.push(hex === hex.toUpperCase() ? lit(`\\u${hex}`) : alt(lit(`\\u${hex}`), lit(`\\u${hex.toUpperCase()}`)));
  }
  return alt(...parts);
}

/**
 * `char` built once per character set: most states share their sets (a length counter copies one automaton per
 * length), so each expression is made once and shared.
 */
export function sharedChars(char: (ranges: number[]) => Expr): (ranges: number[]) => Expr {
  const chars = new Map<string, Expr>();
  return (ranges) => {
    const key = ranges.join(",");
    let e = chars.get(key);
    if (!e) chars.set(key, (e = char(ranges)));
    return e;
  };
}

/** The DFA as grammar rules (one per live state); the empty language if it accepts nothing. */
export function dfaExpr(dfa: CharDfa, b: GrammarBuilder, hint: string, char: (ranges: number[]) => Expr): Expr {
  const t = minimize(trim(dfa));
  if (!t.accept.some((a) => a)) return { t: "alt", items: [] };
  const ids = t.accept.map(() => b.fresh(hint));
  const charOf = sharedChars(char);
  t.edges.forEach((list, s) => {
    if ((s & 63) === 0) b.checkTime();
    const byTarget = new Map<number, number[]>();
    for (const e of list) {
      const r = byTarget.get(e.to);
      if (r) r.push(e.lo, e.hi);
      else byTarget.set(e.to, [e.lo, e.hi]);
    }
    const parts: Expr[] = t.accept[s] ? [EMPTY] : [];
    for (const [to, ranges] of byTarget) parts.push(seq(charOf(ranges), b.ref(ids[to]!)));
    b.define(ids[s]!, alt(...parts));
  });
  return b.ref(ids[0]!);
}

/** Thompson NFA over code point ranges. */
class Nfa {
  readonly epsilon: number[][] = [];
  readonly moves: { ranges: number[]; to: number }[][] = [];

  constructor(readonly tick: () => void) {}

  state(): number {
    if (this.moves.length >= MAX_NFA_STATES) throw new DfaTooLarge(`pattern expands to more than ${MAX_NFA_STATES} automaton states`);
    this.epsilon.push([]);
    this.moves.push([]);
    return this.moves.length - 1;
  }

  eps(a: number, b: number): void {
    this.epsilon[a]!.push(b);
  }

  edge(a: number, ranges: number[], b: number): void {
    this.moves[a]!.push({ ranges, to: b });
  }

  /** A fragment (entry, exit) for `node`. */
  build(node: RegexNode, pattern: string, path: string): [number, number] {
    if ((this.moves.length & 255) === 0) this.tick();
    switch (node.kind) {
      case "set": {
        const a = this.state(), b = this.state();
        this.edge(a, patternCodepoints(node.set), b);
        return [a, b];
      }
      case "empty": {
        const a = this.state();
        return [a, a];
      }
      case "concat": {
        const a = this.state();
        let at = a;
        for (const item of node.items) {
          const [x, y] = this.build(item, pattern, path);
          this.eps(at, x);
          at = y;
        }
        return [a, at];
      }
      case "alt": {
        const a = this.state(), b = this.state();
        for (const item of node.items) {
          const [x, y] = this.build(item, pattern, path);
          this.eps(a, x);
          this.eps(y, b);
        }
        return [a, b];
      }
      case "repeat": {
        const a = this.state();
        let at = a;
        for (let i = 0; i < node.min; i++) {
          const [x, y] = this.build(node.item, pattern, path);
          this.eps(at, x);
          at = y;
        }
        if (node.max === Infinity) {
          const [x, y] = this.build(node.item, pattern, path);
          this.eps(at, x);
          this.eps(y, at);
          return [a, at];
        }
        const b = this.state();
        this.eps(at, b);
        for (let i = node.min; i < node.max; i++) {
          const [x, y] = this.build(node.item, pattern, path);
          this.eps(at, x);
          this.eps(y, b);
          at = y;
        }
        return [a, b];
      }
      case "assert":
        throw new GrammarError(`pattern ${JSON.stringify(pattern)}: assertions other than ^ / $ at a branch's edge are not supported`, path, "pattern");
    }
  }

  closure(states: Iterable<number>): number[] {
    const seen = new Set<number>(states);
    const work = [...seen];
    while (work.length > 0) for (const t of this.epsilon[work.pop()!]!) if (!seen.has(t)) seen.add(t) && work.push(t);
    return [...seen].sort((x, y) => x - y);
  }

  determinize(start: number, end: number): CharDfa {
    const ids = new Map<string, number>();
    const sets: number[][] = [];
    const edges: DfaEdge[][] = [];
    const accept: boolean[] = [];
    const id = (set: number[]): number => {
      const key = set.join(",");
      let s = ids.get(key);
      if (s === undefined) {
        s = sets.length;
        if (s >= MAX_DFA_STATES) throw new DfaTooLarge(`pattern needs more than ${MAX_DFA_STATES} automaton states`);
        ids.set(key, s);
        sets.push(set);
        accept.push(set.includes(end));
      }
      return s;
    };
    id(this.closure([start]));
    for (let s = 0; s < sets.length; s++) {
      if ((s & 15) === 0) this.tick();
      const moves = sets[s]!.flatMap((n) => this.moves[n]!);
      const cuts = new Set<number>();
      for (const m of moves) for (let i = 0; i < m.ranges.length; i += 2) cuts.add(m.ranges[i]!).add(m.ranges[i + 1]! + 1);
      const bounds = [...cuts].sort((x, y) => x - y);
      const out: DfaEdge[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const lo = bounds[i]!, hi = bounds[i + 1]! - 1;
        const targets = moves.filter((m) => covers(m.ranges, lo)).map((m) => m.to);
        if (targets.length === 0) continue;
        const to = id(this.closure(targets));
        const last = out[out.length - 1];
        if (last && last.to === to && last.hi + 1 === lo) out[out.length - 1] = { lo: last.lo, hi, to };
        else out.push({ lo, hi, to });
      }
      edges.push(out);
    }
    return { edges, accept };
  }
}

function covers(ranges: readonly number[], cp: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i]! <= cp && cp <= ranges[i + 1]!) return true;
  return false;
}
