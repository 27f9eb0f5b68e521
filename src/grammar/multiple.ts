/**
 * `multipleOf` on integers: decimal strings whose value is divisible by m are a regular language (the remainder mod m
 * after each digit is the state). Bounds are intersected with it: the `minimum` / `maximum` expression of
 * `numbers.ts` is determinized over the eleven integer symbols (`-`, `0`–`9`) and the product is emitted as rules.
 */
import { DfaTooLarge, type CharDfa, dfaExpr, MAX_DFA_STATES } from "./dfa.ts";
import { cps, type Expr } from "./expr.ts";
import type { GrammarBuilder } from "./grammar.ts";

/** Largest `multipleOf` enforced (its automaton has m + 3 states). */
export const MAX_MULTIPLE_OF = 1000;

/** Symbol i < 10 is digit i; 10 is the minus sign. */
const SYMBOLS = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x2d];
const MINUS = 10;

/** A DFA over the eleven symbols: `next[s][sym]` (-1 for none). */
interface SymbolDfa {
  readonly next: Int32Array[];
  readonly accept: boolean[];
}

/** Integers (as `-?(0|[1-9][0-9]*)`) divisible by `m`, intersected with `range` (an expression over the same symbols). */
export function multipleOfExpr(m: number, range: Expr, b: GrammarBuilder, path: string): Expr {
  const mod = modDfa(m);
  const bounded = determinize(range, () => b.checkTime(), path);
  // Product, reachable states only (state 0 starts).
  const ids = new Map<number, number>();
  const pairs: [number, number][] = [];
  const id = (x: number, y: number) => {
    const key = x * 65536 + y;
    let i = ids.get(key);
    if (i === undefined) {
      if (pairs.length >= MAX_DFA_STATES) throw new DfaTooLarge(`multipleOf ${m} with these bounds needs more than ${MAX_DFA_STATES} states`, path, "multipleOf");
      ids.set(key, (i = pairs.length));
      pairs.push([x, y]);
    }
    return i;
  };
  id(0, 0);
  const edges: { lo: number; hi: number; to: number }[][] = [];
  const accept: boolean[] = [];
  for (let i = 0; i < pairs.length; i++) {
    if ((i & 63) === 0) b.checkTime();
    const [x, y] = pairs[i]!;
    const list: { lo: number; hi: number; to: number }[] = [];
    for (const sym of [MINUS, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const nx = mod.next[x]![sym]!, ny = bounded.next[y]![sym]!;
      if (nx >= 0 && ny >= 0) list.push({ lo: SYMBOLS[sym]!, hi: SYMBOLS[sym]!, to: id(nx, ny) });
    }
    edges.push(list);
    accept.push(mod.accept[x]! && bounded.accept[y]!);
  }
  const dfa: CharDfa = { edges, accept };
  return dfaExpr(dfa, b, "multiple", (ranges) => cps(...ranges));
}

/** `-?(0|[1-9][0-9]*)` with value ≡ 0 mod m: start, after `-`, a zero, then one state per remainder. */
function modDfa(m: number): SymbolDfa {
  const n = 3 + m;
  const next = Array.from({ length: n }, () => new Int32Array(11).fill(-1));
  const accept = Array.from({ length: n }, (_, s) => s === 2 || s === 3);
  next[0]![MINUS] = 1;
  for (const s of [0, 1]) {
    next[s]![0] = 2;
    for (let d = 1; d <= 9; d++) next[s]![d] = 3 + (d % m);
  }
  for (let r = 0; r < m; r++) for (let d = 0; d <= 9; d++) next[3 + r]![d] = 3 + ((r * 10 + d) % m);
  return { next, accept };
}

/** Subset construction of an expression over the eleven symbols (no rule references). */
function determinize(e: Expr, tick: () => void, path: string): SymbolDfa {
  const eps: number[][] = [];
  const moves: [number, number][][] = [];
  const state = () => {
    eps.push([]);
    moves.push([]);
    return eps.length - 1;
  };
  const symbolsOf = (x: Expr): number[] => {
    const out: number[] = [];
    SYMBOLS.forEach((cp, sym) => {
      if (x.t === "bytes" ? (x.set[cp >> 5]! >>> (cp & 31)) & 1 : x.t === "cps" && x.ranges.some((_, i) => i % 2 === 0 && x.ranges[i]! <= cp && cp <= x.ranges[i + 1]!)) out.push(sym);
    });
    return out;
  };
  const build = (x: Expr, from: number): number => {
    if (eps.length > 20_000) throw new DfaTooLarge("multipleOf bounds expand to too many states", path, "multipleOf");
    switch (x.t) {
      case "bytes":
      case "cps": {
        const to = state();
        for (const sym of symbolsOf(x)) moves[from]!.push([sym, to]);
        return to;
      }
      case "seq":
        return x.items.reduce((at, item) => build(item, at), from);
      case "alt": {
        const end = state();
        for (const item of x.items) eps[build(item, from)]!.push(end);
        return end;
      }
      case "rep": {
        let at = from;
        for (let i = 0; i < x.min; i++) at = build(x.item, at);
        if (x.max === Infinity) {
          const loop = state();
          eps[at]!.push(loop);
          eps[build(x.item, loop)]!.push(loop);
          return loop;
        }
        const end = state();
        for (let i = x.min; i < x.max; i++) {
          eps[at]!.push(end);
          at = build(x.item, at);
        }
        eps[at]!.push(end);
        return end;
      }
      case "ref":
        throw new DfaTooLarge("multipleOf bounds refer to rules", path, "multipleOf");
    }
  };
  const start = state();
  const final = build(e, start);
  const closure = (set: Iterable<number>): number[] => {
    const seen = new Set(set);
    const stack = [...seen];
    while (stack.length) for (const t of eps[stack.pop()!]!) if (!seen.has(t)) (seen.add(t), stack.push(t));
    return [...seen].sort((a, c) => a - c);
  };
  const ids = new Map<string, number>();
  const sets: number[][] = [];
  const intern = (set: number[]) => {
    const key = set.join(",");
    let i = ids.get(key);
    if (i === undefined) {
      if (sets.length >= MAX_DFA_STATES) throw new DfaTooLarge("multipleOf bounds need too many states", path, "multipleOf");
      ids.set(key, (i = sets.length));
      sets.push(set);
    }
    return i;
  };
  intern(closure([start]));
  const next: Int32Array[] = [];
  const accept: boolean[] = [];
  for (let i = 0; i < sets.length; i++) {
    if ((i & 63) === 0) tick();
    const row = new Int32Array(11).fill(-1);
    for (let sym = 0; sym < 11; sym++) {
      const to = sets[i]!.flatMap((s) => moves[s]!.filter(([y]) => y === sym).map(([, t]) => t));
      if (to.length) row[sym] = intern(closure(to));
    }
    next.push(row);
    accept.push(sets[i]!.includes(final));
  }
  return { next, accept };
}
