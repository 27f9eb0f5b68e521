/** Incremental leftmost-longest phrase search with word boundaries, on top of the Aho-Corasick automaton. */
import type { HeldText, RuleScanner } from "../scanner.ts";
import { isWordUnit } from "../text.ts";
import { nextState, type PhraseAutomaton } from "./automaton.ts";

/** One phrase rule's search state over the stream (see RuleScanner for the contract). */
export class PhraseScanner implements RuleScanner {
  /** Earliest offset where the next match could start. */
  liveStart = Infinity;
  /** Match can no longer change. */
  final = false;
  /** Best match start (Infinity: none yet). */
  matchStart = Infinity;
  /** Best match end. */
  matchEnd = -1;
  private at = 0;
  private from = 0;
  private prev = -1;
  private resetPrev = -1;
  private state = 0;
  /** Start of a phrase ending at `at` whose end boundary waits for the next character (-1: none). */
  private pending = -1;

  constructor(
    private readonly automaton: PhraseAutomaton,
    /** Require non-word characters (or text edges) around phrases that begin/end with word characters. */
    private readonly wholeWord: boolean,
  ) {}

  /** Start a fresh search at `from`. */
  reset(from: number, prev: number): void {
    this.at = this.from = from;
    this.prev = this.resetPrev = prev;
    this.state = 0;
    this.pending = -1;
    this.final = false;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    this.liveStart = Infinity;
  }

  /**
   * Equal to a fresh search from `resume` when nothing before it is live: the automaton's state is then the longest
   * suffix of the text since `resume` that is a trie path, which is what a fresh search would have.
   */
  keepsAcross(resume: number): boolean {
    return this.liveStart >= resume && this.at >= resume;
  }

  /** Consume text up to `end`. */
  advance(text: HeldText, end: number): void {
    if (this.final) return;
    const a = this.automaton;
    let i = this.at, state = this.state;
    const codes = text.codes, base = text.base;
    while (i < end) {
      const c = codes[i - base]!;
      if (this.pending >= 0) this.resolvePending(c);
      if (this.matchEnd >= 0 && this.pending < 0 && i - a.depth[state]! > this.matchStart) break;
      state = c < 128 ? a.ascii[state * 128 + c]! : nextState(a, state, c);
      i++;
      this.prev = c;
      if (a.phraseLength[state] !== 0 || a.outputLink[state] !== -1) {
        this.at = i;
        this.collect(codes, base, state, i);
      }
    }
    this.at = i;
    this.state = state;
    this.settle();
  }

  /** End of stream: a phrase ending at the very end has a valid end boundary. */
  finish(text: HeldText, end: number): void {
    this.advance(text, end);
    if (this.final) return;
    if (this.pending >= 0) this.resolvePending(-1);
    this.state = 0;
    this.settle();
  }

  private settle(): void {
    const depth = this.automaton.depth[this.state]!;
    const partial = depth > 0 ? this.at - depth : Infinity;
    const pending = this.pending >= 0 ? this.pending : Infinity;
    this.liveStart = Math.min(partial, pending, this.matchStart);
    if (this.matchEnd >= 0 && partial > this.matchStart && pending > this.matchStart) {
      this.final = true;
      this.state = 0;
      this.pending = -1;
    }
  }

  private resolvePending(next: number): void {
    if (!this.wholeWord || !isWordUnit(this.prev) || !isWordUnit(next)) this.offer(this.pending, this.at);
    this.pending = -1;
  }

  private offer(start: number, end: number): void {
    if (start < this.matchStart || (start === this.matchStart && end > this.matchEnd)) {
      this.matchStart = start;
      this.matchEnd = end;
    }
  }

  /** Phrases ending at `end` (longest first): keep the longest whose start boundary holds. the held text keeps the
   *  character before every unreleased offset, so `start - 1` is readable. */
  private collect(codes: Uint16Array, base: number, state: number, end: number): void {
    const a = this.automaton;
    for (let s = a.phraseLength[state] !== 0 ? state : a.outputLink[state]!; s >= 0; s = a.outputLink[s]!) {
      const start = end - a.phraseLength[s]!;
      if (start > this.matchStart) return;
      if (this.wholeWord && isWordUnit(codes[start - base]!)) {
        const before = start > this.from ? codes[start - 1 - base]! : this.resetPrev;
        if (isWordUnit(before)) continue;
      }
      if (this.wholeWord && isWordUnit(this.prev)) this.pending = start;
      else this.offer(start, end);
      return;
    }
  }
}
