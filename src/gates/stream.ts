/**
 * HoldBackBuffer: runs every rule's incremental search over the normalised view of one stream, resolves overlaps
 * (leftmost, then longest, then rule order) and releases RAW text the moment no rule can still match it.
 * Scanners work in normalised offsets; everything released, held, redacted or masked is in raw offsets (via the
 * per-unit raw maps of NormalisedText).
 */
import { maskText } from "./action.ts";
import { NormalisedText, type HeldView } from "./normalize.ts";
import type { Finding, GateRule, GateStep, TextStream } from "./rule.ts";
import type { RuleScanner } from "./scanner.ts";
import type { Program } from "./regex/program.ts";
import { WordReader } from "./context.ts";
import { PikeScanner } from "./regex/pike.ts";
import { WalkGroup } from "./regex/group.ts";

/** Which normalised view a rule reads: built-in detectors and phrase lists fold look-alikes, user regexes do not. */
export type RuleView = "folded" | "nfkc";

/** A rule ready to run: its policy entry, how to start a search, and its redaction text. */
export interface CompiledRule {
  /** The rule as written in the policy. */
  readonly rule: GateRule;
  /** Fresh per-stream search state; `shared` is what the stream's scanners share (context-word reading). */
  readonly createScanner: (shared: StreamShared) => RuleScanner;
  /** Longest match in normalised units: the rule's share of the hold-back bound. */
  readonly maxLength: number;
  /** Text that replaces a redacted match. */
  readonly placeholder: string;
  /** The view the rule's scanner reads. */
  readonly view: RuleView;
  /**
   * The rule tells a space from a line break (`^`, `$`, `.`, a literal space…): on the NFKC view it must not read a
   * trailing whitespace unit until its run ends, since a later line break turns that unit into `\n`.
   */
  readonly seesLineBreaks: boolean;
  /** A match can begin with a whitespace unit (then such a rule could start on the unit it has not read yet). */
  readonly startsWithSpace: boolean;
  /** Shortest match in normalised units (1 when not declared): at the end, a shorter live tail cannot hold one. */
  readonly minLength?: number;
  /** The NFA program of a Pike search (what analyses of the rule read, e.g. alphabet.ts); absent for other scanners. */
  readonly program?: Program;
}

/** What the scanners of one stream share. */
export interface StreamShared {
  /** The words of the folded view, read once for every context-word tracker. */
  readonly words: WordReader;
}

/** Normalised units scanners read per round (see run()). */
const SCAN_BLOCK = 32;

/** Rules (folded-view Pike scanners) one WalkGroup may walk: one bit each. */
const MAX_GROUPED = 30;
/** Per compiled rule list: each rule's shortest match (read once, after its first scanner was created). */
const minLengths = new WeakMap<readonly CompiledRule[], Int32Array>();

/** One stream's hold-back buffer over a compiled rule list. */
export class HoldBackBuffer implements TextStream {
  /** Unreleased raw text (raw offsets `released` to `received`). */
  private text = "";
  private readonly norm: NormalisedText;
  /** Words of the folded view for the context trackers of all rules (and table rows, read on the NFKC view). */
  private readonly words: WordReader;
  /** Raw offset up to which text has been released. */
  private released = 0;
  /** Raw offset of the end of the text received. */
  private received = 0;
  /** Normalised offset before which no scanner reads (one unit of lookbehind is kept below it). */
  private from = 0;
  /** Normalised offset of the first held unit after the last step. */
  private heldFrom = 0;
  private ended = false;
  private blockedBy: Finding | undefined;
  private readonly scanners: RuleScanner[];
  private readonly views: HeldView[];
  /** Per rule: must stop before an open whitespace unit (reads NFKC and tells spaces from line breaks). */
  private readonly stopsAtOpenSpace: boolean[];
  /** Per rule: stops there and could start a match on that unit. */
  private readonly waitsForSpace: boolean[];
  /** Some rule waits for open spaces (else `liveOf` is just `liveStart`). */
  private readonly anyWaits: boolean;
  /**
   * The folded-view Pike rules walked as one product DFA while their moves are plain (most of prose: see WalkGroup);
   * per rule its bit in the group (0: never grouped). A rule in the group (`group.owned`) has stale scanner fields:
   * its live start is the group's.
   */
  private readonly group: WalkGroup | undefined;
  private readonly groupBits: Int32Array;
  /** Per rule: its shortest match (see end()). */
  private readonly minLength: Int32Array;
  /** Per rule: 1 once end() restarted its (Pike) scanner at the end, where finishing it would do nothing. */
  private readonly dropped: Uint8Array;
  /** Some rule is `dropped`. */
  private dropping = false;
  /** Rules in the group that end() found too long for the text left (their bits in the group). */
  private shortMembers = 0;
  /**
   * The rules outside the group, in rule order (the first `outsideCount`), for the group's `owned` bits `outsideOf`
   * (-1: not computed): the per-step loops visit these, not every rule, while the group walks most of them.
   */
  private readonly outside: Int32Array;
  private outsideCount = 0;
  private outsideOf = -1;
  /** firstLive() as the last decidedWithin() found it. */
  private lastLive = Infinity;

  /** `capacity`: normalised units to allocate up front (scan() passes the text's length; streams grow from 64). */
  constructor(private readonly rules: readonly CompiledRule[], capacity?: number) {
    this.norm = new NormalisedText(capacity);
    this.words = new WordReader(this.norm.nfkcView);
    const shared: StreamShared = { words: this.words };
    this.scanners = rules.map((r) => {
      const s = r.createScanner(shared);
      s.reset(0, -1);
      return s;
    });
    this.views = rules.map((r) => r.view === "nfkc" ? this.norm.nfkcView : this.norm.foldedView);
    this.norm.rawText = (from, to) => this.slice(from, to);
    this.stopsAtOpenSpace = rules.map((r) => r.view === "nfkc" && r.seesLineBreaks);
    this.waitsForSpace = rules.map((r) => r.view === "nfkc" && r.seesLineBreaks && r.startsWithSpace);
    this.anyWaits = this.waitsForSpace.includes(true);
    this.groupBits = new Int32Array(rules.length);
    const members: PikeScanner[] = [];
    for (let r = 0; r < rules.length && members.length < MAX_GROUPED; r++) {
      const s = this.scanners[r];
      if (rules[r]!.view === "folded" && s instanceof PikeScanner) {
        this.groupBits[r] = 1 << members.length;
        members.push(s);
      }
    }
    this.group = members.length > 1 ? new WalkGroup(members, rules, this.words) : undefined;
    if (!this.group) this.groupBits.fill(0);
    let mins = minLengths.get(rules);
    if (!mins) minLengths.set(rules, (mins = Int32Array.from(rules, (r) => r.minLength ?? 1)));
    this.minLength = mins;
    this.dropped = new Uint8Array(rules.length);
    this.outside = new Int32Array(rules.length);
  }

  /** Number of rules outside the group now, listed in `outside` (see there). */
  private outsiders(): number {
    const owned = this.group ? this.group.owned : 0;
    if (owned === this.outsideOf) return this.outsideCount;
    const bits = this.groupBits, outside = this.outside;
    let n = 0;
    for (let r = 0; r < bits.length; r++) if ((bits[r]! & owned) === 0) outside[n++] = r;
    this.outsideOf = owned;
    return (this.outsideCount = n);
  }

  /** Back to a fresh stream over the same rules, keeping every allocation (for scan()'s reused buffer). */
  restart(): void {
    this.text = "";
    this.released = this.received = this.from = this.heldFrom = 0;
    this.ended = false;
    this.blockedBy = undefined;
    this.norm.restart();
    this.words.restart();
    for (const s of this.scanners) if (s.fresh !== true) s.reset(0, -1);
    this.group?.restart();
    if (this.dropping) {
      this.dropped.fill(0);
      this.dropping = false;
    }
    this.shortMembers = 0;
  }

  /** Normalised units its arrays hold. */
  get capacity(): number {
    return this.norm.capacity;
  }

  /** Raw characters received but not yet released. */
  get held(): number {
    return this.received - this.released;
  }

  /** Normalised units held (the bound: held ≤ RAW_UNITS_PER_UNIT × heldUnits + 1, heldUnits ≤ longest match + 1). */
  get heldUnits(): number {
    return this.ended || this.blockedBy ? 0 : this.norm.end - this.heldFrom;
  }

  /** Feed one chunk. */
  push(chunk: string): GateStep {
    if (this.ended || this.blockedBy) return this.closedStep();
    this.norm.feed(chunk, this.from > 0 ? this.from - 1 : 0);
    this.text = this.text.length === 0 ? chunk : this.text + chunk;
    this.received += chunk.length;
    return this.run();
  }

  /**
   * Feed the stream's last chunk and end it: one step equal to push(chunk) then end() together, but the scanners
   * read the chunk knowing the end, so rules too long for what is left are never advanced over it (see end()).
   */
  pushLast(chunk: string): GateStep {
    if (this.ended || this.blockedBy) return this.closedStep();
    if (chunk.length > 0) {
      this.norm.feed(chunk, this.from > 0 ? this.from - 1 : 0);
      this.text = this.text.length === 0 ? chunk : this.text + chunk;
      this.received += chunk.length;
    }
    return this.end();
  }

  /** Stream over: resolve everything. */
  end(): GateStep {
    if (this.ended || this.blockedBy) return this.closedStep();
    this.norm.flush();
    this.ended = true;
    this.dropShortTails();
    return this.run();
  }

  /**
   * Every match still to come starts at or after `from` (scanners read nothing before it, and every candidate or
   * thread starts at or after it), so a rule whose shortest match is longer than the text left from there can find
   * nothing more: it restarts at the end, where it has nothing to read or finish. A tool call ends a stream at every
   * JSON value; on a short one (`"id": 42`, `"ok"`, given whole to pushLast) this spares every detector's reading of
   * it and its end-of-text work.
   */
  private dropShortTails(): void {
    const end = this.norm.end, left = end - this.from, owned = this.group ? this.group.owned : 0;
    for (let r = 0; r < this.scanners.length; r++) {
      if (this.minLength[r]! <= left) continue;
      // A rule in the group is not handed back at the end (advanceAll).
      if ((this.groupBits[r]! & owned) !== 0) {
        this.shortMembers |= this.groupBits[r]!;
        continue;
      }
      const s = this.scanners[r]!;
      s.reset(end, end > 0 ? this.views[r]!.codes[end - 1 - this.views[r]!.base]! : -1);
      // A fresh Pike search with no text left has no thread, candidate or context word to resolve.
      if (s instanceof PikeScanner) {
        this.dropped[r] = 1;
        this.dropping = true;
      }
    }
  }

  private closedStep(): GateStep {
    return this.blockedBy ? { text: "", findings: [], blocked: this.blockedBy } : { text: "", findings: [] };
  }

  /** Advance every scanner to `target` (finishing them at the end of an ended stream). */
  private advanceAll(target: number): void {
    const norm = this.norm, end = norm.end;
    const settled = norm.openSpace >= 0 && norm.openSpace < target ? norm.openSpace : target;
    const finishing = this.ended && target === end;
    const group = this.group;
    if (group) {
      // The shared word log is read for the rules in the group (their context trackers catch up on it later).
      const folded = norm.foldedView;
      this.words.read(folded, target);
      group.walk(folded, target);
      group.readContexts(folded, target, this.words.ends.length);
      // At the end a rule in the group with no live thread has nothing to resolve (a tool call ends a stream at
      // every JSON string); one with a thread is finished alone.
      if (finishing) group.releaseLive(this.shortMembers);
    }
    const outside = this.outside;
    for (let k = 0, n = this.outsiders(); k < n; k++) {
      const r = outside[k]!, s = this.scanners[r]!;
      if (finishing && this.dropped[r] === 1) continue;
      if (finishing) s.finish(this.views[r]!, end);
      else s.advance(this.views[r]!, this.stopsAtOpenSpace[r] ? settled : target);
    }
  }

  /**
   * Earliest normalised offset where rule `r` could still match, counting the open space it has not read yet (not
   * for a rule in the group).
   */
  private liveOf(r: number): number {
    const s = this.scanners[r]!;
    const open = this.norm.openSpace;
    return open >= 0 && open < s.liveStart && this.waitsForSpace[r] && !s.final ? open : s.liveStart;
  }

  private run(): GateStep {
    const findings: Finding[] = [];
    const norm = this.norm;
    let out = "";
    // Scanners read the held text in blocks, not all at once: a scanner restarted after a finding re-reads at most up
    // to the current block's end, so a long text dense with findings costs O(text + findings × BLOCK), not O(text²).
    let target = Math.min(norm.end, this.from + SCAN_BLOCK);
    this.advanceAll(target);
    for (;;) {
      const winner = target < norm.end ? this.decidedWithin(target) : this.decided();
      if (winner < 0) {
        if (target === norm.end) break;
        target = Math.min(norm.end, target + SCAN_BLOCK);
        this.advanceAll(target);
        continue;
      }
      const scanner = this.scanners[winner]!, compiled = this.rules[winner]!;
      const base = norm.base, start = scanner.matchStart, end = scanner.matchEnd;
      const rawFrom = norm.rawStart[start - base]!, rawTo = norm.rawEndOf(end - 1);
      const finding = toFinding(compiled.rule, rawFrom, rawTo, this.slice(rawFrom, rawTo));
      findings.push(finding);
      out += this.take(rawFrom);
      if (finding.action === "block") {
        this.blockedBy = finding;
        this.released = this.received;
        this.text = "";
        return { text: out, findings, blocked: finding };
      }
      const matched = this.take(rawTo);
      out += finding.action === "redact" ? compiled.placeholder : finding.action === "mask" ? maskText(matched) : matched;
      // Resume after the code point that produced the match's last unit (`ﬁ` → "fi" may end a match in its middle).
      const resume = norm.nextCodePoint(end - 1);
      this.from = resume;
      this.restartBefore(resume);
      this.advanceAll(target);
    }
    const live = this.lastLive; // nothing moved since decided() found no winner
    // Never release a raw unit while a normalised unit it produced is held; a pending high surrogate is not in rawDone.
    const release = live < norm.end ? norm.rawStart[live - norm.base]! : norm.rawDone;
    if (release > this.released) out = out.length === 0 ? this.take(release) : out + this.take(release);
    const floor = live < norm.end ? live : norm.end;
    this.heldFrom = floor;
    if (floor > this.from) this.from = floor;
    return { text: out, findings };
  }

  /**
   * Restart the scanners whose state depends on text before `resume` (the winner, rules with a candidate or partial
   * match overlapping it). A scanner that says its state equals a fresh search from `resume` (RuleScanner.keepsAcross)
   * keeps its place: restarting every rule for every finding made a whole-text scan cost O(text × findings). NFKC
   * rules that stop before an open space may not have read up to `resume` yet, so they always restart.
   */
  private restartBefore(resume: number): void {
    const base = this.norm.base, outside = this.outside;
    this.group?.releaseBefore(resume);
    for (let k = 0, n = this.outsiders(); k < n; k++) {
      const r = outside[k]!, s = this.scanners[r]!;
      if (this.stopsAtOpenSpace[r] || !(s.keepsAcross?.(resume) ?? false)) {
        s.reset(resume, this.views[r]!.codes[resume - 1 - base]!);
        this.dropped[r] = 0;
      }
    }
  }

  /** Earliest offset where any rule could still match (Infinity: none); plain field reads unless a rule waits. */
  private firstLive(): number {
    const scanners = this.scanners, outside = this.outside, n = this.outsiders();
    let first = this.group ? this.group.liveStart : Infinity;
    if (this.anyWaits) {
      for (let k = 0; k < n; k++) {
        const l = this.liveOf(outside[k]!);
        if (l < first) first = l;
      }
    } else {
      for (let k = 0; k < n; k++) {
        const l = scanners[outside[k]!]!.liveStart;
        if (l < first) first = l;
      }
    }
    return first;
  }

  /**
   * decided() while scanners have read only up to `target` < end: a final match is certain whatever follows, and the
   * text after `target` is already here (so no mark can still join the match's last code point).
   */
  private decidedWithin(target: number): number {
    const first = this.lastLive = this.firstLive();
    if (first === Infinity || first >= target) return -1;
    // A rule in the group has a live thread there: nothing is final at `first` yet.
    if (this.group && this.group.liveStart === first) return -1;
    const outside = this.outside;
    let winner = -1;
    for (let k = 0, n = this.outsiders(); k < n; k++) {
      const r = outside[k]!, s = this.scanners[r]!;
      if ((this.anyWaits ? this.liveOf(r) : s.liveStart) !== first) continue;
      if (!s.final) return -1;
      if (winner < 0 || s.matchEnd > this.scanners[winner]!.matchEnd) winner = r;
    }
    return winner;
  }

  /** Index of the rule whose match is certainly next (leftmost, longest, first in order), or -1 if undecided. */
  private decided(): number {
    const winner = this.decidedWithin(Infinity);
    // A match ending in the last code point so far waits for the next one: marks and invisibles arriving first join it.
    if (winner >= 0 && !this.ended && this.norm.nextCodePoint(this.scanners[winner]!.matchEnd - 1) >= this.norm.end) return -1;
    return winner;
  }

  /** Held raw text between two raw offsets (both at or after `released`). */
  private slice(from: number, to: number): string {
    return this.text.slice(from - this.released, to - this.released);
  }

  /** Release held raw text up to `to` and return it. */
  private take(to: number): string {
    const n = to - this.released;
    if (n === 0) return "";
    const out = n === this.text.length ? this.text : this.text.slice(0, n);
    this.text = n === this.text.length ? "" : this.text.slice(n);
    this.released = to;
    return out;
  }
}

function toFinding(rule: GateRule, start: number, end: number, match: string): Finding {
  const finding: Finding = { rule: rule.id, type: rule.type, action: rule.action, start, end, match };
  if (rule.type === "pii") finding.detector = rule.detector;
  return finding;
}
