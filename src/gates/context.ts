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

/** Printable ASCII, single spaces between words: the folded view of such a word is the word itself. */
const PLAIN_ASCII = /^[!-~]+(?: [!-~]+)*$/;

/** Folds words through the view pipeline and case fold; throws RangeError on a phrase of more than two words. */
export function compileContextWords(words: readonly string[], not: readonly string[], window: number): ContextWords {
  const kinds = new Map<string, number>(), firsts = new Set<string>();
  const hashes = new Set<number>();
  let longest = 0;
  const add = (word: string, kind: number): void => {
    // Printable ASCII words with single spaces are their own folded view: most lists are, and skipping the view
    // pipeline (and the Unicode split) for them is most of what compiling a policy's context words costs.
    const ascii = PLAIN_ASCII.test(word);
    let folded = ascii ? word.toLowerCase() : "";
    if (!ascii) {
      const view = foldedText(word).trim();
      for (let i = 0; i < view.length; i++) folded += String.fromCharCode(foldUnit(view.charCodeAt(i)));
    }
    const parts = folded.split(ascii ? /[^a-z0-9_]+/ : /[^\p{L}\p{N}_]+/u).filter((p) => p.length > 0);
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

/** Longest word a WordReader spells out (no listed word is longer: see compileContextWords' `longest`). */
const MAX_WORD = 32;

/**
 * One stream's words on the folded view, read once for all its context trackers (each used to read every character
 * itself). Words are logged as they end (offset of the unit after the word, hash of its folded units, and the folded
 * word itself when some tracker lists that hash); each tracker consumes the log at its own pace, and the log drops
 * what every tracker has consumed.
 */
export class WordReader {
  /** Normalised offset read up to. */
  private at = 0;
  private readonly word = new Uint16Array(MAX_WORD);
  private length = 0;
  private hash = 0;
  /** The log: absolute index of `ends[0]`, and per word its end, hash and (when listed somewhere) folded text. */
  base = 0;
  readonly ends: number[] = [];
  readonly hashes: number[] = [];
  readonly texts: string[] = [];
  private readonly trackers: ContextTracker[] = [];
  /** Hashes any tracker lists (only those words are spelled out). */
  private readonly listed = new Set<number>();

  /** A tracker reading this stream's words (from its construction on). */
  register(tracker: ContextTracker, hashes: ReadonlySet<number>): void {
    this.trackers.push(tracker);
    for (const h of hashes) this.listed.add(h);
  }

  /** Back to an empty stream. */
  restart(): void {
    this.at = this.length = this.hash = this.base = 0;
    if (this.ends.length > 0) this.ends.length = this.hashes.length = this.texts.length = 0;
  }

  /** Log every word ending before `end` (a word ends at the first unit after it that is not a word unit). */
  read(text: HeldText, end: number): void {
    if (end <= this.at) return;
    if (this.ends.length > 256) this.trim();
    const codes = text.codes, base = text.base, word = this.word;
    let length = this.length, hash = this.hash;
    for (let i = this.at; i < end; i++) {
      const c = codes[i - base]!;
      if (c < 128 ? (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 : isWordUnit(c)) {
        const u = foldUnit(c);
        if (length < MAX_WORD) word[length] = u;
        hash = wordHash(hash, u);
        length++;
      } else if (length > 0) {
        let spelled = "";
        if (length <= MAX_WORD && this.listed.has(hash)) for (let k = 0; k < length; k++) spelled += String.fromCharCode(word[k]!);
        this.ends.push(i);
        this.hashes.push(length <= MAX_WORD ? hash : 0);
        this.texts.push(spelled);
        length = hash = 0;
      }
    }
    this.length = length;
    this.hash = hash;
    this.at = end;
  }

  /** Drops the words every tracker has consumed. */
  private trim(): void {
    let done = Infinity;
    for (const t of this.trackers) done = Math.min(done, t.cursor);
    const k = done - this.base;
    if (k <= 0) return;
    this.ends.splice(0, k);
    this.hashes.splice(0, k);
    this.texts.splice(0, k);
    this.base = done;
  }
}

/** Word tracker for one detector over one stream's words (a WordReader): records where allow/veto words ended. */
export class ContextTracker implements ContextCheck {
  private at = 0;
  /** Absolute index of the next word of the reader's log to consume. */
  cursor = 0;
  /** Previous word, when it may start a two-word phrase ("" otherwise). */
  private previous = "";
  /** Ends (normalised offsets) of allow and veto words, ascending; ends too old to matter are pruned. */
  private readonly allowEnds: number[] = [];
  private readonly vetoEnds: number[] = [];

  /** `required`: candidates without a context word are rejected; `reader`: the stream's words. */
  constructor(private readonly words: ContextWords, private readonly required: boolean, private readonly reader: WordReader) {
    reader.register(this, words.hashes);
  }

  /** Back to an empty stream (the stream restarts its reader). */
  restart(): void {
    this.at = this.cursor = 0;
    this.previous = "";
    // Most streams (a tool call's short values) never log a word: skip the array writes then.
    if (this.allowEnds.length > 0) this.allowEnds.length = 0;
    if (this.vetoEnds.length > 0) this.vetoEnds.length = 0;
  }

  /** Reads the view up to `end`; `floor` is the lowest candidate start still possible (older ends are dropped). */
  advance(text: HeldText, end: number, floor: number): void {
    if (end <= this.at) return;
    const reader = this.reader;
    reader.read(text, end);
    const ends = reader.ends, hashes = reader.hashes, listed = this.words.hashes, base = reader.base;
    let k = this.cursor - base;
    for (; k < ends.length; k++) {
      const e = ends[k]!;
      if (e >= end) break;
      if (listed.has(hashes[k]!)) this.endWord(e, reader.texts[k]!);
      else this.previous = "";
    }
    this.cursor = k + base;
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

  /** A listed-hash word (folded) ended at `end`. */
  private endWord(end: number, word: string): void {
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
