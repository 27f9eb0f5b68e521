/**
 * Strings whose language is an automaton (a `pattern` or `format`, a key language) bounded by a length (issue 17: mask
 * speed). The product of the automaton with a length counter has one grammar rule per (automaton state, length), so
 * each position of such a string used to be a frame of its own, analysed by a walk over most of the vocabulary. Each
 * product rule is recorded here with its automaton state and the characters it has left: the tokens a position takes
 * without leaving the string are then those the automaton's own state takes (analysed once per process and
 * vocabulary, `TokenMasks`), cut by each token's character count; only counts near the bound are checked per state.
 */
import type { GrammarAutomaton } from "./automaton.ts";
import { type CharDfa, type DfaEdge, DfaTooLarge, jsonCharIn, MAX_DFA_STATES, minimize, sharedChars, trim } from "./dfa.ts";
import { alt, EMPTY, type Expr, seq } from "./expr.ts";
import { END, type Grammar, GrammarBuilder } from "./grammar.ts";
import { JsonRules } from "./json.ts";

/** A string language without its length bound, shared by the product rules built from it. */
export interface ShapedLanguage {
  /** The automaton (trimmed: every state can still reach acceptance). */
  readonly dfa: CharDfa;
  /** Fewest characters each state needs to reach acceptance. */
  readonly dist: readonly number[];
  /** Most characters any state needs to reach acceptance (the longest of the shortest ways). */
  readonly far: number;
  /** Per state: 1 when it reaches acceptance in every number of characters from its distance on. */
  readonly saturated: Uint8Array;
  /** A code point string leading to each state from the start. */
  readonly paths: readonly string[];
}

/** One product rule: at the start of a character, in automaton state `state`, with lengths still to satisfy. */
export interface ShapedRule {
  readonly language: ShapedLanguage;
  readonly state: number;
  /** Characters that may still follow (Infinity: no maximum). */
  readonly left: number;
  /** Characters that must still follow to reach the minimum (0: reached). */
  readonly short: number;
}

/** The language `dfa` with what `TokenMasks` needs to derive its frames: distances to acceptance, paths to states. */
export function shapedLanguage(dfa: CharDfa): ShapedLanguage {
  const t = minimize(trim(dfa)), n = t.accept.length;
  const into: number[][] = Array.from({ length: n }, () => []);
  t.edges.forEach((list, s) => list.forEach((e) => into[e.to]!.push(s)));
  const dist = new Array<number>(n).fill(-1), queue: number[] = [];
  t.accept.forEach((a, s) => a && (dist[s] = 0) === 0 && queue.push(s));
  for (let i = 0; i < queue.length; i++) for (const p of into[queue[i]!]!) if (dist[p]! < 0) (dist[p] = dist[queue[i]!]! + 1) && queue.push(p);
  const paths = new Array<string>(n).fill(""), seen = new Uint8Array(n), order = [0];
  seen[0] = 1;
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    for (const e of t.edges[s]!) {
      if (seen[e.to]) continue;
      seen[e.to] = 1;
      paths[e.to] = paths[s]! + String.fromCodePoint(plainCodepoint(e));
      order.push(e.to);
    }
  }
  return { dfa: t, dist, far: Math.max(0, ...dist), paths, saturated: saturation(t, dist) };
}

/** Lengths of the sets of states reaching acceptance in exactly n characters followed before giving up. */
const SATURATION_STEPS = 256;

/**
 * Which states reach acceptance in every number of characters from their distance on: the sets of states that do in
 * exactly n characters, for n = 0, 1, …, until a set repeats its predecessor (from then on it is constant). States are
 * marked only when that happens within SATURATION_STEPS (larger automata: none).
 */
function saturation(dfa: CharDfa, dist: readonly number[]): Uint8Array {
  const n = dfa.accept.length, out = new Uint8Array(n);
  if (n > 1024) return out;
  let now = Uint8Array.from(dfa.accept, (a) => (a ? 1 : 0));
  const missed = new Uint8Array(n);
  for (let len = 0; len < SATURATION_STEPS; len++) {
    for (let s = 0; s < n; s++) if (!now[s] && len >= dist[s]!) missed[s] = 1;
    const next = new Uint8Array(n);
    for (let s = 0; s < n; s++) for (const e of dfa.edges[s]!) if (now[e.to]) next[s] = 1;
    if (next.every((v, s) => v === now[s])) {
      for (let s = 0; s < n; s++) out[s] = missed[s] || dist[s]! < 0 ? 0 : 1;
      return out;
    }
    now = next;
  }
  return out;
}

/** A code point of edge `e` that is not a surrogate half (JSON text cannot hold one). */
function plainCodepoint(e: DfaEdge): number {
  if (e.lo < 0xd800 || e.lo > 0xdfff) return e.lo;
  return e.hi > 0xdfff ? 0xe000 : e.lo;
}

/**
 * `language` with `min`..`max` code points as grammar rules, one per live (state, length) pair (lengths past `min`
 * merged when there is no maximum), each recorded in `b.shaped`; the empty language if none is live. Refuses
 * (DfaTooLarge) a product of more than MAX_DFA_STATES states.
 */
export function boundedExpr(language: ShapedLanguage, min: number, max: number, b: GrammarBuilder, hint: string, char: (ranges: number[]) => Expr): Expr {
  const { dfa } = language, cap = max === Infinity ? min : max;
  const ids = new Map<number, number>(), pairs: number[] = [];
  const id = (p: number, k: number): number => {
    const key = p * (cap + 1) + k;
    let s = ids.get(key);
    if (s === undefined) {
      s = pairs.length / 2;
      if (s >= MAX_DFA_STATES) throw new DfaTooLarge(`combined string constraints need more than ${MAX_DFA_STATES} states`);
      ids.set(key, s);
      pairs.push(p, k);
    }
    return s;
  };
  id(0, 0);
  const edges: DfaEdge[][] = [];
  for (let s = 0; s < pairs.length / 2; s++) {
    if ((s & 63) === 0) b.checkTime();
    const p = pairs[2 * s]!, k = pairs[2 * s + 1]!;
    const next = max === Infinity ? Math.min(k + 1, min) : k + 1;
    edges.push(next > cap && max !== Infinity ? [] : dfa.edges[p]!.map((e) => ({ lo: e.lo, hi: e.hi, to: id(e.to, next) })));
  }
  const n = edges.length, accept = Array.from({ length: n }, (_, s) => dfa.accept[pairs[2 * s]!]! && pairs[2 * s + 1]! >= min);
  // Live states: those that can still reach acceptance (backwards from the accepting ones).
  const into: number[][] = Array.from({ length: n }, () => []);
  edges.forEach((list, s) => list.forEach((e) => into[e.to]!.push(s)));
  const live = new Uint8Array(n), work: number[] = [];
  accept.forEach((a, s) => a && (live[s] = 1) && work.push(s));
  while (work.length > 0) for (const p of into[work.pop()!]!) if (!live[p]) (live[p] = 1) && work.push(p);
  if (!live[0]) return { t: "alt", items: [] };
  const rules = new Int32Array(n).fill(-1);
  for (let s = 0; s < n; s++) {
    if (!live[s]) continue;
    rules[s] = b.fresh(hint);
    const k = pairs[2 * s + 1]!;
    b.shaped.set(rules[s]!, { language, state: pairs[2 * s]!, left: max === Infinity ? Infinity : max - k, short: Math.max(0, min - k) });
  }
  const charOf = sharedChars(char);
  for (let s = 0; s < n; s++) {
    if (!live[s]) continue;
    if ((s & 63) === 0) b.checkTime();
    const byTarget = new Map<number, number[]>();
    for (const e of edges[s]!) {
      if (!live[e.to]) continue;
      const r = byTarget.get(e.to);
      if (r) r.push(e.lo, e.hi);
      else byTarget.set(e.to, [e.lo, e.hi]);
    }
    const parts: Expr[] = accept[s] ? [EMPTY] : [];
    for (const [to, ranges] of byTarget) parts.push(seq(charOf(ranges), b.ref(rules[to]!)));
    b.define(rules[s]!, alt(...parts));
  }
  return b.ref(rules[0]!);
}

/** Finds the product rule a stack is at the start of a character of (memoized per node). */
export class ShapedStarts {
  readonly #ruleOf: Int32Array;
  readonly #altStart: Uint8Array;
  readonly #memo = new Map<number, ShapedRule | null>();

  private constructor(readonly automaton: GrammarAutomaton, readonly shaped: ReadonlyMap<number, ShapedRule>) {
    const { elems, ruleAlts } = automaton.grammar;
    this.#ruleOf = new Int32Array(elems.length).fill(-1);
    this.#altStart = new Uint8Array(elems.length);
    ruleAlts.forEach((alts, r) => {
      for (const a of alts) {
        this.#altStart[a] = 1;
        for (let p = a; p < elems.length && elems[p] !== END; p++) this.#ruleOf[p] = r;
      }
    });
  }

  /**
   * Whether a frame at an alternative start of rule `inner` may sit right above a call of rule `called` with nothing of
   * that call consumed: `inner` is `called`, or is tail-called first thing by one of its alternatives (a tail call
   * pushes no frame). A tail call after a byte (an escape's rule after its backslash) does not count.
   */
  #entered(called: number, inner: number, depth = 4): boolean {
    if (called === inner) return true;
    if (depth === 0) return false;
    const { elems, ruleAlts } = this.automaton.grammar;
    for (const a of ruleAlts[called]!) if (elems[a]! <= -2 && elems[a + 1] === END && this.#entered(-2 - elems[a]!, inner, depth - 1)) return true;
    return false;
  }

  /** The product rules of `automaton`'s grammar (undefined: it has none). */
  static of(automaton: GrammarAutomaton): ShapedStarts | undefined {
    const { shaped } = automaton.grammar;
    return shaped && shaped.size > 0 ? new ShapedStarts(automaton, shaped) : undefined;
  }

  /**
   * The product rule whose character `node`'s stack is about to start (nothing of it consumed yet: the top frame at an
   * alternative's start, each frame below it just past a call that starts its alternative); undefined otherwise.
   */
  at(node: number): ShapedRule | undefined {
    let known = this.#memo.get(node);
    if (known === undefined) {
      known = null;
      const { automaton } = this, { elems } = automaton.grammar;
      let n = node, pos = automaton.positionOf(n);
      if (this.#altStart[pos] === 1) {
        for (let depth = 0; depth < 8; depth++) {
          const rule = this.shaped.get(this.#ruleOf[pos]!);
          if (rule) {
            known = rule;
            break;
          }
          const inner = this.#ruleOf[pos]!;
          n = automaton.parentOf(n);
          if (n < 0) break;
          pos = automaton.positionOf(n);
          if (pos === 0 || this.#altStart[pos - 1] !== 1 || elems[pos - 1]! > -2 || !this.#entered(-2 - elems[pos - 1]!, inner)) break;
        }
      }
      this.#memo.set(node, known);
    }
    return known ?? undefined;
  }
}

const languageKeys = new WeakMap<ShapedLanguage, string>();
const rowKeys = new WeakMap<ShapedLanguage, string[]>();

/** A key equal for two languages with the same automaton (their frames are then the same). */
export function languageKey(language: ShapedLanguage): string {
  let key = languageKeys.get(language);
  if (key === undefined) {
    const { accept } = language.dfa;
    key = stateRows(language).map((row, s) => (accept[s] ? "!" : "") + row).join("|");
    languageKeys.set(language, key);
  }
  return key;
}

/** Per state of `language`'s automaton, a key equal for two states exactly when their transitions are. */
export function stateRows(language: ShapedLanguage): readonly string[] {
  let rows = rowKeys.get(language);
  if (rows === undefined) rowKeys.set(language, (rows = language.dfa.edges.map((list) => list.map((e) => `${e.lo}-${e.hi}>${e.to}`).join(" "))));
  return rows;
}

/** The language alone as a grammar: one quoted string, then nothing (frames of its states are analysed on it). */
export function languageGrammar(language: ShapedLanguage): Grammar {
  const b = new GrammarBuilder(), json = new JsonRules(b, 0), root = b.fresh("string");
  b.define(root, json.quoted(boundedExpr(language, 0, Infinity, b, "chars", (ranges) => jsonCharIn(ranges, json.char))));
  return b.build(root);
}

/** Code points of JSON's two-character escapes, by the byte after the backslash. */
const ESCAPES: Readonly<Record<number, number>> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/** A path position inside a character (escape or multi-byte), or past a character the automaton refuses. */
const INSIDE = -1;
const REFUSED = -2;

/**
 * A language's automaton followed along a trie path of JSON string content, one byte per depth (escapes and UTF-8
 * decoded): the automaton state after each depth's last complete character, INSIDE while a character is under way.
 */
export class ContentPath {
  /** Per depth: the automaton state, INSIDE or REFUSED. */
  readonly states: Int32Array;
  /** Per depth inside a character: where it started and the state before it. */
  readonly #starts: Int32Array;
  readonly #before: Int32Array;
  readonly #bytes: Uint8Array;
  /** ASCII transitions but the backslash, per state: `state * 128 + byte` (-3: not looked up yet, see `ascii`). */
  readonly asciiNext: Int32Array;

  constructor(readonly dfa: CharDfa, from: number, maxDepth: number) {
    this.states = new Int32Array(maxDepth + 1);
    this.#starts = new Int32Array(maxDepth + 1);
    this.#before = new Int32Array(maxDepth + 1);
    this.#bytes = new Uint8Array(maxDepth + 1);
    this.asciiNext = new Int32Array(dfa.accept.length * 128).fill(-3);
    this.states[0] = from;
  }

  /** The state after ASCII byte `b` (not a backslash) from `state`, looked up once. */
  ascii(state: number, b: number): number {
    let s = this.asciiNext[state * 128 + b]!;
    if (s === -3) this.asciiNext[state * 128 + b] = s = this.#step(state, b);
    return s;
  }

  /** Byte `b` at depth `d` (1-based), after depth `d - 1`; returns the state there (callers may take ASCII bytes after a state through `asciiNext` themselves). */
  push(d: number, b: number): number {
    const prev = this.states[d - 1]!;
    this.#bytes[d] = b;
    let s: number;
    if (prev >= 0 && b < 0x80 && b !== 0x5c) {
      s = this.ascii(prev, b);
    } else if (prev >= 0) {
      this.#starts[d] = d;
      this.#before[d] = prev;
      s = b === 0x5c || (b >= 0xc0 && b < 0xf8) ? INSIDE : REFUSED;
    } else if (prev === INSIDE) {
      const start = this.#starts[d - 1]!, lead = this.#bytes[start]!, n = d - start + 1;
      const size = lead === 0x5c ? (n >= 2 && this.#bytes[start + 1] === 0x75 ? 6 : 2) : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
      if (n < size) {
        this.#starts[d] = start;
        this.#before[d] = this.#before[d - 1]!;
        s = INSIDE;
      } else {
        const cp = decode(this.#bytes.subarray(start, d + 1));
        s = cp === undefined ? REFUSED : this.#step(this.#before[d - 1]!, cp);
      }
    } else s = REFUSED;
    this.states[d] = s;
    return s;
  }

  #step(state: number, cp: number): number {
    for (const e of this.dfa.edges[state]!) if (e.lo <= cp && cp <= e.hi) return e.to;
    return REFUSED;
  }
}

/** The code point of one JSON string character written as `bytes` (an escape or UTF-8); undefined if malformed. */
function decode(bytes: Uint8Array): number | undefined {
  if (bytes[0] === 0x5c) {
    if (bytes[1] !== 0x75) return ESCAPES[bytes[1]!];
    const hex = String.fromCharCode(...bytes.subarray(2, 6));
    return /^[0-9A-Fa-f]{4}$/.test(hex) ? parseInt(hex, 16) : undefined;
  }
  const n = bytes.length;
  let cp = bytes[0]! & (0xff >> (n + 1));
  for (let j = 1; j < n; j++) {
    if ((bytes[j]! & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (bytes[j]! & 0x3f);
  }
  return cp;
}
