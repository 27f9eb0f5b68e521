/**
 * HoldBackBuffer: runs every rule's incremental search over one stream, resolves overlaps
 * (leftmost, then longest, then rule order) and releases text the moment no rule can still match it.
 */
import { maskText } from "./action.ts";
import type { Finding, GateRule, GateStep, TextStream } from "./rule.ts";
import type { RuleScanner } from "./scanner.ts";

/** A rule ready to run: its policy entry, how to start a search, and its redaction text. */
export interface CompiledRule {
  /** The rule as written in the policy. */
  readonly rule: GateRule;
  /** Fresh per-stream search state. */
  readonly createScanner: () => RuleScanner;
  /** Longest match: the rule's share of the hold-back bound. */
  readonly maxLength: number;
  /** Text that replaces a redacted match. */
  readonly placeholder: string;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** One stream's hold-back buffer over a compiled rule list. */
export class HoldBackBuffer implements TextStream {
  /** Unreleased text plus the one released character before it (lookbehind for the next match). */
  private text = "";
  /** Stream offset of `text[0]`. */
  private base = 0;
  /** Stream offset up to which text has been released. */
  private released = 0;
  /** Stream offset of the end of the text received. */
  private received = 0;
  private ended = false;
  private blockedBy: Finding | undefined;
  private readonly scanners: RuleScanner[];

  constructor(private readonly rules: readonly CompiledRule[]) {
    this.scanners = rules.map((r) => {
      const s = r.createScanner();
      s.reset(0, -1);
      return s;
    });
  }

  /** Characters received but not yet released. */
  get held(): number {
    return this.received - this.released;
  }

  /** Feed one chunk. */
  push(chunk: string): GateStep {
    if (this.ended || this.blockedBy) return this.closedStep();
    this.text += chunk;
    this.received += chunk.length;
    return this.run();
  }

  /** Stream over: resolve everything. */
  end(): GateStep {
    if (this.ended || this.blockedBy) return this.closedStep();
    this.ended = true;
    return this.run();
  }

  private closedStep(): GateStep {
    return this.blockedBy ? { text: "", findings: [], blocked: this.blockedBy } : { text: "", findings: [] };
  }

  private advanceAll(): void {
    for (const s of this.scanners) {
      if (this.ended) s.finish(this.text, this.base, this.received);
      else s.advance(this.text, this.base, this.received);
    }
  }

  private run(): GateStep {
    const findings: Finding[] = [];
    let out = "";
    this.advanceAll();
    for (;;) {
      const winner = this.decided();
      if (winner < 0) break;
      const scanner = this.scanners[winner]!, compiled = this.rules[winner]!;
      const start = scanner.matchStart, end = scanner.matchEnd;
      const finding = toFinding(compiled.rule, start, end);
      findings.push(finding);
      out += this.slice(this.released, start);
      if (finding.action === "block") {
        this.blockedBy = finding;
        this.released = this.received;
        this.text = "";
        return { text: out, findings, blocked: finding };
      }
      const matched = this.slice(start, end);
      out += finding.action === "redact" ? compiled.placeholder : finding.action === "mask" ? maskText(matched) : matched;
      this.released = end;
      const prev = this.text.charCodeAt(end - 1 - this.base);
      for (const s of this.scanners) s.reset(end, prev);
      this.advanceAll();
    }
    let release = this.received;
    for (const s of this.scanners) release = Math.min(release, s.liveStart);
    // Never split a surrogate pair across steps: a lone half would become U+FFFD on the wire.
    if (!this.ended && release > this.released && isHighSurrogate(this.text.charCodeAt(release - 1 - this.base))) release--;
    if (release > this.released) {
      out += this.slice(this.released, release);
      this.released = release;
    }
    const keepFrom = Math.max(0, this.released - 1);
    if (keepFrom > this.base) {
      this.text = this.text.slice(keepFrom - this.base);
      this.base = keepFrom;
    }
    return { text: out, findings };
  }

  /** Index of the rule whose match is certainly next (leftmost, longest, first in order), or -1 if undecided. */
  private decided(): number {
    let first = Infinity;
    for (const s of this.scanners) if (s.liveStart < first) first = s.liveStart;
    if (first === Infinity) return -1;
    let winner = -1;
    for (let r = 0; r < this.scanners.length; r++) {
      const s = this.scanners[r]!;
      if (s.liveStart !== first) continue;
      if (!s.final) return -1;
      if (winner < 0 || s.matchEnd > this.scanners[winner]!.matchEnd) winner = r;
    }
    return winner;
  }

  private slice(from: number, to: number): string {
    return this.text.slice(from - this.base, to - this.base);
  }
}

function toFinding(rule: GateRule, start: number, end: number): Finding {
  const finding: Finding = { rule: rule.id, type: rule.type, action: rule.action, start, end };
  if (rule.type === "pii") finding.detector = rule.detector;
  return finding;
}
