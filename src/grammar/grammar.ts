/**
 * Byte-level context-free grammars: the one form every front end (GBNF, regex, JSON Schema) compiles to and the
 * matcher runs. Lowering turns expressions into rules whose alternatives are flat element lists; repetition
 * becomes right recursion so the matcher's tail-call return keeps its stack bounded. Checked on build: every
 * rule defined, nothing left-recursive, unproductive alternatives pruned (so a viable prefix can always finish).
 */
import { DEFAULT_LIMITS, GrammarError, GrammarLimitError, type GrammarLimits } from "./errors.ts";
import { type Expr, utf8Sequences } from "./expr.ts";
import type { ShapedRule } from "./shaped.ts";

/** Element code for the end of an alternative. */
export const END = -1;

/** A compiled grammar: flat element array plus the alternatives of every rule. */
export interface Grammar {
  /** Elements: `>= 0` a byte-set index into `sets`, `END` (-1) ends an alternative, `<= -2` a reference to rule `-2 - e`. */
  readonly elems: Int32Array;
  /** 256-bit byte sets, 8 words each. */
  readonly sets: Uint32Array;
  /** Start positions (in `elems`) of every alternative of every rule. */
  readonly ruleAlts: readonly Int32Array[];
  /** Rule names, for error messages. */
  readonly ruleNames: readonly string[];
  /** The start rule. */
  readonly root: number;
  /** Bounds the matcher enforces at run time. */
  readonly limits: GrammarLimits;
  /** The JSON string character rule (`JsonRules.char`), when the grammar has one: masks count its runs (`runs.ts`). */
  readonly jsonChar?: number;
  /** Rules of automaton-shaped strings by id (`shaped.ts`): masks derive their frames from the automaton's states. */
  readonly shaped?: ReadonlyMap<number, ShapedRule>;
}

/** Whether byte `b` is in set `s` of `grammar`. */
export function setHas(sets: Uint32Array, s: number, b: number): boolean {
  return ((sets[s * 8 + (b >> 5)]! >>> (b & 31)) & 1) === 1;
}

/**
 * The 256 bits of the byte set at `words[at..at + 8)` as 16 code units, two per word: an exact, fixed-length key,
 * far cheaper to build than the words joined.
 */
export function setBits(words: ArrayLike<number>, at: number): string {
  const w = (k: number) => words[at + k]!;
  return String.fromCharCode(
    w(0) & 0xffff, w(0) >>> 16, w(1) & 0xffff, w(1) >>> 16, w(2) & 0xffff, w(2) >>> 16, w(3) & 0xffff, w(3) >>> 16,
    w(4) & 0xffff, w(4) >>> 16, w(5) & 0xffff, w(5) >>> 16, w(6) & 0xffff, w(6) >>> 16, w(7) & 0xffff, w(7) >>> 16,
  );
}

/** Collects named rules as expressions and lowers them to a `Grammar`. */
export class GrammarBuilder {
  readonly #names: string[] = [];
  readonly #bodies: (Expr | undefined)[] = [];
  readonly #byName = new Map<string, number>();
  /** Next suffix to try per `fresh` hint: probing `hint-1`, `hint-2`… from 1 each time made compiles quadratic. */
  readonly #suffix = new Map<string, number>();
  readonly #started = performance.now();
  /** The JSON string character rule, set by `JsonRules` (see `Grammar.jsonChar`). */
  jsonChar: number | undefined;
  /** Product rules of bounded automaton strings, set by `boundedExpr` (see `Grammar.shaped`). */
  readonly shaped = new Map<number, ShapedRule>();

  constructor(readonly limits: GrammarLimits = DEFAULT_LIMITS) {}

  /** The id of rule `name`, reserving it if new (so rules can refer to rules defined later, or to themselves). */
  rule(name: string): number {
    const known = this.#byName.get(name);
    if (known !== undefined) return known;
    const id = this.#names.length;
    if (id >= this.limits.maxRules) throw new GrammarLimitError(`more than ${this.limits.maxRules} rules`);
    this.#names.push(name);
    this.#bodies.push(undefined);
    this.#byName.set(name, id);
    return id;
  }

  /** A fresh rule with a unique name derived from `hint`. */
  fresh(hint: string): number {
    let i = this.#suffix.get(hint) ?? 0;
    let name = i === 0 ? hint : `${hint}-${i}`;
    while (this.#byName.has(name)) name = `${hint}-${++i}`;
    this.#suffix.set(hint, i + 1);
    return this.rule(name);
  }

  /** Whether rule `id` has a body yet. */
  defined(id: number): boolean {
    return this.#bodies[id] !== undefined;
  }

  /** Sets the body of rule `id`; defining a rule twice is an error (GBNF reports it with its position). */
  define(id: number, body: Expr): void {
    if (this.#bodies[id] !== undefined) throw new GrammarError(`rule "${this.#names[id]}" is defined twice`);
    this.#bodies[id] = body;
  }

  /** A reference to `id`. */
  ref(id: number): Expr {
    return { t: "ref", rule: id };
  }

  /** Throws once the compile has run longer than the limit (called by front ends inside their loops). */
  checkTime(): void {
    if (performance.now() - this.#started > this.limits.maxCompileMs) {
      throw new GrammarLimitError(`compiling took longer than ${this.limits.maxCompileMs} ms`);
    }
  }

  /** Lowers, checks and flattens the rules reachable from `root`. */
  build(root: number): Grammar {
    const grammar = new Lowering(this.#names, this.#bodies, this.limits, () => this.checkTime()).run(root);
    return this.jsonChar === undefined && this.shaped.size === 0 ? grammar : { ...grammar, jsonChar: this.jsonChar, shaped: this.shaped.size > 0 ? this.shaped : undefined };
  }
}

class Lowering {
  readonly names: string[];
  readonly alts: number[][][] = [];
  readonly setIds = new Map<string, number>();
  /** Set ids by array identity: literals share one array per byte value, so most lookups skip building a key. */
  readonly setObjects = new WeakMap<Uint32Array, number>();
  readonly setWords: number[] = [];
  readonly cpRules = new Map<string, number>();
  elements = 0;

  constructor(names: string[], readonly bodies: (Expr | undefined)[], readonly limits: GrammarLimits, readonly tick: () => void) {
    this.names = [...names];
  }

  run(root: number): Grammar {
    const n = this.bodies.length;
    for (let r = 0; r < n; r++) this.alts.push([]);
    for (let r = 0; r < n; r++) {
      const body = this.bodies[r];
      if (body === undefined) throw new GrammarError(`rule "${this.names[r]}" is used but never defined`);
      this.alts[r] = this.lowerAlts(body, r);
    }
    const productive = this.prune();
    if (!productive[root]) throw new GrammarError(`the grammar accepts no string (rule "${this.names[root]}" can never complete)`);
    this.checkLeftRecursion(root);
    return this.flatten(root);
  }

  newRule(parent: number, alts: number[][]): number {
    if (this.alts.length >= this.limits.maxRules) throw new GrammarLimitError(`more than ${this.limits.maxRules} rules`);
    this.names.push(`${this.names[parent]}__${this.alts.length}`);
    this.alts.push(alts);
    return this.alts.length - 1;
  }

  lowerAlts(e: Expr, owner: number): number[][] {
    if (e.t === "alt") return e.items.map((item) => this.lowerSeq(item, owner));
    return [this.lowerSeq(e, owner)];
  }

  lowerSeq(e: Expr, owner: number, out: number[] = []): number[] {
    this.elements++;
    if (this.elements > this.limits.maxElements) throw new GrammarLimitError(`more than ${this.limits.maxElements} grammar elements`);
    if ((this.elements & 1023) === 0) this.tick();
    switch (e.t) {
      case "bytes":
        out.push(this.setId(e.set));
        break;
      case "cps":
        out.push(this.codepoints(e.ranges, owner));
        break;
      case "seq":
        for (const item of e.items) this.lowerSeq(item, owner, out);
        break;
      case "alt":
        if (e.items.length === 1) this.lowerSeq(e.items[0]!, owner, out);
        else out.push(-2 - this.newRule(owner, this.lowerAlts(e, owner)));
        break;
      case "ref":
        out.push(-2 - e.rule);
        break;
      case "rep":
        this.repeat(e.item, e.min, e.max, owner, out);
        break;
    }
    return out;
  }

  repeat(item: Expr, min: number, max: number, owner: number, out: number[]): void {
    if (max < min) throw new GrammarError(`repetition {${min},${max}} has max < min`);
    let unit = this.lowerSeq(item, owner);
    if (unit.length > 1) unit = [-2 - this.newRule(owner, [unit])];
    if (unit.length === 0) return;
    if (min * unit.length + this.elements > this.limits.maxElements) throw new GrammarLimitError(`more than ${this.limits.maxElements} grammar elements`);
    for (let i = 0; i < min; i++) out.push(...unit);
    if (max === Infinity) {
      const star = this.newRule(owner, []);
      this.alts[star] = [[...unit, -2 - star], []];
      out.push(-2 - star);
    } else if (max > min) {
      if (max - min > this.limits.maxElements) throw new GrammarLimitError(`repetition of ${max - min} optional items`);
      let tail = -1;
      for (let k = 0; k < max - min; k++) tail = this.newRule(owner, [tail < 0 ? [...unit] : [...unit, -2 - tail], []]);
      out.push(-2 - tail);
    }
  }

  setId(set: Uint32Array): number {
    const same = this.setObjects.get(set);
    if (same !== undefined) return same;
    const key = setBits(set, 0);
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.setIds.size;
      this.setIds.set(key, id);
      this.setWords.push(...set);
    }
    this.setObjects.set(set, id);
    return id;
  }

  /** One code point from `ranges` as bytes: a single set for ASCII, else a shared rule of UTF-8 sequences. */
  codepoints(ranges: readonly number[], owner: number): number {
    if (ranges.length === 0) return this.setId(new Uint32Array(8));
    if (ranges[ranges.length - 1]! <= 0x7f) return this.setId(byteSet(ranges));
    const key = ranges.join(",");
    const known = this.cpRules.get(key);
    if (known !== undefined) return -2 - known;
    const id = this.newRule(owner, utf8Alternatives(ranges, key).map((alt) => alt.map((set) => this.setId(set))));
    this.cpRules.set(key, id);
    return -2 - id;
  }

  /** Removes alternatives that can never complete; returns which rules can. */
  prune(): boolean[] {
    const n = this.alts.length;
    const productive = new Array<boolean>(n).fill(false);
    const empty = new Set<number>(), words = this.setWords;
    for (let s = 0; s < this.setIds.size; s++) {
      let bits = 0;
      for (let w = s * 8; w < s * 8 + 8; w++) bits |= words[w]!;
      if (bits === 0) empty.add(s);
    }
    const ok = (e: number) => (e >= 0 ? !empty.has(e) : productive[-2 - e]!);
    for (let changed = true; changed;) {
      changed = false;
      this.tick();
      for (let r = 0; r < n; r++) {
        if ((r & 1023) === 0) this.tick();
        if (!productive[r] && this.alts[r]!.some((a) => a.every(ok))) productive[r] = changed = true;
      }
    }
    for (let r = 0; r < n; r++) this.alts[r] = this.alts[r]!.filter((a) => a.every(ok));
    return productive;
  }

  /** A rule that can reach itself without consuming a byte would loop the matcher: refuse it, naming the rule. */
  checkLeftRecursion(root: number): void {
    const n = this.alts.length;
    const nullable = new Array<boolean>(n).fill(false);
    for (let changed = true; changed;) {
      changed = false;
      this.tick();
      for (let r = 0; r < n; r++) {
        if ((r & 1023) === 0) this.tick();
        if (!nullable[r] && this.alts[r]!.some((a) => a.every((e) => e < -1 && nullable[-2 - e]))) nullable[r] = changed = true;
      }
    }
    const state = new Uint8Array(n); // 0 unvisited, 1 on the path, 2 done
    // Depth-first without recursion (a chain of thousands of rules would overflow the call stack): each path entry
    // is a rule and the rules it may call first, visited in turn.
    const visit = (from: number): void => {
      const path: number[] = [];
      const pending: number[][] = [];
      const enter = (r: number): void => {
        if (state[r] === 2) return;
        if (state[r] === 1) {
          const cycle = path.slice(path.indexOf(r)).map((x) => this.names[x]!).filter((x) => !x.includes("__"));
          throw new GrammarError(`rule "${cycle[0] ?? this.names[r]}" is left-recursive (${[...cycle, cycle[0]].join(" -> ")}); rewrite it with repetition`);
        }
        state[r] = 1;
        if ((path.push(r) & 255) === 0) this.tick();
        const first: number[] = [];
        for (const a of this.alts[r]!) {
          for (const e of a) {
            if (e >= 0) break;
            first.push(-2 - e);
            if (!nullable[-2 - e]) break;
          }
        }
        pending.push(first.reverse());
      };
      enter(from);
      while (path.length > 0) {
        const next = pending[pending.length - 1]!.pop();
        if (next !== undefined) enter(next);
        else {
          state[path.pop()!] = 2;
          pending.pop();
        }
      }
    };
    visit(root);
    for (let r = 0; r < n; r++) visit(r);
  }

  flatten(root: number): Grammar {
    const elems: number[] = [];
    const ruleAlts = this.alts.map((alts, r) => {
      if ((r & 1023) === 0) this.tick();
      const starts = new Int32Array(alts.length);
      for (let k = 0; k < alts.length; k++) {
        const a = alts[k]!;
        starts[k] = elems.length;
        for (let i = 0; i < a.length; i++) elems.push(a[i]!);
        elems.push(END);
      }
      return starts;
    });
    return { elems: new Int32Array(elems), sets: new Uint32Array(this.setWords), ruleAlts, ruleNames: this.names, root, limits: this.limits };
  }
}

function byteSet(ranges: readonly number[]): Uint32Array {
  const set = new Uint32Array(8);
  for (let i = 0; i < ranges.length; i += 2) for (let b = ranges[i]!; b <= Math.min(255, ranges[i + 1]!); b++) set[b >> 5]! |= 1 << (b & 31);
  return set;
}

function orSets(a: Uint32Array, b: Uint32Array): Uint32Array {
  return a.map((w, i) => w | b[i]!);
}

/** utf8Alternatives' results by their ranges (every JSON string's character class asks for the same few). */
const utf8Cache = new Map<string, readonly (readonly Uint32Array[])[]>();
const UTF8_CACHE = 256;

/**
 * The UTF-8 byte sequences of the code points in `ranges` (`key`: the ranges joined), merged (mergeAlternatives), as
 * byte sets: the same for every grammar, so built once per process (bounded) instead of once per schema.
 */
function utf8Alternatives(ranges: readonly number[], key: string): readonly (readonly Uint32Array[])[] {
  const known = utf8Cache.get(key);
  if (known) return known;
  const sets: Uint32Array[] = [], ids = new Map<string, number>();
  const id = (set: Uint32Array): number => {
    const k = setBits(set, 0);
    let i = ids.get(k);
    if (i === undefined) ids.set(k, (i = sets.push(set) - 1));
    return i;
  };
  const alts: number[][] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    for (const sequence of utf8Sequences(ranges[i]!, ranges[i + 1]!)) alts.push(sequence.map(([lo, hi]) => id(byteSet([lo, hi]))));
  }
  const merged = mergeAlternatives(alts, (a, b) => id(orSets(sets[a]!, sets[b]!))).map((alt) => alt.map((i) => sets[i]!));
  if (utf8Cache.size >= UTF8_CACHE) utf8Cache.clear();
  utf8Cache.set(key, merged);
  return merged;
}

/** Merges UTF-8 alternatives that differ only in their last byte set (keeps the per-byte fan-out small). */
function mergeAlternatives(alts: number[][], or: (a: number, b: number) => number): number[][] {
  const byPrefix = new Map<string, number[]>();
  for (const a of alts) {
    const key = a.slice(0, -1).join(",") + `/${a.length}`;
    const known = byPrefix.get(key);
    if (known) known[known.length - 1] = or(known[known.length - 1]!, a[a.length - 1]!);
    else byPrefix.set(key, [...a]);
  }
  return [...byPrefix.values()];
}
