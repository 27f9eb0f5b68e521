/**
 * HoldBackBuffer: runs every rule's incremental search over one stream, resolves overlaps
 * (leftmost, then longest, then rule order) and releases text the moment no rule can still match it.
 */
import { maskText } from "./action.ts";
import type { Finding, GateRule, GateStep, TextStream } from "./rule.ts";
import type { HeldText, RuleScanner } from "./scanner.ts";

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
export class HoldBackBuffer implements TextStream, HeldText {
  /** Unreleased text (stream offsets `released` to `received`). */
  private text = "";
  /** Code units from `base` to `received`, decoded once per chunk for the scanners; compacted only when full. */
  codes = new Uint16Array(1024);
  /** Stream offset of `codes[0]`; at most `released - 1`, so the character before any unreleased one is readable. */
  base = 0;
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
    if (this.received - this.base + chunk.length > this.codes.length) this.compact(chunk.length);
    const codes = this.codes, at = this.received - this.base;
    for (let i = 0; i < chunk.length; i++) codes[at + i] = chunk.charCodeAt(i);
    this.text = this.text.length === 0 ? chunk : this.text + chunk;
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
      if (this.ended) s.finish(this, this.received);
      else s.advance(this, this.received);
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
      const finding = toFinding(compiled.rule, start, end, this.slice(start, end));
      findings.push(finding);
      out += this.take(start);
      if (finding.action === "block") {
        this.blockedBy = finding;
        this.released = this.received;
        this.text = "";
        return { text: out, findings, blocked: finding };
      }
      const matched = this.take(end);
      out += finding.action === "redact" ? compiled.placeholder : finding.action === "mask" ? maskText(matched) : matched;
      const prev = this.codes[end - 1 - this.base]!;
      for (const s of this.scanners) s.reset(end, prev);
      this.advanceAll();
    }
    let release = this.received;
    for (const s of this.scanners) if (s.liveStart < release) release = s.liveStart;
    // Never split a surrogate pair across steps: a lone half would become U+FFFD on the wire.
    if (!this.ended && release > this.released && isHighSurrogate(this.codes[release - 1 - this.base]!)) release--;
    if (release > this.released) out = out.length === 0 ? this.take(release) : out + this.take(release);
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

  /** Held text between two stream offsets (both at or after `released`). */
  slice(from: number, to: number): string {
    return this.text.slice(from - this.released, to - this.released);
  }

  /** Release held text up to `to` and return it. */
  private take(to: number): string {
    const n = to - this.released;
    if (n === 0) return "";
    const out = n === this.text.length ? this.text : this.text.slice(0, n);
    this.text = n === this.text.length ? "" : this.text.slice(n);
    this.released = to;
    return out;
  }

  /** Drop released code units (keeping one for lookbehind), growing the array if still too small for `incoming`. */
  private compact(incoming: number): void {
    const keepFrom = this.released > 0 ? this.released - 1 : 0;
    const live = this.received - keepFrom;
    const size = Math.max(this.codes.length, 2 * (live + incoming));
    const target = size > this.codes.length ? new Uint16Array(size) : this.codes;
    if (target === this.codes) target.copyWithin(0, keepFrom - this.base, this.received - this.base);
    else target.set(this.codes.subarray(keepFrom - this.base, this.received - this.base));
    this.codes = target;
    this.base = keepFrom;
  }
}

function toFinding(rule: GateRule, start: number, end: number, match: string): Finding {
  const finding: Finding = { rule: rule.id, type: rule.type, action: rule.action, start, end, match };
  if (rule.type === "pii") finding.detector = rule.detector;
  return finding;
}
