/**
 * Runs of JSON string characters in a grammar (issue 17: mask speed). A string with `minLength`/`maxLength` lowers to a
 * chain of rules, one per count, so each position inside it is a frame of its own and would need its own walk over the
 * whole vocabulary. Yet the tokens such a position takes without leaving the string are exactly the tokens a plain
 * string body takes whose character count fits what is left of the run: `TokenMasks` derives them from the plain
 * body's shared analysis and a per-token character count, and walks only the tokens that may leave the string.
 */
import { END, type Grammar } from "./grammar.ts";

/** What a stack inside a run of characters can still take (`CharRuns.bounds`). */
export interface RunBounds {
  /** Most characters (Infinity: no maximum). */
  readonly most: number;
  /** Fewest characters. */
  readonly fewest: number;
  /** Whether every count from `fewest` to `most` is possible (always false without a maximum). */
  readonly gapless: boolean;
  /** Where what follows the run starts: its position (-1: nothing follows), in the frame `depth` return positions down. */
  readonly depth: number;
  readonly pos: number;
}

/**
 * The JSON character rule's runs in one grammar: where a character starts, and how many may follow a position. A
 * rule equal to the character rule but for fewer single-byte characters (an object key that has left every listed
 * name: any character but the next letters of those names) counts as a character too, with those first bytes excluded.
 */
export class CharRuns {
  /** Positions where a character starts (first terminals of its alternatives, through tail calls), and the first bytes it excludes. */
  readonly #starts = new Map<number, Uint32Array>();
  /** Bytes a JSON character can start with. */
  readonly #first = new Uint32Array(8);
  /** Longest run of characters each rule made only of characters matches (Infinity: a loop); absent: not such a rule. */
  readonly #lengths = new Map<number, number>();
  /** Fewest characters of each rule of finite `#lengths`. */
  readonly #fewest = new Map<number, number>();
  /** Rules of finite `#lengths` that match every count of characters from their fewest to their most. */
  readonly #gapless = new Set<number>();
  /** Rules recorded as characters with excluded first bytes. */
  readonly #likes = new Set<number>();

  private constructor(readonly grammar: Grammar, readonly char: number) {}

  /** The runs of `grammar`'s JSON character rule (undefined: it has none, or one of a shape these counts do not cover). */
  static of(grammar: Grammar): CharRuns | undefined {
    const char = grammar.jsonChar;
    if (char === undefined) return undefined;
    const runs = new CharRuns(grammar, char);
    return runs.#findStarts() ? (runs.#measure(), runs) : undefined;
  }

  /** The first bytes a character starting at `pos` excludes (all zero for the JSON character); undefined: no character starts there. */
  startAt(pos: number): Uint32Array | undefined {
    return this.#starts.get(pos);
  }

  /**
   * Whether the element before `pos` (a return position) calls a run of JSON characters: then a stack at a character
   * start with `pos` below it is at the start of one of that run's characters.
   */
  followsRun(pos: number): boolean {
    const e = pos > 0 ? this.grammar.elems[pos - 1]! : END;
    return e <= -2 && this.#lengths.has(-2 - e);
  }

  /**
   * How many characters the stack from `positions` (return positions, top first) can still take before what follows
   * the run, provided what follows starts with a byte no character does (a closing quote); undefined otherwise.
   */
  bounds(positions: Iterable<number>): RunBounds | undefined {
    const { elems, sets } = this.grammar;
    let most = 0, fewest = 0, gapless = true, depth = 0;
    for (const start of positions) {
      for (let p = start; ; p++) {
        if (p >= elems.length) return undefined;
        const e = elems[p]!;
        if (e === END) break;
        if (e <= -2) {
          const n = this.#lengths.get(-2 - e);
          if (n === undefined) return undefined;
          most += n;
          fewest += this.#fewest.get(-2 - e) ?? 0;
          gapless &&= this.#gapless.has(-2 - e);
          continue;
        }
        for (let w = 0; w < 8; w++) if ((sets[e * 8 + w]! & this.#first[w]!) !== 0) return undefined;
        return { most, fewest, gapless, depth, pos: p };
      }
      depth++;
    }
    // The stack ends with the run: nothing can follow it.
    return { most, fewest, gapless, depth, pos: -1 };
  }

  /**
   * Start positions and first bytes of the character rule and of the rules like it; false when its shape is not one
   * alternatives list of terminals or tail calls.
   */
  #findStarts(): boolean {
    const { elems, ruleAlts, sets } = this.grammar;
    const none = new Uint32Array(8);
    for (const a of ruleAlts[this.char]!) {
      const e = elems[a]!;
      if (e >= 0) this.#starts.set(a, none);
      else if (e <= -2 && elems[a + 1] === END) {
        for (const b of ruleAlts[-2 - e]!) {
          if (elems[b]! < 0) return false;
          this.#starts.set(b, none);
        }
      } else return false;
    }
    for (const pos of this.#starts.keys()) for (let w = 0; w < 8; w++) this.#first[w]! |= sets[elems[pos]! * 8 + w]!;
    for (let r = 0; r < ruleAlts.length; r++) if (r !== this.char) this.#likeChar(r);
    return true;
  }

  /** Records rule `r` as a character if it equals the character rule but for a smaller set in single-byte alternatives. */
  #likeChar(r: number): void {
    const { elems, ruleAlts, sets } = this.grammar, mine = ruleAlts[r]!, theirs = ruleAlts[this.char]!;
    if (mine.length !== theirs.length || elems[mine[0]!]! > -2) return;
    const excluded = new Uint32Array(8), starts: number[] = [];
    for (let i = 0; i < mine.length; i++) {
      const a = mine[i]!, b = theirs[i]!;
      const e = elems[a]!, f = elems[b]!;
      if (f <= -2 && elems[b + 1] === END) {
        // The tail-called UTF-8 rule: equal alternatives, but single-byte ones may take fewer bytes.
        if (e > -2 || elems[a + 1] !== END) return;
        const u = ruleAlts[-2 - e]!, v = ruleAlts[-2 - f]!;
        if (u.length !== v.length) return;
        for (let k = 0; k < u.length; k++) {
          const x = u[k]!, y = v[k]!;
          if (elems[x + 1] === END && elems[y + 1] === END && elems[x]! >= 0 && elems[y]! >= 0) {
            for (let w = 0; w < 8; w++) {
              const sx = sets[elems[x]! * 8 + w]!, sy = sets[elems[y]! * 8 + w]!;
              if ((sx & ~sy) !== 0) return;
              excluded[w]! |= sy & ~sx;
            }
          } else if (!this.#sameAlt(x, y, 2)) return;
          starts.push(x);
        }
      } else {
        if (!this.#sameAlt(a, b, 2)) return;
        starts.push(a);
      }
    }
    for (const pos of starts) this.#starts.set(pos, excluded);
    this.#lengths.set(r, 1);
    this.#likes.add(r);
  }

  /** Whether the alternatives starting at `a` and `b` are equal element by element (rules compared to `depth` levels). */
  #sameAlt(a: number, b: number, depth: number): boolean {
    const { elems, ruleAlts } = this.grammar;
    for (; ; a++, b++) {
      const e = elems[a]!, f = elems[b]!;
      if (e === f) {
        if (e === END) return true;
        continue;
      }
      if (e > -2 || f > -2 || depth === 0) return false;
      const u = ruleAlts[-2 - e]!, v = ruleAlts[-2 - f]!;
      if (u.length !== v.length) return false;
      for (let k = 0; k < u.length; k++) if (!this.#sameAlt(u[k]!, v[k]!, depth - 1)) return false;
    }
  }

  /** Which rules are made only of characters (greatest fixpoint), and their longest runs (loops: Infinity). */
  #measure(): void {
    const { elems, ruleAlts } = this.grammar;
    const candidate = new Uint8Array(ruleAlts.length);
    const refs = (r: number, f: (e: number) => boolean) => {
      const starts = ruleAlts[r]!;
      for (let k = 0; k < starts.length; k++) for (let p = starts[k]!; elems[p] !== END; p++) if (!f(elems[p]!)) return false;
      return true;
    };
    this.#lengths.set(this.char, 1);
    for (const r of [this.char, ...this.#likes]) this.#fewest.set(r, 1), this.#gapless.add(r);
    const atom = (e: number) => -2 - e === this.char || this.#likes.has(-2 - e);
    for (let r = 0; r < ruleAlts.length; r++) candidate[r] = !this.#lengths.has(r) && refs(r, (e) => e <= -2) ? 1 : 0;
    for (let changed = true; changed;) {
      changed = false;
      for (let r = 0; r < ruleAlts.length; r++) {
        if (candidate[r] === 1 && !refs(r, (e) => atom(e) || candidate[-2 - e] === 1)) candidate[r] = 0, changed = true;
      }
    }
    const onPath = new Uint8Array(ruleAlts.length);
    const length = (r: number): number => {
      const known = this.#lengths.get(r);
      if (known !== undefined) return known;
      if (onPath[r] === 1) return Infinity;
      onPath[r] = 1;
      let best = 0;
      const spans: [number, number][] = [];
      let gapless = true;
      const starts = ruleAlts[r]!;
      for (let k = 0; k < starts.length; k++) {
        let n = 0, least = 0;
        for (let p = starts[k]!; elems[p] !== END; p++) {
          const q = -2 - elems[p]!;
          n += length(q);
          least += this.#fewest.get(q) ?? 0;
          gapless &&= this.#gapless.has(q);
        }
        best = Math.max(best, n);
        spans.push([least, n]);
      }
      onPath[r] = 0;
      this.#lengths.set(r, best);
      if (best < Infinity) {
        // The counts of a sequence of gapless rules are gapless; those of the alternatives, when their spans touch.
        spans.sort((x, y) => x[0] - y[0]);
        let reach = spans[0]?.[1] ?? 0;
        for (const [least, n] of spans) (gapless &&= least <= reach + 1), (reach = Math.max(reach, n));
        this.#fewest.set(r, spans[0]?.[0] ?? 0);
        if (gapless) this.#gapless.add(r);
      }
      return best;
    };
    for (let r = 0; r < ruleAlts.length; r++) if (candidate[r] === 1) length(r);
  }
}

/** Characters of a JSON string body each token starts, when it is a body fragment from a character start (capped at 255). */
export function tokenCharCounts(bytes: Uint8Array, offsets: ArrayLike<number>, vocab: number): Uint8Array {
  const out = new Uint8Array(vocab);
  for (let t = 0; t < vocab; t++) {
    let n = 0;
    for (let i = offsets[t]!, end = offsets[t + 1]!; i < end;) {
      const b = bytes[i]!;
      if (b === 0x5c) {
        n++;
        i += bytes[i + 1] === 0x75 ? 6 : 2;
      } else {
        if ((b & 0xc0) !== 0x80) n++;
        i++;
      }
    }
    out[t] = Math.min(n, 255);
  }
  return out;
}

/** Characters of a JSON string body fragment from a character start (escapes count one), or -1 when it ends inside one. */
export function bodyChars(bytes: readonly number[]): number {
  let n = 0, i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    i += b === 0x5c ? (bytes[i + 1] === 0x75 ? 6 : 2) : b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    n++;
  }
  return i === bytes.length ? n : -1;
}
