/**
 * Pike VM: simulates the NFA with one thread per state (earliest start wins), so time is
 * O(text × states) whatever the pattern — `(a+)+$` cannot blow up. Leftmost-longest, incremental.
 */
import type { HeldText, MatchValidator, RuleScanner } from "../scanner.ts";
import { ASSERT, OP_ASSERT, OP_JUMP, OP_MATCH, OP_SET, OP_SPLIT, setHas, type Program } from "./program.ts";

const isAsciiWord = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

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
  private gen = 0;
  private pcs: Int32Array;
  private starts: Int32Array;
  private nextPcs: Int32Array;
  private nextStarts: Int32Array;
  private readonly mark: Int32Array;
  private readonly stack: Int32Array;

  constructor(
    private readonly program: Program,
    /** Longest match allowed: threads older than this die, which bounds hold-back. */
    private readonly maxLength: number,
    private readonly validate?: MatchValidator,
  ) {
    const n = program.op.length;
    this.pcs = new Int32Array(n);
    this.starts = new Int32Array(n);
    this.nextPcs = new Int32Array(n);
    this.nextStarts = new Int32Array(n);
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n * 2 + 2);
  }

  /** Start a fresh search at `from`. */
  reset(from: number, prev: number): void {
    this.at = from;
    this.prev = prev;
    this.count = 0;
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
    this.settle();
  }

  private settle(): void {
    const threadStart = this.count > 0 ? this.starts[0]! : Infinity;
    this.liveStart = Math.min(threadStart, this.matchStart);
    if (this.matchEnd >= 0 && threadStart > this.matchStart) {
      this.final = true;
      this.count = 0;
    }
  }

  /** Follow zero-width steps from every thread at offset `i` (next char `c`, -1 at end) and consume `c`. */
  private step(text: HeldText, i: number, prev: number, c: number): void {
    const p = this.program;
    const { op, arg, next, alt } = p;
    const mark = this.mark, stack = this.stack;
    const gen = ++this.gen;
    const nextPcs = this.nextPcs, nextStarts = this.nextStarts;
    let n = 0;
    const total = this.count + (this.matchEnd < 0 ? 1 : 0);
    for (let t = 0; t < total; t++) {
      const start = t < this.count ? this.starts[t]! : i;
      if (start > this.matchStart) break;
      let sp = 0;
      stack[sp++] = t < this.count ? this.pcs[t]! : p.start;
      while (sp > 0) {
        const pc = stack[--sp]!;
        if (mark[pc] === gen) continue;
        mark[pc] = gen;
        switch (op[pc]) {
          case OP_SET:
            if (c >= 0 && i - start < this.maxLength &&
              (c < 128 ? p.asciiSets[arg[pc]! * 128 + c] === 1 : setHas(p, arg[pc]!, c))) {
              nextPcs[n] = next[pc]!;
              nextStarts[n++] = start;
            }
            break;
          case OP_SPLIT: stack[sp++] = alt[pc]!; stack[sp++] = next[pc]!; break;
          case OP_JUMP: stack[sp++] = next[pc]!; break;
          case OP_ASSERT: if (this.holds(pc, prev, c)) stack[sp++] = next[pc]!; break;
          case OP_MATCH:
            if (i > start && (start < this.matchStart || i > this.matchEnd) &&
              (!this.validate || this.validate(text.slice(start, i)))) {
              this.matchStart = start;
              this.matchEnd = i;
            }
            break;
        }
      }
    }
    // Threads that started after a newly found (earlier) match can never win: drop them.
    let kept = 0;
    for (let t = 0; t < n; t++) {
      if (nextStarts[t]! <= this.matchStart) { nextPcs[kept] = nextPcs[t]!; nextStarts[kept++] = nextStarts[t]!; }
    }
    this.nextPcs = this.pcs; this.nextStarts = this.starts;
    this.pcs = nextPcs; this.starts = nextStarts;
    this.count = kept;
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
