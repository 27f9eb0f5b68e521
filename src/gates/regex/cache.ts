/**
 * Lazy DFA over Pike VM thread lists: a state is the ordered list of NFA pcs (priority = earliest start), the
 * class of the previous character (for lookbehind-like assertions) and whether a new thread is seeded at each
 * position. A cached transition says which old thread each new thread comes from, so the VM only remaps start
 * offsets per character instead of walking epsilon closures. Shared by every stream of one program.
 */
import { ASSERT, OP_ASSERT, OP_MATCH, OP_SET, OP_SPLIT, setHas, type Program } from "./program.ts";

/** One step of the thread list on one input character. */
export interface Transition {
  /** Cached target state, or -1 when the cache is full (the VM then works from `pcs`). */
  readonly target: number;
  /** NFA pcs of the new threads, in priority order. */
  readonly pcs: Int32Array;
  /** For each new thread, the index of the old thread it came from (== old count: the thread seeded here). */
  readonly sources: Int32Array;
  /** Index of the first old thread that reached MATCH before this character (-1: none). */
  readonly matchSource: number;
  /** Every thread that reached MATCH, in priority order (earliest start first). */
  readonly matchSources: Int32Array;
  /** Some thread reached an NFA state an earlier (higher-priority) thread already holds, and was absorbed by it. */
  readonly merges: boolean;
  /**
   * Which threads met, as pairs (the older thread's index, the absorbed one's; == old count: the thread seeded here):
   * only a meeting of threads with different starts can lose a candidate.
   */
  readonly meetings: Int32Array;
  /** The thread seeded here was absorbed by an older one (always a different start; `merges` is then true too). */
  readonly seedAbsorbed: boolean;
}

const isAsciiWord = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** An empty list (most transitions have no candidate and no meeting). */
const NONE = new Int32Array(0);

/** Upper bound on cached states per program: past it the VM keeps working uncached (still linear). */
const MAX_STATES = 2048;
/** States the transition tables have room for before they first grow. */
const INITIAL_STATES = 16;
/** Upper bound on cached multi-start states per program (see aged()): past it the VM steps them. */
const MAX_AGED = 2048;

/** The lazily built DFA of one program. */
export class TransitionCache {
  private readonly statePcs: Int32Array[] = [];
  private readonly stateSeeding: boolean[] = [];
  private readonly statePrev: number[] = [];
  private readonly ids = new Map<string, number>();
  /** Seeding state with no threads, per previous-character signature (the common entry point). */
  private readonly idle = new Map<number, number>();
  /**
   * `table[state * 128 + c]` = transition index for ASCII `c`, -1 while unknown. One array for all states (grown by
   * doubling), not one per state: building a policy's first streams made thousands of small arrays to collect.
   */
  private table = new Int32Array(128 * INITIAL_STATES).fill(-1);
  private readonly transitions: Transition[] = [];
  /** `walkTable[state * 128 + c]`: walk()'s answer for ASCII `c` (-2 unknown), laid out like `table`. */
  private walkTable = new Int32Array(128 * INITIAL_STATES).fill(-2);
  /** Per state: its transition at the end of the stream (nothing consumed), once computed. */
  private readonly endTransitions: (Transition | undefined)[] = [];
  private readonly assertSets: number[] = [];
  private readonly mark: Int32Array;
  /** Which thread of the current compute() marked each pc. */
  private readonly owner: Int32Array;
  /** idleState per ASCII previous character (index prev + 1; -1 unknown). */
  private readonly idleByPrev = new Int32Array(129).fill(-1);
  /** idleDead answers per (ASCII prev, ASCII c). */
  private readonly deadTable = new Uint8Array(128 * 128);
  private readonly stack: Int32Array;
  private gen = 0;
  /**
   * Per pc: nothing but assertions and MATCH can follow it (the tail of a pattern, `(?![A-Za-z0-9_])` then MATCH).
   * Threads meeting there lose nothing as long as each still reaches MATCH, so such pcs are walked per thread.
   */
  private readonly toMatch: Uint8Array;
  /** Which thread walked a `toMatch` pc last (a stamp per thread of every compute()). */
  private readonly walkedBy: Int32Array;
  private stamp = 0;
  /**
   * Multi-start states: a cached state and its threads' ages (the offset of the next unit minus the thread's start,
   * oldest first), found by a hash of both (colliding ones chained), and glide()'s answers laid out like `table`.
   */
  private readonly agedBase: number[] = [];
  private readonly agedAges: Int32Array[] = [];
  private readonly agedIds = new Map<number, number>();
  private readonly agedChain: number[] = [];
  private agedTable = new Int32Array(128 * INITIAL_STATES).fill(-2);

  constructor(private readonly program: Program) {
    const n = program.op.length;
    this.mark = new Int32Array(n);
    this.owner = new Int32Array(n);
    this.stack = new Int32Array(n * 2 + 2);
    for (let pc = 0; pc < n; pc++) {
      const set = program.assertSet[pc]!;
      if (set >= 0 && !this.assertSets.includes(set)) this.assertSets.push(set);
    }
    this.toMatch = toMatchOnly(program);
    this.walkedBy = new Int32Array(n);
  }

  /** What the assertions can observe about the previous character (-1: stream start). */
  private signature(prev: number): number {
    if (prev < 0) return 1;
    let sig = (prev === 10 || prev === 13 ? 2 : 0) | (isAsciiWord(prev) ? 4 : 0);
    for (let k = 0; k < this.assertSets.length; k++) if (setHas(this.program, this.assertSets[k]!, prev)) sig |= 8 << k;
    return sig;
  }

  /** State id of a thread list (-1 if the cache is full). */
  intern(pcs: Int32Array, count: number, seeding: boolean, prev: number): number {
    let key = `${seeding ? 1 : 0}:${this.signature(prev)}`;
    for (let t = 0; t < count; t++) key += `,${pcs[t]}`;
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    if (this.statePcs.length >= MAX_STATES) return -1;
    const id = this.statePcs.length;
    this.statePcs.push(pcs.slice(0, count));
    this.stateSeeding.push(seeding);
    this.statePrev.push(prev);
    if ((id + 1) * 128 > this.table.length) this.growTables();
    // Dense per-state arrays (filled as states are made): a holey array would make every lookup slow.
    this.endTransitions.push(undefined);
    this.ids.set(key, id);
    return id;
  }

  /** Room for twice as many states in the transition tables. */
  private growTables(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1), walkTable = new Int32Array(this.table.length * 2).fill(-2);
    table.set(this.table);
    walkTable.set(this.walkTable);
    this.table = table;
    this.walkTable = walkTable;
  }

  /** The seeding state with no live thread after `prev` (-1 if the cache is full). */
  idleState(prev: number): number {
    // Stream start and ASCII: one array read (the VM asks after every character that ends all threads).
    const fast = prev < 128 ? this.idleByPrev[prev + 1]! : -2;
    if (fast >= 0) return fast;
    const sig = this.signature(prev);
    let id = this.idle.get(sig);
    if (id === undefined) {
      id = this.intern(new Int32Array(0), 0, true, prev);
      if (id >= 0) this.idle.set(sig, id);
    }
    if (prev < 128 && id >= 0) this.idleByPrev[prev + 1] = id;
    return id;
  }

  /**
   * True when no thread survives ASCII `c` after ASCII `prev` from the idle state (e.g. a token-edge lookbehind
   * after a letter): the VM skips such characters without a step. Lazily filled, 0 unknown / 1 dead / 2 alive.
   */
  idleDead(prev: number, c: number): boolean {
    const k = (prev << 7) | c;
    let v = this.deadTable[k]!;
    if (v === 0) {
      const state = this.idleState(prev);
      const t = state >= 0 ? this.step(state, c) : this.compute(new Int32Array(0), 0, true, prev, c);
      v = t.pcs.length === 0 ? 1 : 2;
      this.deadTable[k] = v;
    }
    return v === 1;
  }

  /** Thread pcs of a cached state. */
  pcsOf(state: number): Int32Array {
    return this.statePcs[state]!;
  }

  /** Cached transition of `state` on ASCII `c`. */
  step(state: number, c: number): Transition {
    let index = this.table[state * 128 + c]!;
    if (index < 0) {
      const pcs = this.statePcs[state]!;
      const seeding = this.stateSeeding[state]!;
      const t = this.compute(pcs, pcs.length, seeding, this.statePrev[state]!, c);
      const target = this.intern(t.pcs, t.pcs.length, seeding, c);
      // Same property order as compute()'s objects: one shape for every transition the VM reads.
      index = this.transitions.push({ target, pcs: t.pcs, sources: t.sources, matchSource: t.matchSource, matchSources: t.matchSources, merges: t.merges, meetings: t.meetings, seedAbsorbed: t.seedAbsorbed }) - 1;
      this.table[state * 128 + c] = index;
    }
    return this.transitions[index]!;
  }

  /**
   * ASCII `c` from `state` as a move that needs no start offsets, `target << 2 | kind`, or -1: no match and no merge,
   * and either every new thread comes from an old one (kind 1: one start for all stays one start; `[a-z]+` inside a
   * word), or only the thread seeded here survives (kind 2: its start is this offset), or none survives (kind 3).
   */
  walk(state: number, c: number): number {
    let v = this.walkTable[state * 128 + c]!;
    if (v === -2) {
      const t = this.step(state, c), count = this.statePcs[state]!.length, n = t.sources.length;
      let old = 0;
      for (let k = 0; k < n; k++) if (t.sources[k]! < count) old++;
      const kind = n === 0 ? 3 : old === n ? 1 : old === 0 ? 2 : 0;
      // Merges among old threads lose nothing when they all share one start (kind 1 keeps it that way).
      const merges = kind === 1 ? t.seedAbsorbed : t.merges;
      v = t.target >= 0 && kind > 0 && t.matchSource < 0 && !merges ? t.target << 2 | kind : -1;
      this.walkTable[state * 128 + c] = v;
    }
    return v;
  }

  /** The multi-start state of cached `state` whose threads' ages are `ages[0..count)` (-1 if the cache is full). */
  aged(state: number, ages: Int32Array, count: number): number {
    let hash = state;
    for (let k = 0; k < count; k++) hash = Math.imul(hash ^ ages[k]!, 0x9e3779b1);
    const first = this.agedIds.get(hash);
    for (let id = first ?? -1; id >= 0; id = this.agedChain[id]!) {
      const known = this.agedAges[id]!;
      if (this.agedBase[id] !== state || known.length !== count) continue;
      let same = true;
      for (let k = 0; k < count && same; k++) same = known[k] === ages[k];
      if (same) return id;
    }
    if (this.agedBase.length >= MAX_AGED) return -1;
    const id = this.agedBase.length;
    this.agedBase.push(state);
    this.agedAges.push(ages.slice(0, count));
    this.agedChain.push(first ?? -1);
    this.agedIds.set(hash, id);
    if ((id + 1) * 128 > this.agedTable.length) {
      const table = new Int32Array(this.agedTable.length * 2).fill(-2);
      table.set(this.agedTable);
      this.agedTable = table;
    }
    return id;
  }

  /**
   * The multi-start state after ASCII `c` when the move needs no start offsets and checks no match (-1 otherwise: a
   * thread reaches MATCH, threads of different ages meet, no thread is left, or the cache is full). Every new
   * thread's age is its source's plus one (the thread seeded at `c`: one).
   */
  glide(aged: number, c: number): number {
    let v = this.agedTable[aged * 128 + c]!;
    if (v === -2) {
      const state = this.agedBase[aged]!, ages = this.agedAges[aged]!, count = ages.length;
      const t = this.step(state, c), sources = t.sources;
      v = -1;
      if (t.target >= 0 && t.matchSources.length === 0 && sources.length > 0 && !meetAcross(t.meetings, ages, count, 0)) {
        const next = new Int32Array(sources.length);
        for (let k = 0; k < next.length; k++) next[k] = (sources[k]! < count ? ages[sources[k]!]! : 0) + 1;
        v = this.aged(t.target, next, next.length);
      }
      this.agedTable[aged * 128 + c] = v;
    }
    return v;
  }

  /** The cached state of a multi-start state. */
  agedState(aged: number): number {
    return this.agedBase[aged]!;
  }

  /** Its threads' ages, oldest first. */
  agesOf(aged: number): Int32Array {
    return this.agedAges[aged]!;
  }

  /** Threads in a cached state. */
  threadsOf(state: number): number {
    return this.statePcs[state]!.length;
  }

  /**
   * Cached transition of `state` at the end of the stream (only which thread matches; no thread survives): a stream
   * ends at every JSON string value of a tool call, so this must not allocate.
   */
  stepEnd(state: number): Transition {
    let t = this.endTransitions[state];
    if (!t) {
      const pcs = this.statePcs[state]!;
      t = this.compute(pcs, pcs.length, this.stateSeeding[state]!, this.statePrev[state]!, -1);
      this.endTransitions[state] = t;
    }
    return t;
  }

  /** Uncached transition from an explicit thread list (`c` = -1: end of stream, nothing is consumed). */
  compute(pcs: Int32Array, count: number, seeding: boolean, prev: number, c: number): Transition {
    const p = this.program;
    const { op, arg, next, alt } = p;
    const mark = this.mark, stack = this.stack;
    // Stamps live in Int32Arrays: start over before they would wrap (an equal stamp must mean "this round").
    if (this.gen === 0x7fffffff || this.stamp > 0x7fffffff - 4096) {
      this.mark.fill(0);
      this.walkedBy.fill(0);
      this.gen = this.stamp = 0;
    }
    const gen = ++this.gen;
    const outPcs: number[] = [], sources: number[] = [];
    let merges = false, seedAbsorbed = false;
    const meetings: number[] = [], matchSources: number[] = [];
    const owner = this.owner;
    const total = count + (seeding ? 1 : 0);
    const toMatch = this.toMatch, walkedBy = this.walkedBy;
    for (let t = 0; t < total; t++) {
      let sp = 0;
      const stamp = ++this.stamp;
      stack[sp++] = t < count ? pcs[t]! : p.start;
      while (sp > 0) {
        const pc = stack[--sp]!;
        const code = op[pc];
        // Every thread reaching MATCH is a candidate (the VM tries them in order); threads meeting at a dead end (a
        // set without `c`, a failing assertion) lose nothing there, so neither is a meeting.
        if (code === OP_MATCH) {
          if (matchSources[matchSources.length - 1] !== t) matchSources.push(t);
          continue;
        }
        if (code === OP_SET ? !(c >= 0 && (c < 128 ? p.asciiSets[arg[pc]! * 128 + c] === 1 : setHas(p, arg[pc]!, c)))
          : code === OP_ASSERT && !this.holds(pc, prev, c)) continue;
        if (toMatch[pc] === 1) {
          if (walkedBy[pc] === stamp) continue;
          walkedBy[pc] = stamp;
        } else if (mark[pc] === gen) {
          if (owner[pc] !== t) {
            merges = true;
            meetings.push(owner[pc]!, t);
            if (t === count) seedAbsorbed = true;
          }
          continue;
        }
        mark[pc] = gen;
        owner[pc] = t;
        switch (code) {
          case OP_SET:
            outPcs.push(next[pc]!);
            sources.push(t);
            break;
          case OP_SPLIT: stack[sp++] = alt[pc]!; stack[sp++] = next[pc]!; break;
          default: stack[sp++] = next[pc]!; break;
        }
      }
    }
    return {
      target: -1, pcs: Int32Array.from(outPcs), sources: Int32Array.from(sources), matchSource: matchSources.length > 0 ? matchSources[0]! : -1,
      matchSources: matchSources.length > 0 ? Int32Array.from(matchSources) : NONE, merges,
      meetings: meetings.length > 0 ? Int32Array.from(meetings) : NONE, seedAbsorbed,
    };
  }

  private holds(pc: number, prev: number, c: number): boolean {
    const p = this.program;
    switch (p.arg[pc]) {
      case ASSERT.lineStart: return prev < 0 || prev === 10 || prev === 13;
      case ASSERT.lineEnd: return c < 0 || c === 10 || c === 13;
      case ASSERT.wordBoundary: return isAsciiWord(prev) !== isAsciiWord(c);
      case ASSERT.notWordBoundary: return isAsciiWord(prev) === isAsciiWord(c);
      case ASSERT.notAfter: return prev < 0 || !setHas(p, p.assertSet[pc]!, prev);
      default: return c < 0 || !setHas(p, p.assertSet[pc]!, c);
    }
  }
}

/**
 * Some meeting (see Transition.meetings) is of threads with different `keys` (their start offsets or ages; source
 * `count` or more, the thread seeded at this unit, has `seed`).
 */
export function meetAcross(meetings: Int32Array, keys: Int32Array, count: number, seed: number): boolean {
  for (let k = 0; k < meetings.length; k += 2) {
    const older = meetings[k]!, newer = meetings[k + 1]!;
    if ((older < count ? keys[older]! : seed) !== (newer < count ? keys[newer]! : seed)) return true;
  }
  return false;
}

/** Per pc: 1 if only assertions, jumps, splits and MATCH can follow it (no set), greatest fixpoint over cycles. */
function toMatchOnly(program: Program): Uint8Array {
  const { op, next, alt } = program, n = op.length;
  const ok = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) ok[pc] = op[pc] === OP_SET ? 0 : 1;
  for (let changed = true; changed;) {
    changed = false;
    for (let pc = 0; pc < n; pc++) {
      if (ok[pc] === 0 || op[pc] === OP_MATCH) continue;
      if (ok[next[pc]!] === 0 || op[pc] === OP_SPLIT && ok[alt[pc]!] === 0) {
        ok[pc] = 0;
        changed = true;
      }
    }
  }
  return ok;
}
