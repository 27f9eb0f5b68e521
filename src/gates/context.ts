/**
 * Context words for detectors (DetectorSpec.context): a word tracker reads the same folded view as the detector and
 * remembers where listed words ended, so a candidate can ask "did a word end within `window` units before my start?".
 * Words are whole words (runs of letters/digits/`_`), case-folded; a two-word phrase (`phone number`) matches two
 * consecutive words with any non-word run between them. The tracker never holds text back: it only looks before a
 * candidate, and every word ending before the candidate's start is settled by the time the candidate is.
 */
import { foldedText } from "./normalize.ts";
import type { ContextCheck } from "./regex/pike.ts";
import type { HeldText } from "./scanner.ts";
import { foldUnit, isWordUnit } from "./text.ts";

/** A word list compiled for lookup: folded words, and which first words start a two-word phrase. */
export interface ContextWords {
  /** Folded word or `first second` → 1 (allow) or 2 (veto). */
  readonly kinds: ReadonlyMap<string, number>;
  /** First words of two-word phrases. */
  readonly firsts: ReadonlySet<string>;
  /** Longest single word (longer runs cannot be listed words and are not collected). */
  readonly longest: number;
  /** Hashes (wordHash) of every listed word and phrase part: a cheap filter before building the word's string. */
  readonly hashes: ReadonlySet<number>;
  /** How far before a candidate's start a word may end. */
  readonly window: number;
}

const ALLOW = 1, VETO = 2;

/** Rolling hash of a word's folded units. */
const wordHash = (hash: number, unit: number): number => (Math.imul(hash, 31) + unit) | 0;

/** Folds words through the view pipeline and case fold; throws RangeError on a phrase of more than two words. */
export function compileContextWords(words: readonly string[], not: readonly string[], window: number): ContextWords {
  const kinds = new Map<string, number>(), firsts = new Set<string>();
  const hashes = new Set<number>();
  let longest = 0;
  const add = (word: string, kind: number): void => {
    const view = foldedText(word).trim();
    let folded = "";
    for (let i = 0; i < view.length; i++) folded += String.fromCharCode(foldUnit(view.charCodeAt(i)));
    const parts = folded.split(/[^\p{L}\p{N}_]+/u).filter((p) => p.length > 0);
    if (parts.length === 0 || parts.length > 2) throw new RangeError(`context word "${word}" must be one or two words`);
    kinds.set(parts.join(" "), kind);
    if (parts.length === 2) firsts.add(parts[0]!);
    for (const p of parts) {
      longest = Math.max(longest, p.length);
      let h = 0;
      for (let i = 0; i < p.length; i++) h = wordHash(h, p.charCodeAt(i));
      hashes.add(h);
    }
  };
  for (const w of words) add(w, ALLOW);
  for (const w of not) add(w, VETO);
  return { kinds, firsts, longest, hashes, window };
}

/** Incremental word tracker over one stream's folded view: records where allow/veto words ended. */
export class ContextTracker implements ContextCheck {
  private at = 0;
  /** Folded units of the word being read (only while it is short enough to be a listed word). */
  private readonly word: Uint16Array;
  private length = 0;
  private hash = 0;
  /** Previous word, when it may start a two-word phrase ("" otherwise). */
  private previous = "";
  /** Ends (normalised offsets) of allow and veto words, ascending; ends too old to matter are pruned. */
  private allowEnds: number[] = [];
  private vetoEnds: number[] = [];

  /** `required`: candidates without a context word are rejected. */
  constructor(private readonly words: ContextWords, private readonly required: boolean) {
    this.word = new Uint16Array(words.longest + 1);
  }

  /** Back to an empty stream. */
  restart(): void {
    this.at = this.length = this.hash = 0;
    this.previous = "";
    this.allowEnds = [];
    this.vetoEnds = [];
  }

  /** Reads the view up to `end`; `floor` is the lowest candidate start still possible (older ends are dropped). */
  advance(text: HeldText, end: number, floor: number): void {
    if (end <= this.at) return;
    const codes = text.codes, base = text.base, cap = this.word.length, word = this.word;
    let length = this.length, hash = this.hash;
    for (let i = this.at; i < end; i++) {
      const c = codes[i - base]!;
      if (c < 128 ? (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 : isWordUnit(c)) {
        const u = foldUnit(c);
        if (length < cap) word[length] = u;
        hash = wordHash(hash, u);
        length++;
      } else if (length > 0) {
        this.endWord(i, length, hash);
        length = hash = 0;
      }
    }
    this.length = length;
    this.hash = hash;
    this.at = end;
    const keep = floor - this.words.window;
    prune(this.allowEnds, keep);
    prune(this.vetoEnds, keep);
  }

  /** For a candidate starting at `start`: 0 = rejected (a veto word, or `required` and no word), 1 = no word, 2 = a word. */
  check(start: number): number {
    const from = start - this.words.window;
    if (within(this.vetoEnds, from, start)) return 0;
    if (within(this.allowEnds, from, start)) return 2;
    return this.required ? 0 : 1;
  }

  private endWord(end: number, n: number, hash: number): void {
    if (n >= this.word.length || !this.words.hashes.has(hash)) {
      this.previous = "";
      return;
    }
    let word = "";
    for (let i = 0; i < n; i++) word += String.fromCharCode(this.word[i]!);
    const kind = (this.previous !== "" ? this.words.kinds.get(`${this.previous} ${word}`) : undefined) ??
      this.words.kinds.get(word);
    if (kind === ALLOW) this.allowEnds.push(end);
    else if (kind === VETO) this.vetoEnds.push(end);
    this.previous = this.words.firsts.has(word) ? word : "";
  }
}

/** Drops ends below `keep` once enough have piled up (amortised O(1) per word). */
function prune(ends: number[], keep: number): void {
  if (ends.length < 64 || ends[ends.length >> 1]! >= keep) return;
  let k = 0;
  while (k < ends.length && ends[k]! < keep) k++;
  ends.splice(0, k);
}

/** Some end in `[from, to]`: ends are ascending, so scan back from the newest. */
function within(ends: readonly number[], from: number, to: number): boolean {
  for (let k = ends.length - 1; k >= 0; k--) {
    const e = ends[k]!;
    if (e <= to) return e >= from;
  }
  return false;
}
