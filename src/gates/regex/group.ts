/**
 * WalkGroup: the folded-view Pike scanners of one stream, walked together. While every live thread of a rule has
 * one start, the rule's search is a plain DFA move per unit (PikeScanner.walk); the group steps the product of those
 * DFAs, so a unit of prose costs one table read for all its rules instead of one call per rule. A rule leaves the
 * group (its scanner takes the state back and runs alone) when its next move needs the full VM: a match, a merge of
 * threads with different starts, the length bound, a context word rejecting a seed, a non-ASCII unit it could read.
 * The group stops (every rule runs alone to the block's end) when its tables are full.
 */
import type { WordReader } from "../context.ts";
import type { HeldText } from "../scanner.ts";
import type { TransitionCache } from "./cache.ts";
import type { PikeScanner } from "./pike.ts";

/**
 * Product states per rule list: past it a move to a new product stops the walk and the rules run alone (still
 * linear, only slower). At most 4096: wide() packs a product id in 12 bits, with() keys one in 12.
 */
const MAX_PRODUCTS = 4096;
/** Remembered with() answers per rule list. */
const MAX_WITHS = 1 << 16;
/** A product transition not computed yet. */
const UNKNOWN = -2;
/** Moves on non-ASCII units (product, unit) remembered per rule list: past it the group stops at such units. */
const MAX_WIDE_MOVES = 1 << 16;
/** Words the shared reader may log before owned rules with context words catch up on them (bounds its memory). */
const CONTEXT_BACKLOG = 256;

/** The product DFA of one rule list's member programs, shared by its streams. */
class ProductTable {
  readonly n: number;
  readonly caches: TransitionCache[];
  readonly firstAscii: Uint8Array[];
  readonly firstNonAscii: boolean[];
  readonly maxLength: Int32Array;
  /** Bits of the members whose seeds need a context check, and of those whose context words are required. */
  readonly contextBits: number;
  readonly requiredBits: number;
  /** Longest reach of the members' context words (see ContextCheck.reach). */
  readonly contextReach: number;
  /** Per product state, its members' DFA states (n per product; -1: not in the group). */
  comps = new Int32Array(0);
  /** Per product state: members with a live thread, members idle. */
  liveMask = new Int32Array(0);
  idleMask = new Int32Array(0);
  /** Per product state: live members with a match at the stream's end (-1: not computed yet; see ending()). */
  endMask = new Int32Array(0);
  /** Per (product, ASCII unit): next product (-1 stop, UNKNOWN), members seeded, members that leave the group. */
  next = new Int32Array(0);
  seeds = new Int32Array(0);
  leaves = new Int32Array(0);
  private count = 0;
  /** Products by a hash of their member states (colliding ones chained: each id's next in `chain`). */
  private readonly ids = new Map<number, number>();
  private chain = new Int32Array(0);
  private readonly withs = new Map<number, number>();
  /** (product, non-ASCII unit) → members leaving × 4096 + next product, or -1 (see wide()). */
  private readonly wideMoves = new Map<number, number>();
  private readonly scratch: Int32Array;
  /** The product with no member. */
  readonly empty: number;
  /** Every member idle at the start of a stream (-1: the table was full). */
  readonly start: number;

  constructor(scanners: readonly PikeScanner[]) {
    this.n = scanners.length;
    this.caches = scanners.map((s) => s.cache);
    this.firstAscii = scanners.map((s) => s.program.firstAscii);
    this.firstNonAscii = scanners.map((s) => s.program.firstNonAscii);
    this.maxLength = Int32Array.from(scanners, (s) => s.maxLength);
    this.contextBits = scanners.reduce((bits, s, m) => s.hasContext ? bits | 1 << m : bits, 0);
    this.requiredBits = scanners.reduce((bits, s, m) => s.contextRequired ? bits | 1 << m : bits, 0);
    this.contextReach = Math.max(0, ...scanners.map((s) => s.contextReach));
    this.scratch = new Int32Array(this.n);
    this.empty = this.intern(this.scratch.fill(-1));
    let start = this.empty;
    for (let m = 0; m < this.n && start >= 0; m++) {
      const idle = this.caches[m]!.idleState(-1);
      start = idle < 0 ? -1 : this.with(start, m, idle);
    }
    this.start = start;
  }

  /** Product id of a member-state vector (-1 when the table is full). */
  intern(comps: Int32Array): number {
    const n = this.n;
    let hash = 0;
    for (let m = 0; m < n; m++) hash = Math.imul(hash ^ comps[m]!, 0x9e3779b1) + m | 0;
    const first = this.ids.get(hash);
    for (let id = first ?? -1; id >= 0; id = this.chain[id]!) {
      let same = true;
      for (let m = 0; m < n && same; m++) same = this.comps[id * n + m] === comps[m];
      if (same) return id;
    }
    if (this.count >= MAX_PRODUCTS) return -1;
    const id = this.count++;
    if (id * n + n > this.comps.length) this.grow();
    this.comps.set(comps, id * n);
    this.chain[id] = first ?? -1;
    let live = 0, idle = 0;
    for (let m = 0; m < n; m++) {
      const c = comps[m]!;
      if (c < 0) continue;
      if (this.caches[m]!.threadsOf(c) > 0) live |= 1 << m;
      else idle |= 1 << m;
    }
    this.liveMask[id] = live;
    this.idleMask[id] = idle;
    this.endMask[id] = -1;
    this.ids.set(hash, id);
    return id;
  }

  /** Live members of `product` whose threads reach a match if the stream ends here (the others can find nothing). */
  ending(product: number): number {
    let mask = this.endMask[product]!;
    if (mask < 0) {
      mask = 0;
      for (let bits = this.liveMask[product]!; bits !== 0; bits &= bits - 1) {
        const m = 31 - Math.clz32(bits & -bits);
        if (this.caches[m]!.stepEnd(this.comps[product * this.n + m]!).matchSources.length > 0) mask |= 1 << m;
      }
      this.endMask[product] = mask;
    }
    return mask;
  }

  /** `product` with member `m` in DFA state `state` (-1: out of the group); -1 when the table is full. */
  with(product: number, m: number, state: number): number {
    const key = (product * 32 + m) * 4096 + state + 1;
    let id = this.withs.get(key);
    if (id === undefined) {
      const comps = this.scratch;
      comps.set(this.comps.subarray(product * this.n, product * this.n + this.n));
      comps[m] = state;
      id = this.intern(comps);
      // A full table's answer is remembered too: a join that cannot fit is not hashed again on every block. The memo
      // is bounded (hostile text can ask for many member-state combinations): past its cap it starts over.
      if (this.withs.size >= MAX_WITHS) this.withs.clear();
      this.withs.set(key, id);
    }
    return id;
  }

  /** Computes the transition of `product` on ASCII `d` (see walk's moves in PikeScanner). */
  fill(product: number, d: number): number {
    const n = this.n, out = this.scratch;
    let seeds = 0, leaves = 0;
    for (let m = 0; m < n; m++) {
      const state = this.comps[product * n + m]!;
      if (state < 0) {
        out[m] = -1;
        continue;
      }
      const cache = this.caches[m]!, live = cache.threadsOf(state) > 0;
      let to = -1;
      if (!live && this.firstAscii[m]![d] === 0) to = cache.idleState(d);
      else {
        const move = cache.walk(state, d), kind = move & 3;
        if (move < 0 || kind === 1 && !live) to = -1;
        else if (kind === 3) to = cache.idleState(d);
        else {
          to = move >> 2;
          if (kind === 2) seeds |= 1 << m;
        }
      }
      if (to < 0) {
        leaves |= 1 << m;
        seeds &= ~(1 << m);
      }
      out[m] = to;
    }
    const next = this.intern(out), k = product * 128 + d;
    this.next[k] = next;
    this.seeds[k] = seeds;
    this.leaves[k] = leaves;
    return next;
  }

  /**
   * The move of `product` on non-ASCII unit `d`, as leaving members × 4096 + next product (-1: stop). An idle member
   * whose matches cannot begin with such a unit stays idle; every other member leaves (the VM reads the unit).
   */
  wide(product: number, d: number): number {
    const key = product * 65536 + d;
    let move = this.wideMoves.get(key);
    if (move !== undefined) return move;
    if (this.wideMoves.size >= MAX_WIDE_MOVES) return -1;
    const n = this.n, out = this.scratch;
    let leaves = 0;
    for (let m = 0; m < n; m++) {
      const state = this.comps[product * n + m]!;
      const to = state < 0 || this.firstNonAscii[m] || this.caches[m]!.threadsOf(state) > 0 ? -1 : this.caches[m]!.idleState(d);
      if (to < 0 && state >= 0) leaves |= 1 << m;
      out[m] = to;
    }
    const next = this.intern(out);
    move = next < 0 ? -1 : leaves * 4096 + next;
    this.wideMoves.set(key, move);
    return move;
  }

  private grow(): void {
    const states = Math.max(256, this.liveMask.length * 2);
    const comps = new Int32Array(states * this.n), live = new Int32Array(states), idle = new Int32Array(states), chain = new Int32Array(states);
    const ends = new Int32Array(states);
    comps.set(this.comps);
    live.set(this.liveMask);
    idle.set(this.idleMask);
    ends.set(this.endMask);
    chain.set(this.chain);
    const next = new Int32Array(states * 128).fill(UNKNOWN), seeds = new Int32Array(states * 128), leaves = new Int32Array(states * 128);
    next.set(this.next);
    seeds.set(this.seeds);
    leaves.set(this.leaves);
    Object.assign(this, { comps, liveMask: live, idleMask: idle, endMask: ends, chain, next, seeds, leaves });
  }
}

const tables = new WeakMap<object, ProductTable>();

/** One stream's walk over its member scanners (the rules' folded-view Pike searches). */
export class WalkGroup {
  private readonly table: ProductTable;
  /** Members in the group (one bit each). */
  owned = 0;
  /** Earliest start of a live thread of a member in the group (Infinity: none). */
  liveStart = Infinity;
  private product: number;
  /** Offset every member in the group has read up to, and the unit before it. */
  private at = 0;
  private prev = -1;
  /** Per member: start of its live thread, and where it joined the group. */
  private readonly starts: Int32Array;
  private readonly joined: Float64Array;
  /** Lowest offset at which a member in the group may reach its length bound. */
  private deadline = Infinity;

  /** `key`: the compiled rule list the members belong to (its product table is shared by its streams). */
  constructor(private readonly members: readonly PikeScanner[], key: object, private readonly words: WordReader) {
    let table = tables.get(key);
    if (!table) tables.set(key, (table = new ProductTable(members)));
    this.table = table;
    this.product = table.empty;
    this.starts = new Int32Array(members.length);
    this.joined = new Float64Array(members.length);
    this.restart();
  }

  /**
   * A fresh stream (the stream has just reset every scanner to the start): every member is in the group, idle (a
   * tool call opens a stream per JSON string, so this is one cached product, not a join per member).
   */
  restart(): void {
    const start = this.table.start;
    this.owned = start < 0 ? 0 : (1 << this.members.length) - 1;
    this.product = start < 0 ? this.table.empty : start;
    this.at = 0;
    this.prev = -1;
    this.joined.fill(0);
    this.liveStart = this.deadline = Infinity;
  }

  /**
   * Walks the members that can join (their scanners stand where the group does, with no match pending) over `text`
   * up to `end`; a member that leaves is handed back where it left, to be advanced alone.
   */
  walk(text: HeldText, end: number): void {
    this.join();
    if (this.owned === 0) return;
    const t = this.table, codes = text.codes, base = text.base, starts = this.starts, maxLength = t.maxLength;
    let product = this.product, j = this.at, deadline = this.deadline;
    while (j < end) {
      const d = codes[j - base]!;
      if (d >= 128) {
        const move = t.wide(product, d);
        if (move < 0) break;
        const leaves = Math.floor(move / 4096);
        if (leaves !== 0) this.handBack(product, leaves, j, j > this.at ? codes[j - 1 - base]! : this.prev);
        product = move % 4096;
        j++;
        continue;
      }
      if (j >= deadline) {
        product = this.expire(product, j, j > this.at ? codes[j - 1 - base]! : this.prev);
        deadline = this.deadlineOf(product);
        if (product < 0) break;
      }
      const k = product * 128 + d;
      let next = t.next[k]!;
      if (next === UNKNOWN) next = t.fill(product, d);
      if (next < 0) break;
      let seeds = t.seeds[k]!;
      const checked = seeds & t.contextBits & t.idleMask[product]!;
      if (checked !== 0) {
        // An idle rule whose context words reject a match starting here seeds nothing: it stays idle.
        const rejected = this.rejected(checked, text, end, j);
        if (rejected !== 0) {
          next = this.stayIdle(next, rejected, d);
          if (next < 0) break;
          seeds &= ~rejected;
        }
      }
      const leaves = t.leaves[k]!;
      if (leaves !== 0) this.handBack(product, leaves, j, j > this.at ? codes[j - 1 - base]! : this.prev);
      if (seeds !== 0) {
        for (let bits = seeds; bits !== 0; bits &= bits - 1) {
          const m = 31 - Math.clz32(bits & -bits);
          starts[m] = j;
          if (j + maxLength[m]! < deadline) deadline = j + maxLength[m]!;
        }
      }
      product = next;
      j++;
    }
    if (j > this.at) this.prev = codes[j - 1 - base]!;
    this.at = j;
    if (product < 0 || j < end) {
      if (this.owned !== 0) this.handBack(product, this.owned, j, this.prev);
      this.owned = 0;
      this.product = this.table.empty;
      this.liveStart = this.deadline = Infinity;
      return;
    }
    this.product = product;
    this.deadline = deadline;
    this.liveStart = this.liveStartOf(product);
  }

  /**
   * The stream ends: hands every member with a live thread back to its scanner (the stream finishes them alone),
   * except `short` ones, whose shortest match is longer than the text left, and those whose threads reach no match at
   * the end (their state says so: they can find nothing more; a tool call ends a stream at every JSON string).
   */
  releaseLive(short: number): void {
    const live = this.table.liveMask[this.product]! & this.table.ending(this.product) & ~short;
    if (live !== 0) this.product = this.leave(this.product, live, this.at, this.prev);
    if (this.product < 0) this.product = this.table.empty;
    this.liveStart = Infinity;
  }

  /** Hands every member back to its scanner, where the group stands. */
  releaseAll(): void {
    if (this.owned === 0) return;
    this.handBack(this.product, this.owned, this.at, this.prev);
    this.owned = 0;
    this.product = this.table.empty;
    this.liveStart = this.deadline = Infinity;
  }

  /**
   * A match ended at `resume`: hands back the members whose search may depend on text before it, those that joined
   * after it or have a thread that started before it (the stream restarts them). The others are exactly a fresh
   * search from `resume` (PikeScanner.keepsAcross: no run of theirs reaches past where they joined) and stay.
   */
  releaseBefore(resume: number): void {
    if (this.owned === 0) return;
    const live = this.table.liveMask[this.product]!;
    let bits = 0;
    for (let b = this.owned; b !== 0; b &= b - 1) {
      const m = 31 - Math.clz32(b & -b);
      if (this.joined[m]! > resume || (live & 1 << m) !== 0 && this.starts[m]! < resume) bits |= 1 << m;
    }
    if (bits === 0) return;
    const product = this.leave(this.product, bits, this.at, this.prev);
    this.product = product < 0 ? this.table.empty : product;
    this.liveStart = this.liveStartOf(this.product);
    this.deadline = this.deadlineOf(this.product);
  }

  /** Members in the group with context words read the stream's words up to `end` (the reader's log stays short). */
  readContexts(text: HeldText, end: number, logged: number): void {
    if (logged < CONTEXT_BACKLOG) return;
    const live = this.table.liveMask[this.product]!;
    for (let bits = this.owned & this.table.contextBits; bits !== 0; bits &= bits - 1) {
      const m = 31 - Math.clz32(bits & -bits);
      this.members[m]!.readContext(text, end, (live & 1 << m) !== 0 ? this.starts[m]! : this.at);
    }
  }

  /** Members whose scanners stand where the group does (or anywhere, for an empty group) join it. */
  private join(): void {
    const members = this.members, t = this.table;
    if (this.owned === (1 << members.length) - 1) return;
    let product = this.product;
    for (let m = 0; m < members.length; m++) {
      if ((this.owned & 1 << m) !== 0) continue;
      const s = members[m]!, empty = this.owned === 0;
      if (!empty && s.position !== this.at) continue;
      const state = s.groupState();
      if (state < 0) continue;
      const joined = t.with(product, m, state);
      if (joined < 0) break;
      if (empty) {
        this.at = s.position;
        this.prev = s.before;
      }
      s.groupJoin();
      this.joined[m] = this.at;
      product = joined;
      this.owned |= 1 << m;
      if ((t.liveMask[product]! & 1 << m) !== 0) {
        this.starts[m] = s.threadStart;
        if (s.threadStart + t.maxLength[m]! < this.deadline) this.deadline = s.threadStart + t.maxLength[m]!;
      }
    }
    this.product = product;
  }

  /** Bits of `checked` (members seeding at `at`) whose context words reject a match starting there. */
  private rejected(checked: number, text: HeldText, end: number, at: number): number {
    // No listed word near (most seeds in text that is not about the rules' subjects): no tracker needs to read.
    if (this.words.quiet(at, this.table.contextReach)) return checked & this.table.requiredBits;
    let rejected = 0;
    for (let bits = checked; bits !== 0; bits &= bits - 1) {
      const m = 31 - Math.clz32(bits & -bits);
      if (!this.members[m]!.seedAllowed(text, end, at)) rejected |= 1 << m;
    }
    return rejected;
  }

  /** `product` with the members of `bits` idle after unit `d` (-1 when the table is full). */
  private stayIdle(product: number, bits: number, d: number): number {
    const t = this.table;
    for (let b = bits; b !== 0 && product >= 0; b &= b - 1) {
      const m = 31 - Math.clz32(b & -b), idle = t.caches[m]!.idleState(d);
      product = idle < 0 ? -1 : t.with(product, m, idle);
    }
    return product;
  }

  /** Members past their length bound at `at` leave (the VM drops their thread). */
  private expire(product: number, at: number, prev: number): number {
    const t = this.table;
    let old = 0;
    for (let bits = t.liveMask[product]!; bits !== 0; bits &= bits - 1) {
      const m = 31 - Math.clz32(bits & -bits);
      if (this.starts[m]! + t.maxLength[m]! <= at) old |= 1 << m;
    }
    return old === 0 ? product : this.leave(product, old, at, prev);
  }

  private deadlineOf(product: number): number {
    if (product < 0) return Infinity;
    const t = this.table;
    let deadline = Infinity;
    for (let bits = t.liveMask[product]!; bits !== 0; bits &= bits - 1) {
      const m = 31 - Math.clz32(bits & -bits);
      if (this.starts[m]! + t.maxLength[m]! < deadline) deadline = this.starts[m]! + t.maxLength[m]!;
    }
    return deadline;
  }

  private liveStartOf(product: number): number {
    let first = Infinity;
    for (let bits = this.table.liveMask[product]!; bits !== 0; bits &= bits - 1) {
      const start = this.starts[31 - Math.clz32(bits & -bits)]!;
      if (start < first) first = start;
    }
    return first;
  }

  /**
   * `bits` leave the group at `at` (`prev`: the unit before it): handed back, and out of the product. When the table
   * is full every member is handed back (-1).
   */
  private leave(product: number, bits: number, at: number, prev: number): number {
    this.handBack(product, bits, at, prev);
    let next = product;
    for (let b = bits; b !== 0 && next >= 0; b &= b - 1) next = this.table.with(next, 31 - Math.clz32(b & -b), -1);
    if (next < 0 && this.owned !== 0) this.handBack(product, this.owned, at, prev);
    return next;
  }

  /** The scanners of `bits` take their state in `product` back, standing at `at` after `prev`. */
  private handBack(product: number, bits: number, at: number, prev: number): void {
    const t = this.table;
    for (let b = bits; b !== 0; b &= b - 1) {
      const m = 31 - Math.clz32(b & -b);
      this.members[m]!.groupLeave(at, prev, t.comps[product * t.n + m]!, this.starts[m]!);
    }
    this.owned &= ~bits;
  }
}
