/** The contract between one compiled rule and the stream: an incremental leftmost-longest search. */

/**
 * One view (NFKC or folded, see normalize.ts) of the stream's held normalised text, built once per chunk so every
 * rule reads code units from one typed array. Offsets are normalised offsets; the stream maps matches back to raw.
 */
export interface HeldText {
  /** Code units: `codes[offset - base]` is the unit at normalised offset `offset`. */
  readonly codes: Uint16Array;
  /** Normalised offset of `codes[0]`. */
  readonly base: number;
  /** The view's text between two normalised offsets (what validators check). */
  slice(from: number, to: number): string;
}

/**
 * Incremental leftmost-longest search for one rule over a stream held by the caller.
 * Offsets are absolute normalised offsets.
 */
export interface RuleScanner {
  /** Start a fresh search at `from`; `prev` is the code unit before it (-1 at stream start) for lookbehind. */
  reset(from: number, prev: number): void;
  /** Consume characters up to `end` (exclusive); stops early once the rule's match is final. */
  advance(text: HeldText, end: number): void;
  /** The stream is over: resolve everything pending at `end` (the scanner has already advanced to it). */
  finish(text: HeldText, end: number): void;
  /**
   * True if the scanner's state is exactly what a fresh search from `resume` (an offset it has read past) would have:
   * then the stream need not restart it after a match ending there. Optional: without it the stream restarts.
   */
  keepsAcross?(resume: number): boolean;
  /** Earliest offset where this rule's next match could start (Infinity: none possible with the text so far). */
  readonly liveStart: number;
  /** True once the match in `matchStart..matchEnd` can no longer change, whatever text follows. */
  readonly final: boolean;
  /** Start of the best match so far (valid when `final`). */
  readonly matchStart: number;
  /** End (exclusive) of the best match so far (valid when `final`). */
  readonly matchEnd: number;
  /** True while the scanner is as reset(0, -1) left it (a stream's restart skips it). Optional: absent, it is reset. */
  readonly fresh?: boolean;
}

/**
 * Decides whether a syntactic candidate is real (checksums, ranges); gets the matched text of the view, and for
 * detectors with context words whether one was found before the candidate. `precheck`, when present, is run first on
 * the view's code units `codes[from..to)` (no text built): it may only refuse candidates the validator refuses (digit
 * tables yield a candidate at every group end for each of several starts, most refused by their first characters).
 */
export type MatchValidator = ((match: string, withContext?: boolean) => boolean) & {
  readonly precheck?: (codes: Uint16Array, from: number, to: number, withContext: boolean) => boolean;
};
