/**
 * Pike VM: simulates the NFA with one thread per state (earliest start wins), so time is
 * O(text × states) whatever the pattern — `(a+)+$` cannot blow up. Leftmost-longest, incremental.
 * Thread-list transitions come from a shared lazy DFA (TransitionCache); per character the VM only carries
 * start offsets across, drops threads past the length bound and records matches.
 */
import type { HeldText, MatchValidator, RuleScanner } from "../scanner.ts";
import { meetAcross, TransitionCache } from "./cache.ts";
import type { Program } from "./program.ts";

const caches = new WeakMap<Program, TransitionCache>();
/** Kinds of cache.walk() moves (low two bits; the target state is the rest). */
const WALK_PLAIN = 1, WALK_SEED = 2;

/** What the VM needs from a context-word tracker (src/gates/context.ts). */
export interface ContextCheck {
  /** Read the view up to `end`; no candidate will start before `floor` any more. */
  advance(text: HeldText, end: number, floor: number): void;
  /** For a candidate starting at `start`: 0 rejects it, 1 accepts it without a context word, 2 with one. */
  check(start: number): number;
  /** Forget everything (a fresh stream). */
  restart(): void;
  /** Candidates without a context word are rejected. */
  readonly required: boolean;
  /** How far before a candidate a logged word can matter to check() (its window, at least a table cell's reach). */
  readonly reach: number;
}

function cacheOf(program: Program): TransitionCache {
  let cache = caches.get(program);
  if (!cache) {
    cache = new TransitionCache(program);
    caches.set(program, cache);
  }
  return cache;
}

/** One rule's regex search state over the stream (see RuleScanner for the contract). */
export class PikeScanner implements RuleScanner {
  /** Earliest offset where the next match could start. */
  liveStart = Infinity;
  /** Match can no longer change. */
  final = false;
  /** Best match start (Infinity: none yet). */
  matchStart = Infinity;
  /** Best match end. */
  matchEnd = -1;
  private at = 0;
  private prev = -1;
  /**
   * First unit of the current run of units where a thread that started before the unit survived it while a thread
   * seeded at the unit would have survived too (-1: none); see keepsAcross.
   */
  private oldFrom = -1;
  /**
   * Start of the earliest live thread (-1: none); the latest start of a rejected candidate and the latest offset where
   * threads of different starts met, since the search began (see step()'s search again).
   */
  private leader = -1;
  private rejectedStart = -1;
  private mergedAt = -1;
  /** Offset to search again from (-1: none). */
  private rewindTo = -1;
  /** Offset this search began from (its reset, or its last search again). */
  private searchFrom = 0;
  /** Closed runs of such units as [from, to) pairs, oldest first; entries before spanHead are done with. */
  private readonly spans: number[] = [];
  private spanHead = 0;
  private count = 0;
  /** Cached DFA state of the thread list, or -1 when the list lives only in `pcs` (cache full). */
  private state = -1;
  private pcs: Int32Array;
  private starts: Int32Array;
  private nextStarts: Int32Array;
  /** glide()'s scratch: the live threads' ages. */
  private ages = NO_THREADS;
  /** The program's lazy DFA (shared by every stream of the program). */
  readonly cache: TransitionCache;
  /** The unit before where walk() stopped. */
  private walkPrev = -1;
  /**
   * Nothing has changed since a reset to a fresh stream (reset(0, -1)): a restart then has nothing to do. A tool
   * call restarts a stream per JSON string and most rules are walked by the group, never touching their scanner.
   */
  fresh = false;

  constructor(
    readonly program: Program,
    /** Longest match allowed: threads older than this die, which bounds hold-back. */
    readonly maxLength: number,
    private readonly validate?: MatchValidator,
    /** Context words before candidates (a detector's DetectorSpec.context), read in step with the search. */
    private readonly context?: ContextCheck,
  ) {
    // Thread lists start empty and grow on demand (at most the program's length): a stream holds one scanner per
    // rule, most scanners never have more than a few live threads, and a rule the group walks may never need its own.
    this.pcs = this.starts = this.nextStarts = NO_THREADS;
    this.cache = cacheOf(program);
  }

  /**
   * Equal to a fresh search from `resume` if nothing before it is live (no thread, no candidate) and no thread that
   * started before it absorbed (same NFA state, earlier start wins) a thread of that fresh search, which would still
   * have its candidates. Such a thread started at some unit in [resume, at) where an older thread survived too: no
   * unit there is in a run (an absorbed state is the absorber's own state and fares the same on the unit, so a seed
   * that dies there lost nothing).
   */
  keepsAcross(resume: number): boolean {
    this.fresh = false;
    if (this.at < resume) return false;
    const spans = this.spans;
    while (this.spanHead < spans.length && spans[this.spanHead + 1]! <= resume) this.spanHead += 2;
    if (this.liveStart >= resume && !(this.oldFrom >= 0 && resume < this.at) && this.spanHead >= spans.length) return true;
    return this.dropBefore(resume);
  }

  /**
   * keepsAcross when threads that started before `resume` live or lived past it (a unit since is in a run): dropping
   * them leaves exactly a fresh search from `resume` when this search covers every seed from there (it began at or
   * before `resume`, no candidate pending, no search again due) and no threads of different starts met since (so none
   * of them absorbed a later thread: a run only says one could have). Context words must not have refused a seed since
   * `resume`: a fresh search seeds nothing where they refuse and no thread lives, while this one seeded there beside
   * the older threads. Digit runs dense with values (a card's groups are phone and ID candidates too) then cost no
   * second reading per value.
   */
  private dropBefore(resume: number): boolean {
    if (this.final || this.matchEnd >= 0 || this.rewindTo >= 0 || this.searchFrom > resume || this.mergedAt >= resume) return false;
    if (this.context) for (let u = resume; u < this.at; u++) if (this.context.check(u) === 0) return false;
    if (this.pcs.length < this.count) this.grow(this.count);
    const pcs = this.state >= 0 ? this.cache.pcsOf(this.state) : this.pcs, starts = this.starts;
    let n = 0;
    for (let k = 0; k < this.count; k++) {
      if (starts[k]! < resume) continue;
      this.pcs[n] = pcs[k]!;
      starts[n++] = starts[k]!;
    }
    this.count = n;
    this.state = -1;
    this.leader = n > 0 ? starts[0]! : -1;
    this.mergedAt = -1;
    if (this.rejectedStart < resume) this.rejectedStart = -1;
    this.settle();
    return true;
  }

  /** Offset read up to. */
  get position(): number {
    return this.at;
  }

  /** The unit before `position` (-1 at stream start). */
  get before(): number {
    return this.prev;
  }

  /** The rule has context words (a seed may need their check). */
  get hasContext(): boolean {
    return this.context !== undefined;
  }

  /** The rule's context words are required (a seed with no word near is rejected). */
  get contextRequired(): boolean {
    return this.context?.required ?? false;
  }

  /** See ContextCheck.reach (0 without context words). */
  get contextReach(): number {
    return this.context?.reach ?? 0;
  }

  /** Start of the live threads (when groupState() is a state with threads: they share it). */
  get threadStart(): number {
    return this.starts[0]!;
  }

  /**
   * The cached DFA state this search can hand to a WalkGroup (-1: not now): nothing pending but threads with one
   * start, in a cached state (the idle state when no thread lives), with no rewind due.
   */
  groupState(): number {
    if (this.final || this.matchEnd >= 0 || this.rewindTo >= 0) return -1;
    if (this.count === 0) return this.cache.idleState(this.prev);
    if (this.state < 0 || this.rewindDue(this.leader) || !this.oneStart()) return -1;
    return this.state;
  }

  /** A WalkGroup takes over the search: no unit it walks is in a run (see keepsAcross), so an open run ends here. */
  groupJoin(): void {
    this.fresh = false;
    if (this.oldFrom >= 0) this.old(this.at);
  }

  /**
   * Back from a WalkGroup, standing at `at` after `prev` in cached DFA state `state` whose threads (if any) started at
   * `start`: the same fields walk() leaves.
   */
  groupLeave(at: number, prev: number, state: number, start: number): void {
    this.fresh = false;
    this.at = at;
    this.prev = prev;
    const count = this.cache.threadsOf(state);
    if (count === 0) {
      this.count = 0;
      this.state = this.leader = -1;
    } else {
      if (count > this.starts.length) this.grow(count);
      this.starts.fill(start, 0, count);
      this.count = count;
      this.state = state;
      this.leader = start;
    }
    this.settle();
  }

  /** Whether context words allow a thread seeded at `at` (the words up to `end` are read first). */
  seedAllowed(text: HeldText, end: number, at: number): boolean {
    this.fresh = false;
    if (!this.context) return true;
    this.context.advance(text, end, at);
    return this.context.check(at) !== 0;
  }

  /** Context words read up to `end`; no candidate starts before `floor` any more. */
  readContext(text: HeldText, end: number, floor: number): void {
    this.fresh = false;
    this.context?.advance(text, end, floor);
  }

  /** Start a fresh search at `from` (a fresh stream, at 0 with no previous character, also forgets context words). */
  reset(from: number, prev: number): void {
    if (from === 0 && prev < 0) {
      if (this.fresh) return;
      this.fresh = true;
      this.context?.restart();
    } else this.fresh = false;
    this.at = this.searchFrom = from;
    this.prev = prev;
    this.count = 0;
    this.state = -1;
    this.final = false;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    this.liveStart = Infinity;
    this.oldFrom = -1;
    if (this.spans.length > 0) this.spans.length = 0;
    this.spanHead = 0;
    this.leader = this.rewindTo = this.rejectedStart = this.mergedAt = -1;
  }

  /** Consume text up to `end`. */
  advance(text: HeldText, end: number): void {
    this.fresh = false;
    // Context words are read first (also while the match is final) so a candidate's window is known when it is checked.
    if (this.context) this.context.advance(text, end, this.liveStart < this.at ? this.liveStart : this.at);
    if (this.final) return;
    const { firstAscii, firstNonAscii } = this.program;
    const cache = this.cache;
    let i = this.at;
    let prev = this.prev;
    const codes = text.codes, base = text.base;
    while (i < end) {
      const c = codes[i - base]!;
      if (this.count === 0) {
        if (this.matchEnd >= 0) break;
        if (c < 128 ? firstAscii[c] === 0 || prev >= 0 && prev < 128 && cache.idleDead(prev, c) : !firstNonAscii) {
          prev = c;
          i++;
          continue;
        }
        if (this.context && this.context.check(i) === 0) {
          // Every candidate starting here would be rejected (no context word, or a veto word): with no thread alive,
          // a thread seeded here could only absorb later ones, so none is seeded (`license`-style detectors then
          // cost nothing away from their words).
          prev = c;
          i++;
          continue;
        }
      }
      if (c < 128 && (this.count === 0 ? this.matchEnd < 0 : this.state >= 0)) {
        const to = this.count === 0 || this.oneStart() ? this.walk(codes, base, i, end, prev)
          : this.matchEnd < 0 ? this.glide(codes, base, i, end, prev) : i;
        if (to > i) {
          i = to;
          prev = this.walkPrev;
          continue;
        }
      }
      this.step(text, i, prev, c);
      if ((this.count > 0 && this.starts[0]! < i && this.seedLives(prev, c)) !== this.oldFrom >= 0) this.old(i);
      prev = c;
      i++;
      if (this.rewindTo >= 0) {
        i = this.rewind(i);
        prev = codes[i - 1 - base]!;
      }
    }
    this.at = i;
    this.prev = prev;
    this.settle();
  }

  /** End of stream: resolve matches ending at `end`, then nothing stays live. */
  finish(text: HeldText, end: number): void {
    this.fresh = false;
    for (;;) {
      this.advance(text, end);
      if (!this.final && this.count > 0) this.step(text, end, this.prev, -1);
      if (this.rewindTo < 0) break;
      this.at = this.rewind(end);
      this.prev = text.codes[this.at - 1 - text.base]!;
    }
    this.count = 0;
    this.state = -1;
    this.settle();
  }

  /**
   * The unit at `at` opens a run (see oldFrom) or is the first unit after it. Runs are kept for keepsAcross (queries
   * come in increasing order, so old ones go).
   */
  private old(at: number): void {
    if (this.oldFrom < 0) {
      this.oldFrom = at;
      return;
    }
    if (this.spanHead > 256 && this.spanHead * 2 > this.spans.length) {
      this.spans.splice(0, this.spanHead);
      this.spanHead = 0;
    }
    this.spans.push(this.oldFrom, at);
    this.oldFrom = -1;
  }

  private settle(): void {
    const threadStart = this.count > 0 ? this.starts[0]! : Infinity;
    this.liveStart = threadStart < this.matchStart ? threadStart : this.matchStart;
    if (this.matchEnd >= 0 && threadStart > this.matchStart) {
      this.final = true;
      this.count = 0;
      this.state = -1;
    }
    if (this.count === 0 && this.oldFrom >= 0) this.old(this.at);
  }

  /** Advance every thread over `c` at offset `i` (c = -1: end of stream), seeding a new one unless a match exists. */
  private step(text: HeldText, i: number, prev: number, c: number): void {
    const cache = this.cache;
    const seeding = this.matchEnd < 0;
    if (this.count === 0) this.state = cache.idleState(prev);
    else if (this.state < 0 && c < 128) this.state = cache.intern(this.pcs, this.count, seeding, prev);
    const t = this.state < 0 || c >= 128
      ? cache.compute(this.state >= 0 ? cache.pcsOf(this.state) : this.pcs, this.count, seeding, prev, c)
      : c >= 0 ? cache.step(this.state, c) : cache.stepEnd(this.state);
    if (t.sources.length > this.pcs.length) this.grow(t.sources.length);
    const starts = this.starts, next = this.nextStarts, sources = t.sources, count = this.count;
    // Candidates ending here, earliest start first: the first one the validator accepts is the best so far.
    const candidates = t.matchSources;
    for (let k = 0, tried = -1; k < candidates.length; k++) {
      const source = candidates[k]!, start = source < count ? starts[source]! : i;
      if (start === tried || i <= start || start >= this.matchStart && i <= this.matchEnd) continue;
      tried = start;
      if (this.accepts(text, start, i)) {
        this.matchStart = start;
        this.matchEnd = i;
        break;
      }
      if (start > this.rejectedStart) this.rejectedStart = start;
    }
    // Only a merge of threads with different starts can lose a candidate (see the search again below).
    if (t.merges && meetAcross(t.meetings, starts, count, i)) this.mergedAt = i;
    // Carry starts over; drop threads past the length bound and threads that started after the best match.
    const limit = this.matchStart, oldest = i - this.maxLength;
    let n = 0, exact = seeding === this.matchEnd < 0;
    for (let k = 0; k < sources.length; k++) {
      const source = sources[k]!;
      const start = source < count ? starts[source]! : i;
      if (start <= oldest || start > limit) { exact = false; continue; }
      this.pcs[n] = t.pcs[k]!;
      next[n++] = start;
    }
    this.state = exact ? t.target : -1;
    this.nextStarts = starts;
    this.starts = next;
    this.count = n;
    // Earliest start wins when threads meet in one NFA state, so a thread that started later can be absorbed by one
    // whose candidates the validator then rejects, losing a valid later candidate (`12 (555) 123-4567`: the `12 …`
    // thread absorbs the `(555)…` one). When the leading thread ends with no match, and since it started some
    // candidate from it or later was rejected and threads of different starts met, search again from the offset
    // after its start (whichever thread absorbed which): at most maxLength units per such start, so still linear.
    const leader = n > 0 ? next[0]! : -1;
    if (leader !== this.leader) {
      if (this.rewindDue(this.leader)) this.rewindTo = this.leader + 1;
      this.leader = leader;
    }
  }

  /** When the threads of `leader` (its start) end, a search again from after it is due (see step()). */
  private rewindDue(leader: number): boolean {
    return leader >= 0 && this.rejectedStart >= leader && this.mergedAt >= leader && this.matchStart > leader;
  }

  /**
   * Search again from `rewindTo`, forgetting threads and candidates (they are found again); `at` is where the VM
   * stood. Returns the offset to continue from.
   */
  private rewind(at: number): number {
    const to = this.searchFrom = this.rewindTo;
    this.rewindTo = -1;
    this.count = 0;
    if (this.oldFrom >= 0) this.old(at);
    this.state = -1;
    this.leader = this.rejectedStart = this.mergedAt = -1;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    return to;
  }

  /** A thread seeded at unit `c` after `prev` could survive it (conservative for non-ASCII units). */
  private seedLives(prev: number, c: number): boolean {
    if (c >= 128 || c < 0) return c >= 0;
    return this.program.firstAscii[c] === 1 && !(prev >= 0 && prev < 128 && this.cache.idleDead(prev, c));
  }

  /** Context words (if any) and validator agree on the candidate `start..end`. */
  private accepts(text: HeldText, start: number, end: number): boolean {
    const context = this.context ? this.context.check(start) : 1, validate = this.validate;
    if (context === 0 || !validate) return context > 0;
    if (validate.precheck && !validate.precheck(text.codes, start - text.base, end - text.base, context === 2)) return false;
    return validate(text.slice(start, end), context === 2);
  }

  /**
   * The VM's steps for ASCII text while every live thread has the same start, as plain DFA moves (cache.walk): no
   * start offsets to carry, no match to check. A thread list may appear (seeded at the unit read), move, be replaced
   * by a new seed, or die; anything else (a match, a merge, threads reaching the length bound, a rewind due, a
   * non-ASCII unit) is left to step(). Returns where it stopped (== `i`: nothing walked); `walkPrev` is the unit
   * before it. Same state changes as step() (runs, leader), so results are identical.
   */
  private walk(codes: Uint16Array, base: number, i: number, end: number, prev: number): number {
    const cache = this.cache, { firstAscii } = this.program, maxLength = this.maxLength;
    let j = i, count = this.count, state = this.state, start = count > 0 ? this.starts[0]! : -1;
    while (j < end) {
      const d = codes[j - base]!;
      if (d >= 128) break;
      let move: number;
      if (count === 0) {
        if (this.matchEnd >= 0) break;
        if (firstAscii[d] === 0 || prev >= 0 && prev < 128 && cache.idleDead(prev, d) || this.context && this.context.check(j) === 0) {
          prev = d;
          j++;
          continue;
        }
        const idle = cache.idleState(prev);
        if (idle < 0) break;
        move = cache.walk(idle, d);
        if (move < 0 || (move & 3) !== WALK_SEED) break;
      } else {
        if (j >= start + maxLength) break;
        move = cache.walk(state, d);
        if (move < 0) break;
        // The leading thread ends: step() may search again from after its start (see rewind); let it decide.
        if ((move & 3) !== WALK_PLAIN && this.rewindDue(start)) break;
      }
      const kind = move & 3;
      state = move >> 2;
      prev = d;
      j++;
      if (kind === WALK_PLAIN) {
        count = cache.threadsOf(state);
      } else if (kind === WALK_SEED) {
        start = j - 1;
        count = cache.threadsOf(state);
        this.leader = start;
      } else {
        count = 0;
        state = -1;
        this.count = 0;
        this.leader = -1;
      }
    }
    if (j > i) {
      // No walked unit is in a run: a plain move has no new thread, a seed move no old one, a merge is not walked.
      if (this.oldFrom >= 0) this.old(i);
      if (count > this.starts.length) this.grow(count);
      this.starts.fill(start, 0, count);
      this.count = count;
      this.state = state;
      this.walkPrev = prev;
    }
    return j;
  }

  /**
   * The VM's steps for ASCII text while threads of several starts live (digit groups: each may start a number), as
   * moves between cached multi-start states (TransitionCache.glide): their ages stand for the start offsets, and no
   * match is checked. Anything else (a candidate, threads of different starts meeting, the length bound, a non-ASCII
   * unit, a leader ending with a search again due) is left to step(). Needs no match pending.
   * Same state changes as step() (runs, leader), so results are identical; `walkPrev` is the unit before the stop.
   */
  private glide(codes: Uint16Array, base: number, i: number, end: number, prev: number): number {
    const cache = this.cache, count = this.count;
    if (this.ages.length < count) this.ages = new Int32Array(Math.max(count, INITIAL_THREADS));
    const ages = this.ages;
    for (let k = 0; k < count; k++) ages[k] = i - this.starts[k]!;
    let aged = cache.aged(this.state, ages, count);
    if (aged < 0) return i;
    let j = i, leader = this.leader, due = this.rewindDue(leader);
    while (j < end) {
      const c = codes[j - base]!;
      if (c >= 128) break;
      const next = cache.glide(aged, c);
      if (next < 0) break;
      // The oldest thread would pass the length bound (step() drops it), or the leader ends with a search again due.
      const oldest = cache.agesOf(next)[0]!;
      if (oldest > this.maxLength || due && j + 1 - oldest !== leader) break;
      aged = next;
      if (j + 1 - oldest !== leader) {
        leader = j + 1 - oldest;
        due = this.rewindDue(leader);
      }
      if ((oldest > 1 && this.seedLives(prev, c)) !== this.oldFrom >= 0) this.old(j);
      prev = c;
      j++;
    }
    if (j > i) {
      const now = cache.agesOf(aged), n = now.length;
      if (n > this.starts.length) this.grow(n);
      for (let k = 0; k < n; k++) this.starts[k] = j - now[k]!;
      this.count = n;
      this.state = cache.agedState(aged);
      this.leader = leader;
      this.walkPrev = prev;
    }
    return j;
  }

  /** All live threads started at the same offset. */
  private oneStart(): boolean {
    const starts = this.starts, first = starts[0]!;
    for (let k = 1; k < this.count; k++) if (starts[k] !== first) return false;
    return true;
  }

  /** Makes room for `size` threads, keeping the live ones. */
  private grow(size: number): void {
    const capacity = Math.max(size, INITIAL_THREADS, this.pcs.length * 2);
    const pcs = new Int32Array(capacity), starts = new Int32Array(capacity);
    pcs.set(this.pcs.subarray(0, this.count));
    starts.set(this.starts.subarray(0, this.count));
    this.pcs = pcs;
    this.starts = starts;
    this.nextStarts = new Int32Array(capacity);
  }
}

/** Thread-list capacity a scanner's first thread list gets. */
const INITIAL_THREADS = 8;
/** The thread lists of a scanner that never had a thread (shared: nothing is written to it). */
const NO_THREADS = new Int32Array(0);
