/**
 * The normalised view the gates match on, built incrementally one raw code point at a time: NFKC, default-ignorable
 * characters and combining marks dropped, any Unicode decimal digit as its ASCII digit, a whitespace run as one unit.
 * Every normalised unit records the raw range of the code point that produced it, so a match on the view maps back
 * to raw offsets and the stream redacts the ORIGINAL characters (ignorables inside a match go with it).
 */
import { BREAK, DROP, expansions, MULTI, recipe, SPACE } from "./codepoints.ts";
import { foldConfusable } from "./confusables.ts";
import type { HeldText } from "./scanner.ts";

/**
 * Most raw UTF-16 units one normalised unit accounts for (its own code point plus the dropped/collapsed units after
 * it). Past it the next dropped character is emitted as a separator instead, so raw hold-back ≤ 33 × normalised.
 */
export const RAW_UNITS_PER_UNIT = 33;
/** Stands in for an ignorable/mark that would exceed the budget: no detector or phrase can match across it. */
export const SEPARATOR = 0xfffd;

/** One view of the held normalised text, as the scanners read it (kept current across compaction). */
export class HeldView implements HeldText {
  constructor(
    /** Code units of this view from `base` on. */
    public codes: Uint16Array,
    /** Normalised offset of `codes[0]`. */
    public base: number,
    private readonly owner: NormalisedText,
  ) {}

  /**
   * Normalised text between two offsets (what validators check). Usually it is the raw text unchanged (ASCII PII),
   * and slicing the held raw string is far cheaper than building a string from code units (≈ 20 ns against
   * 200–700 ns with `fromCharCode.apply` on a typed array, Bun 1.4 / Deno 2.9), so that is tried first.
   */
  slice(from: number, to: number): string {
    const codes = this.codes, start = from - this.base, end = to - this.base;
    const raw = this.owner.rawSameLength(from, to);
    if (raw !== undefined) {
      let i = 0;
      while (i < raw.length && raw.charCodeAt(i) === codes[start + i]) i++;
      if (i === raw.length) return raw;
    }
    let out = "";
    for (let i = start; i < end; i++) out += String.fromCharCode(codes[i]!);
    return out;
  }
}

/**
 * The normalised text of one stream: two parallel views (NFKC, and NFKC + confusable fold) plus, per unit, the raw
 * [start, end) of the code point that produced it. Offsets are absolute: index `k` holds normalised offset `base + k`.
 */
export class NormalisedText {
  /** NFKC view: what regex rules read (a user's Cyrillic regex still matches Cyrillic text). */
  nfkc: Uint16Array;
  /** Folded view, 1:1 with `nfkc`: what detectors and phrase lists read. */
  folded: Uint16Array;
  /**
   * Raw offset where the code point that produced each unit starts (units of one code point share it). A unit's raw
   * range runs to the next code point's start (`rawEndOf`), so it also covers the dropped or collapsed characters
   * right after it: a combining mark belongs to the letter before it.
   */
  rawStart: Int32Array;
  /** Normalised offset of index 0. */
  base = 0;
  /** Normalised offset of the end of the text so far. */
  end = 0;
  /** Raw offset up to which code points are normalised (a high surrogate still waiting for its pair is not). */
  rawDone = 0;
  /**
   * Offset of the trailing whitespace unit while it still reads as a space: a line break later in the same run
   * turns its NFKC value into `\n`, so NFKC readers must stop before it (-1: none; the folded value is a space anyway).
   */
  openSpace = -1;
  /** Scanner view of `nfkc`. */
  readonly nfkcView: HeldView;
  /** Scanner view of `folded`. */
  readonly foldedView: HeldView;
  /** Pending high surrogate (-1: none). */
  private high = -1;
  /** The last emitted unit is whitespace: more whitespace collapses into it. */
  private lastSpace = false;
  /** Raw units that may still be dropped or collapsed before a separator must be emitted (see RAW_UNITS_PER_UNIT). */
  private budget = RAW_UNITS_PER_UNIT - 1;
  /** Lowest normalised offset the caller still reads; compaction keeps everything from it. */
  private floor = 0;
  /** Raw units of the current chunk not yet normalised (an expansion reserves room for them too). */
  private ahead = 0;

  /** `capacity`: units before the first growth (at least MIN_CAPACITY; arrays double as needed). */
  constructor(capacity = MIN_CAPACITY) {
    [this.rawStart, this.nfkc, this.folded] = arrays(Math.max(capacity, MIN_CAPACITY));
    this.nfkcView = new HeldView(this.nfkc, 0, this);
    this.foldedView = new HeldView(this.folded, 0, this);
  }

  /** Back to an empty stream, keeping the arrays (scan() reuses one buffer per gate set). */
  restart(): void {
    this.base = this.end = this.rawDone = this.floor = this.ahead = 0;
    this.openSpace = this.high = -1;
    this.lastSpace = false;
    this.budget = RAW_UNITS_PER_UNIT - 1;
    this.nfkcView.base = this.foldedView.base = 0;
  }

  /** Units the arrays hold (a reused buffer that grew large is not kept). */
  get capacity(): number {
    return this.nfkc.length;
  }

  /** Normalise one raw chunk; `floor` is the lowest normalised offset the caller still needs. */
  feed(chunk: string, floor: number): void {
    const len = chunk.length;
    if (len === 0) return;
    this.floor = floor;
    this.reserve(len + 1);
    let i = 0;
    this.ahead = len;
    if (this.high >= 0) {
      const low = chunk.charCodeAt(0);
      const paired = low >= 0xdc00 && low <= 0xdfff;
      this.codePoint(paired ? 0x10000 + ((this.high - 0xd800) << 10) + (low - 0xdc00) : this.high, paired ? 2 : 1);
      this.high = -1;
      if (paired) i = 1;
    }
    // Printable ASCII and spaces (most text) are handled in a tight loop over locals; state goes back to the fields
    // only around the general path (`codePoint`) and at the end.
    let nfkc = this.nfkc, folded = this.folded, rawStart = this.rawStart, base = this.base;
    let k = this.end - base, raw = this.rawDone;
    let lastSpace = this.lastSpace, openSpace = this.openSpace, budget = this.budget;
    for (; i < len; i++) {
      const c = chunk.charCodeAt(i);
      if (c > 32 && c < 128) {
        nfkc[k] = c;
        folded[k] = c;
        rawStart[k++] = raw++;
        lastSpace = false;
        openSpace = -1;
        budget = RAW_UNITS_PER_UNIT - 1;
        continue;
      }
      if (c === 32) {
        if (!lastSpace) {
          nfkc[k] = 32;
          folded[k] = 32;
          rawStart[k] = raw++;
          openSpace = base + k++;
          lastSpace = true;
          budget = RAW_UNITS_PER_UNIT - 1;
          continue;
        }
        if (budget > 0) {
          budget--;
          raw++;
          continue;
        }
      }
      let cp = c, units = 1;
      if (c >= 0xd800 && c <= 0xdbff) {
        if (i + 1 === len) { this.high = c; break; }
        const low = chunk.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) { cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00); units = 2; i++; }
      }
      this.end = base + k;
      this.rawDone = raw;
      this.lastSpace = lastSpace;
      this.openSpace = openSpace;
      this.budget = budget;
      this.ahead = len - i;
      this.codePoint(cp, units);
      nfkc = this.nfkc; folded = this.folded; rawStart = this.rawStart; base = this.base;
      k = this.end - base;
      raw = this.rawDone;
      lastSpace = this.lastSpace;
      openSpace = this.openSpace;
      budget = this.budget;
    }
    this.end = base + k;
    this.rawDone = raw;
    this.lastSpace = lastSpace;
    this.openSpace = openSpace;
    this.budget = budget;
  }

  /** End of stream: a lone high surrogate stands for itself, and the last whitespace unit is final. */
  flush(): void {
    if (this.high >= 0) {
      this.ahead = 0;
      this.reserve(1);
      this.codePoint(this.high, 1);
      this.high = -1;
    }
    this.openSpace = -1;
  }

  /** One raw code point of `units` UTF-16 units, starting at `rawDone`. */
  private codePoint(cp: number, units: number): void {
    const r = recipe(cp);
    const from = this.rawDone, to = from + units;
    this.rawDone = to;
    if (r >= 0) {
      this.unit(r, from, units);
    } else if (r === DROP) {
      if (this.budget >= units) this.budget -= units;
      else this.unit(SEPARATOR, from, units);
    } else if (r === SPACE || r === BREAK) {
      this.space(r === BREAK, from, to);
    } else {
      this.expand(expansions[MULTI - r]!, from, to);
    }
  }

  /** Emit one non-whitespace unit for the code point of `units` raw units at raw `from`. */
  private unit(code: number, from: number, units: number): void {
    this.emit(code, from);
    this.lastSpace = false;
    this.openSpace = -1;
    this.budget = RAW_UNITS_PER_UNIT - units;
  }

  /** Whitespace: collapses into a preceding whitespace unit (turning it into `\n` on a line break) within budget. */
  private space(isBreak: boolean, from: number, to: number): void {
    const units = to - from;
    if (this.lastSpace && this.budget >= units) {
      this.budget -= units;
      if (isBreak && this.openSpace >= 0) {
        this.nfkc[this.openSpace - this.base] = 10;
        this.openSpace = -1;
      }
      return;
    }
    this.emit(isBreak ? 10 : 32, from);
    this.lastSpace = true;
    this.openSpace = isBreak ? -1 : this.end - 1;
    this.budget = RAW_UNITS_PER_UNIT - units;
  }

  /** A code point that becomes several units (`ﬁ`, `…`, `⑴`): all map to its raw range; the last one carries the budget. */
  private expand(text: string, from: number, to: number): void {
    this.reserve(text.length + this.ahead);
    for (let k = 0; k < text.length; k++) {
      const u = text.charCodeAt(k);
      if (u === 32 || u === 10) {
        if (this.lastSpace) {
          if (u === 10 && this.openSpace >= 0) { this.nfkc[this.openSpace - this.base] = 10; this.openSpace = -1; }
          continue;
        }
        this.emit(u, from);
        this.lastSpace = true;
        this.openSpace = u === 32 ? this.end - 1 : -1;
      } else {
        this.emit(u, from);
        this.lastSpace = false;
        this.openSpace = -1;
      }
    }
    this.budget = RAW_UNITS_PER_UNIT - (to - from);
  }

  /** Append one unit produced by the code point starting at raw `from`. */
  private emit(code: number, from: number): void {
    const k = this.end++ - this.base;
    this.nfkc[k] = code;
    this.folded[k] = foldConfusable(code);
    this.rawStart[k] = from;
  }

  /**
   * First unit after the code point that produced unit `k` (`end` if that is the last code point so far, whose raw
   * range can still grow: a mark or an invisible character arriving next joins it).
   */
  nextCodePoint(k: number): number {
    const rawStart = this.rawStart, base = this.base, start = rawStart[k - base]!;
    let j = k + 1;
    while (j < this.end && rawStart[j - base] === start) j++;
    return j;
  }

  /** The held raw text between two raw offsets, when the owner (the stream) provides it. */
  rawText: ((from: number, to: number) => string) | undefined;

  /** Raw text of normalised [from, to) if it has the same length (then it may be the view's text verbatim). */
  rawSameLength(from: number, to: number): string | undefined {
    if (this.rawText === undefined || to <= from) return undefined;
    const start = this.rawStart[from - this.base]!, end = this.rawEndOf(to - 1);
    return end - start === to - from ? this.rawText(start, end) : undefined;
  }

  /** Raw end of unit `k`: the start of the next code point's units, or `rawDone` after the last code point. */
  rawEndOf(k: number): number {
    const j = this.nextCodePoint(k);
    return j < this.end ? this.rawStart[j - this.base]! : this.rawDone;
  }

  /** Room for `extra` more units: drop units before the floor (and before an open space), grow if still short. */
  private reserve(extra: number): void {
    if (this.end - this.base + extra <= this.nfkc.length) return;
    let keepFrom = Math.min(this.floor, this.end);
    if (this.openSpace >= 0 && this.openSpace < keepFrom) keepFrom = this.openSpace;
    const from = keepFrom - this.base, to = this.end - this.base;
    const size = Math.max(this.nfkc.length, 2 * (to - from + extra));
    if (size > this.nfkc.length) {
      const [rawStart, nfkc, folded] = arrays(size);
      rawStart.set(this.rawStart.subarray(from, to));
      nfkc.set(this.nfkc.subarray(from, to));
      folded.set(this.folded.subarray(from, to));
      this.rawStart = rawStart;
      this.nfkc = nfkc;
      this.folded = folded;
    } else {
      this.nfkc.copyWithin(0, from, to);
      this.folded.copyWithin(0, from, to);
      this.rawStart.copyWithin(0, from, to);
    }
    this.base = keepFrom;
    this.nfkcView.codes = this.nfkc;
    this.nfkcView.base = keepFrom;
    this.foldedView.codes = this.folded;
    this.foldedView.base = keepFrom;
  }
}

/** Units allocated up front: a stream holds back at most a few hundred units (compaction drops the rest), and a tool call opens one per argument list. */
const MIN_CAPACITY = 256;

/**
 * The three per-unit arrays, each with its own buffer. Views over one shared ArrayBuffer would allocate less, but on
 * Bun 1.4 they made every later prose stream about 2× slower once a regex-heavy stream had run (measured; separate
 * arrays: ≈ 10%).
 */
function arrays(capacity: number): [Int32Array, Uint16Array, Uint16Array] {
  return [new Int32Array(capacity), new Uint16Array(capacity), new Uint16Array(capacity)];
}

/** foldedText's buffer: compiling a policy folds hundreds of short words, and a fresh buffer each was most of its GC. */
let shared: NormalisedText | undefined;

/** A whole string through the same pipeline (phrase lists normalise their phrases with it): the folded view. */
export function foldedText(text: string): string {
  const n = text.length < MIN_CAPACITY ? (shared ??= new NormalisedText()) : new NormalisedText(text.length + 1);
  n.restart();
  n.feed(text, 0);
  n.flush();
  return n.foldedView.slice(0, n.end);
}
