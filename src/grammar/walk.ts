/**
 * Drives the C trie walk (`rsk_trie_walk`, native or WASM; `ffi/reference/trie.ts` in TS) for one automaton. The
 * automaton is determinized lazily, so the kernel gets a small table of only the parser states one walk meets
 * ("rows"), pre-filled from the transitions already known; at a hole the kernel stops, we compute that transition
 * in TS and resume it. A walk's result is the same mask as `TokenMasks.compute` (tested for all three kernels).
 */
import type { Kernels, TrieWalker } from "../../ffi/kernels.ts";
import { walk } from "../../ffi/kernels.ts";
import { DEAD, type GrammarAutomaton } from "./automaton.ts";
import type { TokenTrie } from "./trie.ts";

/** Parser states one walk may meet before it gives way to the TS walk (1 KB of table per state). */
const WALK_ROWS = 1024;
/** RSK_E_BUFFER: in a frame walk, more boundary ranges than `WALK_RANGES`. */
const RSK_E_BUFFER = -5;

/** Ints of node ranges a frame walk may record. */
const WALK_RANGES = 1 << 16;

/** How a walk ended. */
export type WalkEnd = "done" | "limited" | "full";

/**
 * What a walk computes: a state's mask; a frame's (rows that complete it flagged, the subtrees refused below them
 * recorded); or a string language's (nodes reaching an accepting row, the string closed, recorded and not walked).
 */
export type WalkKind = "mask" | "frame" | "language";

const walkers = new WeakMap<TokenTrie, Map<Kernels, TrieWalker>>();

/** The walker of `kernels` over `trie` (one per pair: for WASM the trie is copied into its memory once). */
export function walkerFor(kernels: Kernels, trie: TokenTrie): TrieWalker {
  let byKernels = walkers.get(trie);
  if (!byKernels) walkers.set(trie, (byKernels = new Map()));
  let walker = byKernels.get(kernels);
  if (!walker) byKernels.set(kernels, (walker = kernels.trieWalker(trie.flat, { rows: WALK_ROWS, ranges: WALK_RANGES })));
  return walker;
}

/**
 * The trie paths above the parents of a range list, as a program run once per state: entry `i` is the state after
 * byte `bytes[i]` from entry `up[i]` (-1: from the state itself); entries come after the entry they step from. Built
 * once per range list (a shared frame group's list serves every state holding that group), so a state's ranges cost
 * one pass of table lookups, not a climb per range.
 */
interface RangePaths {
  /** Entry each entry steps from (-1: the state). */
  readonly up: Int32Array;
  /** Byte each entry steps by. */
  readonly bytes: Uint8Array;
  /** Per range: the entry of its parent node (-1: the range starts at the trie's first level). */
  readonly entry: Int32Array;
}

const programs = new WeakMap<Int32Array, RangePaths>();
/** Per trie: entry of each node while a program is built (valid where `stamp` equals the build's epoch). */
const scratch = new WeakMap<TokenTrie, { epoch: number; readonly stamp: Int32Array; readonly entry: Int32Array }>();

function rangePaths(ranges: Int32Array, trie: TokenTrie): RangePaths {
  const known = programs.get(ranges);
  if (known) return known;
  let memo = scratch.get(trie);
  if (!memo) scratch.set(trie, (memo = { epoch: 0, stamp: new Int32Array(trie.size), entry: new Int32Array(trie.size) }));
  const epoch = ++memo.epoch, { stamp, entry: entryOf } = memo, { parent, byte } = trie;
  const up: number[] = [], bytes: number[] = [], climb: number[] = [], entry = new Int32Array(ranges.length / 2);
  for (let r = 0; r < ranges.length; r += 2) {
    let n = parent[ranges[r]!]!;
    climb.length = 0;
    for (; n >= 0 && stamp[n] !== epoch; n = parent[n]!) climb.push(n);
    let at = n < 0 ? -1 : entryOf[n]!;
    for (let k = climb.length - 1; k >= 0; k--) {
      const m = climb[k]!;
      up.push(at);
      bytes.push(byte[m]!);
      at = up.length - 1;
      stamp[m] = epoch;
      entryOf[m] = at;
    }
    entry[r / 2] = at;
  }
  const paths = { up: Int32Array.from(up), bytes: Uint8Array.from(bytes), entry };
  programs.set(ranges, paths);
  return paths;
}

/** Runs a `RangePaths` program from `state`, leaving the state at each entry in `at` (a small function: it gets hot). */
function pathStates(automaton: GrammarAutomaton, state: number, up: Int32Array, bytes: Uint8Array, at: Int32Array): void {
  let table = automaton.table;
  for (let i = 0; i < up.length; i++) {
    const from = up[i]! < 0 ? state : at[up[i]!]!;
    if (from === DEAD) {
      at[i] = DEAD;
      continue;
    }
    // The automaton's table read in place (most path bytes are known transitions); a hole is stepped.
    const v = table[from * automaton.width + automaton.classOf[bytes[i]!]!]!;
    if (v !== 0) at[i] = v > 0 ? v - 1 : DEAD;
    else {
      at[i] = automaton.step(from, bytes[i]!);
      table = automaton.table;
    }
  }
}

/** The walk whose rows a walker's table holds (rows are kept between walks of the same automaton). */
const owners = new WeakMap<TrieWalker, KernelWalk>();

/** Kernel walks of one automaton's states (not reentrant: a walk runs to completion before the next). */
export class KernelWalk {
  readonly #states: number[] = [];
  /** Row of each parser state, valid where `#stamp` equals `#epoch`. */
  #rowOf = new Int32Array(256);
  #stamp = new Int32Array(256);
  #epoch = 0;
  #kind: WalkKind = "mask";
  /** Scratch of `runRanges`: the state at each path entry. */
  #pathStates = new Int32Array(0);
  /** Trie nodes visited by the last walk. */
  visited = 0;

  constructor(
    /** The grammar's parser. */
    readonly automaton: GrammarAutomaton,
    /** The kernel and its buffers. */
    readonly walker: TrieWalker,
  ) {}

  /**
   * Walks the trie from `state`, leaving the accepted tokens in `walker.mask()` and, for a frame or a language, the
   * recorded subtrees in `walker.ranges()` (count in `walker.cursor()[walk.ranges]`; see `WalkKind`). `limit` bounds
   * the nodes visited (0: none).
   */
  run(state: number, limit: number, kind: WalkKind): WalkEnd {
    this.#reset(kind, true);
    const cursor = this.walker.cursor();
    cursor[walk.limit] = limit;
    const start = this.#row(state);
    cursor[walk.stack] = start | (kind === "frame" && this.automaton.reachedCut(state) ? walk.cut : 0);
    return this.#drive(this.walker.trie.size, this.walker.capacity.ranges);
  }

  /**
   * Adds to `walker.mask()` (not cleared first) the tokens of the trie node ranges [from, to) (sorted, disjoint; each
   * one subtree or consecutive siblings) that are viable from `state`. Each range is entered at the state of its
   * parent (the walk of the path above it, shared by ranges with the same parent), and one kernel call walks them all,
   * pruning at the first refused byte.
   */
  runRanges(state: number, ranges: Int32Array, trie: TokenTrie): WalkEnd {
    this.#reset("mask", false);
    const triples = this.walker.ranges();
    const { up, bytes, entry } = rangePaths(ranges, trie), { automaton } = this;
    if (this.#pathStates.length < up.length) this.#pathStates = new Int32Array(up.length * 2);
    const at = this.#pathStates;
    pathStates(automaton, state, up, bytes, at);
    let n = 0, lastParent = DEAD, lastRow = -1;
    for (let r = 0; r < ranges.length; r += 2) {
      const e = entry[r >> 1]!, parent = e < 0 ? state : at[e]!;
      if (parent === DEAD) continue;
      if (parent !== lastParent) {
        lastRow = this.#row(parent);
        lastParent = parent;
        if (lastRow === -2) return "full";
      }
      if (n + 3 > triples.length) return "full";
      triples[n++] = ranges[r]!;
      triples[n++] = ranges[r + 1]!;
      triples[n++] = lastRow;
    }
    return this.#runTriples(n, trie);
  }

  /** Adds to `walker.mask()` the tokens of the node ranges `ranges` viable from `parent` taken as the state at each range's parent node. */
  runRangesFrom(parent: number, ranges: Int32Array, trie: TokenTrie): WalkEnd {
    this.#reset("mask", false);
    const triples = this.walker.ranges(), row = this.#row(parent);
    if (row === -2 || (ranges.length / 2) * 3 > triples.length) return "full";
    let n = 0;
    for (let r = 0; r < ranges.length; r += 2) {
      triples[n++] = ranges[r]!;
      triples[n++] = ranges[r + 1]!;
      triples[n++] = row;
    }
    return this.#runTriples(n, trie);
  }

  /** Walks the `n` ints of (from, to, row) triples in `walker.ranges()`. */
  #runTriples(n: number, trie: TokenTrie): WalkEnd {
    this.visited = 0;
    if (n === 0) return "done";
    const cursor = this.walker.cursor();
    cursor[walk.mode] = walk.modeRanges;
    cursor[walk.node] = this.walker.ranges()[0]!;
    cursor[walk.stack + trie.depth[cursor[walk.node]!]! - 1] = this.walker.ranges()[2]!;
    return this.#drive(this.walker.trie.size, n);
  }

  /**
   * Prepares a walk. Rows (and every transition filled in them) persist from walk to walk of this automaton, so a
   * transition costs one kernel stop per process, not per mask; they start over when another automaton used the
   * walker in between or the table is three quarters full.
   */
  #reset(kind: WalkKind, clearMask: boolean): void {
    const { walker } = this;
    if (owners.get(walker) !== this || this.#states.length > (walker.capacity.rows * 3) / 4) {
      owners.set(walker, this);
      this.#states.length = 0;
      this.#epoch++;
    }
    if (kind !== this.#kind) {
      this.#kind = kind;
      const flags = walker.flags();
      for (let r = 0; r < this.#states.length; r++) flags[r] = this.#flag(this.#states[r]!);
    }
    if (clearMask) walker.mask().fill(0);
    walker.cursor().fill(0);
  }

  /** Calls the kernel until it finishes, filling each transition it asks for. */
  #drive(end: number, ranges: number): WalkEnd {
    const { automaton, walker } = this;
    const cursor = walker.cursor(), table = walker.table();
    for (;;) {
      const status = walker.walk(this.#states.length, end, ranges);
      if (status === walk.need) {
        const r = cursor[walk.state]!, b = cursor[walk.byte]!;
        const next = automaton.next(this.#states[r]!, b);
        const to = next === DEAD ? -1 : this.#row(next);
        if (to === -2) return "full";
        const value = to === -1 ? -1 : to + 1;
        // The step may have filled more classes than the byte's own (`GrammarAutomaton.step`): every byte whose class
        // now leads to the same state gets the row's value.
        const { table: global, classOf, width } = automaton, at = this.#states[r]! * width, known = global[at + classOf[b]!]!;
        const classes = automaton.byteClasses();
        for (let c = 0; c < width; c++) {
          if (global[at + c] !== known) continue;
          const members = classes[c]!;
          for (let i = 0; i < members.length; i++) table[r * 256 + members[i]!] = value;
        }
        continue;
      }
      this.visited = cursor[walk.visited]!;
      if (status === walk.done) return "done";
      if (status === walk.limited) return "limited";
      // A frame recording more boundary ranges than the buffer holds: the caller's TS walk takes over.
      if (status === RSK_E_BUFFER && this.#kind !== "mask") return "full";
      throw new Error(`rsk_trie_walk failed with status ${status} (malformed trie or table: a bug)`);
    }
  }

  /** The row of `state`, adding it (pre-filled from the known transitions) if new; -2 when the table is full. */
  #row(state: number): number {
    if (state >= this.#stamp.length) {
      const size = Math.max(state + 1, this.#stamp.length * 2);
      const rowOf = new Int32Array(size), stamp = new Int32Array(size);
      rowOf.set(this.#rowOf);
      stamp.set(this.#stamp);
      this.#rowOf = rowOf;
      this.#stamp = stamp;
    }
    if (this.#stamp[state] === this.#epoch) return this.#rowOf[state]!;
    const row = this.#states.length;
    if (row >= this.walker.capacity.rows) return -2;
    this.#states.push(state);
    this.#stamp[state] = this.#epoch;
    this.#rowOf[state] = row;
    this.automaton.fillRefused(state);
    const { table: global, width } = this.automaton, classes = this.automaton.byteClasses();
    const table = this.walker.table(), stamp = this.#stamp, rowOf = this.#rowOf, epoch = this.#epoch, at = row * 256;
    // Refused first (most classes of a narrow state), then each other class: known transitions into states already
    // given a row are copied; the rest stay holes (0) for the kernel to ask.
    table.fill(DEAD, at, at + 256);
    for (let c = 0, g = state * width; c < width; c++) {
      const v = global[g + c]!;
      if (v === DEAD) continue;
      const value = v === 0 ? 0 : v - 1 < stamp.length && stamp[v - 1] === epoch ? rowOf[v - 1]! + 1 : 0;
      const members = classes[c]!;
      for (let i = 0; i < members.length; i++) table[at + members[i]!] = value;
    }
    this.walker.flags()[row] = this.#flag(state);
    return row;
  }

  /** The kernel flags of `state`'s row for this walk's kind. */
  #flag(state: number): number {
    const kind = this.#kind;
    return kind === "frame" ? (this.automaton.reachedCut(state) ? 1 : 0) : kind === "language" && this.automaton.accepting(state) ? walk.stop : 0;
  }
}
