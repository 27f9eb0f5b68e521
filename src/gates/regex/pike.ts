/**
 * Pike VM: simulates the NFA with one thread per state (earliest start wins), so time is
 * O(text × states) whatever the pattern — `(a+)+$` cannot blow up. Leftmost-longest, incremental.
 * Thread-list transitions come from a shared lazy DFA (TransitionCache); per character the VM only carries
 * start offsets across, drops threads past the length bound and records matches.
 */
import type { HeldText, MatchValidator, RuleScanner } from "../scanner.ts";
import { TransitionCache } from "./cache.ts";
import type { Program } from "./program.ts";

const caches = new WeakMap<Program, TransitionCache>();

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
  private count = 0;
  /** Cached DFA state of the thread list, or -1 when the list lives only in `pcs` (cache full). */
  private state = -1;
  private pcs: Int32Array;
  private starts: Int32Array;
  private nextStarts: Int32Array;
  private readonly cache: TransitionCache;

  constructor(
    private readonly program: Program,
    /** Longest match allowed: threads older than this die, which bounds hold-back. */
    private readonly maxLength: number,
    private readonly validate?: MatchValidator,
  ) {
    // Thread lists start small and grow on demand (at most the program's length): a stream holds one scanner per
    // rule, and most scanners never have more than a few live threads.
    this.pcs = new Int32Array(INITIAL_THREADS);
    this.starts = new Int32Array(INITIAL_THREADS);
    this.nextStarts = new Int32Array(INITIAL_THREADS);
    this.cache = cacheOf(program);
  }

  /** Start a fresh search at `from`. */
  reset(from: number, prev: number): void {
    this.at = from;
    this.prev = prev;
    this.count = 0;
    this.state = -1;
    this.final = false;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    this.liveStart = Infinity;
  }

  /** Consume text up to `end`. */
  advance(text: HeldText, end: number): void {
    if (this.final) return;
    const { firstAscii, firstNonAscii } = this.program;
    let i = this.at;
    let prev = this.prev;
    const codes = text.codes, base = text.base;
    while (i < end) {
      const c = codes[i - base]!;
      if (this.count === 0) {
        if (this.matchEnd >= 0) break;
        if (c < 128 ? firstAscii[c] === 0 : !firstNonAscii) { prev = c; i++; continue; }
      }
      this.step(text, i, prev, c);
      prev = c;
      i++;
    }
    this.at = i;
    this.prev = prev;
    this.settle();
  }

  /** End of stream: resolve matches ending at `end`, then nothing stays live. */
  finish(text: HeldText, end: number): void {
    this.advance(text, end);
    if (!this.final && this.count > 0) this.step(text, end, this.prev, -1);
    this.count = 0;
    this.state = -1;
    this.settle();
  }

  private settle(): void {
    const threadStart = this.count > 0 ? this.starts[0]! : Infinity;
    this.liveStart = threadStart < this.matchStart ? threadStart : this.matchStart;
    if (this.matchEnd >= 0 && threadStart > this.matchStart) {
      this.final = true;
      this.count = 0;
      this.state = -1;
    }
  }

  /** Advance every thread over `c` at offset `i` (c = -1: end of stream), seeding a new one unless a match exists. */
  private step(text: HeldText, i: number, prev: number, c: number): void {
    const cache = this.cache;
    const seeding = this.matchEnd < 0;
    if (this.count === 0) this.state = cache.idleState(prev);
    else if (this.state < 0 && c >= 0 && c < 128) this.state = cache.intern(this.pcs, this.count, seeding, prev);
    const t = this.state >= 0 && c >= 0 && c < 128
      ? cache.step(this.state, c)
      : cache.compute(this.state >= 0 ? cache.pcsOf(this.state) : this.pcs, this.count, seeding, prev, c);
    if (t.sources.length > this.pcs.length) this.grow(t.sources.length);
    const starts = this.starts, next = this.nextStarts, sources = t.sources, count = this.count;
    if (t.matchSource >= 0) {
      const start = t.matchSource < count ? starts[t.matchSource]! : i;
      if (i > start && (start < this.matchStart || i > this.matchEnd) &&
        (!this.validate || this.validate(text.slice(start, i)))) {
        this.matchStart = start;
        this.matchEnd = i;
      }
    }
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
  }

  /** Makes room for `size` threads, keeping the live ones. */
  private grow(size: number): void {
    const capacity = Math.max(size, this.pcs.length * 2);
    const pcs = new Int32Array(capacity), starts = new Int32Array(capacity);
    pcs.set(this.pcs.subarray(0, this.count));
    starts.set(this.starts.subarray(0, this.count));
    this.pcs = pcs;
    this.starts = starts;
    this.nextStarts = new Int32Array(capacity);
  }
}

/** Thread-list capacity a scanner starts with. */
const INITIAL_THREADS = 8;
