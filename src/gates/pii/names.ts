/**
 * Person names: a hand-written RuleScanner (a lexicon and capitalisation do not fit a regular expression's
 * leftmost-longest search, which would lose `John Smith` inside `Yesterday John Smith`). It reads the folded view
 * one unit at a time, groups capitalised words separated by single spaces into a run (initials `J.`, titles `Dr.`
 * and particles `van`, `de la` included), and when the run ends decides the leftmost name in it:
 *  - a title and capitalised words (`Dr. Ada Lovelace`, `Herr Müller`);
 *  - a listed first name and one to three more capitalised words (`Ada King`, `Jean-Luc Picard`); a first name that is
 *    also an English word (`Will`, `May`) needs a listed surname after it; any capitalised word does when that surname
 *    is not an English word itself (`Katarzyna Nowak`, not `Project Power`);
 *  - right after a context phrase (`my name is`, `Dear`, `signed`), one capitalised word or more; after a weaker one
 *    (`Hi`, `from`, `thanks`), a listed word or two capitalised words;
 *  - in a table cell under a name column (the WordReader's header labels): `first_name`, `surname`, `Vorname` are
 *    strong context; a bare `name`, `Nom`, `nombre` column (also products, teams) only makes a listed first name or
 *    surname a name on its own.
 * Decisions depend only on the text, never on where chunks end, so streamed and whole-text results are identical.
 */
import type { HeldText, RuleScanner } from "../scanner.ts";
import type { StreamShared } from "../stream.ts";
import { compileContextWords, ContextTracker, type ContextWords, type WordReader } from "../context.ts";
import { foldedText } from "../normalize.ts";
import type { DetectorSpec, NameLists } from "./detectors.ts";
import { foldUnit, isWordUnit } from "../text.ts";
import { FIRST, HASH_START_A, HASH_START_B, NameBloom, stepA, stepB, SURNAME, WEAK_FIRST, WORD_SURNAME } from "./name-bloom.ts";
import { NAME_BLOOM_BASE64 } from "./name-lexicon.ts";
import { nameWords, WordSet, type NameWords } from "./name-words.ts";

/** Entries of the stream's word log the table trackers may leave unread (they keep the log from being trimmed). */
const CELL_BACKLOG = 256;
/** Longest name word (letters); a longer word is not a name and ends a run. */
const MAX_WORD = 20;
/** Tokens in one run: name words, initials, titles and particles. */
const MAX_TOKENS = 5;
/** Longest text held: a full run (MAX_TOKENS words of MAX_WORD units, each with a dot and a space) and the next word. */
export const NAME_MAX_LENGTH = (MAX_TOKENS + 1) * (MAX_WORD + 2) + 2;

const CAP = 1, INITIAL = 2, PARTICLE = 4, TITLE = 8, IS_FIRST = 16, IS_WEAK = 32, IS_SURNAME = 64, IS_RARE_SURNAME = 128;
/** A word from the policy's deny list: a name on its own. */
const DENIED = 256;
/** The token is followed by `, ` and the run goes on: `Okonkwo, Chidi` (surname first, as in lists and records). */
const COMMA_AFTER = 512;
/** An all-caps word (`JOHN`): see capsJoin(). */
const CAPS = 1024;
/** Context before a run: none, a weak or strong phrase, a bare name column (a listed first name or surname alone). */
const NO_CONTEXT = 0, WEAK_CONTEXT = 1, STRONG_CONTEXT = 2, LISTED_CONTEXT = 3;
/**
 * Header labels of columns that hold person names (one or two words; `first_name` reads `first name`, `firstName`
 * `firstname`). Specific ones are strong context for their cells; a bare `name` column may hold products or teams.
 */
const PERSON_COLUMNS = ["first name", "last name", "given name", "family name", "full name", "middle name", "firstname",
  "lastname", "givenname", "familyname", "fullname", "surname", "surnames", "forename", "vorname", "nachname", "prenom",
  "apellido", "apellidos", "cognome", "sobrenome", "voornaam", "achternaam", "nazwisko", "imie", "efternamn", "fornavn",
  "etternavn", "patient name", "customer name", "employee name", "contact name", "holder name"];
/** Bare name labels: their cells may hold products or teams, so only a listed first name or surname alone is a name. */
const NAME_COLUMNS = ["name", "names", "nom", "nombre", "nome", "naam", "navn", "namn", "nimi", "patient", "employee"];
/** Two-word labels ending in `name` that name no person (else the bare `name` would label them). */
const THING_COLUMNS = ["product name", "company name", "file name", "user name", "host name", "street name", "brand name",
  "item name", "project name", "team name", "model name", "app name", "service name", "domain name", "field name",
  "column name", "table name", "branch name", "package name", "city name", "country name", "store name", "event name"];
/** Window 0: only cells count (a cell's label reaches 1 unit into it), never a word written before the run. */
let columnWords: [ContextWords, ContextWords] | undefined;
const nameColumns = (): [ContextWords, ContextWords] =>
  (columnWords ??= [compileContextWords(PERSON_COLUMNS, [], 0), compileContextWords(NAME_COLUMNS, THING_COLUMNS, 0)]);
/** Hashes of a last segment `s` (`Ada's`): a possessive. */
const POSSESSIVE_A = stepA(HASH_START_A, 115), POSSESSIVE_B = stepB(HASH_START_B, 115);
/** Hash A of `the`: capitalised words after it name a thing (`the Customer Success Playbook`, `the Royal Albert Hall`). */
const THE_A = stepA(stepA(stepA(HASH_START_A, 116), 104), 101);
/** Quotes a title may open with (`the "Customer Success Playbook"`). */
const OPENING_QUOTES = new Set([34, 39, 0x201c, 0x2018, 0xab]);
const SPACE = 32, COMMA = 44, DOT = 46, APOSTROPHE = 39, RIGHT_QUOTE = 0x2019, HYPHEN = 45, COLON = 58, LINE_BREAK = 10;
/**
 * Separators that keep a context phrase attached to the run after it (`Dear Ada`, `name: Ada`, `Regards, Ada`), also
 * in key-value formats (`"name": "Ada"`, `| name | Ada |`, `name=Ada`) and CSV rows split by `,` or `;`.
 */
const CONTEXT_GAP = new Set([SPACE, 44, 59, 58, HYPHEN, 0x2014, 34, 124, 61]);

let bloom: NameBloom | undefined;
const lexicon = (): NameBloom => (bloom ??= NameBloom.fromBase64(NAME_BLOOM_BASE64));

const isLetter = (c: number): boolean => c >= 0 && isWordUnit(c) && c !== 95 && !(c >= 48 && c <= 57);
const isUpper = (c: number): boolean => c < 128 ? c >= 65 && c <= 90 : foldUnit(c) !== c;

/** A rule's allow/deny lists, compiled once per policy load. */
export interface CompiledNameLists {
  /** Whole names never reported: folded view, lower case, single spaces. */
  readonly allow: ReadonlySet<string>;
  /** Words always read as a name (lower-case letters, hashed like the scanner hashes words). */
  readonly deny: WordSet | undefined;
}

/** Folds the policy's lists the way the scanner sees text (accents and look-alikes folded, case ignored). */
export function compileNameLists(lists: NameLists = {}): CompiledNameLists {
  const fold = (s: string): string => foldedText(s).trim().toLowerCase();
  const denyWords = (lists.deny ?? []).flatMap((entry) => fold(entry).split(/[^\p{L}'\u2019-]+/u))
    .map((w) => w.replace(/['\u2019-]/g, "")).filter((w) => w.length > 0);
  return { allow: new Set((lists.allow ?? []).map(fold)), deny: denyWords.length > 0 ? new WordSet(denyWords.join(" ")) : undefined };
}

/** One name detector's search state over the stream (see RuleScanner for the contract). */
export class NameScanner implements RuleScanner {
  liveStart = Infinity;
  final = false;
  matchStart = Infinity;
  matchEnd = -1;
  private at = 0;
  private prev = -1;
  private readonly words: NameWords = nameWords();
  private readonly lexicon = lexicon();
  /** The view being read (for the allow list, which compares whole candidates). */
  private view: HeldText | undefined;
  // The word being read.
  private wordStart = -1;
  private letters = 0;
  private upperFirst = false;
  private lower = false;
  private tainted = false;
  private joinPending = false;
  private a = 0; private b = 0;
  private firstA = 0; private firstB = 0; private firstDone = false;
  /** Hashes of the segment after the last joiner (`Jean-Luc`: `luc`), kept once there is one (`firstDone`). */
  private segA = 0; private segB = 0;
  // The run of name-like tokens.
  private count = 0;
  private readonly starts = new Int32Array(MAX_TOKENS);
  private readonly ends = new Int32Array(MAX_TOKENS);
  private readonly flags = new Int32Array(MAX_TOKENS);
  /**
   * Separators since the last token: 0 none, 1 one space, 2 a comma after a run's only word, 3 that comma and one
   * space (the run may go on after 1 and 3; anything else ends it at once).
   */
  private gap = 0;
  private context = NO_CONTEXT;
  /** Context from the run's table column (NO_CONTEXT when its phrase context is strong): holds if the name fills its cell. */
  private cellContext = NO_CONTEXT;
  /** Offset of the stream's end once finish() reads it (-1 before). */
  private streamEnd = -1;
  /** The run follows `the`. */
  private afterThe = false;
  /** End of the last word read (-1: none yet). */
  private lastEnd = -1;
  /**
   * End of the last capitalised stop or context word of a title after `the` (`the Customer Success Playbook`: the
   * `customer` of `customer Jane Doe` is context, `Customer` there is part of the title), -1: none.
   */
  private titleEnd = -1;
  // Words before the run, for context phrases: hash A of each, latest last; reset by sentence punctuation.
  private readonly recent = new Int32Array(4);
  private recentCount = 0;
  /** The word being read starts a line; the run's first token did; the run ended at `:` (a chat speaker, `Ada: hi`). */
  private wordAtLine = false;
  private runAtLine = false;
  private speaker = false;
  /** The run is one word and a verb of speaking follows it after one space (`Lars said`). */
  private spoke = false;

  /** Table cells under a person-name column, and under a bare `name` one (absent without a stream's shared words). */
  private readonly personCells: ContextTracker | undefined;
  private readonly nameCells: ContextTracker | undefined;
  /**
   * The trackers read the stream's word log only when a run asks about its cell (column()), up to where the push
   * being read ends and with its floor, or when the log (which keeps what they have not read) reaches CELL_BACKLOG.
   */
  private readonly log: WordReader | undefined;
  private cellsTo = 0;
  private cellsFloor = 0;
  /** The stream's NFKC view (it tells line breaks from spaces; without it only offset 0 starts a line). */
  private readonly lines: HeldText | undefined;

  /** `shared`: the stream's word reader, for line breaks and table header labels. */
  constructor(private readonly lists: CompiledNameLists, shared?: StreamShared) {
    this.lines = shared?.words.lines;
    if (shared) {
      const [person, name] = nameColumns();
      this.personCells = new ContextTracker(person, false, shared.words);
      this.nameCells = new ContextTracker(name, false, shared.words);
      this.log = shared.words;
    }
  }

  /** Start a fresh search at `from`. */
  reset(from: number, prev: number): void {
    this.at = from;
    this.prev = prev;
    this.final = false;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    this.liveStart = Infinity;
    this.wordStart = -1;
    this.joinPending = false;
    this.count = 0;
    this.gap = 0;
    this.recentCount = 0;
    this.streamEnd = -1;
    this.titleEnd = this.lastEnd = -1;
    if (from === 0 && prev < 0) { this.personCells?.restart(); this.nameCells?.restart(); }
    // Resuming inside a word (after another rule's match): the rest of that word is not a word start.
    if (isLetter(prev) || (prev >= 48 && prev <= 57)) this.startWord(from, -1, true);
  }

  /** Consume text up to `end`. */
  advance(text: HeldText, end: number): void {
    this.view = text;
    const codes = text.codes, base = text.base;
    let i = this.at;
    if (this.personCells && end > i) {
      // The log is read now, while the text is held; a run starting from here on asks about a cell starting at most
      // 1 unit before it.
      this.log!.read(text, end);
      this.cellsTo = end;
      this.cellsFloor = (this.wordStart >= 0 ? this.wordStart : i) - 1;
      if (this.log!.ends.length >= CELL_BACKLOG) this.readCells();
    }
    while (i < end && !this.final) {
      const c = codes[i - base]!;
      // Lower-case ASCII letters inside a word (most of prose) only extend its hashes: read as a run.
      const to = c >= 97 && c <= 122 && this.wordStart >= 0 && !this.joinPending ? this.lowerRun(codes, base, i, end) : i;
      if (to > i) {
        i = to;
        continue;
      }
      this.step(c, i);
      i++;
    }
    this.at = i;
    this.updateLive();
  }

  /**
   * addLetter() for the lower-case ASCII letters from `i` on, inside a word, with the word's fields in locals; stops
   * before a letter at which a word-length check of step() or addLetter() could end the run. Returns where it stopped.
   */
  private lowerRun(codes: Uint16Array, base: number, i: number, end: number): number {
    // addLetter()'s particle check fires at a fixed letter count, step()'s length check at MAX_WORD units.
    const particleAt = !this.upperFirst && this.count > 0 && !this.tainted
      ? this.count === 1 && this.gap === 1 && (this.flags[0]! & IS_FIRST) !== 0 ? this.words.speech.longest : 4
      : -1;
    const stop = this.tainted ? end : Math.min(end, this.wordStart + MAX_WORD);
    const seg = this.firstDone;
    let a = this.a, b = this.b, segA = this.segA, segB = this.segB, letters = this.letters, j = i;
    while (j < stop) {
      const c = codes[j - base]!;
      if (c < 97 || c > 122 || letters === particleAt) break;
      a = stepA(a, c); b = stepB(b, c);
      if (seg) { segA = stepA(segA, c); segB = stepB(segB, c); }
      letters++;
      j++;
    }
    if (j === i) return i;
    // A lower-case letter after the word's first makes the word not all capitals.
    if (this.letters > 0 || j - i > 1) this.lower = true;
    this.a = a; this.b = b; this.segA = segA; this.segB = segB;
    this.letters = letters;
    this.prev = codes[j - 1 - base]!;
    return j;
  }

  /** End of stream: the word and run being read end here. */
  finish(text: HeldText, end: number): void {
    this.advance(text, end);
    this.streamEnd = end;
    if (this.final) return;
    // A trailing `'` or `-` is not part of the word.
    if (this.wordStart >= 0) this.endWord(this.joinPending ? end - 1 : end, -1);
    this.joinPending = false;
    if (!this.final && this.count > 0) this.decide();
    this.count = 0;
    this.updateLive();
  }

  private step(c: number, i: number): void {
    if (isLetter(c)) {
      if (this.wordStart >= 0) {
        if (this.joinPending) { this.joinPending = false; this.newSegment(c); } else this.addLetter(c);
        if (i - this.wordStart >= MAX_WORD && !this.tainted) this.tooLong();
      } else {
        this.startWord(i, c, false);
      }
    } else if (this.wordStart >= 0 && (c === APOSTROPHE || c === RIGHT_QUOTE || c === HYPHEN) && !this.joinPending) {
      this.joinPending = true;
    } else if (c >= 48 && c <= 57 || c === 95) {
      if (this.wordStart >= 0) this.tainted = true;
      else this.startWord(i, -1, true);
    } else {
      // A joiner not followed by a letter ends the word before it.
      const wordEnd = this.joinPending ? i - 1 : i;
      const joiner = this.joinPending ? this.prev : -1;
      this.joinPending = false;
      if (this.wordStart >= 0) this.endWord(wordEnd, joiner >= 0 ? joiner : c);
      if (!this.final) this.separator(joiner >= 0 ? joiner : c, i);
      if (!this.final && joiner >= 0) this.separator(c, i);
    }
    this.prev = c;
  }

  private startWord(i: number, c: number, tainted: boolean): void {
    // A line break ends a run (`PLZ;Ort` then `Jonas Becker` on the next line): the unit before a word is settled.
    const lines = this.lines;
    this.wordAtLine = i === 0 || lines !== undefined && i - 1 >= lines.base && lines.codes[i - 1 - lines.base] === LINE_BREAK;
    if (this.wordAtLine && this.count > 0 && c >= 0) {
      this.endRun();
      if (this.final) return;
    }
    this.wordStart = i;
    this.letters = 0;
    this.lower = false;
    this.tainted = tainted;
    this.upperFirst = c >= 0 && isUpper(c);
    this.a = HASH_START_A;
    this.b = HASH_START_B;
    this.firstDone = false;
    if (c >= 0) this.addLetter(c);
  }

  /**
   * The word being read can no longer be a name word (too long) or a particle (a lower-case word over 4 letters):
   * the run ends before it now, so hold-back stays within the run's bound.
   */
  private tooLong(): void {
    this.tainted = true;
    this.breakRun();
  }

  private addLetter(c: number): void {
    if (this.letters > 0 && !isUpper(c)) this.lower = true;
    // A lower-case word over 4 letters is no particle: the run ends before it, unless the run is one listed first name
    // and the word may still be a verb of speaking (`Lars answered`).
    if (!this.upperFirst && this.count > 0 && !this.tainted &&
      this.letters === (this.count === 1 && this.gap === 1 && (this.flags[0]! & IS_FIRST) !== 0 ? this.words.speech.longest : 4)) {
      this.tooLong();
    }
    this.letters++;
    const unit = foldUnit(c);
    this.a = stepA(this.a, unit); this.b = stepB(this.b, unit);
    // Until a joiner the segment is the whole word (a, b): its own hashes start with the second segment.
    if (this.firstDone) { this.segA = stepA(this.segA, unit); this.segB = stepB(this.segB, unit); }
  }

  private newSegment(c: number): void {
    // Parts of a hyphenated name are capitalised (`Jean-Luc`), or the first is a listed first name (`Min-jun`,
    // `Jean-baptiste`; one that is also a word keeps needing a surname: `Real-time Analytics` is no name); `AI-driven`
    // (an acronym), `well-known` are not names.
    if (this.prev === HYPHEN && !isUpper(c) && (this.firstDone || !this.upperFirst || !this.lower ||
      !this.lexicon.has(this.a, this.b, FIRST) && !this.lexicon.has(this.a, this.b, WEAK_FIRST))) {
      this.tainted = true;
    }
    if (!this.firstDone) { this.firstA = this.a; this.firstB = this.b; this.firstDone = true; }
    this.segA = HASH_START_A;
    this.segB = HASH_START_B;
    this.addLetter(c);
  }

  /** A word ended at `end` (exclusive); `next` is the unit after it (-1 at the end of the stream). */
  private endWord(end: number, next: number): void {
    const start = this.wordStart;
    this.wordStart = -1;
    const w = this.words;
    // `Ada's`, `Berlin's`: a possessive is read as the word before `'s`, and the run ends with it.
    const possessive = this.firstDone && this.segA === POSSESSIVE_A && this.segB === POSSESSIVE_B;
    const a = possessive ? this.firstA : this.a, b = possessive ? this.firstB : this.b;
    this.remember(a);
    const previousEnd = this.lastEnd;
    this.lastEnd = end;
    if (this.tainted || this.letters > MAX_WORD) return this.breakRun();
    if (this.lists.deny?.has(a, b)) return this.addToken(start, end, CAP | DENIED);
    if (!this.upperFirst) {
      if (this.count > 0 && this.gap === 1 && w.particles.has(a, b)) return this.addToken(start, end, PARTICLE);
      // `Lars said`: a lone listed first name before a verb of speaking (decide()).
      this.spoke = this.count === 1 && this.gap === 1 && w.speech.has(a, b);
      return this.breakRun();
    }
    if (this.letters === 1) return next === DOT ? this.addToken(start, end + 1, INITIAL) : this.breakRun();
    if (w.titles.has(a, b)) {
      if (this.count > 0) this.endRun();
      if (this.final) return;
      return this.addToken(start, next === DOT ? end + 1 : end, TITLE);
    }
    const caps = !this.lower && this.capsJoin(start);
    if (!this.lower && !caps || w.stops.has(a, b) || w.contextWords.has(a, b)) {
      // A context word itself (`Dear`, `Hello`) is not part of a name; a capitalised one right after `the` (or after
      // another such word) opens a title, and a run right after it is part of the title.
      // One space since the word before, and maybe an opening quote (`the "Customer Success Playbook"`, not `the:Bearer`).
      if (this.lower && previousEnd >= 0 && this.spacedAt(previousEnd, start) && (this.followsThe() || this.titleEnd === previousEnd)) {
        this.titleEnd = end;
      }
      return this.breakRun();
    }
    const fa = this.firstDone ? this.firstA : a, fb = this.firstDone ? this.firstB : b;
    let flags = caps ? CAP | CAPS : CAP;
    if (this.lexicon.has(fa, fb, FIRST)) flags |= IS_FIRST;
    else if (this.lexicon.has(fa, fb, WEAK_FIRST)) flags |= IS_WEAK;
    const sa = possessive || !this.firstDone ? a : this.segA, sb = possessive || !this.firstDone ? b : this.segB;
    if (this.lexicon.has(sa, sb, SURNAME)) flags |= IS_SURNAME | IS_RARE_SURNAME;
    else if (this.lexicon.has(sa, sb, WORD_SURNAME)) flags |= IS_SURNAME;
    this.addToken(start, possessive ? end - 2 : end, flags);
    if (possessive && !this.final && this.count > 0) this.endRun();
  }

  /**
   * An all-caps word (`JOHN SMITH`, `Jean DUPONT`) is a name word when it goes on a run opened by a listed first name,
   * a title or another such word, or opens one right after a context phrase or in a person-name column; a run it opens
   * needs a listed word (decide()). Elsewhere it is an acronym or a shout (`IMMEDIATE RELEASE`, `AWS`).
   */
  private capsJoin(start: number): boolean {
    if (this.count > 0 && (this.gap === 1 || this.gap === 3) && this.count < MAX_TOKENS) {
      return (this.flags[0]! & (CAPS | TITLE | IS_FIRST)) !== 0;
    }
    return !this.followsThe() && (this.phraseContext() !== NO_CONTEXT || this.column(start) === STRONG_CONTEXT);
  }

  /** Context phrase before the word just read (the ring holds it last): strong, weak or none. */
  private phraseContext(): number {
    const before = this.recentCount - 1, w = this.words;
    return w.strong.endsWith(this.recent, before) ? STRONG_CONTEXT : w.weak.endsWith(this.recent, before) ? WEAK_CONTEXT : NO_CONTEXT;
  }

  /** The word just read comes right after `the`. */
  private followsThe(): boolean {
    return this.recentCount >= 2 && this.recent[this.recentCount - 2] === THE_A;
  }

  private remember(a: number): void {
    if (this.recentCount === this.recent.length) this.recent.copyWithin(0, 1);
    else this.recentCount++;
    this.recent[this.recentCount - 1] = a;
  }

  private addToken(start: number, end: number, flags: number): void {
    // After `Surname, ` only a plain capitalised word goes on (`Okonkwo, Chidi`).
    const afterComma = this.gap === 3, onlyWord = afterComma && (flags & (TITLE | INITIAL | PARTICLE)) === 0;
    if (this.count > 0 && (this.gap !== 1 && !onlyWord || this.count === MAX_TOKENS)) {
      this.endRun();
      if (this.final) return;
    } else if (onlyWord) this.flags[0] = this.flags[0]! | COMMA_AFTER;
    if (this.count === 0) {
      if (flags & PARTICLE) return;
      // Context is read from the words before this one (the ring already holds this word).
      this.context = this.phraseContext();
      this.cellContext = this.context === STRONG_CONTEXT ? NO_CONTEXT : this.column(start);
      this.afterThe = this.followsThe() || this.titleEnd >= 0 && this.spacedAt(this.titleEnd, start);
      this.runAtLine = this.wordAtLine;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.flags[this.count] = flags;
    this.count++;
    this.gap = 0;
  }

  /** Between a word ending at `end` and one starting at `start`: one space, or a space and an opening quote. */
  private spacedAt(end: number, start: number): boolean {
    const codes = this.view!.codes, base = this.view!.base;
    if (codes[end - base] !== SPACE) return false;
    return start - end === 1 || start - end === 2 && OPENING_QUOTES.has(codes[start - 1 - base]!);
  }

  /** Context of a run starting at `start` from its table column: strong, a bare name column's (unless `Hi` gave weak). */
  private column(start: number): number {
    if (!this.personCells) return NO_CONTEXT;
    this.readCells();
    if (this.personCells.check(start) === 2) return STRONG_CONTEXT;
    return this.context === NO_CONTEXT && this.nameCells!.check(start) === 2 ? LISTED_CONTEXT : NO_CONTEXT;
  }

  /** The table trackers read the word log up to the push being read (see `log`). */
  private readCells(): void {
    this.personCells!.advance(this.view!, this.cellsTo, this.cellsFloor);
    this.nameCells!.advance(this.view!, this.cellsTo, this.cellsFloor);
  }

  /**
   * A name ending at `end` fills the rest of its cell: a cell separator, a line break or the stream's end follows,
   * after at most one space (`| Ada |`). Not `Meeting notes` on the line after a table: the units read are settled.
   */
  private endsCell(end: number): boolean {
    const view = this.view!, lines = this.lines;
    for (let p = end; p <= end + 1; p++) {
      if (p === this.streamEnd) return true;
      const c = view.codes[p - view.base]!;
      if (c === COMMA || c === 59 || c === 124 || c === 34) return true;
      if (c !== SPACE) return false;
      if (lines !== undefined && lines.codes[p - lines.base] === LINE_BREAK) return true;
    }
    return false;
  }

  /** A separator unit after the last word. */
  private separator(c: number, i: number): void {
    if (c === DOT && this.count > 0 && this.gap === 0 && this.ends[this.count - 1] === i + 1) return;
    if (c === SPACE && this.gap === 0 && this.count > 0) { this.gap = 1; return; }
    if (c === COMMA && this.gap === 0 && this.count === 1 && (this.flags[0]! & (CAP | TITLE | INITIAL)) === CAP) {
      this.gap = 2;
      return;
    }
    if (c === SPACE && this.gap === 2) { this.gap = 3; return; }
    if (this.count > 0) {
      this.speaker = c === COLON && this.gap === 0 && this.runAtLine;
      this.endRun();
    }
    if (!CONTEXT_GAP.has(c)) this.recentCount = 0;
  }

  /** A word that cannot belong to a name: the run ends before it. */
  private breakRun(): void {
    if (this.count > 0) this.endRun();
  }

  private endRun(): void {
    this.decide();
    this.speaker = this.spoke = false;
    if (!this.final) this.count = 0;
    this.gap = 0;
  }

  /** Finds the leftmost name in the run; sets the match when there is one. */
  private decide(): void {
    const n = this.count, flags = this.flags;
    if (this.afterThe && (flags[0]! & (TITLE | DENIED)) === 0) return;
    // `Surname, First` (`Okonkwo, Chidi`, `Fitzgerald, Eleanor M.`): a listed first name that is not also a surname
    // after the comma (`Walter, McKenzie and Larson` lists surnames), then at most an initial or a second first name.
    // Otherwise the two sides are decided apart.
    if (n >= 2 && (flags[0]! & COMMA_AFTER) !== 0 && (flags[1]! & (IS_FIRST | IS_SURNAME)) === IS_FIRST
      && (n === 2 || n === 3 && (flags[2]! & (INITIAL | IS_FIRST | IS_WEAK)) !== 0)) {
      if (this.match(this.starts[0]!, this.ends[n - 1]!)) return;
    }
    for (let i = 0; i < n; i++) {
      const f = flags[i]!;
      let j = i + (f & TITLE ? 1 : 0), last = -1, names = 0, surname = false, rare = false;
      for (; j < n && names < 4; j++) {
        if (j > i && (flags[j - 1]! & COMMA_AFTER) !== 0) break;
        const g = flags[j]!;
        if (g & TITLE) break;
        if (g & PARTICLE) { if (names === 0) break; continue; }
        names++;
        if (g & CAP) { last = j; surname = (g & IS_SURNAME) !== 0; rare = (g & IS_RARE_SURNAME) !== 0; }
      }
      if (last < 0) continue;
      const count = last - i + (f & TITLE ? 0 : 1);
      const context = i === 0 && this.cellContext !== NO_CONTEXT && this.endsCell(this.ends[last]!) ? this.cellContext : this.context;
      let ok: boolean;
      if (f & CAPS) {
        // An all-caps run opened after context: a listed word in it (`NAME: JOHN MCALLISTER`, not `For: IMMEDIATE
        // RELEASE`); one word alone must be a first name or a surname that is no English word, unless the context is
        // strong (`Signed: SMITH`, a `last_name` cell).
        let listed = 0;
        for (let k = i; k <= last; k++) listed |= flags[k]!;
        const anyListed = (listed & (IS_FIRST | IS_WEAK | IS_SURNAME)) !== 0;
        ok = i === 0 && (count >= 2 || context === STRONG_CONTEXT ? anyListed : (f & (IS_FIRST | IS_RARE_SURNAME)) !== 0);
      } else if (f & (TITLE | DENIED)) ok = true;
      else if (i === 0 && context === STRONG_CONTEXT) ok = (f & CAP) !== 0;
      else if (i === 0 && context === WEAK_CONTEXT) ok = (f & CAP) !== 0 && (count >= 2 || (f & (IS_FIRST | IS_RARE_SURNAME)) !== 0);
      else if (i === 0 && (this.speaker || this.spoke) && (f & IS_FIRST) !== 0) ok = true;
      else if (i === 0 && context === LISTED_CONTEXT && (f & (IS_FIRST | IS_RARE_SURNAME)) !== 0) ok = true;
      else if (count < 2) ok = false;
      else if (f & IS_FIRST) ok = true;
      else ok = (f & (IS_WEAK | INITIAL)) !== 0 ? surname : rare;
      if (!ok) continue;
      if (this.match(this.starts[i]!, this.ends[last]!)) return;
    }
  }

  /** Reports the name at `[start, end)` unless the policy's allow list has it. */
  private match(start: number, end: number): boolean {
    if (this.lists.allow.size > 0 && this.lists.allow.has(this.view!.slice(start, end).toLowerCase())) return false;
    this.matchStart = start;
    this.matchEnd = end;
    this.final = true;
    return true;
  }

  private updateLive(): void {
    if (this.final) { this.liveStart = this.matchStart; return; }
    let live = this.count > 0 ? this.starts[0]! : Infinity;
    if (this.wordStart >= 0 && this.upperFirst && !this.tainted && this.wordStart < live) live = this.wordStart;
    this.liveStart = live;
  }
}

/** The person-name detector: the scanner above; `pattern` is the candidate shape it groups (for regex peers). */
export const NAME_DETECTORS: Readonly<Record<"person_name", DetectorSpec>> = {
  person_name: {
    pattern: "(?<![A-Za-z])[A-Z][a-z]+(?:[ .]+[A-Z][a-z]*)+(?![A-Za-z])",
    maxLength: NAME_MAX_LENGTH, placeholder: "[NAME]",
    scanner: (lists) => {
      const compiled = compileNameLists(lists);
      return (shared) => new NameScanner(compiled, shared);
    },
  },
};
