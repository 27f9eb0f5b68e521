/**
 * Context words for detectors (DetectorSpec.context): a word tracker reads the same folded view as the detector and
 * remembers where listed words ended, so a candidate can ask "did a word end within `window` units before my start?".
 * Words are whole words (runs of letters/digits/`_`), case-folded; a two-word phrase (`phone number`) matches two
 * consecutive words with any non-word run between them. The tracker never holds text back: it only looks before a
 * candidate, and every word ending before the candidate's start is settled by the time the candidate is.
 *
 * Tables: a header row (`name,age,zip`, `id;plz`, `| Name | Age |`) names its columns far from their values, so the
 * reader also tracks lines and cells (TableReader) and replays a header cell's words right before each cell of its
 * column in the rows below: a detector listing `zip` sees it before `10115` as if the word were written there.
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
 * Log entries that are not words (a word's hash is any int32; an entry is one of these only with a non-empty text,
 * which an unlisted word never has): a table cell's start, whose text is its column's header words; the end of a
 * header row, whose text is the row's start (the header's own words are no context for the rows below it).
 */
const CELL = 0x7ffffff1, HEADER = 0x7ffffff2;
/** Log hash of a run of words no tracker lists. */
const GAP = 0x7ffffff3;
/**
 * A header's allow word is context for a value at most this far into its cell (`| 36 |`, `"36"`), not for the next
 * cell; a veto word reaches as far as the detector's window (a `model` column's `DL-0848-441` is no licence).
 */
const CELL_REACH = 1;
/** Header rows: longest line read as one (units), most columns. Data rows: longest, most rows in one table. */
const MAX_HEADER = 256, MAX_COLUMNS = 32, MAX_ROW = 4096, MAX_ROWS = 10_000;
/** Most words in a header cell (`date of birth`, `customer postal code`). */
const MAX_LABEL_WORDS = 3;
const COMMA = 44, SEMICOLON = 59, PIPE = 124, QUOTE = 34, SPACE = 32, LINE_BREAK = 10;

/**
 * Lines and cells of one stream for the WordReader: finds header rows (a short line split by `,`, `;` or `|` with a
 * cell whose last words some tracker lists) and, in the rows after one, logs each labelled cell's start. State: the
 * current line (a header candidate's units, at most MAX_HEADER) and the table (separator, column count, one label per
 * column), all bounded; the table ends at a row of another column count, a row over MAX_ROW units or after MAX_ROWS.
 * Line breaks are read from the NFKC view (the folded one has spaces): a whitespace unit is settled once the unit
 * after it exists, so a break is decided at the first unit of the next line and never depends on chunking.
 */
class TableReader {
  /** The current line: start, units, separators of each kind (outside quotes), inside a quoted cell. */
  private lineStart = 0;
  private readonly line = new Uint16Array(MAX_HEADER);
  private length = 0;
  private commas = 0; private semicolons = 0; private pipes = 0;
  private quoted = false;
  /** The previous unit was whitespace. */
  private spaceBefore = false;
  /**
   * The table: its separator (0: none), separators per row, whether a row's first cell starts the line (not after a
   * leading `|`), labels per column ("": none), rows read.
   */
  private separator = 0;
  private expected = 0;
  private leadingCell = true;
  private labels: string[] = [];
  private rows = 0;
  /** Cells started in this row (the column of the next one). */
  private cells = 0;

  constructor(private readonly lines: HeldText, private readonly reader: WordReader) {}

  /** Back to an empty stream. */
  restart(): void {
    this.lineStart = this.length = this.commas = this.semicolons = this.pipes = this.separator = this.rows = this.cells = 0;
    this.quoted = this.spaceBefore = false;
  }

  /** Unit `c` (folded view) at offset `i`. */
  read(c: number, i: number): void {
    if (this.spaceBefore) {
      this.spaceBefore = false;
      if (this.lines.codes[i - 1 - this.lines.base] === LINE_BREAK) this.endLine(i);
    }
    if (this.length < MAX_HEADER) this.line[this.length] = c;
    this.length++;
    if (c === SPACE) { this.spaceBefore = true; return; }
    if (c === QUOTE && this.pipes === 0) this.quoted = !this.quoted;
    else if (this.quoted) return;
    else if (c === COMMA) this.commas++;
    else if (c === SEMICOLON) this.semicolons++;
    else if (c === PIPE) this.pipes++;
    else return;
    if (c === this.separator) this.cell(i + 1);
  }

  /** A cell of the table starts at `at` (after a separator, or at a row's start). */
  private cell(at: number): void {
    const column = this.cells++;
    const label = column < this.labels.length ? this.labels[column]! : "";
    if (label !== "") this.reader.log(at, CELL, label);
  }

  /** The line that started at `lineStart` ended; the next one starts at `next`. */
  private endLine(next: number): void {
    this.length--; // the line break
    if (this.separator !== 0 && (this.count() !== this.expected || this.length > MAX_ROW || ++this.rows > MAX_ROWS)) this.separator = 0;
    if (this.separator === 0 && this.length <= MAX_HEADER) this.header(next);
    this.lineStart = next;
    this.length = this.commas = this.semicolons = this.pipes = this.cells = 0;
    this.quoted = false;
    if (this.separator !== 0 && this.leadingCell) this.cell(next);
  }

  /** Separators of the table's kind in the current line. */
  private count(): number {
    return this.separator === COMMA ? this.commas : this.separator === SEMICOLON ? this.semicolons : this.pipes;
  }

  /** Reads the line that just ended as a header row: a table starts when a cell's last words are listed. */
  private header(next: number): void {
    const separator = this.pipes >= 2 ? PIPE : this.semicolons > 0 && this.semicolons >= this.commas ? SEMICOLON : this.commas > 0 ? COMMA : 0;
    if (separator === 0) return;
    const labels: string[] = [];
    const line = this.line, length = this.length;
    let listed = false, from = 0, quoted = false;
    for (let k = 0; k <= length; k++) {
      if (k < length) {
        const c = line[k]!;
        if (c === QUOTE && separator !== PIPE) quoted = !quoted;
        if (c !== separator || quoted) continue;
      }
      const label = this.reader.label(line, from, k);
      if (label !== "") listed = true;
      labels.push(label);
      from = k + 1;
    }
    // `| a | b |`: the cells are between the pipes.
    const leading = separator === PIPE && line[0] === PIPE;
    if (leading) labels.shift();
    if (separator === PIPE && line[length - 1] === PIPE) labels.pop();
    if (!listed || labels.length < 2 || labels.length > MAX_COLUMNS) return;
    this.separator = separator;
    this.expected = this.count();
    this.leadingCell = !leading;
    this.labels = labels;
    this.rows = 0;
    this.reader.log(next - 1, HEADER, String(this.lineStart));
  }
}

/**
 * One stream's words on the folded view, read once for all its context trackers (each used to read every character
 * itself). Words are logged as they end (offset of the unit after the word, hash of its folded units, and the folded
 * word itself when some tracker lists that hash; a run of words no tracker lists is one GAP entry); each tracker
 * consumes the log at its own pace, and the log drops what every tracker has consumed.
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
  /** End of the last entry trim() dropped (-1: none since the stream started). */
  private trimmedTo = -1;
  /** Hashes any tracker lists (only those words are spelled out): the union of `lists`, built on first use. */
  private union: ReadonlySet<number> | undefined;
  private readonly lists: ReadonlySet<number>[] = [];
  /** Lines and table cells (once a tracker is registered and the stream's NFKC view is known). */
  private table: TableReader | undefined;

  /** `lines`: the stream's NFKC view (it tells line breaks from spaces), for header rows of tables. */
  constructor(readonly lines?: HeldText) {}

  /** A tracker reading this stream's words (from its construction on). */
  register(tracker: ContextTracker, hashes: ReadonlySet<number>): void {
    this.trackers.push(tracker);
    this.lists.push(hashes);
    this.union = undefined;
    if (this.lines && !this.table) this.table = new TableReader(this.lines, this);
  }

  private get listed(): ReadonlySet<number> {
    return (this.union ??= unionOf(this.lists));
  }

  /** Back to an empty stream. */
  restart(): void {
    this.at = this.length = this.hash = this.base = 0;
    this.trimmedTo = -1;
    if (this.ends.length > 0) this.ends.length = this.hashes.length = this.texts.length = 0;
    this.table?.restart();
  }

  /**
   * No word any tracker lists, no table cell and no header ends in `[at - reach, at]` (the log is read up to `at`):
   * every tracker's check(at) then depends only on whether its words are required, whatever it has read.
   */
  quiet(at: number, reach: number): boolean {
    // Entries trimmed from the window's span are unknown here (a tracker may hold one).
    if (this.trimmedTo >= 0 && this.trimmedTo >= at - reach) return false;
    const ends = this.ends, hashes = this.hashes;
    for (let k = ends.length - 1; k >= 0; k--) {
      const e = ends[k]!;
      if (e < at - reach) return true;
      if (e <= at && hashes[k] !== GAP) return false;
    }
    return true;
  }

  /** Logs an entry that is not a word (see CELL): entries stay in the order of their ends. */
  log(end: number, hash: number, text: string): void {
    this.ends.push(end);
    this.hashes.push(hash);
    this.texts.push(text);
  }

  /**
   * A header cell's label: its last one or two words (split at anything but letters and digits, so `zip_code` is
   * `zip code`), folded, when the cell has at most MAX_LABEL_WORDS words and the last one or both are listed by some
   * tracker; "" otherwise.
   */
  label(units: Uint16Array, from: number, to: number): string {
    const words: string[] = [];
    let word = "", hash = 0, listed = 0;
    for (let k = from; k <= to; k++) {
      const c = k < to ? units[k]! : SPACE;
      if (c !== 95 && (c < 128 ? (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) : isWordUnit(c))) {
        const u = foldUnit(c);
        word += String.fromCharCode(u);
        hash = wordHash(hash, u);
      } else if (word !== "") {
        words.push(word);
        listed = listed << 1 & 2 | (this.listed.has(hash) ? 1 : 0);
        word = "";
        hash = 0;
      }
    }
    // A header cell is short: a longer one is a sentence split by commas (`Send us your name, age, zip and phone.`).
    if ((listed & 1) === 0 || words.length > MAX_LABEL_WORDS || words[words.length - 1]!.length > MAX_WORD) return "";
    return listed === 3 ? `${words[words.length - 2]} ${words[words.length - 1]}` : words[words.length - 1]!;
  }

  /** Log every word ending before `end` (a word ends at the first unit after it that is not a word unit). */
  read(text: HeldText, end: number): void {
    if (end <= this.at) return;
    if (this.ends.length > 256) this.trim();
    const codes = text.codes, base = text.base, word = this.word, table = this.table, listed = this.listed;
    let length = this.length, hash = this.hash;
    for (let i = this.at; i < end; i++) {
      const c = codes[i - base]!;
      if (c < 128 ? (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 : isWordUnit(c)) {
        const u = foldUnit(c);
        if (length < MAX_WORD) word[length] = u;
        hash = wordHash(hash, u);
        length++;
      } else if (length > 0) {
        if (length <= MAX_WORD && listed.has(hash)) {
          let spelled = "";
          for (let k = 0; k < length; k++) spelled += String.fromCharCode(word[k]!);
          this.log(i, hash, spelled);
        } else if (this.hashes.length === 0 || this.hashes[this.hashes.length - 1] !== GAP) {
          // Words no tracker lists only break two-word phrases: a run of them is one entry.
          this.log(i, GAP, "");
        }
        length = hash = 0;
      }
      // After the word ending here is logged: a cell it starts begins after this unit.
      if (table) table.read(c, i);
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
    this.trimmedTo = this.ends[k - 1]!;
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
  /** Header rows read, as [start, end] pairs: their words are context for their columns only, not for text after them. */
  private readonly headers: number[] = [];
  /** Starts of table cells whose column's header lists an allow or a veto word (ascending). */
  private readonly allowCells: number[] = [];
  private readonly vetoCells: number[] = [];

  /** `required`: candidates without a context word are rejected; `reader`: the stream's words. */
  constructor(private readonly words: ContextWords, readonly required: boolean, private readonly reader: WordReader) {
    reader.register(this, words.hashes);
  }

  /** See ContextCheck.reach. */
  get reach(): number {
    return Math.max(this.words.window, CELL_REACH);
  }

  /** Back to an empty stream (the stream restarts its reader). */
  restart(): void {
    this.at = this.cursor = 0;
    this.previous = "";
    // Most streams (a tool call's short values) never log a word: skip the array writes then.
    if (this.allowEnds.length > 0) this.allowEnds.length = 0;
    if (this.vetoEnds.length > 0) this.vetoEnds.length = 0;
    if (this.headers.length > 0) this.headers.length = 0;
    if (this.allowCells.length > 0) this.allowCells.length = 0;
    if (this.vetoCells.length > 0) this.vetoCells.length = 0;
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
      const h = hashes[k]!, text = reader.texts[k]!;
      if (listed.has(h)) this.endWord(e, text);
      else {
        this.previous = "";
        if (text !== "" && h === CELL) this.cell(e, text);
        else if (text !== "" && h === HEADER) this.headers.push(Number(text), e);
      }
    }
    this.cursor = k + base;
    this.at = end;
    const keep = floor - this.words.window;
    prune(this.allowEnds, keep);
    prune(this.vetoEnds, keep);
    prune(this.allowCells, keep);
    prune(this.vetoCells, keep);
    if (this.headers.length > 64 && this.headers[this.headers.length >> 1]! < keep) {
      let k = 0;
      while (k < this.headers.length && this.headers[k + 1]! < keep) k += 2;
      this.headers.splice(0, k);
    }
  }

  /** For a candidate starting at `start`: 0 = rejected (a veto word, or `required` and no word), 1 = no word, 2 = a word. */
  check(start: number): number {
    const from = start - this.words.window;
    const headers = this.headers;
    if (headers.length === 0 && this.allowCells.length === 0 && this.vetoCells.length === 0) {
      if (within(this.vetoEnds, from, start)) return 0;
      if (within(this.allowEnds, from, start)) return 2;
    } else {
      const cell = start - CELL_REACH;
      if (withinOutside(this.vetoEnds, from, start, headers) || within(this.vetoCells, from, start)) return 0;
      if (withinOutside(this.allowEnds, from, start, headers) || within(this.allowCells, cell, start)) return 2;
    }
    return this.required ? 0 : 1;
  }

  /** A table cell starts at `end`, in a column whose header reads `label` (one or two folded words). */
  private cell(end: number, label: string): void {
    const space = label.indexOf(" ");
    const kind = this.words.kinds.get(label) ?? (space >= 0 ? this.words.kinds.get(label.slice(space + 1)) : undefined);
    if (kind === ALLOW) this.allowCells.push(end);
    else if (kind === VETO) this.vetoCells.push(end);
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

/** Ids of the hash sets of compiled context words (one per rule, shared by all its streams). */
const listIds = new WeakMap<ReadonlySet<number>, number>();
let nextListId = 0;
/** Unions by their sets' ids: a stream's reader shares its rule list's union instead of building one per stream. */
const unions = new Map<string, ReadonlySet<number>>();
/** Unions kept at most (distinct rule lists with context words; a policy reload may add some). */
const MAX_UNIONS = 256;

/** The union of `lists`, built once per distinct sequence of sets. */
function unionOf(lists: readonly ReadonlySet<number>[]): ReadonlySet<number> {
  let key = "";
  for (const list of lists) {
    let id = listIds.get(list);
    if (id === undefined) listIds.set(list, (id = nextListId++));
    key += `${id},`;
  }
  let union = unions.get(key);
  if (!union) {
    const all = new Set<number>();
    for (const list of lists) for (const h of list) all.add(h);
    if (unions.size >= MAX_UNIONS) unions.clear();
    unions.set(key, (union = all));
  }
  return union;
}

/** Drops ends below `keep` once enough have piled up (amortised O(1) per word). */
function prune(ends: number[], keep: number): void {
  if (ends.length < 64 || ends[ends.length >> 1]! >= keep) return;
  let k = 0;
  while (k < ends.length && ends[k]! < keep) k++;
  ends.splice(0, k);
}

/**
 * Some end in `[from, to]` that is not a word of a header row ending before `to` (`headers`: [start, end] pairs): the
 * row's words are context for its columns (logged as cells), not for what follows the row.
 */
function withinOutside(ends: readonly number[], from: number, to: number, headers: readonly number[]): boolean {
  for (let k = ends.length - 1; k >= 0; k--) {
    const e = ends[k]!;
    if (e > to) continue;
    if (e < from) return false;
    let inHeader = false;
    for (let h = headers.length - 2; h >= 0 && !inHeader; h -= 2) inHeader = headers[h + 1]! < to && e > headers[h]! && e <= headers[h + 1]!;
    if (!inHeader) return true;
  }
  return false;
}

/** Some end in `[from, to]`: ends are ascending, so scan back from the newest. */
function within(ends: readonly number[], from: number, to: number): boolean {
  for (let k = ends.length - 1; k >= 0; k--) {
    const e = ends[k]!;
    if (e <= to) return e >= from;
  }
  return false;
}
